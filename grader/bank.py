"""Question bank: find exams (by bank id or path) and load exam.yaml into validated dataclasses."""

from __future__ import annotations

import datetime as _dt
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from grader.errors import AuthoringError, InputError
from grader.model import PART_KINDS, Exam, Exercise, Family, Part
from grader.pools import load_pool

SUPPORTED_VERSIONS = (1,)
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_BANK_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
# Kinds whose expected answer must come from a family or from `answer:`.
_NEEDS_ANSWER = frozenset({"number", "expression", "choice", "arrows"})


def _package_dir(name: str) -> Path:
    """Directory of a top-level package, found without importing it (grader never imports content).

    Works for source checkouts, editable installs and normal installs alike.
    """
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / name


BANK_ROOT = _package_dir("question_bank")
RUBRICS_ROOT = _package_dir("rubrics")


@dataclass(frozen=True)
class _Field:
    """One allowed key of a YAML mapping: is it required, and which Python types it may have."""

    required: bool
    types: tuple[type, ...]


_STR = (str,)
_EXAM_FIELDS = {
    "id": _Field(True, _STR),
    "version": _Field(True, (int,)),
    "title": _Field(True, _STR),
    "course": _Field(True, _STR),
    "date": _Field(True, (str, _dt.date)),
    "duration": _Field(True, _STR),
    "aids": _Field(True, _STR),
    "instructions": _Field(True, _STR),
    "exercises": _Field(True, (list,)),
    "assumptions": _Field(False, _STR),
}
_EXERCISE_FIELDS = {
    "id": _Field(True, _STR),
    "title": _Field(False, _STR),
    "intro": _Field(False, _STR),
    "audience": _Field(False, _STR),
    "shared": _Field(False, (dict,)),
    "parts": _Field(True, (list,)),
}
_SHARED_FIELDS = {
    "family": _Field(True, _STR),
    "params": _Field(False, (dict,)),
}
_PART_FIELDS = {
    "id": _Field(True, _STR),
    "points": _Field(True, (int, float, str)),
    "kind": _Field(True, _STR),
    "text": _Field(True, _STR),
    "family": _Field(False, _STR),
    "params": _Field(False, (dict,)),
    "answer": _Field(False, (str, int, float)),
    "solution": _Field(False, _STR),
    "pool": _Field(False, (list,)),  # text parts: sibling wordings and questions (grader.pools)
}


