"""Write a graded batch: scores.csv, details.jsonl, review.csv, errors.csv and feedback files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

from grader.atomic import write_text_atomic
from grader.grading import StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import Exam, PartScore, Variant
from grader.report.feedback import feedback_html, feedback_markdown
from grader.report.grades import DEFAULT_SCALE, format_points, grade_letter

REVIEW_FLAGS_IGNORED = frozenset()  # every flag is worth a look for now


def safe_filename(student: str) -> str:
    """A file name for a student id: letters, digits, '.', '_', '-' only; never empty or hidden.

    When the id had to be changed, a short hash keeps two different ids from sharing a file.

    >>> safe_filename("s123456"), safe_filename("../../etc/passwd").startswith("etc_passwd-")
    ('s123456', True)
    """
    cleaned = unicodedata.normalize("NFKC", student)
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", cleaned).strip("._-")[:64]
    if cleaned == student and cleaned:
        return cleaned
    digest = hashlib.sha256(student.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned or 'student'}-{digest}"


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_csv_safe(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def _csv_safe(cell: str) -> str:
    """Neutralize spreadsheet formulas in student-controlled cells (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(cell) \
        else cell


def _is_number(cell: str) -> bool:
    try:
        Fraction(cell)
    except (ValueError, ZeroDivisionError):
        return False
    return True


def scores_csv(exam: Exam, results: Sequence[StudentResult],
               scale: tuple[tuple[str, Fraction], ...] = DEFAULT_SCALE) -> str:
    """One row per student: a column per part (empty when it does not count), total, max, grade."""
    part_ids = [p.id for p in exam.parts]
    rows = []
    for result in results:
        by_part = {s.part: format_points(s.score) for s in result.scores}
        rows.append([result.student, result.variant, *[by_part.get(p, "") for p in part_ids],
                     format_points(result.total), format_points(result.max),
                     grade_letter(result.total, result.max, scale)])
    return _csv_text(["student", "variant", *part_ids, "total", "max", "grade"], rows)


def _score_record(result: StudentResult, score: PartScore) -> dict:
    return {
        "student": result.student,
        "variant": result.variant,
        "part": score.part,
        "score": float(score.score),
        "max": float(score.max),
        "answer": score.answer,
        "criteria": [
            {"id": c.id, "points": float(c.points), "max": float(c.max), "met": c.met,
             "matched": list(c.matched), "feedback": c.feedback}
            for c in score.criteria
        ],
        "notes": list(score.notes),
        "flags": list(score.flags),
    }


def details_jsonl(results: Sequence[StudentResult]) -> str:
    """One JSON object per student and part, in a stable order."""
    lines = [json.dumps(_score_record(r, s), ensure_ascii=False, sort_keys=True)
             for r in results for s in r.scores]
    return "".join(line + "\n" for line in lines)


def review_csv(results: Sequence[StudentResult]) -> str:
    """The answers a person should look at: every part score that carries a review flag."""
    rows = [
        [r.student, s.part, format_points(s.score), format_points(s.max), ";".join(s.flags),
         " | ".join(s.notes), s.answer if isinstance(s.answer, str) else str(s.answer)]
        for r in results for s in r.scores if set(s.flags) - REVIEW_FLAGS_IGNORED
    ]
    return _csv_text(["student", "part", "score", "max", "flags", "notes", "answer"], rows)


def errors_csv(problems: Sequence[IngestProblem]) -> str:
    """Inputs that could not be (fully) read, with the reason; 'error' rows were not graded."""
    rows = [[p.source, p.student, p.part, "error" if p.fatal else "warning", p.problem]
            for p in problems]
    return _csv_text(["file", "student", "part", "severity", "problem"], rows)


def write_outputs(out_dir: Path, exam: Exam, results: Sequence[StudentResult],
                  problems: Sequence[IngestProblem],
                  scale: tuple[tuple[str, Fraction], ...] = DEFAULT_SCALE,
                  variant: Callable[[str], Variant] | None = None) -> list[Path]:
    """Write every output file atomically; the same inputs give byte-identical files.

    `variant` looks a variant up by id, so feedback can quote each question as the student saw it.
    """
    results = sorted(results, key=lambda r: r.student)
    files = {
        "scores.csv": scores_csv(exam, results, scale),
        "details.jsonl": details_jsonl(results),
        "review.csv": review_csv(results),
        "errors.csv": errors_csv(problems),
    }
    for result in results:
        name = safe_filename(result.student)
        seen = variant(result.variant) if variant else None
        files[f"feedback/{name}.md"] = feedback_markdown(exam, result, seen)
        files[f"feedback/{name}.html"] = feedback_html(exam, result, seen)
    written = []
    for relative, text in files.items():
        path = out_dir / relative
        write_text_atomic(path, text)
        written.append(path)
    return written
