"""Read student submissions (YAML/JSON files, CSV rows) into Submission values, never failing."""

from __future__ import annotations

import codecs
import csv
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from grader.errors import InputError
from grader.model import RawAnswer, Submission

SUBMISSION_SUFFIXES = (".yaml", ".yml", ".json", ".csv")
MAX_FILE_BYTES = 5_000_000  # a submission file larger than this is not a submission
MAX_CSV_BYTES = 500_000_000  # a CSV holds a whole class (10,000 students of 2019: 17 MB)
MAX_ANSWER_CHARS = 20_000  # longer answers are cut (and flagged) before grading
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


class _StringLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    """SafeLoader that keeps every scalar as the string the student typed.

    YAML 1.1 would read `no` as False, `0,5` as 5 and `1e3` as a string but `1.0e+3` as a float;
    student answers must reach the answer parser exactly as written. Only null (blank) survives.
    """


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[IngestProblem]]:
    """Turn files and folders into a sorted list of submission files.

    Folders are searched (not recursively) for files with a submission suffix.
    """
    files: list[Path] = []
    problems: list[IngestProblem] = []
    for path in paths:
        if path.is_dir():
            # sorted by name: the order of Paths in one folder, 10x faster than Path.__lt__
            files.extend(sorted((p for p in path.iterdir() if p.suffix.lower()
                                 in SUBMISSION_SUFFIXES and p.is_file()), key=lambda p: p.name))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(IngestProblem(str(path), "no such file or folder"))
    return files, problems


def read_text(path: Path) -> tuple[str, list[str]]:
    """Read a file as UTF-8 (BOM allowed), falling back to Latin-1 with a warning.

    Raises:
        InputError: the file cannot be read or is too large.
    """
    try:
        size = path.stat().st_size
        limit = MAX_CSV_BYTES if path.suffix.lower() == ".csv" else MAX_FILE_BYTES
        if size > limit:
            raise InputError(f"file is {size} bytes, more than {limit}", file=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("latin-1"), [_LATIN1_WARNING]


_LATIN1_WARNING = "not UTF-8: read as Latin-1, check accented letters"


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
                encoding = _csv_encoding(path)
                warnings = [] if encoding == "utf-8-sig" else [_LATIN1_WARNING]
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
            yield from read_csv_file(opener, str(path), lms, _read_csv)
            continue
        yield from _read_document(text, str(path), path.suffix.lower())


def _csv_encoding(path: Path) -> str:
    """The encoding read_text would decode a CSV file with, found in one streaming pass.

    Raises:
        InputError: the file cannot be read or is too large.
    """
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise InputError(f"file is {size} bytes, more than {MAX_CSV_BYTES}", file=str(path))
        decoder = codecs.getincrementaldecoder("utf-8")()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    return "utf-8-sig"


def _read_document(text: str, source: str, suffix: str) -> Iterator[Submission | IngestProblem]:
    try:
        data = json.loads(text) if suffix == ".json" else yaml.load(text, Loader=_StringLoader)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        yield IngestProblem(source, f"not valid {suffix[1:].upper()}{line}: {_first_line(exc)}")
        return
    yield from submission_from_mapping(data, source)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def submission_from_mapping(data: Any, source: str) -> Iterator[Submission | IngestProblem]:
    """Validate one submission document (DESIGN 3.5) and yield it, or the problems found."""
    if not isinstance(data, Mapping):
        yield IngestProblem(source, "expected a mapping with student, variant and answers")
        return
    student = _CONTROL.sub("", _scalar(data.get("student")))
    if not student:
        yield IngestProblem(source, "no student id")
        return
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
    parsed: dict[str, RawAnswer] = {}
    for part, value in answers.items():
        raw, problem = _raw_answer(value)
        if problem:
            yield IngestProblem(source, problem, student=student, part=str(part), fatal=False)
        if raw is not None:
            parsed[str(part)] = raw
    yield Submission(
        student=student,
        variant=_scalar(data.get("variant")) or "original",
        answers=parsed,
        source=source,
        exam=_scalar(data.get("exam")) or None,
        course=_scalar(data.get("course")) or None,
    )


def _scalar(value: Any) -> str:
    if type(value) is str:  # nearly always: skips the ABC isinstance checks below
        return value.strip()
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    return str(value).strip()


def _raw_answer(value: Any) -> tuple[RawAnswer | None, str]:
    """A student's answer as text (or arrow id -> text), and a problem if it had to be altered."""
    if type(value) is str:  # nearly always: skips the ABC isinstance checks below
        return _cut(value)
    if value is None:
        return None, ""
    if isinstance(value, Mapping):
        arrows, cut_notes = {}, {}
        for k, v in value.items():
            text = _scalar(v)
            if text:
                arrows[str(k)], cut_notes[str(k)] = _cut(text)
        notes = [f"{k}: {note}" for k, note in cut_notes.items() if note]
        # YAML reads {a1: -0,2} as a1: "-0" plus a key "2": a decimal comma in a flow mapping.
        split = [str(k) for k, v in value.items() if v is None and str(k).isdigit()]
        if split:
            notes.append(f"'{', '.join(split)}' looks like the decimals of a number written "
                         "with a decimal comma inside {...}; quote such values: \"-0,2\"")
        return arrows, "; ".join(notes)
    if isinstance(value, list):
        return _cut("\n".join(_scalar(v) for v in value))
    return _cut(str(value))


# Control characters (NUL, ESC, ...) other than tab and newlines never reach the grader or an
# output file: a NUL in feedback HTML or a CSV breaks the tools that open them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cut(text: str) -> tuple[str, str]:
    r"""The answer with control characters removed and cut to MAX_ANSWER_CHARS, and a note.

    >>> _cut("a\x00b")
    ('ab', 'removed control characters from the answer')
    """
    if len(text) <= MAX_ANSWER_CHARS and (text.isprintable() or not _CONTROL.search(text)):
        return text, ""  # nearly always (isprintable: half the time of the search, ~150 ns)
    notes = []
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
        notes.append("removed control characters from the answer")
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS]
        notes.append(f"answer cut to its first {MAX_ANSWER_CHARS} characters")
    return text, "; ".join(notes)


def _read_csv(open_text: Callable[[], TextIO], source: str, _suffix: str,
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
    if not reader.fieldnames or "student" not in reader.fieldnames:
        yield IngestProblem(source, "CSV has no 'student' column")
        return
    try:
        for row in reader:
            yield from _csv_row(row, f"{source} row {reader.line_num}")
    except csv.Error as exc:
        yield IngestProblem(source, f"CSV cannot be read near line {reader.line_num}: {exc}")


def _csv_row(row: Mapping[str, Any], source: str) -> Iterator[Submission | IngestProblem]:
    """One CSV row: fixed columns, then one column per part; arrows as `part.arrow`."""
    if None in row:  # more cells than header columns
        yield IngestProblem(source, "row has more cells than the header has columns",
                            student=_scalar(row.get("student")))
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
