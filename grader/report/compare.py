"""Compare two graded batches (details.jsonl): what changed, for whom and why -> changes.csv.

Both files are sorted by student (as `grader grade` writes them), so they are merged student by
student: memory holds one student's lines from each side, whatever the class size.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from grader.errors import InputError
from grader.report.grades import format_points

CHANGES_HEADER = ["student", "part", "old", "new", "change", "why"]


@dataclass(frozen=True)
class Change:
    student: str
    part: str
    old: str  # "" when the student or part is new
    new: str  # "" when it is gone
    why: str

    @property
    def delta(self) -> str:
        if not self.old or not self.new:
            return ""
        change = Fraction(self.new) - Fraction(self.old)
        return ("+" if change > 0 else "") + format_points(change)

    def row(self) -> list[str]:
        return [self.student, self.part, self.old, self.new, self.delta, self.why]

    def line(self) -> str:
        old, new = self.old or "-", self.new or "-"
        return f"{self.student} {self.part}: {old} -> {new} ({self.why})"


def _students(path: Path) -> Iterator[tuple[str, dict[str, dict]]]:
    """(student, part -> record) for each student of a details.jsonl, in file order."""
    def records():
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    raise InputError(f"line {number} is not JSON", file=str(path)) from None

    for student, group in itertools.groupby(records(), key=lambda r: r.get("student", "")):
        yield student, {r["part"]: r for r in group}


def _points(value: float) -> str:
    return format_points(Fraction(value).limit_denominator(1000))


def _met(record: dict) -> set[str]:
    return {c["id"] for c in record.get("criteria", []) if c.get("met")}


def explain(old: dict, new: dict) -> str:
    """Why a part score changed: overrides, then criteria met or lost, then notes."""
    why = []
    o_over, n_over = old.get("override"), new.get("override")
    if n_over and n_over != o_over:
        why.append(f"override {_points(n_over['points'])} (rubric "
                   f"{_points(n_over['original'])}): {n_over['reason']}")
    elif o_over and not n_over:
        why.append(f"override removed (was {_points(o_over['points'])}: {o_over['reason']})")
    if old.get("answer") != new.get("answer"):
        why.append("the answer itself differs")
    gained, lost = sorted(_met(new) - _met(old)), sorted(_met(old) - _met(new))
    if gained:
        why.append(f"now met: {', '.join(gained)}")
    if lost:
        why.append(f"no longer met: {', '.join(lost)}")
    old_notes, new_notes = old.get("notes", []), new.get("notes", [])
    if old_notes != new_notes:
        added = [n for n in new_notes if n not in old_notes]
        removed = [n for n in old_notes if n not in new_notes]
        why += [f"new note: {n}" for n in added] + [f"note gone: {n}" for n in removed]
    if old.get("max") != new.get("max"):
        why.append(f"part max {_points(old.get('max', 0))} -> {_points(new.get('max', 0))}")
    return "; ".join(why) or "rubric scoring changed (same criteria met)"


def _student_changes(student: str, old: dict[str, dict], new: dict[str, dict]
                     ) -> Iterator[Change]:
    for part in sorted(set(old) | set(new)):
        before, after = old.get(part), new.get(part)
        if before is None:
            yield Change(student, part, "", _points(after["score"]), "part now graded")
        elif after is None:
            yield Change(student, part, _points(before["score"]), "", "part no longer graded")
        elif before["score"] != after["score"] or before.get("override") != after.get("override"):
            yield Change(student, part, _points(before["score"]), _points(after["score"]),
                         explain(before, after))


def compare_details(old_path: Path, new_path: Path) -> Iterator[Change]:
    """Every part score that differs between two details.jsonl files, student by student."""
    if not old_path.is_file():
        raise InputError("no details.jsonl to compare with", file=str(old_path))
    old_it, new_it = _students(old_path), _students(new_path)
    old, new = next(old_it, None), next(new_it, None)
    while old is not None or new is not None:
        if new is None or (old is not None and old[0] < new[0]):
            yield from (Change(old[0], p, _points(r["score"]), "", "student not in this batch")
                        for p, r in old[1].items())
            old = next(old_it, None)
        elif old is None or new[0] < old[0]:
            yield from (Change(new[0], p, "", _points(r["score"]), "student new in this batch")
                        for p, r in new[1].items())
            new = next(new_it, None)
        else:
            yield from _student_changes(old[0], old[1], new[1])
            old, new = next(old_it, None), next(new_it, None)
