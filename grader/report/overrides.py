"""overrides.yaml: the teacher's reviewed scores, validated and applied on every regrade.

```yaml
version: 1
overrides:
  - {student: s100004, part: ex2a, points: 0.5, reason: "symmetry explained in other words"}
```
Points are a number or an exact string ("1/2"); each (student, part) appears at most once.
Every problem is an InputError naming the file and the entry (its index and student/part).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from grader.errors import InputError
from grader.model import Exam

ENTRY_KEYS = {"student", "part", "points", "reason"}


@dataclass(frozen=True)
class Override:
    student: str
    part: str
    points: Fraction
    reason: str
    entry: str  # "entry 3 (student s1, part ex2a)", for messages


@dataclass(frozen=True)
class Overrides:
    """Validated overrides of one file; `table` is what grading applies."""

    file: str
    entries: tuple[Override, ...] = ()

    @property
    def table(self) -> dict[tuple[str, str], tuple[Fraction, str]]:
        return {(o.student, o.part): (o.points, o.reason) for o in self.entries}

    def check_students(self, graded: Mapping[str, Iterable[str]]) -> None:
        """Every override names a graded student and a part that counts for that student.

        Args:
            graded: student id -> the part ids the student was graded on.

        Raises:
            InputError: naming the file and the first bad entry.
        """
        for o in self.entries:
            if o.student not in graded:
                raise InputError(f"{o.entry}: unknown student '{o.student}' (not in this "
                                 "batch)", file=self.file)
            if o.part not in set(graded[o.student]):
                raise InputError(f"{o.entry}: part '{o.part}' does not count for student "
                                 f"'{o.student}'", file=self.file)


def load_overrides(path: Path, exam: Exam) -> Overrides:
    """Read and validate an overrides file against the exam's parts and their points.

    Raises:
        InputError: unreadable YAML, a bad entry, an unknown part, points outside [0, max],
            or the same student and part twice; the message names the file and the entry.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read overrides: {exc}", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {str(exc).splitlines()[0]}", file=str(path)) from None
    if data is None:
        return Overrides(str(path))
    items = data.get("overrides") if isinstance(data, Mapping) else data
    if isinstance(data, Mapping) and set(data) - {"version", "overrides"}:
        raise InputError("expected the keys 'version' and 'overrides'", file=str(path))
    if not isinstance(items, list):
        raise InputError("'overrides' must be a list of {student, part, points, reason}",
                         file=str(path))
    maxima = {p.id: p.points for p in exam.parts}
    entries, seen = [], {}
    for number, item in enumerate(items, start=1):
        override = _entry(item, number, maxima, str(path))
        key = (override.student, override.part)
        if key in seen:
            raise InputError(f"{override.entry}: the same student and part as entry {seen[key]}",
                             file=str(path))
        seen[key] = number
        entries.append(override)
    return Overrides(str(path), tuple(entries))


def _entry(item: Any, number: int, maxima: Mapping[str, Fraction], file: str) -> Override:
    where = f"entry {number}"
    if not isinstance(item, Mapping):
        raise InputError(f"{where}: expected a mapping with student, part, points, reason",
                         file=file)
    student, part = str(item.get("student") or "").strip(), str(item.get("part") or "").strip()
    if student or part:
        where += f" (student {student or '?'}, part {part or '?'})"
    unknown = sorted(str(k) for k in item if k not in ENTRY_KEYS)
    missing = sorted(k for k in ENTRY_KEYS if item.get(k) in (None, ""))
    if unknown or missing:
        what = "; ".join(x for x in (unknown and f"unknown keys {', '.join(unknown)}",
                                     missing and f"missing {', '.join(missing)}") if x)
        raise InputError(f"{where}: {what}", file=file)
    if part not in maxima:
        raise InputError(f"{where}: unknown part '{part}'", file=file)
    points = _points(item["points"])
    if points is None or not 0 <= points <= maxima[part]:
        raise InputError(f"{where}: points {item['points']!r} must be a number in "
                         f"[0, {maxima[part]}]", file=file)
    return Override(student, part, points, str(item["reason"]).strip(), where)


def _points(value: Any) -> Fraction | None:
    """Points as an exact fraction ('1/2', 0.5, 1); None if it is not a number.

    >>> _points("1/2"), _points(0.25), _points("x"), _points(True)
    (Fraction(1, 2), Fraction(1, 4), None, None)
    """
    if isinstance(value, bool):
        return None
    try:
        return Fraction(str(value).strip().replace(",", "."))
    except (ValueError, ZeroDivisionError):
        return None