def parse_points(value: Any) -> Fraction:
    """Points as an exact fraction from 1, 0.5, "1/2" or "4.5".

    >>> parse_points("1/2"), parse_points(4.5), parse_points("4.5"), parse_points(2)
    (Fraction(1, 2), Fraction(9, 2), Fraction(9, 2), Fraction(2, 1))

    Raises:
        ValueError: not a number (booleans are refused too).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Fraction):
        raise ValueError(f"{value!r} is not a number")
    try:
        # floats via their shortest repr, so 0.1 is 1/10 and not the binary approximation
        return Fraction(repr(value) if isinstance(value, float) else value)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{value!r} is not a number (use 1, 0.5, '1/2' or '4.5')") from None


def _check_mapping(data: Any, fields: Mapping[str, _Field], what: str, file: str,
                   part: str | None) -> None:
    """Reject non-mappings, unknown keys, missing required keys and values of the wrong type."""
    if not isinstance(data, Mapping):
        raise AuthoringError(f"{what} must be a mapping, not {type(data).__name__}",
                             file=file, part=part)
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        allowed = ", ".join(fields)
        raise AuthoringError(f"unknown key(s) in {what}: {', '.join(unknown)} (allowed: {allowed})",
                             file=file, part=part)
    for key, spec in fields.items():
        if key not in data or data[key] is None:
            if spec.required:
                raise AuthoringError(f"{what} is missing '{key}'", file=file, part=part)
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, spec.types):
            names = " or ".join(t.__name__ for t in spec.types)
            raise AuthoringError(f"'{key}' in {what} must be {names}, not {value!r}",
                                 file=file, part=part)


def _check_id(value: str, what: str, file: str, seen: set[str]) -> None:
    if not _ID.fullmatch(value):
        raise AuthoringError(f"{what} id {value!r} must be lower-case letters, digits, - or _",
                             file=file, part=value)
    if value in seen:
        raise AuthoringError(f"duplicate id {value!r}", file=file, part=value)
    seen.add(value)


def _answer_text(value: Any) -> str | None:
    """A fixed answer as an exact string (a YAML float via its shortest repr: 0.1 -> "0.1")."""
    if value is None:
        return None
    return repr(value) if isinstance(value, float) else str(value)


def _check_answer_source(data: Mapping, kind: str, file: str, part_id: str,
                         families: Mapping[str, Family] | None) -> None:
    """A part gets its expected answer from exactly one place: a family or `answer:`."""
    family, answer = data.get("family"), data.get("answer")
    if family is not None:
        _check_family_known(family, families, file, part_id)
    if family is not None and answer is not None:
        raise AuthoringError("a part with a family gets its answer from the family; "
                             "remove 'answer'", file=file, part=part_id)
    if kind == "text" and answer is not None:
        raise AuthoringError("text parts are graded by the rubric; put the model answer there "
                             "and the sketch in 'solution'", file=file, part=part_id)
    if kind in _NEEDS_ANSWER and family is None and answer is None:
        raise AuthoringError(f"a {kind} part needs a 'family' or an 'answer'",
                             file=file, part=part_id)
    if data.get("params") and family is None:
        raise AuthoringError("'params' is only used by parts with a family",
                             file=file, part=part_id)


def _check_family_known(family: str, families: Mapping[str, Family] | None, file: str,
                        where: str) -> None:
    if families is not None and family not in families:
        known = ", ".join(sorted(families)) or "none"
        raise AuthoringError(f"unknown family {family!r} (known: {known})", file=file, part=where)


def _load_shared(data: Any, ex_id: str, file: str,
                 families: Mapping[str, Family] | None) -> tuple[str | None, dict[str, Any]]:
    """An exercise's ``shared: {family, params}`` block (family None when there is none)."""
    if data is None:
        return None, {}
    _check_mapping(data, _SHARED_FIELDS, f"the shared block of exercise {ex_id}", file, ex_id)
    _check_family_known(data["family"], families, file, ex_id)
    return data["family"], dict(data.get("params") or {})


def _load_part(data: Any, exercise: str, file: str, seen: set[str],
               families: Mapping[str, Family] | None) -> Part:
    where = data.get("id") if isinstance(data, Mapping) else None
    part_id = where if isinstance(where, str) else None
    _check_mapping(data, _PART_FIELDS, f"part {part_id or '?'}", file, part_id)
    _check_id(data["id"], "part", file, seen)
    kind = data["kind"]
    if kind not in PART_KINDS:
        raise AuthoringError(f"unknown kind {kind!r} (known: {', '.join(PART_KINDS)})",
                             file=file, part=part_id)
    try:
        points = parse_points(data["points"])
    except ValueError as err:
        raise AuthoringError(f"points: {err}", file=file, part=part_id) from None
    if points <= 0:
        raise AuthoringError(f"points must be positive, not {data['points']!r}",
                             file=file, part=part_id)
    _check_answer_source(data, kind, file, part_id, families)
    return Part(
        id=part_id,
        exercise=exercise,
        points=points,
        kind=kind,
        text=data["text"],
        family=data.get("family"),
        params=dict(data.get("params") or {}),
        answer=_answer_text(data.get("answer")),
        solution=data.get("solution") or "",
        pool=load_pool(data.get("pool"), kind=kind, family=data.get("family"), file=file,
                       part_id=part_id),
    )


def _load_exercise(data: Any, file: str, seen: set[str],
                   families: Mapping[str, Family] | None) -> Exercise:
    where = data.get("id") if isinstance(data, Mapping) else None
    ex_id = where if isinstance(where, str) else None
    _check_mapping(data, _EXERCISE_FIELDS, f"exercise {ex_id or '?'}", file, ex_id)
    _check_id(ex_id, "exercise", file, seen)
    if not data["parts"]:
        raise AuthoringError("an exercise needs at least one part", file=file, part=ex_id)
    shared_family, shared_params = _load_shared(data.get("shared"), ex_id, file, families)
    parts = tuple(_load_part(p, ex_id, file, seen, families) for p in data["parts"])
    return Exercise(
        id=ex_id,
        title=data.get("title") or "",
        parts=parts,
        intro=data.get("intro") or "",
        audience=data.get("audience") or "",
        shared_family=shared_family,
        shared_params=shared_params,
    )


