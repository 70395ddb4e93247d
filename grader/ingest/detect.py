"""Recognize which kind of CSV a file is, and read it with the matching reader."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from grader.ingest.canvas import is_canvas_student_analysis, read_canvas_student_analysis
from grader.ingest.lms import LmsContext, read_table
from grader.ingest.moodle import is_moodle_responses, read_moodle_responses
from grader.ingest.submissions import IngestProblem
from grader.model import Submission

SUBMISSIONS, MOODLE, CANVAS, UNKNOWN = "submissions", "moodle", "canvas", "unknown"
NAMES = {MOODLE: "a Moodle quiz responses report", CANVAS: "a Canvas student analysis report"}
_READERS = {MOODLE: read_moodle_responses, CANVAS: read_canvas_student_analysis}

Reader = Callable[[str, str, str], Iterator[Submission | IngestProblem]]


def detect_kind(header: list[str] | tuple[str, ...]) -> str:
    """Which CSV a header belongs to: our submissions (DESIGN 3.5), Moodle, Canvas or unknown.

    >>> detect_kind(["student", "variant", "ex3a"])
    'submissions'
    >>> detect_kind(["Surname", "First name", "Email address", "State", "Response 1"])
    'moodle'
    """
    if "student" in (h.strip() for h in header):
        return SUBMISSIONS
    if is_moodle_responses(header):
        return MOODLE
    if is_canvas_student_analysis(header):
        return CANVAS
    return UNKNOWN


def read_csv_file(text: str, source: str, lms: LmsContext | None,
                  ours: Reader) -> Iterator[Submission | IngestProblem]:
    """Read CSV text with the reader for its kind; `ours` reads our own submission CSV.

    Args:
        text: the file's text.
        source: the file name, for messages.
        lms: what LMS reports need from the exam (None: they cannot be read).
        ours: the reader of our submission CSV (grader.ingest.submissions).
    """
    try:
        table = read_table(text)
    except csv.Error as exc:
        yield IngestProblem(source, f"CSV cannot be read: {exc}")
        return
    kind = detect_kind(table.header)
    if kind in (SUBMISSIONS, UNKNOWN):
        yield from ours(text, source, ".csv")
        return
    if lms is None:
        yield IngestProblem(source, f"this is {NAMES[kind]}: it can only be read for an exam "
                            "(grader grade EXAM ...)")
        return
    yield from _READERS[kind](table, source, lms)
