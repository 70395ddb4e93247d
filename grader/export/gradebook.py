"""Gradebook imports for Canvas and Moodle (and a plain CSV) from a graded batch's scores.csv.

Pure writers: text in, text out; grader.api.export_grades reads the files and writes
atomically. Formats are described in docs/lms-grades.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from grader.errors import InputError

TARGETS = ("canvas", "moodle", "csv")
MOODLE_ID_FIELDS = ("email", "idnumber", "username")
CANVAS_POINTS_ROW = "    Points Possible"  # as Canvas writes it in its own export
_FIXED = ("student", "variant")
_TRAILER = ("total", "max", "grade")
# Roster/map columns: our name -> the header spellings accepted (folded: lower case, and
# runs of spaces, '_' and '-' made one '_').
MAP_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "student": ("student",),
    "name": ("name", "full_name"),
    "email": ("email", "email_address"),
    "idnumber": ("idnumber", "id_number"),
    "username": ("username",),
    "canvas_id": ("canvas_id", "id", "user_id"),
    "sis_user_id": ("sis_user_id", "sis_id"),
    "sis_login_id": ("sis_login_id", "login_id"),
    "section": ("section",),
}


@dataclass(frozen=True)
class ScoreRow:
    """One student's line of scores.csv (points as written there, e.g. '4.5')."""

    student: str
    variant: str
    parts: Mapping[str, str]
    total: str
    max: str
    grade: str


@dataclass(frozen=True)
class Scores:
    part_ids: tuple[str, ...]
    rows: tuple[ScoreRow, ...]


@dataclass(frozen=True)
class Gradebook:
    """A gradebook file's text and what the teacher should know about it."""

    text: str
    students: int
    warnings: tuple[str, ...] = field(default=())


def _fold(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", name.strip().casefold())


def _unsafe(text: str) -> str:
    """Undo the formula guard scores.csv puts before ids such as "=cmd" ("'=cmd" -> "=cmd")."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") \
        else text


def parse_scores(text: str, source: str = "scores.csv") -> Scores:
    """Read scores.csv as `grader grade` writes it (DESIGN 3.6).

    >>> parse_scores("student,variant,ex3a,total,max,grade\\ns1,original,1,1,1,A\\n").rows[0].total
    '1'

    Raises:
        InputError: the header is not that of scores.csv, or a row is short.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(next(reader, []))
    if header[:2] != _FIXED or header[-3:] != _TRAILER:
        raise InputError("not a scores.csv written by `grader grade` (expected columns "
                         "student, variant, <parts>, total, max, grade)", file=source)
    part_ids = header[2:-3]
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"line {reader.line_num} has {len(row)} cells, the header "
                             f"{len(header)}", file=source)
        rows.append(ScoreRow(_unsafe(row[0]), row[1], dict(zip(part_ids, row[2:-3], strict=True)),
                             row[-3], row[-2], row[-1]))
    return Scores(part_ids, tuple(rows))


def parse_map(text: str, source: str = "map.csv") -> dict[str, dict[str, str]]:
    """Read a roster/map CSV: our student id -> LMS identifiers (see MAP_COLUMNS).

    >>> parse_map("Student;Email address;SIS User ID\\ns1;ada@uio.no;123\\n")["s1"]["email"]
    'ada@uio.no'

    Raises:
        InputError: no 'student' column, no identifier column, or a student listed twice.
    """
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_fold(h) for h in next(reader, [])]
    where = {ours: header.index(a) for ours, aliases in MAP_COLUMNS.items()
             for a in reversed(aliases) if a in header}
    if "student" not in where or not set(where) - {"student", "name", "section"}:
        raise InputError("a map needs a 'student' column (our id) and at least one of email, "
                         "idnumber, username, canvas_id, sis_user_id, sis_login_id",
                         file=source)
    mapping: dict[str, dict[str, str]] = {}
    for row in reader:
        cells = {k: row[i].strip() if i < len(row) else "" for k, i in where.items()}
        student = cells.pop("student")
        if not student:
            continue
        if student in mapping:
            raise InputError(f"line {reader.line_num}: student {student!r} is listed twice",
                             file=source)
        mapping[student] = cells
    return mapping


def _safe(cell: str) -> str:
    """Neutralize spreadsheet formulas (CSV injection); numbers such as -1.5 stay numbers."""
    if cell[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return cell
    try:
        Fraction(cell)
    except (ValueError, ZeroDivisionError):
        return "'" + cell
    return cell


def _csv(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[_safe(c) for c in row] for row in rows])
    return buffer.getvalue()


def _items(scores: Scores, assignment: str, parts: bool,
           ) -> list[tuple[str, Callable[[ScoreRow], str]]]:
    """The grade columns: (header, row -> points); the total, then each part if asked."""
    items: list[tuple[str, Callable[[ScoreRow], str]]] = [(assignment, lambda r: r.total)]
    if parts:
        items += [(f"{assignment} {p}", lambda r, p=p: r.parts.get(p, ""))
                  for p in scores.part_ids]
    return items


def _points_possible(scores: Scores, part_max: Mapping[str, str], parts: bool,
                     ) -> tuple[list[str], list[str]]:
    """Points possible per grade column (the batch's largest total max), and warnings."""
    maxima = sorted({r.max for r in scores.rows}, key=Fraction)
    warnings = []
    if len(maxima) > 1:
        warnings.append(f"students have different maximum points ({', '.join(maxima)}, e.g. "
                        "INF5860 and INF9860): a gradebook column has one maximum; "
                        f"{maxima[-1]} is used, consider one assignment per course")
    return [maxima[-1] if maxima else "",
            *([part_max.get(p, "") for p in scores.part_ids] if parts else [])], warnings


