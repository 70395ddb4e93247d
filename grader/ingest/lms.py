"""What LMS response readers share: the exam context, CSV tables, tags, blanks, student rows."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from grader.errors import GraderError
from grader.export.naming import find_variant_tag
from grader.ingest.mapping import clean_id
from grader.ingest.submissions import IngestProblem, submission_from_mapping
from grader.model import Exam, Submission, Variant

DELIMITERS = ",;\t"  # LMS downloads are ',' but a spreadsheet round trip in Norway gives ';'


@dataclass(frozen=True)
class LmsContext:
    """What an LMS report needs from the exam to become submissions.

    Attributes:
        exam_id: the exam graded (submissions carry it).
        part_ids: the exam's parts in paper order (= Moodle quiz slot order, see
            docs/lms-grades.md).
        blanks: (part id, variant id) -> the blank ids of a multi-value part in key order,
            () for a one-answer part; raises GraderError for an unknown variant.
    """

    exam_id: str
    part_ids: tuple[str, ...]
    blanks: Callable[[str, str], tuple[str, ...]]


def lms_context(exam: Exam, variant: Callable[[str], Variant]) -> LmsContext:
    """An LmsContext for an exam whose variants are looked up with `variant` (id -> Variant)."""

    def blanks(part_id: str, variant_id: str) -> tuple[str, ...]:
        answer = variant(variant_id).part(part_id).answer
        return tuple(answer) if isinstance(answer, Mapping) else ()

    return LmsContext(exam.id, tuple(p.id for p in exam.parts), blanks)


@dataclass(frozen=True)
class Table:
    """A CSV file as a header and rows of cells (positional: LMS headers repeat)."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line number, cells)

    def index(self, *names: str) -> int | None:
        """The first column whose header is one of `names` (case-insensitive), else None."""
        folded = [h.strip().casefold() for h in self.header]
        for name in names:
            if name.casefold() in folded:
                return folded.index(name.casefold())
        return None


def read_table(text: str) -> Table:
    """Parse CSV text (',', ';' or tab) into a Table; blank lines are skipped.

    >>> read_table("a;b\\r\\n1;2\\r\\n").rows
    ((2, ('1', '2')),)

    Raises:
        csv.Error: the text is not CSV.
    """
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = tuple(next(reader, []))
    rows = tuple((reader.line_num, tuple(row)) for row in reader if any(c.strip() for c in row))
    return Table(header, rows)


def cell(row: Sequence[str], index: int | None) -> str:
    """The stripped cell at `index`, '' when the column is absent or the row short."""
    return row[index].strip() if index is not None and index < len(row) else ""


def student_cell(row: Sequence[str], index: int | None) -> str:
    r"""A student id cell, without control characters (a newline, an escape sequence).

    >>> student_cell(["s1\n2"], 0)
    's12'
    """
    return clean_id(cell(row, index))[0]


def tag_of(text: str) -> tuple[str, str] | None:
    """(part, variant) from question text that may carry HTML entities and odd spaces.

    >>> tag_of("What is 3x3?<br>Variant&nbsp;K7Q2M &middot; ex3b")
    ('ex3b', 'K7Q2M')
    """
    return find_variant_tag(" ".join(html.unescape(text).split()))


def split_escaped(text: str, separator: str = ",") -> list[str]:
    r"""Split on `separator` except where it is escaped with a backslash (Canvas lists).

    >>> split_escaped(r"7,-10\,5,,49")
    ['7', '-10,5', '', '49']
    """
    items, current, chars = [], [], iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            current.append(following if following == separator else char + following)
        elif char == separator:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items


@dataclass(frozen=True)
class Response:
    """One student's answer to one part as the LMS gave it, before blanks are split."""

    part: str
    variant: str  # "" when the report does not say (then the student's variant is used)
    values: tuple[str, ...]  # one text, or one per blank in the order the LMS gives them
    listed: bool = False  # one text that lists a multi-blank answer ("7,-10\\,5", Canvas)


def build_submission(student: str, responses: Sequence[Response], ctx: LmsContext,
                     source: str) -> Iterator[Submission | IngestProblem]:
    """One Submission from a student's responses; problems for answers that cannot be placed.

    The student's variant is the most common one among the tagged parts (paper order breaks
    ties); parts seen in another variant keep theirs in ``part_variants``.
    """
    tagged = [r.variant for r in responses if r.variant]
    variant = Counter(tagged).most_common(1)[0][0] if tagged else "original"
    answers: dict[str, object] = {}
    part_variants: dict[str, str] = {}
    for response in responses:
        if response.part in answers:  # two slots or questions of one part: the last counts
            yield IngestProblem(source, "the report has more than one answer to this part: "
                                "graded the last", student=student, part=response.part,
                                fatal=False)
        seen = response.variant or variant
        if seen != variant:
            part_variants[response.part] = seen
        try:
            blanks = ctx.blanks(response.part, seen)
        except (GraderError, KeyError) as exc:
            message = exc.message if isinstance(exc, GraderError) else f"unknown part {exc}"
            yield IngestProblem(source, message, student=student, part=response.part)
            continue
        values = response.values
        if blanks and response.listed and len(values) == 1:
            values = tuple(split_escaped(values[0]))
        answer, problem = place_blanks(values, blanks)
        if problem:
            yield IngestProblem(source, problem, student=student, part=response.part,
                                fatal=False)
        if answer:
            answers[response.part] = answer
    document = {"student": student, "exam": ctx.exam_id, "variant": variant, "answers": answers}
    for item in submission_from_mapping(document, source):
        if isinstance(item, Submission) and part_variants:
            item = _with_part_variants(item, part_variants)
        yield item


def _with_part_variants(sub: Submission, part_variants: Mapping[str, str]) -> Submission:
    return replace(sub, part_variants=dict(part_variants))


def place_blanks(values: Sequence[str], blanks: Sequence[str]) -> tuple[object, str]:
    """The answer for a part: one text, or blank id -> text in key order; and a problem.

    >>> place_blanks(["7", "-10,5"], ["a1", "a2"])
    ({'a1': '7', 'a2': '-10,5'}, '')
    >>> place_blanks(["7"], ["a1", "a2"])[1]
    'the report gives 1 answers for 2 blanks (a1, a2): matched in order'
    >>> place_blanks(["Because it is zero"], [])
    ('Because it is zero', '')
    """
    values = [v.strip() for v in values]
    if not any(values):
        return "", ""
    if not blanks:
        return (values[0] if len(values) == 1 else "\n".join(values)), ""
    problem = ""
    if len(values) != len(blanks):
        problem = (f"the report gives {len(values)} answers for {len(blanks)} blanks "
                   f"({', '.join(blanks)}): matched in order")
    return {b: v for b, v in zip(blanks, values, strict=False) if v}, problem


def pick_attempts(rows: Sequence[tuple[str, int, bool]],
                  ) -> tuple[dict[str, int], dict[str, str]]:
    """Per student the row to grade: the last finished attempt (else the last one).

    Args:
        rows: (student, line number, finished) in file order.

    Returns:
        student -> line number kept, and student -> a note for those with several attempts.
    """
    kept: dict[str, tuple[int, bool]] = {}
    count: Counter[str] = Counter()
    for student, line, finished in rows:
        count[student] += 1
        if student not in kept or finished or not kept[student][1]:
            kept[student] = (line, finished)
    notes = {s: f"{count[s]} attempts: graded the one on line {kept[s][0]}"
             for s in kept if count[s] > 1}
    return {s: line for s, (line, _) in kept.items()}, notes
