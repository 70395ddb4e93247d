"""Rows and lines of a graded batch: scores.csv, details.jsonl, review.csv, errors.csv."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from json.encoder import encode_basestring  # what ensure_ascii=False uses

from grader.bounded import BoundedDict
from grader.content_ids import content_id
from grader.grading import StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import CriterionResult, PartScore
from grader.report.grades import DEFAULT_SCALE, format_points, grade_letter

REVIEW_FLAGS_IGNORED = frozenset()  # every flag is worth a look for now


def safe_filename(student: str) -> str:
    """A file name for a student id: letters, digits, '.', '_', '-' only; never empty or hidden.

    An id is kept as it is only when it is all lower case (digits, '.', '_', '-' allowed), is
    not a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, in any case, with or without
    an extension: ``con.txt`` too) and does not end like a hash suffix ('-' and 8 hex digits).
    Any other id gets '-' and the first 8 hex digits of the SHA-256 of the id appended (and its
    unsafe characters replaced by '_'). So two different ids never share a file, not even on a
    case-insensitive file system (macOS, Windows) or in a zip: "S1" and "s1" are two files. The
    rule depends on the id alone, so workers writing files independently agree.

    >>> safe_filename("s123456"), safe_filename("../../etc/passwd").startswith("etc_passwd-")
    ('s123456', True)
    >>> safe_filename("s1"), safe_filename("S1"), safe_filename("con.txt")
    ('s1', 'S1-3696ad59', 'con_txt-d3bde286')
    """
    cleaned = unicodedata.normalize("NFKC", student)
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", cleaned).strip("._-")[:64]
    if cleaned == student and _KEPT_NAME.fullmatch(cleaned) and not _reserved(cleaned):
        return cleaned
    if _reserved(cleaned):  # "CON.txt-1234abcd" would still be CON on Windows
        cleaned = cleaned.replace(".", "_")
    digest = hashlib.sha256(student.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned or 'student'}-{digest}"


# A name kept as the id: lower case, and not shaped like a hashed name (`x-1234abcd`), which
# another id's file could have
_KEPT_NAME = re.compile(r"(?![0-9a-z._-]*-[0-9a-f]{8}\Z)[0-9a-z._-]+")
# Windows device names: a file named so (whatever its case or extension) cannot be opened
_RESERVED = re.compile(r"(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|\Z)", re.IGNORECASE)


def _reserved(name: str) -> bool:
    return _RESERVED.match(name) is not None


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[csv_safe(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def csv_line(row: Sequence[str]) -> str:
    """One CSV line (spreadsheet-safe cells, ending in a newline), as csv_text writes rows.

    One buffer and writer, reused (a line or two per student: building them cost ~3 us each).
    """
    _LINE_BUFFER.seek(0)
    _LINE_BUFFER.truncate()
    _LINE_WRITER.writerow([csv_safe(cell) for cell in row])
    return _LINE_BUFFER.getvalue()


_LINE_BUFFER = io.StringIO(newline="")
_LINE_WRITER = csv.writer(_LINE_BUFFER, lineterminator="\n")


def csv_safe(cell: str) -> str:
    """Neutralize spreadsheet formulas in student-controlled cells (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(cell) \
        else cell


def _is_number(cell: str) -> bool:
    """Whether Fraction(cell) would read the cell as a number (a plain decimal, scientific or
    fraction literal: "-3.5", "-1e3", "-1/2"), without building it.

    Fraction("-1e99999999") computes 10**99999999 and never returns in a batch: this only
    checks the literal's form, in time linear in its length. It gives Fraction's answer for
    every cell: the same syntax (its regular expression, Unicode digits and spaces included),
    the same refusals (a zero denominator, a part of more than sys.get_int_max_str_digits()
    digits, which int() refuses), and any exponent (a number, however large, is no formula).

    >>> [_is_number(c) for c in ("-3.5", "-1e99999999", "+1e3)", "-x", "-1/0", "=1+2")]
    [True, True, False, False, False, False]
    """
    m = _NUMBER.match(cell)
    if m is None:
        return False
    limit = sys.get_int_max_str_digits()
    if limit and any(len(text) - text.count("_") > limit for text in m.groups() if text):
        return False
    denominator = m["denominator"]
    return denominator is None or int(denominator) != 0  # bounded by the limit above


# Fraction's string syntax (fractions._RATIONAL_FORMAT): spaces, a sign, digits with single
# underscores between them, then a denominator, or a decimal part and an exponent.
_NUMBER = re.compile(r"""
    \s*[-+]?(?=\d|\.\d)
    (?P<numerator>(?:\d+(?:_\d+)*)?)
    (?:/(?P<denominator>\d+(?:_\d+)*)
     |(?:\.(?P<decimal>(?:\d+(?:_\d+)*)?))?(?:[eE](?P<exponent>[-+]?\d+(?:_\d+)*))?)
    \s*\Z""", re.VERBOSE)


def score_row(exam_parts: Sequence[str], result: StudentResult,
              scale: tuple[tuple[str, Fraction], ...] = DEFAULT_SCALE) -> list[str]:
    """A student's scores.csv row: a cell per part (empty when it does not count), total, grade."""
    by_part = {s.part: format_points(s.score) for s in result.scores}
    return [result.student, result.variant, *[by_part.get(p, "") for p in exam_parts],
            format_points(result.total), format_points(result.max),
            grade_letter(result.total, result.max, scale)]


def scores_header(exam_parts: Sequence[str]) -> list[str]:
    return ["student", "variant", *exam_parts, "total", "max", "grade"]


def _float(value: Fraction) -> float:
    """float(value); a Fraction's true division directly (numbers.Rational.__float__ is a
    Python frame with two property calls, and details.jsonl asks ~150 times per student)."""
    return value.numerator / value.denominator if type(value) is Fraction else float(value)


def _criterion_record(c: CriterionResult) -> dict:
    return {"id": c.id, "points": _float(c.points), "max": _float(c.max), "met": c.met,
            "matched": list(c.matched), "feedback": c.feedback}


def _score_record(result: StudentResult, score: PartScore) -> dict:
    record = {
        "student": result.student,
        "variant": result.variant,
        "part": score.part,
        "score": _float(score.score),
        "max": _float(score.max),
        "answer": score.answer,
        "criteria": [_criterion_record(c) for c in score.criteria],
        "notes": list(score.notes),
        "flags": list(score.flags),
    }
    override = result.override_for(score.part) if result.overrides else None
    if override is not None:  # score is the teacher's; the rubric's stays visible
        record["override"] = {"original": float(override.original),
                              "points": float(override.points), "reason": override.reason}
    return record


# The reference format of details.jsonl: json.dumps(record, ensure_ascii=False, sort_keys=True)
# of _score_record (check_circular=False: same bytes, records have no cycles). json.dumps with
# options builds a new JSONEncoder per call: one, built once, does the same. (orjson would be
# ~4x faster but has no option for these ", " / ": " separators: its bytes always differ.)
_DUMPS = json.JSONEncoder(ensure_ascii=False, sort_keys=True, check_circular=False).encode


def student_details(result: StudentResult) -> str:
    """A student's details.jsonl lines (one JSON object per part, keys sorted).

    The lines are assembled from pieces, each made by the reference encoder, with the same
    separators and key order; tests compare them with _DUMPS(_score_record(...)) on generated
    records. Why: a class repeats the same outcomes (a missed concept, the same matched words,
    an arrow's value, the memo's numeric scores), so a part's line but its answer is encoded
    once per distinct outcome (`content_id`), and each distinct criterion once; ~60 -> ~25 us
    per student of the 2019 exam (2,000 students, 19 parts, ~45 criteria each).
    """
    # "student" and "variant" sort after every other key: the same ending for every line
    ending = _DUMPS({"student": result.student, "variant": result.variant})[1:] + "\n"
    lines = []
    for score in result.scores:
        if result.overrides and result.override_for(score.part) is not None:
            lines.append(_DUMPS(_score_record(result, score)) + "\n")  # rare: no shortcut
            continue
        lines.append(f'{{"answer": {_string(score.answer)}, {_after_answer(score)}{ending}')
    return "".join(lines)


# content id -> the line's keys between answer and student (~2.5 MB at most)
_AFTER_ANSWER: dict[int, str] = BoundedDict(4_096)


def _after_answer(score: PartScore) -> str:
    """`"criteria": ..., "score": ..., ` of a part's line (every key but answer, student and
    variant), made once per distinct outcome."""
    ident = content_id(score)
    text = _AFTER_ANSWER.get(ident) if ident is not None else None
    if text is None:
        text = (f'"criteria": [{", ".join(map(_criterion_json, score.criteria))}], '
                f'"flags": {_strings(score.flags)}, "max": {_number(score.max)}, '
                f'"notes": {_strings(score.notes)}, "part": {_string(score.part)}, '
                f'"score": {_number(score.score)}, ')
        if ident is not None:
            _AFTER_ANSWER[ident] = text
    return text


def _string(text: str) -> str:
    return encode_basestring(text) if type(text) is str else _DUMPS(text)


def _strings(texts: Sequence[str]) -> str:
    return f"[{', '.join(map(_string, texts))}]" if texts else "[]"


_NUMBERS: dict[tuple[int, int], str] = BoundedDict(4096)  # (numerator, denominator) -> float


def _number(value: Fraction) -> str:
    if type(value) is not Fraction:
        return _DUMPS(_float(value))
    key = (value.numerator, value.denominator)
    text = _NUMBERS.get(key)
    if text is None:
        text = _NUMBERS[key] = _DUMPS(_float(value))
    return text


# a criterion's content -> its JSON object (~1.5 MB at most)
_CRITERIA: dict[tuple, str] = BoundedDict(4_096)


def _criterion_json(c: CriterionResult) -> str:
    """A criterion's JSON object, encoded once per distinct content (the key is all it shows)."""
    try:
        key = (c.id, c.points.numerator, c.points.denominator, c.max.numerator,
               c.max.denominator, c.met, type(c.met), c.matched, c.feedback)  # True == 1
        text = _CRITERIA.get(key)
    except (AttributeError, TypeError):  # float points, a list of matched words: no shortcut
        return _DUMPS(_criterion_record(c))
    if text is None:
        text = _DUMPS(_criterion_record(c))
        _CRITERIA[key] = text
    return text


REVIEW_HEADER = ["student", "part", "score", "max", "flags", "notes", "answer"]


def review_rows(result: StudentResult) -> list[list[str]]:
    """A student's review.csv rows: flagged part scores the teacher has not overridden."""
    return [[result.student, s.part, format_points(s.score), format_points(s.max),
             ";".join(s.flags), " | ".join(s.notes),
             s.answer if isinstance(s.answer, str) else str(s.answer)]
            for s in result.scores
            if set(s.flags) - REVIEW_FLAGS_IGNORED and result.override_for(s.part) is None]


ERRORS_HEADER = ["file", "student", "part", "severity", "problem"]


def error_row(p: IngestProblem) -> list[str]:
    return [p.source, p.student, p.part, "error" if p.fatal else "warning", p.problem]


def errors_csv(problems: Sequence[IngestProblem]) -> str:
    """Inputs that could not be (fully) read, with the reason; 'error' rows were not graded."""
    return csv_text(ERRORS_HEADER, [error_row(p) for p in problems])
