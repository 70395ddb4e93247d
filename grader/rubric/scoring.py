"""What every per-kind scorer of grader.rubric.engine shares: the part being graded (_Ctx),
which builds the PartScore and clamps its points, the exact sum of points, and the score of
an unreadable answer.

Its own module so that the scorers (grader.rubric.numeric, grader.rubric.arrows and the text
and choice scorers in grader.rubric.engine) can use it without importing one another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from grader.model import PartScore, PartVariant, RawAnswer
from grader.rubric.loader import PartRubric

ZERO = Fraction(0)


@dataclass(frozen=True)
class _Ctx:
    """What every scorer needs about the part being graded."""

    rubric: PartRubric
    variant: PartVariant
    student: str

    def score(self, points: Fraction, answer: str, criteria=(), notes=(), flags=()) -> PartScore:
        if type(points) is not Fraction:
            points = Fraction(points)
        top = self.rubric.points
        # Fraction comparisons are slow: compare the cross products (denominators are > 0)
        if points.numerator < 0 or (points.numerator * top.denominator
                                    > top.numerator * points.denominator):  # rarely true
            points = min(max(points, ZERO), top)
        return PartScore(self.student, self.rubric.part, points, top, tuple(criteria),
                         tuple(filter(None, notes)), tuple(dict.fromkeys(flags)) if flags else (),
                         answer)


def sum_points(values: Iterable[Fraction]) -> Fraction:
    """The exact sum of Fractions (or ints), as sum(values, Fraction(0)) gives it.

    Fraction.__add__ builds and reduces a Fraction at every step (~0.8 us); part scores share a
    few denominators, so summing numerators over a running common denominator and reducing once
    costs a third of that for a student's 19 parts.
    """
    num, den = 0, 1
    for value in values:
        n, d = value.numerator, value.denominator
        if d != den:
            common = den * d // gcd(den, d)
            num, den = num * (common // den), common
            n *= common // d
        num += n
    return Fraction(num, den)


def _as_text(raw: RawAnswer) -> str:
    if isinstance(raw, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in raw.items())
    return str(raw)


def _unreadable(ctx: _Ctx, raw: RawAnswer, note: str) -> PartScore:
    return ctx.score(ZERO, _as_text(raw), notes=(note,), flags=("unparseable",))