def lookup(mapping: Mapping[str, Mapping[str, str]], student: str) -> Mapping[str, str] | None:
    """A student's LMS ids: by our id, else by any id the map gives (e.g. a Canvas id that
    scores.csv holds because the responses came from a Canvas report).

    >>> lookup({"s1": {"canvas_id": "3302", "email": "a@b.no"}}, "3302")["email"]
    'a@b.no'
    """
    if student in mapping:
        return mapping[student]
    found = [ids for ids in mapping.values()
             if any(ids.get(k) == student for k in MAP_COLUMNS if k not in ("name", "section"))]
    return found[0] if len(found) == 1 else None


def _identities(scores: Scores, mapping: Mapping[str, Mapping[str, str]] | None,
                ) -> tuple[list[tuple[ScoreRow, Mapping[str, str]]], list[str]]:
    """Each row with its LMS identifiers; students missing from the map are left out."""
    if mapping is None:
        return [(r, {}) for r in scores.rows], []
    kept, missing = [], []
    for row in scores.rows:
        ids = lookup(mapping, row.student)
        if ids is not None:
            kept.append((row, ids))
        else:
            missing.append(row.student)
    warnings = [f"student {s} is not in the map: left out of the gradebook" for s in missing]
    return kept, warnings


def canvas_gradebook(scores: Scores, assignment: str, *,
                     mapping: Mapping[str, Mapping[str, str]] | None = None,
                     part_max: Mapping[str, str] | None = None,
                     parts: bool = False) -> Gradebook:
    """A Canvas gradebook import CSV: Student, ID, SIS User ID, SIS Login ID, Section, grades.

    The second row is Canvas's "Points Possible" row. Without a map, our student id goes in
    "SIS User ID" (Canvas matches a row on ID, SIS User ID or SIS Login ID). An assignment name
    ending in "(<Canvas id>)" updates that assignment; another name creates a new one.
    """
    items = _items(scores, assignment, parts)
    possible, warnings = _points_possible(scores, part_max or {}, parts)
    rows, missing = _identities(scores, mapping)
    table = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *[h for h, _ in items]],
             [CANVAS_POINTS_ROW, "", "", "", "", *possible]]
    for row, ids in rows:
        sis = ids.get("sis_user_id", "") if mapping is not None else row.student
        table.append([ids.get("name", ""), ids.get("canvas_id", ""), sis,
                      ids.get("sis_login_id", ""), ids.get("section", ""),
                      *[get(row) for _, get in items]])
    unmatched = [r.student for r, ids in rows if mapping is not None
                 and not any(ids.get(k) for k in ("canvas_id", "sis_user_id", "sis_login_id"))]
    missing += [f"student {s} has no ID, SIS User ID or SIS Login ID in the map: Canvas "
                "cannot match the row" for s in unmatched]
    return Gradebook(_csv(table), len(rows), tuple(warnings + missing))


def moodle_gradebook(scores: Scores, assignment: str, *,
                     mapping: Mapping[str, Mapping[str, str]] | None = None,
                     id_field: str | None = None, parts: bool = False) -> Gradebook:
    """A Moodle grade import CSV: one identifier column, then one column per grade item.

    In Moodle's "Import grades > CSV file" form, map the first column to the user field of
    the same name (email, idnumber or username) and each grade column to a grade item (or to
    a new grade item). Without a map the identifier is our student id, as ``idnumber``.
    """
    id_field = id_field or ("email" if mapping is not None else "idnumber")
    if id_field not in MOODLE_ID_FIELDS:
        raise InputError(f"unknown Moodle identifier '{id_field}' (use one of "
                         f"{', '.join(MOODLE_ID_FIELDS)})")
    items = _items(scores, assignment, parts)
    _, warnings = _points_possible(scores, {}, parts)
    rows, missing = _identities(scores, mapping)
    table = [[id_field, *[h for h, _ in items]]]
    blank = []
    for row, ids in rows:
        ident = ids.get(id_field, "") if mapping is not None else row.student
        if not ident:
            blank.append(row.student)
            continue
        table.append([ident, *[get(row) for _, get in items]])
    missing += [f"student {s} has no {id_field} in the map: left out" for s in blank]
    return Gradebook(_csv(table), len(table) - 1, tuple(warnings + missing))


def plain_gradebook(scores: Scores, *, mapping: Mapping[str, Mapping[str, str]] | None = None,
                    ) -> Gradebook:
    """A plain CSV: student, the map's identifiers (if any), variant, parts, total, max, grade."""
    extra = [k for k in MAP_COLUMNS if k != "student"
             and mapping and any(ids.get(k) for ids in mapping.values())]
    rows, missing = _identities(scores, None)
    table = [["student", *extra, "variant", *scores.part_ids, "total", "max", "grade"]]
    for row, _ in rows:
        ids = lookup(mapping or {}, row.student) or {}
        table.append([row.student, *[ids.get(k, "") for k in extra], row.variant,
                      *[row.parts.get(p, "") for p in scores.part_ids],
                      row.total, row.max, row.grade])
    if mapping is not None:
        missing = [f"student {r.student} is not in the map" for r in scores.rows
                   if lookup(mapping, r.student) is None]
    return Gradebook(_csv(table), len(rows), tuple(missing))
