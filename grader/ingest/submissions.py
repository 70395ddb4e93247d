"""Read student submissions (YAML/JSON files, CSV rows) into Submission values, never failing.

The entry points: expand_paths finds the submission files among files and folders, read_text
decodes one, read_submissions reads them all. The readers of each format live beside it
(documents.py: YAML/JSON, submission_csv.py: our class CSV, detect.py: which CSV is which), on
the base they share (mapping.py: IngestProblem, the limits, submission_from_mapping); their
public names stay importable from here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from grader.errors import InputError
from grader.ingest.documents import read_document
from grader.ingest.mapping import (
    ALLOWED_KEYS,
    CSV_FIXED_COLUMNS,
    MAX_ANSWER_CHARS,
    MAX_ANSWERS,
    MAX_CSV_BYTES,
    MAX_CSV_FIELD,
    MAX_FILE_BYTES,
    MAX_NESTING,
    UTF16_BOMS,
    IngestProblem,
    submission_from_mapping,
)
from grader.ingest.submission_csv import csv_encoding, read_csv
from grader.model import Submission

__all__ = [
    "ALLOWED_KEYS", "CSV_FIXED_COLUMNS", "MAX_ANSWERS", "MAX_ANSWER_CHARS", "MAX_CSV_BYTES",
    "MAX_CSV_FIELD", "MAX_FILE_BYTES", "MAX_NESTING", "SUBMISSION_SUFFIXES", "IngestProblem",
    "expand_paths", "read_submissions", "read_text", "submission_from_mapping",
]

SUBMISSION_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[IngestProblem]]:
    """Turn files and folders into a sorted list of submission files.

    Folders are searched (not recursively) for files with a submission suffix; hidden files
    (``.name``, e.g. macOS ``._s1.yaml`` copies) are left out. A name with a submission suffix
    that is not a readable regular file (a broken link, a folder, a pipe) is a problem: a pipe
    would block the batch, and a lost submission must not go unnoticed.
    """
    files: list[Path] = []
    problems: list[IngestProblem] = []
    for path in paths:
        if path.is_dir():
            found: list[Path] = []
            for p in path.iterdir():
                if p.suffix.lower() not in SUBMISSION_SUFFIXES or p.name.startswith("."):
                    continue
                if p.is_file():
                    found.append(p)
                else:
                    problems.append(IngestProblem(str(p), _not_a_file(p)))
            # sorted by name: the order of Paths in one folder, 10x faster than Path.__lt__
            files.extend(sorted(found, key=lambda p: p.name))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(IngestProblem(str(path), _not_a_file(path)))
    return files, problems


def _not_a_file(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "a broken symbolic link: not read"
    if not path.exists():
        return "no such file or folder"
    if path.is_dir():
        return "a folder inside a folder: not searched (give it as an argument)"
    return "not a regular file (a pipe or a device): not read"


def read_text(path: Path) -> tuple[str, list[str]]:
    """Read a file as UTF-8 (BOM allowed) or UTF-16 with a BOM, falling back to Latin-1 with a
    warning.

    Raises:
        InputError: the file cannot be read, is too large, is binary or broken UTF-16.
    """
    limit = MAX_CSV_BYTES if path.suffix.lower() == ".csv" else MAX_FILE_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"file is {size} bytes, more than {limit}", file=str(path))
        with path.open("rb") as handle:  # bounded: stat lies for /proc files and the like
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    if len(data) > limit:
        raise InputError(f"file is more than {limit} bytes", file=str(path))
    if data[:2] in UTF16_BOMS:
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-16 (byte {exc.start}): save it as UTF-8",
                             file=str(path)) from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        if b"\x00" in data:
            raise InputError(_BINARY, file=str(path)) from None
        return data.decode("latin-1"), [_LATIN1_WARNING]


_LATIN1_WARNING = "not UTF-8: read as Latin-1, check accented letters"
_BINARY = ("contains NUL bytes: a binary file or UTF-16 without a byte order mark, not a "
           "submission (save it as UTF-8 text)")


def read_submissions(paths: Iterable[Path], lms: Any = None,
                     ) -> Iterator[Submission | IngestProblem]:
    """Yield every submission found in files and folders, and a problem for each bad one.

    `lms` (a grader.ingest.lms.LmsContext) lets CSV files that are Moodle or Canvas response
    reports be read too (grader.ingest.detect recognizes them).
    """
    files, problems = expand_paths(paths)
    yield from problems
    for path in files:
        csv_file = path.suffix.lower() == ".csv"
        try:
            if csv_file:
                encoding = csv_encoding(path)
                warnings = [_LATIN1_WARNING] if encoding == "latin-1" else []
            else:
                text, warnings = read_text(path)
        except InputError as exc:
            yield IngestProblem(str(path), exc.message)
            continue
        for warning in warnings:
            yield IngestProblem(str(path), warning, fatal=False)
        if csv_file:  # streamed row by row: a class CSV is never held whole
            from grader.ingest.detect import read_csv_file  # detect imports this module

            opener = functools.partial(open, path, encoding=encoding, newline="")
            yield from read_csv_file(opener, str(path), lms, read_csv)
            continue
        yield from read_document(text, str(path), path.suffix.lower())
