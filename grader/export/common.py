"""The target-neutral export model: one ExportQuestion per variant of a part, from key + rubric.

Every LMS writer (moodle, qti21, canvas, gift) is a pure function of an :class:`ExportSet`;
this module decides everything they share once: names and categories (grader.export.naming),
identifiers, the question style per part kind, numeric values and absolute tolerances, the
marker's guide of essay questions, and figure files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import sympy

from grader.answers.compare import _absolute, _numeric  # the grader's own margins
from grader.answers.parse import expected_value
from grader.errors import AuthoringError
from grader.export.naming import category_name, question_name, variant_tag
from grader.model import Exam, Figure, PartVariant, Variant
from grader.paper.figures import graph_markdown, graph_svg
from grader.rubric.loader import PartRubric, Rubric, sibling_rubric

NUMERIC, BLANKS, ESSAY = "numeric", "blanks", "essay"
SIGNIFICANT = 12  # digits written for a value or tolerance (answers are exact; floats display)


@dataclass(frozen=True)
class Blank:
    """One number the LMS grades: its exact value, decimal value, absolute tolerance, points."""

    id: str  # arrow or value id (a1, v1, ...); "answer" for a single number
    exact: str  # the key's exact string, e.g. "-7/2"
    value: float
    tolerance: float  # absolute; 0 = exact
    points: Fraction
    # The grader's own numbers, exactly: the value it compares with (30 digits when
    # irrational) and the absolute margin (None: built from value and tolerance).
    center: Fraction | None = None
    margin: Fraction | None = None

    def bounds(self) -> tuple[Fraction, Fraction]:
        """The exact interval [low, high] the grader accepts (both ends included)."""
        center = self.center if self.center is not None else Fraction(repr(self.value))
        margin = self.margin if self.margin is not None else Fraction(repr(self.tolerance))
        return center - margin, center + margin


@dataclass(frozen=True)
class FigureFile:
    """A figure as a file: its name is a hash of its bytes (same figure, same file)."""

    name: str
    data: bytes
    media_type: str
    alt: str
    text_md: str = ""  # a text version of the figure (the graph's tables), shown under it


@dataclass(frozen=True)
class Guide:
    """What the marker of an essay sees (never the student): model answer, criteria, solution."""

    model_answer_md: str
    criteria: tuple[tuple[str, Fraction, str], ...]  # (id, points, what earns them)
    rule_md: str  # how criteria combine ("the best 2 count", count table), "" if plain sum
    solution_md: str


@dataclass(frozen=True)
class ExportQuestion:
    """One pre-computed variant of one part, ready for any LMS writer."""

    ident: str  # stable id: hash of (exam id, part id, variant id); a re-export replaces
    name: str  # naming.question_name
    category: str  # naming.category_name
    exam_id: str
    part_id: str
    variant_id: str
    style: str  # NUMERIC | BLANKS | ESSAY
    points: Fraction
    text_md: str  # exercise intro + part text, Markdown with $math$ (no tag line)
    tag: str  # naming.variant_tag: the visible last line of every question text
    figures: tuple[FigureFile, ...] = ()
    blanks: tuple[Blank, ...] = ()
    guide: Guide | None = None


@dataclass(frozen=True)
class ExportSet:
    """Every question of an export, grouped per part in paper order."""

    exam_id: str
    title: str
    ident: str  # hash of every question's ident: the test / quiz / package id
    groups: tuple[tuple[str, tuple[ExportQuestion, ...]], ...]  # (category, questions)
    warnings: tuple[str, ...] = ()

    @property
    def questions(self) -> tuple[ExportQuestion, ...]:
        return tuple(q for _, qs in self.groups for q in qs)


def stable_id(prefix: str, *parts: str, length: int = 16) -> str:
    """A short identifier that is a hash of ``parts`` (an XML NCName: starts with a letter).

    >>> stable_id("q", "inf5860-2019", "ex3b", "original")
    'q95b8ca887c8cd192'
    """
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
    return f"{prefix}{digest[:length]}"


def format_number(value: float) -> str:
    """A decimal as an LMS reads it: no exponent for usual sizes, no trailing zeros.

    >>> format_number(23.0), format_number(-3.5), format_number(0.0735), format_number(1e-20)
    ('23', '-3.5', '0.0735', '1e-20')
    """
    text = f"{value:.{SIGNIFICANT}g}"
    if "e" in text and 1e-9 <= abs(value) < 1e15:
        text = format(Decimal(text), "f")  # the same digits, written out
    return "0" if text in ("-0", "") else text


def margin(expected: sympy.Expr | Fraction | float, rubric: PartRubric) -> Fraction:
    """The exact absolute margin the grader allows around ``expected``: 0 when exact, else the
    largest of rtol*|x|, atol and the margins of ``sig_figs`` and ``decimals`` (half a unit
    of the last figure or place, as compare_number computes them; none for sig_figs of 0).

    The grader accepts an answer when ANY tolerance holds, which is the largest one.

    >>> from grader.rubric.loader import PartRubric
    >>> margin(Fraction(5236, 10000), PartRubric("p", "number", Fraction(1), sig_figs=2))
    Fraction(1, 200)
    """
    if rubric.exact or all(t is None for t in (rubric.rtol, rubric.atol, rubric.sig_figs,
                                                  rubric.decimals)):
        return Fraction(0)
    center = _center(expected)
    bounds = [Fraction(0)]
    if rubric.rtol is not None:
        bounds.append(Fraction(str(rubric.rtol)) * abs(center))
    for kind, amount in (("atol", rubric.atol), ("sig", rubric.sig_figs),
                         ("dec", rubric.decimals)):
        if amount is not None:
            bound = _absolute(kind, Fraction(str(amount)), center)
            bounds.append(bound if bound is not None else Fraction(0))
    return max(bounds)


def _center(expected: sympy.Expr | Fraction | float) -> Fraction:
    """The value compare_number measures from: exact if rational, else 30 digits."""
    if isinstance(expected, float):
        return Fraction(repr(expected))  # 0.1 is one tenth (as the grader reads decimals)
    center = _numeric(expected)
    if center is None:
        raise ValueError(f"{expected} is not a real number")
    return center


def tolerance(exact_value: float | sympy.Expr, rubric: PartRubric) -> float:
    """The absolute tolerance the LMS applies (:func:`margin` as a float)."""
    return float(margin(exact_value, rubric))


def _blank(blank_id: str, exact: str, points: Fraction, rubric: PartRubric,
           where: str) -> tuple[Blank, str | None]:
    value = expected_value(exact)
    if value.free_symbols:
        raise AuthoringError(f"answer {blank_id} = {exact} is not a number", part=where)
    decimal = float(sympy.N(value, SIGNIFICANT + 5))
    exact_margin = margin(value, rubric)
    blank = Blank(blank_id, exact, decimal, float(exact_margin), points, _center(value),
                  exact_margin)
    warning = None
    if blank.tolerance == 0 and not value.is_Rational:
        warning = (f"{where} {blank_id}: exact answer {exact} is irrational but the rubric "
                   "allows no tolerance; the LMS compares with a rounded decimal")
    elif blank.tolerance == 0 and len(format_number(decimal).replace("-", "")) > SIGNIFICANT:
        warning = f"{where} {blank_id}: exact answer {exact} has more digits than the LMS keeps"
    return blank, warning


def _numeric_blanks(part: PartVariant, rubric: PartRubric,
                    where: str) -> tuple[tuple[Blank, ...], list[str]]:
    if isinstance(part.answer, Mapping):
        ids = list(part.answer)
        per_item = rubric.per_item if rubric.per_item is not None else part.points / len(ids)
        pairs = [_blank(i, part.answer[i], per_item, rubric, where) for i in ids]
    else:
        pairs = [_blank("answer", str(part.answer), part.points, rubric, where)]
    return tuple(b for b, _ in pairs), [w for _, w in pairs if w]


def _guide(part: PartVariant, rubric: PartRubric) -> Guide:
    rubric = sibling_rubric(rubric, part.params)  # a pooled part: the sibling it asks
    criteria = tuple((c.id, c.points, c.feedback or "; ".join(p.source for p in c.any))
                     for c in rubric.criteria)
    rules = []
    if rubric.best:
        rules.append(f"Only the best {rubric.best} criteria count.")
    if rubric.count_points:
        table = ", ".join(f"{n} met: {p} points" for n, p in rubric.count_points.items())
        rules.append(f"Points by the number of criteria met: {table}.")
    groups = sorted({c.group for c in rubric.criteria if c.group})
    if groups:
        rules.append("Criteria of the same group count once.")
    answer = rubric.model_answer
    if not answer and part.answer is not None:
        answer = str(part.answer) if not isinstance(part.answer, Mapping) else ", ".join(
            f"{k} = {v}" for k, v in part.answer.items())
    return Guide(answer, criteria, " ".join(rules), part.solution)


def _figure_file(figure: Figure) -> FigureFile | None:
    if figure.kind != "graph":  # only graphs are drawn today (as on the paper)
        return None
    svg = graph_svg(figure.data).encode("utf-8")
    name = f"fig-{hashlib.sha256(svg).hexdigest()[:16]}.svg"
    alt = figure.caption or "Computational graph; arrows labelled with their ids"
    return FigureFile(name, svg, "image/svg+xml", alt, graph_markdown(figure.data))


# Part kind -> question style. Expressions and choices have no numeric LMS grading (and
# choice parts carry no options in the bank yet): they become essays graded by examgrader.
STYLE_OF_KIND: Mapping[str, str] = {
    "number": NUMERIC, "arrows": BLANKS, "values": BLANKS,
    "text": ESSAY, "expression": ESSAY, "choice": ESSAY,
}


def build_question(exam: Exam, variant: Variant, part: PartVariant,
                   rubric: PartRubric) -> tuple[ExportQuestion, list[str]]:
    """One ExportQuestion and its warnings (answers the LMS cannot grade exactly)."""
    style = STYLE_OF_KIND[part.kind]
    exercise = next(e for e in exam.exercises if any(p.id == part.part_id for p in e.parts))
    intro = variant.intros.get(exercise.id, exercise.intro).strip()
    text_md = f"{intro}\n\n{part.text.strip()}" if intro else part.text.strip()
    where = question_name(exam.id, part.part_id, variant.variant_id)
    blanks, warnings = ((), []) if style == ESSAY else _numeric_blanks(part, rubric, where)
    figures = tuple(f for f in map(_figure_file, part.figures) if f is not None)
    question = ExportQuestion(
        ident=stable_id("q", exam.id, part.part_id, variant.variant_id),
        name=where,
        category=category_name(exam.id, part.part_id),
        exam_id=exam.id, part_id=part.part_id, variant_id=variant.variant_id,
        style=style, points=part.points, text_md=text_md,
        tag=variant_tag(part.part_id, variant.variant_id),
        figures=figures, blanks=blanks,
        guide=_guide(part, rubric) if style == ESSAY else None,
    )
    return question, warnings


def build_export(exam: Exam, variants: Sequence[Variant], rubric: Rubric) -> ExportSet:
    """Every variant of every part, grouped per part (the LMS draws one per group)."""
    groups, warnings = [], []
    for exam_part in exam.parts:
        questions = []
        for variant in variants:
            question, notes = build_question(exam, variant, variant.part(exam_part.id),
                                             rubric.parts[exam_part.id])
            questions.append(question)
            warnings += notes
        groups.append((category_name(exam.id, exam_part.id), tuple(questions)))
    idents = [q.ident for _, qs in groups for q in qs]
    return ExportSet(exam.id, f"{exam.title} ({exam.course}, {exam.date})",
                     stable_id("t", exam.id, *idents), tuple(groups), tuple(warnings))


def points_text(points: Fraction) -> str:
    """Points as a decimal for XML attributes and fields ("4.5", "1", "0.333333333333")."""
    return format_number(float(points))
