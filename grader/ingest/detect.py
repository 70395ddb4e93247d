"""Recognize which kind of CSV a file is, and read it with the matching reader."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import TextIO

from grader.ingest.canvas import is_canvas_student_analysis, read_canvas_student_analysis
from grader.ingest.lms import DELIMITERS, LmsContext, read_table
from grader.ingest.moodle import is_moodle_responses, read_moodle_responses
from grader.ingest.submissions import IngestProblem
from grader.model import Submission

SUBMISSIONS, MOODLE, CANVAS, UNKNOWN = "submissions", "moodle", "canvas", "unknown"
OUTPUT = "output"  # a file `grader grade` wrote (-o inside the submissions folder)
# The headers of the CSV files `grader grade` writes (grader/report; a test keeps them equal).
# Read as submissions, review.csv would grade its rows as students and make the real ones
# duplicates.
OUTPUT_HEADERS = {
    ("student", "part", "score", "max", "flags", "notes", "answer"): "review.csv",
    ("file", "student", "part", "severity", "problem"): "errors.csv",
    ("student", "part", "old", "new", "change", "why"): "changes.csv",
}
NAMES = {MOODLE: "a Moodle quiz responses report", CANVAS: "a Canvas student analysis report"}
_READERS = {MOODLE: read_moodle_responses, CANVAS: read_canvas_student_analysis}

Opener = Callable[[], TextIO]  # opens the file afresh (text, newline=""): it is read twice
Reader = Callable[[Opener, str, str], Iterator[Submission | IngestProblem]]


def detect_kind(header: list[str] | tuple[str, ...]) -> str:
    """Which CSV a header belongs to: our submissions (DESIGN 3.5), Moodle, Canvas or unknown.

    >>> detect_kind(["student", "variant", "ex3a"])
    'submissions'
    >>> detect_kind(["Surname", "First name", "Email address", "State", "Response 1"])
    'moodle'
    >>> detect_kind(["student", "variant", "ex3a", "total", "max", "grade"])
    'output'
    """
    if output_name(header):
        return OUTPUT
    if "student" in (h.strip() for h in header):
        return SUBMISSIONS
    if is_moodle_responses(header):
        return MOODLE
    if is_canvas_student_analysis(header):
        return CANVAS
    return UNKNOWN


def output_name(header: list[str] | tuple[str, ...]) -> str:
    """The name of the `grader grade` output file with this header (scores.csv, ...), or ''."""
    names = tuple(h.strip() for h in header)
    if names[:2] == ("student", "variant") and names[-3:] == ("total", "max", "grade"):
        return "scores.csv"
    return OUTPUT_HEADERS.get(names, "")


def read_csv_file(open_text: Opener, source: str, lms: LmsContext | None,
                  ours: Reader) -> Iterator[Submission | IngestProblem]:
    """Read a CSV file with the reader for its kind; `ours` reads our own submission CSV.

    The file is streamed, never held whole: a class CSV (17 MB for 10,000 students) would
    otherwise cost ~100 MB of strings. A first pass checks it is CSV, as `read_table` would
    (a broken file yields one problem and no rows); our reader then streams it again. LMS
    reports are small and are read whole.

    Args:
        open_text: opens the file as text (newline="") in the encoding it was found to use.
        source: the file name, for messages.
        lms: what LMS reports need from the exam (None: they cannot be read).
        ours: the reader of our submission CSV (grader.ingest.submission_csv.read_csv).
    """
    try:
        with open_text() as handle:
            header = _checked_header(handle)
    except csv.Error as exc:
        yield IngestProblem(source, f"CSV cannot be read: {exc}")
        return
    kind = detect_kind(header)
    if kind == OUTPUT:
        yield IngestProblem(source, f"this is {output_name(header)} as grader grade writes it, "
                            "not submissions: not read (grade into a folder that holds no "
                            "submissions)")
        return
    if kind in (SUBMISSIONS, UNKNOWN):
        yield from ours(open_text, source, ".csv")
        return
    if lms is None:
        yield IngestProblem(source, f"this is {NAMES[kind]}: it can only be read for an exam "
                            "(grader grade EXAM ...)")
        return
    with open_text() as handle:
        table = read_table(handle.read())
    yield from _READERS[kind](table, source, lms)


def _checked_header(handle: TextIO) -> tuple[str, ...]:
    """The header `read_table` would find, after parsing every row as it does (same errors),
    keeping none of them."""
    first, chunk = "", "\n"
    while "\n" not in first and chunk:  # the text up to its first "\n", as read_table splits
        chunk = handle.read(65_536)
        first += chunk
    first = first.split("\n", 1)[0]
    handle.seek(0)
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    reader = csv.reader(handle, delimiter=delimiter)
    header = tuple(next(reader, []))
    for _ in reader:
        pass
    return header
