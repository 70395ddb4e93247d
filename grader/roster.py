"""Rosters: read students from CSV, pick distinct random variants and give each student one."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import InputError
from grader.model import Variant
from grader.variant_ids import iter_variant_ids

MAX_STUDENTS = 20_000
MAX_ID_LENGTH = 100
# Candidates that duplicate an earlier variant's content, in a row, before we conclude the
# families cannot give more distinct variants (a few fixed params, or no `sample` at all).
MAX_DUPLICATES_IN_A_ROW = 40
_DELIMITERS = (",", ";", "\t")  # spreadsheets in Norway save CSV with ';'


@dataclass(frozen=True)
class Student:
    """One roster row."""

    student: str
    name: str = ""
    course: str = ""


@dataclass(frozen=True)
class Pool:
    """Variants with pairwise different content, in the order their ids were drawn."""

    variants: tuple[Variant, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """Which variant each student gets (roster order)."""

    rows: tuple[tuple[Student, str], ...]  # (student, variant id)
    warnings: tuple[str, ...] = ()

    def mapping(self) -> dict[str, str]:
        """Student id -> variant id."""
        return {s.student: v for s, v in self.rows}


def _delimiter(header: str) -> str:
    """The delimiter that makes the header have a ``student`` column (default ',')."""
    for delimiter in _DELIMITERS:
        names = next(csv.reader([header], delimiter=delimiter), [])
        if "student" in (n.strip().lower() for n in names):
            return delimiter
    return ","


def parse_roster(text: str, source: str = "<roster>") -> tuple[Student, ...]:
    """Students from roster CSV text: a ``student`` column, optional ``name`` and ``course``.

    Headers are matched case-insensitively; other columns are ignored (LMS exports have many);
    blank lines are skipped. The delimiter may be ',', ';' or a tab.

    >>> parse_roster("Student;Name\\ns1;Ada\\n\\ns2;\\n")[1]
    Student(student='s2', name='', course='')

    Raises:
        InputError: no ``student`` column, a blank or duplicate id, or too many rows.
    """
    header = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header))
    columns = [c.strip().lower() for c in next(reader, [])]
    if "student" not in columns:
        raise InputError(f"a roster needs a 'student' column (found: {', '.join(columns)})",
                         file=source)
    index = {name: columns.index(name) for name in ("student", "name", "course")
             if name in columns}
    students: dict[str, Student] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        cells = {k: row[i].strip() if i < len(row) else "" for k, i in index.items()}
        student = cells["student"]
        if not student or len(student) > MAX_ID_LENGTH:
            raise InputError(f"line {line}: the student id is blank or longer than "
                             f"{MAX_ID_LENGTH} characters", file=source)
        if student in students:
            raise InputError(f"line {line}: student {student!r} is listed twice", file=source)
        if len(students) >= MAX_STUDENTS:
            raise InputError(f"more than {MAX_STUDENTS} students", file=source)
        students[student] = Student(student, cells.get("name", ""), cells.get("course", ""))
    if not students:
        raise InputError("the roster lists no students", file=source)
    return tuple(students.values())


def read_roster(path: str | Path) -> tuple[Student, ...]:
    """Read a roster CSV file (UTF-8, with or without a byte order mark); see parse_roster.

    Raises:
        InputError: the file cannot be read or is not a valid roster.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read roster: {err}", file=str(path)) from None
    try:
        return parse_roster(text, str(path))
    except csv.Error as err:
        raise InputError(f"not a valid CSV roster: {err}", file=str(path)) from None


def content_key(variant: Variant) -> str:
    """A hash of what makes a variant different: every part's effective parameters."""
    params = [[p.part_id, p.params] for p in variant.parts]
    text = json.dumps(params, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def distinct_variants(build: Callable[[str], Variant], seed: int, count: int) -> Pool:
    """Up to ``count`` variants with different content, ids drawn from ``seed`` in order.

    A candidate whose parameters equal an earlier one's is skipped; after
    :data:`MAX_DUPLICATES_IN_A_ROW` such candidates in a row the families are taken to have no
    more variants to give, and fewer are returned with a warning. Deterministic for a seed.

    Args:
        build: variant id -> Variant (e.g. ``build_variant`` bound to an exam and families).
        seed: what the ids are drawn from.
        count: how many variants are wanted (at least 1).
    """
    chosen: dict[str, Variant] = {}
    in_a_row = 0
    for variant_id in iter_variant_ids(seed):
        if len(chosen) == count or in_a_row == MAX_DUPLICATES_IN_A_ROW:
            break
        variant = build(variant_id)
        key = content_key(variant)
        if key in chosen:
            in_a_row += 1
            continue
        chosen[key] = variant
        in_a_row = 0
    warnings = ()
    if len(chosen) < count:
        warnings = (f"only {len(chosen)} distinct variants found for {count} wanted (gave up "
                    f"after {MAX_DUPLICATES_IN_A_ROW} repeats in a row): the exam's families "
                    "draw from too few parameters, or have no sample",)
    return Pool(tuple(chosen.values()), warnings)


def assign(students: Sequence[Student], variant_ids: Sequence[str]) -> Assignment:
    """Student i (roster order) gets variant i; when students outnumber variants they wrap.

    Roster order, not a shuffle: appending students to a roster keeps everyone else's variant.

    >>> assign([Student("a"), Student("b"), Student("c")], ["K7Q2M", "3XW9A"]).mapping()
    {'a': 'K7Q2M', 'b': '3XW9A', 'c': 'K7Q2M'}

    Raises:
        ValueError: no variants to assign.
    """
    if not variant_ids:
        raise ValueError("no variants to assign")
    rows = tuple((s, variant_ids[i % len(variant_ids)]) for i, s in enumerate(students))
    warnings = ()
    if len(students) > len(variant_ids):
        warnings = (f"{len(students)} students share {len(variant_ids)} distinct variants: "
                    "some students have the same variant",)
    return Assignment(rows, warnings)


def _cell(text: str) -> str:
    """Neutralize spreadsheet formulas in names and ids (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def assignment_csv(assignment: Assignment, papers: Sequence[str]) -> str:
    """roster-assignment.csv: student, name, course, variant, paper.

    Args:
        assignment: the assignment to write.
        papers: each row's paper (path without extension, relative to the output folder).

    >>> print(assignment_csv(assign([Student("s1", "=1+1")], ["K7Q2M"]), ["students/s1"]), end="")
    student,name,course,variant,paper
    s1,'=1+1,,K7Q2M,students/s1
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "course", "variant", "paper"])
    for (student, variant_id), paper in zip(assignment.rows, papers, strict=True):
        writer.writerow([_cell(student.student), _cell(student.name), _cell(student.course),
                         variant_id, paper])
    return buffer.getvalue()
