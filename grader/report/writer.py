"""Stream a graded batch to disk: per-student renders in, sorted atomic outputs out.

Each student is rendered once (feedback files written at once, details lines spooled to a
temporary file); what stays in memory per student is one scores.csv row, its review rows and a
row of floats for the statistics. `finish` writes the class files sorted by student id.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from grader.atomic import fsync_dir, write_text_atomic
from grader.grading import StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import Exam, Variant
from grader.report import outputs
from grader.report.feedback import feedback_both
from grader.report.grades import grade_letter
from grader.report.stats import ClassStats, ClassSummary, StatRow, stat_row

FEEDBACK_DIR = "feedback"


@dataclass(frozen=True)
class Rendered:
    """One student's share of the batch outputs (picklable: crosses process boundaries)."""

    student: str
    details: str
    score_row: list[str]
    review_rows: list[list[str]]
    stats: StatRow
    grade: str
    parts: tuple[str, ...]  # the parts the student was graded on (to check overrides)


def write_small_atomic(path: Path, text: str) -> None:
    """Temp file + rename, no fsync: atomic for readers; for the many per-student files.

    A full fsync costs ~0.8 ms per file here (measured), more than grading the student; the
    feedback folder is fsynced once at the end of the batch instead.
    """
    # os-level calls: pathlib and io layers cost ~40 us per file here, two files per student
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    data = memoryview(text.encode("utf-8"))
    try:
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileNotFoundError:  # first file of its folder (mkdir each time is a slow syscall)
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, _CREATE, 0o666)
        try:
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# the flags open(path, "wb") uses (O_BINARY: no newline translation on Windows)
_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
           | getattr(os, "O_BINARY", 0))


def render_student(out_dir: Path, exam: Exam, result: StudentResult, variant: Variant | None,
                   scale: Sequence[tuple[str, Fraction]],
                   model_answers: Mapping[str, str] | None = None) -> Rendered:
    """Write a student's feedback files and return the rest of their outputs."""
    folder = out_dir / FEEDBACK_DIR
    name = outputs.safe_filename(result.student)
    markdown, html = feedback_both(exam, result, variant, model_answers)
    write_small_atomic(folder / f"{name}.md", markdown)
    write_small_atomic(folder / f"{name}.html", html)
    part_ids = [p.id for p in exam.parts]
    grade = grade_letter(result.total, result.max, tuple(scale))
    return Rendered(result.student, outputs.student_details(result),
                    outputs.score_row(part_ids, result, tuple(scale)),
                    outputs.review_rows(result), stat_row(result, part_ids), grade,
                    tuple(s.part for s in result.scores))


class BatchWriter:
    """Collects rendered students; `finish` writes scores, details, review, errors, report."""

    def __init__(self, out_dir: Path, exam: Exam, spool_dir: Path) -> None:
        self.out_dir, self.exam = out_dir, exam
        spool_dir.mkdir(parents=True, exist_ok=True)
        self._spool = tempfile.TemporaryFile(dir=spool_dir)  # details lines, input order
        self._index: dict[str, tuple[int, int]] = {}
        self._rows: dict[str, str] = {}  # student -> scores.csv line (a str: ~10x smaller)
        self._review: dict[str, str] = {}  # student -> review.csv lines
        self.stats = ClassStats(tuple(p.id for p in exam.parts),
                                tuple(float(p.points) for p in exam.parts))

    def add(self, rendered: Rendered) -> None:
        data = rendered.details.encode("utf-8")
        self._index[rendered.student] = (self._spool.tell(), len(data))
        self._spool.write(data)
        self._rows[rendered.student] = outputs.csv_line(rendered.score_row)
        if rendered.review_rows:
            self._review[rendered.student] = "".join(map(outputs.csv_line,
                                                         rendered.review_rows))
        self.stats.add(rendered.stats, rendered.grade)

    def finish(self, problems: Sequence[IngestProblem]) -> tuple[list[Path], ClassSummary]:
        """Write the class files (each atomically); return them and the class statistics."""
        order = sorted(self._rows)
        part_ids = [p.id for p in self.exam.parts]
        files = {
            "scores.csv": outputs.csv_text(outputs.scores_header(part_ids), [])
            + "".join(self._rows[s] for s in order),
            "review.csv": outputs.csv_text(outputs.REVIEW_HEADER, [])
            + "".join(self._review.get(s, "") for s in order),
            "errors.csv": outputs.csv_text(outputs.ERRORS_HEADER,
                                           [outputs.error_row(p) for p in problems]),
        }
        written = [write_text_atomic(self.out_dir / name, text) for name, text in files.items()]
        written.append(self._write_details(order))
        self.close()
        fsync_dir(self.out_dir / FEEDBACK_DIR)
        return written, self.stats.summary()

    def close(self) -> None:
        """Drop the spool (also when the batch stops early)."""
        self._spool.close()

    def _write_details(self, order: Sequence[str]) -> Path:
        """details.jsonl sorted by student, streamed from the spool into an atomic file."""
        target = self.out_dir / "details.jsonl"
        fd, tmp = tempfile.mkstemp(prefix=".details.jsonl.", suffix=".tmp", dir=self.out_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                for student in order:
                    offset, length = self._index[student]
                    self._spool.seek(offset)
                    handle.write(self._spool.read(length))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
