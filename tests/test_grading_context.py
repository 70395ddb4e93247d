"""GradingContext's shortcuts (memo, parts per course, parts per variant) change no result."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest

from grader.context import grading_context
from grader.grading import (
    GradingContext,
    StudentResult,
    _for_student,
    grade_submission,
    parts_for,
)
from grader.ingest.submissions import read_submissions
from grader.model import CriterionResult, PartScore, Submission

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"


@pytest.fixture(scope="module")
def ctx() -> GradingContext:
    return grading_context("inf5860-2019")


def fresh(ctx: GradingContext) -> GradingContext:
    """The same exam, rubric and variants, with nothing remembered."""
    return GradingContext(ctx.exam, ctx.rubric, ctx.variant)


def test_a_remembered_score_is_given_whole_to_the_next_student():
    score = PartScore("s1", "ex1a", Fraction(3, 2), Fraction(9, 2),
                      (CriterionResult("a1", Fraction(1, 2), Fraction(1, 2), True, ("7",)),),
                      ("a2: read '-10,5' as -10.5",), ("follow-through",), "a1: 7")
    assert _for_student(score, "s2") == dataclasses.replace(score, student="s2")
    assert {f.name for f in dataclasses.fields(PartScore)} == {
        "student", "part", "score", "max", "criteria", "notes", "flags", "answer"}


def test_grading_twice_in_one_context_equals_grading_afresh(ctx):
    subs = [s for s in read_submissions([EXAMPLES]) if isinstance(s, Submission)]
    subs += [dataclasses.replace(s, student=s.student + "-again", course=course)
             for s in subs for course in ("INF9860", "inf5860", None)]
    warm = [list(grade_submission(s, ctx)) for s in subs]
    again = [list(grade_submission(s, ctx)) for s in subs]
    cold = [list(grade_submission(s, fresh(ctx))) for s in subs]
    assert warm == again == cold
    assert {len(r[-1].scores) for r in warm} == {18, 21}  # INF5860 skips ex7 (three parts)


def test_parts_for_a_course_are_remembered_as_computed(ctx):
    for course in ("INF5860", "INF9860", " inf9860 ", "", None, "OTHER"):
        parts, known = ctx.parts_for(course)
        assert parts == parts_for(ctx.exam, course)
        assert known == {p.id for p in ctx.exam.parts}
        assert ctx.parts_for(course)[0] is parts


def test_variant_part_looks_up_like_variant_part(ctx):
    variant = ctx.variant("original")
    for part in variant.parts:
        assert ctx.variant_part(variant, part.part_id) is variant.part(part.part_id)
    with pytest.raises(KeyError):
        ctx.variant_part(variant, "ex99z")


def test_totals_are_exact_sums():
    scores = tuple(PartScore("s", f"p{i}", Fraction(i, 4), Fraction(1)) for i in range(5))
    result = StudentResult("s", "original", "x.yaml", scores)
    assert result.total == Fraction(10, 4) and type(result.total) is Fraction
    assert result.max == 5
    assert StudentResult("s", "original", "x.yaml", ()).total == 0
