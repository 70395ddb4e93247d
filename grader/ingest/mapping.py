"""One submission as every reader finds it: a mapping (a YAML/JSON document or a CSV row),
checked and cleaned into a Submission, never failing.

This is the base the readers share (documents.py for YAML/JSON files, submission_csv.py for our
class CSV, the LMS readers through submissions.py): the limits every input keeps, IngestProblem
(what a reader reports instead of raising), and submission_from_mapping with the cleaning of ids
and answers. It imports no reader, so the readers import it without a cycle.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from grader.model import RawAnswer, Submission

MAX_FILE_BYTES = 5_000_000  # a submission file larger than this is not a submission
MAX_CSV_BYTES = 500_000_000  # a CSV holds a whole class (10,000 students of 2019: 17 MB)
MAX_ANSWER_CHARS = 20_000  # longer answers are cut (and flagged) before grading
MAX_CSV_FIELD = 1_000_000  # a longer CSV cell is a broken file (a runaway quote), not an answer
MAX_ANSWERS = 1_000  # answers (or CSV columns) per submission; the 2019 exam has 21 parts
# A submission nests 4 levels; libyaml recurses in C, and ~30,000 levels crash the process.
MAX_NESTING = 1_000
ALLOWED_KEYS = {"student", "exam", "variant", "course", "answers"}
CSV_FIXED_COLUMNS = ("student", "variant", "exam", "course")


@dataclass(frozen=True)
class IngestProblem:
    """Something wrong with an input: a whole file or row (part is None) or one answer."""

    source: str
    problem: str
    student: str = ""
    part: str = ""
    fatal: bool = True  # False: the submission is still graded (e.g. an unknown part id)


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # Excel's "Unicode text"
SURROGATE = re.compile(r"[\ud800-\udfff]")  # a lone one cannot be written as UTF-8


def submission_from_mapping(data: Any, source: str) -> Iterator[Submission | IngestProblem]:
    """Validate one submission document (DESIGN 3.5) and yield it, or the problems found."""
    if not isinstance(data, Mapping):
        yield IngestProblem(source, "expected a mapping with student, variant and answers")
        return
    fields: dict[str, str] = {}
    for name in ("student", "variant", "exam", "course"):
        value = data.get(name)
        if isinstance(value, (Mapping, list)):  # a list of courses would silently count all
            yield IngestProblem(source, f"{name} must be one value, not a "
                                f"{'mapping' if isinstance(value, Mapping) else 'list'}",
                                student=fields.get("student", ""))
            return
        fields[name] = scalar(value)
    student, cleaned = clean_id(fields["student"])
    if not student:
        yield IngestProblem(source, "no student id")
        return
    if cleaned:
        yield IngestProblem(source, f"removed control characters or invalid Unicode from the "
                            f"student id (read as '{student}')", student=student, fatal=False)
    unknown = sorted(str(k) for k in data if k not in ALLOWED_KEYS)
    if unknown:
        yield IngestProblem(source, f"unknown keys {', '.join(unknown)} (expected "
                            f"{', '.join(sorted(ALLOWED_KEYS))})", student=student)
        return
    answers = data.get("answers") or {}
    if not isinstance(answers, Mapping):
        yield IngestProblem(source, "answers must be a mapping of part id to answer",
                            student=student)
        return
    if len(answers) > MAX_ANSWERS:  # each unknown one would be a line of errors.csv
        yield IngestProblem(source, f"{len(answers)} answers: more than {MAX_ANSWERS}, not a "
                            "submission", student=student)
        return
    parsed: dict[str, RawAnswer] = {}
    for part, value in answers.items():
        part = part if type(part) is str and part.isprintable() else clean_id(str(part))[0]
        raw, problem = _raw_answer(value)
        if problem:
            yield IngestProblem(source, problem, student=student, part=part, fatal=False)
        if raw is not None:
            parsed[part] = raw
    yield Submission(
        student=student,
        variant=clean_id(fields["variant"])[0] or "original",
        answers=parsed,
        source=source,
        exam=clean_id(fields["exam"])[0] or None,
        course=clean_id(fields["course"])[0] or None,
    )


def clean_id(text: str) -> tuple[str, bool]:
    r"""An id (student, part, arrow, variant) without control characters (tab and newlines
    too) or lone surrogates, which would break file names, CSV rows and UTF-8 outputs; and
    whether any was removed.

    >>> clean_id("s1\n"), clean_id("s\x1b[31m1")
    (('s1', True), ('s[31m1', True))
    """
    if text.isprintable():  # nearly always
        return text, False
    cleaned = _ID_UNSAFE.sub("", text).strip()
    return cleaned, cleaned != text


def scalar(value: Any) -> str:
    if type(value) is str:  # nearly always: skips the ABC isinstance checks below
        return value.strip()
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    if isinstance(value, (set, frozenset)):  # YAML !!set: its str() order changes per process
        return ", ".join(sorted(map(str, value)))
    return str(value).strip()


def _raw_answer(value: Any) -> tuple[RawAnswer | None, str]:
    """A student's answer as text (or arrow id -> text), and a problem if it had to be altered."""
    if type(value) is str:  # nearly always: skips the ABC isinstance checks below
        return _cut(value)
    if value is None:
        return None, ""
    if isinstance(value, Mapping):
        arrows, cut_notes, nested = {}, {}, []
        for k, v in value.items():
            key = k if type(k) is str and k.isprintable() else clean_id(str(k))[0]
            if isinstance(v, (Mapping, list)):
                nested.append(key)
                continue
            text = scalar(v)
            if text:
                arrows[key], cut_notes[key] = _cut(text)
        notes = [f"{k}: {note}" for k, note in cut_notes.items() if note]
        if nested:
            notes.append(f"{', '.join(nested)}: a list or mapping where one value was expected; "
                         "not graded")
        # YAML reads {a1: -0,2} as a1: "-0" plus a key "2": a decimal comma in a flow mapping.
        split = [str(k) for k, v in value.items() if v is None and str(k).isdigit()]
        if split:
            notes.append(f"'{', '.join(split)}' looks like the decimals of a number written "
                         "with a decimal comma inside {...}; quote such values: \"-0,2\"")
        return arrows, "; ".join(notes)
    if isinstance(value, list):
        text, note = _cut("\n".join(scalar(v) for v in value))
        if any(isinstance(v, (Mapping, list)) for v in value):
            note = "; ".join(filter(None, [note, "left out the lists and mappings nested in the "
                                           "answer's list"]))
        return text, note
    return _cut(scalar(value))


# Control characters (NUL, ESC, ...) other than tab and newlines never reach the grader or an
# output file: a NUL in feedback HTML or a CSV breaks the tools that open them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Lone surrogates (JSON "\ud800") cannot be encoded as UTF-8: one would stop the batch when
# the outputs are written.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ID_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _cut(text: str) -> tuple[str, str]:
    r"""The answer with control characters removed and cut to MAX_ANSWER_CHARS, and a note.

    >>> _cut("a\x00b")
    ('ab', 'removed control characters from the answer')
    """
    if len(text) <= MAX_ANSWER_CHARS and (text.isprintable() or not _UNSAFE.search(text)):
        return text, ""  # nearly always (isprintable: half the time of the search, ~150 ns)
    notes = []
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
        notes.append("removed control characters from the answer")
    if SURROGATE.search(text):
        text = SURROGATE.sub("\ufffd", text)
        notes.append("replaced invalid Unicode (lone surrogates) with \ufffd")
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS]
        notes.append(f"answer cut to its first {MAX_ANSWER_CHARS} characters")
    return text, "; ".join(notes)
