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


class _StringLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    """SafeLoader that keeps every scalar as the string the student typed.

    YAML 1.1 would read `no` as False, `0,5` as 5 and `1e3` as a string but `1.0e+3` as a float;
    student answers must reach the answer parser exactly as written. Only null (blank) survives.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        """A mapping; a key given twice is an error (YAML would keep the last silently)."""
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):  # a duplicate key: rare, so found only now
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key '{key}' is given twice (which one counts?)",
                        key_node.start_mark)
                seen.add(key)
        return mapping


# A class CSV may hold a long answer (cut to MAX_ANSWER_CHARS later): csv's default limit of
# 131,072 characters per cell would make one such answer stop the whole class's file.
if csv.field_size_limit() < MAX_CSV_FIELD:
    csv.field_size_limit(MAX_CSV_FIELD)

_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
    if data[:2] in _UTF16_BOMS:
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
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # Excel's "Unicode text"
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
                encoding = _csv_encoding(path)
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
            yield from read_csv_file(opener, str(path), lms, _read_csv)
            continue
        yield from _read_document(text, str(path), path.suffix.lower())


def _csv_encoding(path: Path) -> str:
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
            if handle.read(2) in _UTF16_BOMS:
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


def _read_document(text: str, source: str, suffix: str) -> Iterator[Submission | IngestProblem]:
    kind = suffix[1:].upper()
    try:
        if suffix == ".json":
            data = json.loads(text, object_pairs_hook=_unique_keys)
        else:
            depth = _yaml_depth(text)
            if depth > MAX_NESTING:
                yield IngestProblem(source, f"not valid YAML: nested more than {MAX_NESTING} "
                                    "levels deep (a submission needs 4)")
                return
            data = yaml.load(text, Loader=_StringLoader)
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark or exc.context_mark
        line = f" (line {where.line + 1})" if where is not None else ""
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        yield IngestProblem(source, f"not valid YAML{line}: "
                            f"{exc.problem or exc.context or type(exc).__name__}{context}")
        return
    except RecursionError:
        yield IngestProblem(source, f"not valid {kind}: nested too deeply")
        return
    except (yaml.YAMLError, ValueError) as exc:  # JSONDecodeError, a duplicate key, a huge int
        yield IngestProblem(source, f"not valid {kind}: {_first_line(exc)}")
        return
    replaced = False
    if suffix == ".json" and _SURROGATE_ESCAPE.search(text):
        try:
            data, replaced = _replace_surrogates(data)
        except RecursionError:
            yield IngestProblem(source, f"not valid {kind}: nested too deeply")
            return
    if replaced:
        student = data.get("student") if isinstance(data, dict) else None
        yield IngestProblem(source, "lone surrogate escapes (\\ud800...) are not characters: "
                            "replaced with \ufffd", fatal=False,
                            student=_clean_id(student)[0] if isinstance(student, str) else "")
    yield from submission_from_mapping(data, source)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key '{key}' is given twice (which one counts?)")
            seen.add(key)
    return mapping


def _yaml_depth(text: str) -> int:
    """How deep the YAML text nests collections, without building them (bounded work).

    Every collection needs one of the characters ``[{-?:`` of its own, so a text with few of
    them cannot nest deeply and is not parsed twice (real submissions: ~70 of them).
    """
    if sum(map(text.count, "[{-?:")) <= MAX_NESTING:
        return 0
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=_StringLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    return depth
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return deepest  # the full load reports the error with its line
    return deepest


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _replace_surrogates(data: Any) -> tuple[Any, bool]:
    """The JSON data with every lone surrogate replaced by U+FFFD (they cannot be written as
    UTF-8, so one would stop the batch when its outputs are written), and whether any was."""
    if isinstance(data, str):
        fixed = _SURROGATE.sub("\ufffd", data)
        return fixed, fixed != data
    if isinstance(data, list):
        items = [_replace_surrogates(v) for v in data]
        return [v for v, _ in items], any(r for _, r in items)
    if isinstance(data, dict):
        out, replaced = {}, False
        for key, value in data.items():
            key2, r1 = _replace_surrogates(key)
            value2, r2 = _replace_surrogates(value)
            out[key2] = value2
            replaced = replaced or r1 or r2
        return out, replaced
    return data, False


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
        fields[name] = _scalar(value)
    student, cleaned = _clean_id(fields["student"])
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
        part = part if type(part) is str and part.isprintable() else _clean_id(str(part))[0]
        raw, problem = _raw_answer(value)
        if problem:
            yield IngestProblem(source, problem, student=student, part=part, fatal=False)
        if raw is not None:
            parsed[part] = raw
    yield Submission(
        student=student,
        variant=_clean_id(fields["variant"])[0] or "original",
        answers=parsed,
        source=source,
        exam=_clean_id(fields["exam"])[0] or None,
        course=_clean_id(fields["course"])[0] or None,
    )


def _clean_id(text: str) -> tuple[str, bool]:
    r"""An id (student, part, arrow, variant) without control characters (tab and newlines
    too) or lone surrogates, which would break file names, CSV rows and UTF-8 outputs; and
    whether any was removed.

    >>> _clean_id("s1\n"), _clean_id("s\x1b[31m1")
    (('s1', True), ('s[31m1', True))
    """
    if text.isprintable():  # nearly always
        return text, False
    cleaned = _ID_UNSAFE.sub("", text).strip()
    return cleaned, cleaned != text


def _scalar(value: Any) -> str:
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
            key = k if type(k) is str and k.isprintable() else _clean_id(str(k))[0]
            if isinstance(v, (Mapping, list)):
                nested.append(key)
                continue
            text = _scalar(v)
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
        text, note = _cut("\n".join(_scalar(v) for v in value))
        if any(isinstance(v, (Mapping, list)) for v in value):
            note = "; ".join(filter(None, [note, "left out the lists and mappings nested in the "
                                           "answer's list"]))
        return text, note
    return _cut(_scalar(value))


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
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
        notes.append("replaced invalid Unicode (lone surrogates) with \ufffd")
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
                            student=_clean_id(_scalar(row.get("student")))[0])
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
