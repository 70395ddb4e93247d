"""Read a Canvas (classic quizzes) "Student Analysis" report CSV into submissions.

Columns: name, id, [sis_id, root_account,] section, section_id, [section_sis_id,] submitted,
[attempt,] then per question "<question id>: <question text without tags>" followed by a
column of that question's points (its header is the points possible, e.g. "1.0"), and at the
end "n correct", "n incorrect", "score". A question a student did not get has both cells
empty. Fill-in-multiple-blanks answers are joined with ',' in blank order, a ',' inside an
answer escaped as '\\,'. Our exported question text ends with the variant tag
(grader.export.naming), which names the part and the variant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from grader.ingest.lms import (
    LmsContext,
    Response,
    Table,
    build_submission,
    cell,
    pick_attempts,
    student_cell,
    tag_of,
)
from grader.ingest.submissions import IngestProblem
from grader.model import Submission

QUESTION = re.compile(r"^(\d+): ", re.DOTALL)
TRAILER = ("n correct", "n incorrect", "score")


@dataclass(frozen=True)
class Column:
    """One question column of the report (its points are in the next column)."""

    index: int
    question_id: str
    part: str
    variant: str


def is_canvas_student_analysis(header: Sequence[str]) -> bool:
    """True for the header of a Canvas quiz student analysis report.

    >>> is_canvas_student_analysis(["name", "id", "section", "section_id", "submitted",
    ...                             "12: What?", "1.0", "n correct", "n incorrect", "score"])
    True
    """
    names = [h.strip() for h in header]
    return ("submitted" in names and "section" in names
            and tuple(names[-3:]) == TRAILER and any(QUESTION.match(h) for h in names))


def read_canvas_student_analysis(table: Table, source: str, ctx: LmsContext,
                                 ) -> Iterator[Submission | IngestProblem]:
    """Yield one submission per student of a student analysis report, and problems."""
    columns, untagged = _question_columns(table.header)
    if untagged:
        yield IngestProblem(source, f"{len(untagged)} question(s) without a variant tag are "
                            f"not graded (question ids {', '.join(untagged)}): were they "
                            "exported by examgrader?", fatal=False)
    if not columns:
        yield IngestProblem(source, "no question of this report carries a variant tag "
                            "('Variant K7Q2M · ex3b'): nothing to grade")
        return
    sis, canvas_id, attempt = table.index("sis_id"), table.index("id"), table.index("attempt")
    students = [(student_cell(row, sis) or student_cell(row, canvas_id), line,
                 _attempt(row, attempt))
                for line, row in table.rows]
    latest = _latest_attempts(students)
    kept, notes = pick_attempts([(s, line, line == latest.get(s)) for s, line, _ in students
                                 if s])
    for (student, line, _), (_, row) in zip(students, table.rows, strict=True):
        where = f"{source} line {line}"
        if not student:
            yield IngestProblem(where, "no student id (sis_id or id): is the report anonymous?")
            continue
        if kept[student] != line:
            continue
        if student in notes:
            yield IngestProblem(where, notes[student], student=student, fatal=False)
        responses, problems = _responses(row, columns)
        for problem in problems:
            yield IngestProblem(where, problem, student=student, fatal=False)
        yield from build_submission(student, responses, ctx, where)


def _question_columns(header: Sequence[str]) -> tuple[list[Column], list[str]]:
    columns, untagged = [], []
    for index, name in enumerate(header):
        match = QUESTION.match(name.strip())
        if not match:
            continue
        tag = tag_of(name)
        if tag is None:
            untagged.append(match[1])
        else:
            columns.append(Column(index, match[1], *tag))
    return columns, untagged


def _attempt(row: Sequence[str], index: int | None) -> int:
    try:
        return int(float(cell(row, index) or 0))
    except (ValueError, OverflowError):  # "abc", "nan"; "1e999" (inf)
        return 0


def _latest_attempts(students: Sequence[tuple[str, int, int]]) -> dict[str, int]:
    """Student -> the line of their highest attempt (the first such line in the file)."""
    best: dict[str, tuple[int, int]] = {}
    for student, line, attempt in students:
        if student and (student not in best or attempt > best[student][0]):
            best[student] = (attempt, line)
    return {s: line for s, (_, line) in best.items()}


def _responses(row: Sequence[str], columns: Sequence[Column],
               ) -> tuple[list[Response], list[str]]:
    """The responses of one row: per part, the question the student got (points not empty)."""
    by_part: dict[str, list[tuple[Column, str]]] = {}
    for column in columns:
        answer, points = cell(row, column.index), cell(row, column.index + 1)
        if points or answer:  # the student got this question
            by_part.setdefault(column.part, []).append((column, answer))
    responses, problems = [], []
    for part, got in by_part.items():
        if len(got) > 1:
            ids = ", ".join(c.question_id for c, _ in got)
            problems.append(f"answers to {len(got)} questions of part {part} (question ids "
                            f"{ids}): graded the first")
        column, answer = got[0]
        responses.append(Response(part, column.variant, (answer,), listed=True))
    return responses, problems