def exam_from_mapping(data: Any, file: str,
                      families: Mapping[str, Family] | None = None) -> Exam:
    """Validate a parsed exam.yaml (DESIGN 3.3) and build an Exam.

    Args:
        data: the parsed YAML document.
        file: where it came from (for messages; stored as ``Exam.source``).
        families: the family registry; when given, unknown family names are rejected.

    Raises:
        AuthoringError: naming ``file`` and the offending part or exercise id.
    """
    _check_mapping(data, _EXAM_FIELDS, "the exam", file, None)
    if data["version"] not in SUPPORTED_VERSIONS:
        raise AuthoringError(f"exam version {data['version']} is not supported "
                             f"(supported: {SUPPORTED_VERSIONS})", file=file)
    if not _BANK_ID.fullmatch(data["id"]):
        raise AuthoringError(f"exam id {data['id']!r} must be lower-case letters, digits and -",
                             file=file)
    if not data["exercises"]:
        raise AuthoringError("an exam needs at least one exercise", file=file)
    seen: set[str] = set()
    exercises = tuple(_load_exercise(e, file, seen, families) for e in data["exercises"])
    date = data["date"]
    return Exam(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        course=data["course"],
        date=date.isoformat() if isinstance(date, _dt.date) else date,
        duration=data["duration"],
        aids=data["aids"],
        instructions=data["instructions"],
        exercises=exercises,
        assumptions=data.get("assumptions") or "",
        source=file,
    )


def load_exam(path: str | Path, families: Mapping[str, Family] | None = None) -> Exam:
    """Read and validate an exam.yaml.

    Args:
        path: the exam.yaml file.
        families: the family registry; when given, unknown family names are rejected.

    Raises:
        InputError: the file cannot be read.
        AuthoringError: the YAML is malformed or the exam is invalid (file and part named).
    """
    file = str(path)
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read exam: {err}", file=file) from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise AuthoringError(f"not valid YAML: {err}", file=file) from None
    return exam_from_mapping(data, file, families)


def list_bank() -> list[Path]:
    """The exam.yaml files in the question bank, sorted."""
    return sorted(BANK_ROOT.glob("*/exam.yaml"))


def _bank_dir(exam_id: str) -> Path:
    return BANK_ROOT / exam_id.replace("-", "_")


def resolve_exam(exam: str) -> tuple[Path, Path]:
    """Find an exam and its rubric from a bank id (``inf5860-2019``) or a path to an exam.yaml.

    For a bank id the rubric is ``rubrics/<dir>.yaml`` (dir = the id with '-' -> '_'). For a
    path, it is ``<exam dir>/../../rubrics/<dir>.yaml`` when that exists (an exam inside a
    bank laid out like ours), else ``<exam dir>/rubric.yaml``. The rubric path is returned
    even if the file does not exist: a command that needs it says so.

    Raises:
        InputError: neither an existing exam file or directory nor a known bank id.
    """
    path = Path(exam)
    if path.is_dir() and (path / "exam.yaml").is_file():
        path = path / "exam.yaml"
    if path.is_file():
        exam_dir = path.resolve().parent
        beside = exam_dir.parent.parent / "rubrics" / f"{exam_dir.name}.yaml"
        return path, beside if beside.is_file() else exam_dir / "rubric.yaml"
    if _BANK_ID.fullmatch(exam) and (_bank_dir(exam) / "exam.yaml").is_file():
        directory = _bank_dir(exam)
        return directory / "exam.yaml", RUBRICS_ROOT / f"{directory.name}.yaml"
    known = ", ".join(p.parent.name.replace("_", "-") for p in list_bank()) or "none"
    raise InputError(f"no exam {exam!r}: not an exam.yaml file nor a bank id (bank: {known})")
