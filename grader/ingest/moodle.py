"""Read a Moodle quiz "Responses" report (CSV download) into submissions.

Columns (Moodle 3.x/4.x, English): Surname, First name, [ID number, Username, Institution,
Department,] Email address, State, Started on, Completed, Time taken, Grade/<max>, then per slot
N: "Question N" (the question summary, optional), "Response N" (the response summary) and
"Right answer N" (optional). Slot N is part N of the exam in paper order, unless the question
text carries our variant tag (grader.export.naming), which then names the part and variant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

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

RESPONSE = re.compile(r"^Response (\d+)$")
QUESTION = re.compile(r"^Question (\d+)$")
# Student identity columns, most specific first (the site's "show user identity" settings).
IDENTITY = ("ID number", "Username", "Email address")
NAME_COLUMNS = ("First name", "Surname")
FINISHED = "Finished"
AVERAGE_ROW = "overall average"  # the report's summary row (some versions download it)
UNANSWERED = "-"  # what the report shows for a slot without a response
# A cloze (multi-answer) response summary: "part 1: 7; part 2: -10,5".
CLOZE_PART = re.compile(r"(?:^|;\s*)part (\d+):[ \t]?")


def is_moodle_responses(header: Sequence[str]) -> bool:
    """True for the header of a Moodle quiz responses report.

    >>> is_moodle_responses(["Surname", "First name", "Email address", "State", "Response 1"])
    True
    """
    names = {h.strip() for h in header}
    return any(RESPONSE.match(h) for h in names) and bool(names & {*IDENTITY, *NAME_COLUMNS})


def split_cloze(summary: str) -> list[str] | None:
    """The answers of a cloze response summary in part order, or None when it is not one.

    >>> split_cloze("part 1: 7; part 2: -10,5; part 3:")
    ['7', '-10,5', '']
    >>> split_cloze("Dropout drops units") is None
    True
    """
    if not summary.startswith("part 1:"):
        return None
    pieces = CLOZE_PART.split(summary)  # ['', '1', '7', '2', '-10,5', ...]
    numbers = [int(n) for n in pieces[1::2]]
    if numbers != list(range(1, len(numbers) + 1)):
        return None
    return [value.strip() for value in pieces[2::2]]


def read_moodle_responses(table: Table, source: str, ctx: LmsContext,
                          ) -> Iterator[Submission | IngestProblem]:
    """Yield one submission per student of a responses report, and problems for bad rows."""
    slots = sorted((int(m[1]), i) for i, h in enumerate(table.header)
                   if (m := RESPONSE.match(h.strip())))
    questions = {int(m[1]): i for i, h in enumerate(table.header)
                 if (m := QUESTION.match(h.strip()))}
    if len(slots) > len(ctx.part_ids) and not questions:
        yield IngestProblem(source, f"the report has {len(slots)} responses per student but "
                            f"exam {ctx.exam_id} has {len(ctx.part_ids)} parts")
        return
    identity = [table.index(name) for name in IDENTITY]
    state = table.index("State")
    students = [(_student(row, identity), line, cell(row, state) in ("", FINISHED))
                for line, row in table.rows]
    kept, notes = pick_attempts([s for s in students if s[0]])
    untagged = False
    for (student, line, _), (_, row) in zip(students, table.rows, strict=True):
        where = f"{source} line {line}"
        if not student and cell(row, 0).casefold().startswith(AVERAGE_ROW):
            continue
        if not student:
            yield IngestProblem(where, "no student id (ID number, Username or Email address)")
            continue
        if kept[student] != line:
            continue
        if student in notes:
            yield IngestProblem(where, notes[student], student=student, fatal=False)
        if cell(row, state) not in ("", FINISHED):
            yield IngestProblem(where, f"attempt state is '{cell(row, state)}', not Finished: "
                                "graded as it stands", student=student, fatal=False)
        responses, problems = _responses(row, slots, questions, ctx)
        untagged = untagged or any(not r.variant for r in responses)
        for problem in problems:
            yield IngestProblem(where, problem, student=student, fatal=False)
        yield from build_submission(student, responses, ctx, where)
    if untagged:
        yield IngestProblem(source, "no variant tag in the question text (download the report "
                            "with the question text, or the questions were not exported by "
                            "examgrader): those answers are graded as variant 'original'",
                            fatal=False)


def _student(row: Sequence[str], identity: Sequence[int | None]) -> str:
    return next((value for i in identity if (value := student_cell(row, i))), "")


def _responses(row: Sequence[str], slots: Sequence[tuple[int, int]], questions: dict[int, int],
               ctx: LmsContext) -> tuple[list[Response], list[str]]:
    """The responses of one row, each placed on a part by its tag or else by its slot."""
    responses: list[Response] = []
    problems: list[str] = []
    for slot, index in slots:
        tag = tag_of(cell(row, questions.get(slot)))
        if tag is None and not 1 <= slot <= len(ctx.part_ids):
            problems.append(f"slot {slot} has no variant tag and the exam's "
                            f"{len(ctx.part_ids)} parts are slots 1 to {len(ctx.part_ids)}: "
                            "not graded")
            continue
        part, variant = tag if tag else (ctx.part_ids[slot - 1], "")
        raw = row[index] if index < len(row) else ""
        if raw.strip() in ("", UNANSWERED):
            continue
        values = split_cloze(raw.strip()) or [raw]
        if not any(v.strip() for v in values):
            continue
        responses.append(Response(part, variant, tuple(values)))
    return responses, problems
