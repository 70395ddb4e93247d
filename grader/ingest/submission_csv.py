"""Read our own class CSV (one row per student, one column per part, `part.arrow` for
arrows) into Submissions, streamed row by row so a class's file is never held whole.

grader.ingest.detect tells this kind of CSV from LMS reports and grader's own outputs, and
calls read_csv for it; csv_encoding finds the file's encoding (as read_text would decode it)
without reading it whole. Each row is checked by grader.ingest.mapping.submission_from_mapping.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from grader.errors import InputError
from grader.ingest.mapping import (
    CSV_FIXED_COLUMNS,
    MAX_ANSWERS,
    MAX_CSV_BYTES,
    MAX_CSV_FIELD,
    UTF16_BOMS,
    IngestProblem,
    clean_id,
    scalar,
    submission_from_mapping,
)
from grader.model import Submission

# A class CSV may hold a long answer (cut to MAX_ANSWER_CHARS later): csv's default limit of
# 131,072 characters per cell would make one such answer stop the whole class's file.
if csv.field_size_limit() < MAX_CSV_FIELD:
    csv.field_size_limit(MAX_CSV_FIELD)


def csv_encoding(path: Path) -> str:
    """The encoding read_text would decode a CSV file with, found in one streaming pass.

    Raises:
        InputError: the file cannot be read or is too large.
    """
    encoding = "utf-8-sig"
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise InputError(f"file is {size} bytes, more than {MAX_CSV_BYTES}", file=str(path))
        with path.open("rb") as handle:
            if handle.read(2) in UTF16_BOMS:
                encoding = "utf-16"
            handle.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            total = 0
            for block in iter(lambda: handle.read(1 << 20), b""):
                total += len(block)
                if total > MAX_CSV_BYTES:  # stat lies for /proc files and the like
                    raise InputError(f"file is more than {MAX_CSV_BYTES} bytes", file=str(path))
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            raise InputError(f"not valid UTF-16 (byte {exc.start} of a block): save it as "
                             "UTF-8", file=str(path)) from None
        return "latin-1"
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    return encoding


def read_csv(open_text: Callable[[], TextIO], source: str, _suffix: str,
             ) -> Iterator[Submission | IngestProblem]:
    """Our submission CSV, streamed row by row from a file `open_text` opens."""
    with open_text() as handle:
        yield from _read_csv_rows(handle, source)


def _read_csv_rows(handle: TextIO, source: str) -> Iterator[Submission | IngestProblem]:
    sample = handle.read(4096)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        # The sniffer guesses doublequote=False when its sample has no "" pair; a quote in a
        # later answer ("error") would then split the row. Spreadsheets always double quotes.
        dialect.doublequote = True
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(handle, dialect=dialect)
    try:
        names = reader.fieldnames
    except csv.Error as exc:
        yield IngestProblem(source, f"CSV cannot be read near line {reader.line_num}: {exc}")
        return
    if not names or "student" not in (n.strip() for n in names):
        yield IngestProblem(source, "CSV has no 'student' column")
        return
    names = [n.strip() for n in names]
    problem = _header_problem(names)
    if problem:
        yield IngestProblem(source, problem)
        return
    unnamed = [f" column {i + 1}" for i, n in enumerate(names) if not n]
    # Unnamed columns get names no part can have, so their cells can be found (and reported)
    reader.fieldnames = [n or f" column {i + 1}" for i, n in enumerate(names)]
    ignored = 0
    try:
        for row in reader:
            if unnamed and any([(row.pop(u, None) or "").strip() for u in unnamed]):
                ignored += 1  # (a list: every unnamed cell is popped)
            yield from _csv_row(row, f"{source} row {reader.line_num}")
    except csv.Error as exc:
        yield IngestProblem(source, f"CSV cannot be read near line {reader.line_num}: {exc}")
    if ignored:
        yield IngestProblem(source, f"{ignored} rows have cells in columns without a header "
                            f"({', '.join(u.strip() for u in unnamed)}): those cells are not "
                            "graded", fatal=False)


def _header_problem(names: list[str]) -> str:
    """Why a submission CSV's header is ambiguous (a column twice, a part both whole and by
    arrow), or ''."""
    named = [n for n in names if n]
    if len(named) > MAX_ANSWERS + len(CSV_FIXED_COLUMNS):  # an unknown part: a warning per row
        return (f"CSV header has {len(named)} columns: more than "
                f"{MAX_ANSWERS + len(CSV_FIXED_COLUMNS)}, not a submission file")
    if len(set(named)) != len(named):
        twice = sorted({n for n in named if named.count(n) > 1})
        return (f"CSV header has the column(s) {', '.join(twice)} more than once: which one "
                "holds the answer? Nothing of this file is graded")
    whole = {n for n in named if "." not in n} - set(CSV_FIXED_COLUMNS)
    split = {n.partition(".")[0] for n in named if n.partition(".")[2]}
    both = sorted(whole & split)
    if both:
        return (f"CSV header has both the column {both[0]} and columns {both[0]}.<arrow>: "
                "which one holds the answer? Nothing of this file is graded")
    return ""


def _csv_row(row: Mapping[str, Any], source: str) -> Iterator[Submission | IngestProblem]:
    """One CSV row: fixed columns, then one column per part; arrows as `part.arrow`."""
    if None in row:  # more cells than header columns
        yield IngestProblem(source, "row has more cells than the header has columns",
                            student=clean_id(scalar(row.get("student")))[0])
        return
    answers: dict[str, Any] = {}
    for column, cell in row.items():  # cells are str, or None where the row is short
        if not cell or column in CSV_FIXED_COLUMNS or not column or not cell.strip():
            continue
        part, _, arrow = column.partition(".")
        if arrow:
            answers.setdefault(part, {})[arrow] = cell
        else:
            answers[part] = cell
    fixed = {key: row.get(key) for key in CSV_FIXED_COLUMNS if row.get(key)}
    yield from submission_from_mapping({**fixed, "answers": answers}, source)
