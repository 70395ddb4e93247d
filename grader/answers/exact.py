"""Exact values and exact equality: the first step of every comparison.

Comparison (the outcome type), rationals as Fractions, 30-digit approximations of other real
numbers (_numeric), and _exact, which decides equality of two numbers: rationals directly,
otherwise a 30-digit check and a size-bounded sympy.simplify. Used by number comparison
(grader.answers.tolerance) and expression comparison (grader.answers.equivalence).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from grader.answers.arith import MAX_BITS
from grader.answers.display import _approx, show

DIGITS = 30  # precision of numeric evaluation (tolerances and random points)
_MAX_OPS = 200  # larger answers are not simplified or evaluated: sent to review
_SIMPLIFY_OPS = 40  # sympy.simplify only below this size (it can be slow)
_SIMPLIFY_NUMBER = 1000  # ... and with no number larger than this in the expression


@dataclass(frozen=True)
class Comparison:
    """The outcome: ok is None when it cannot be decided (the answer goes to review)."""

    ok: bool | None
    note: str  # plain words: "equal to 13 exactly", "expected 23, got 13"


def _fraction(value: object) -> Fraction | None:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return None


def _as_expr(value: sympy.Expr | Fraction | int) -> sympy.Expr:
    frac = _fraction(value)
    return sympy.Rational(frac.numerator, frac.denominator) if frac is not None else value


def _numeric(value: sympy.Expr | Fraction) -> Fraction | None:
    """The value exactly if rational, else its 30-digit approximation; None if not a real number."""
    frac = _fraction(value)
    if frac is not None:
        return frac
    if value.free_symbols or sympy.count_ops(value) > _MAX_OPS:
        return None
    try:
        return _real(value.evalf(DIGITS))
    except (ArithmeticError, TypeError, ValueError):
        return None


def _real(value: sympy.Expr) -> Fraction | None:
    """An evaluated number as an exact Fraction of its digits; None if complex, infinite or
    beyond ±2^MAX_BITS (such values are not compared: the answer goes to review)."""
    re_part, im_part = value.as_real_imag()
    if im_part != 0 or not isinstance(re_part, sympy.Float) or not re_part.is_finite:
        return None
    _, mantissa, exponent, bits = re_part._mpf_
    if mantissa and abs(exponent + bits) > MAX_BITS:
        return None
    return Fraction(str(re_part))


def _exact(got: sympy.Expr, expected: sympy.Expr) -> Comparison:
    """Exact equality: rationals directly, otherwise simplification, then a 30-digit check."""
    g, e = _fraction(got), _fraction(expected)
    if g is not None and e is not None:
        if g == e:
            return Comparison(True, f"equal to {show(e)} exactly")
        return Comparison(False, f"expected {show(e)}, got {show(g)}")
    if got == expected:
        return Comparison(True, f"equal to {show(expected)} exactly")
    gn, en = _numeric(got), _numeric(expected)
    if gn is None or en is None:
        return Comparison(None, f"could not compare {show(got)} with {show(expected)}")
    if abs(gn - en) > Fraction(1, 10**20) * max(1, abs(en)):
        return Comparison(False, f"expected {show(expected)} ≈ {_approx(en)}, got {show(got)}")
    diff = sympy.Add(got, sympy.Mul(-1, expected))
    if _simplifiable(diff) and sympy.simplify(diff) == 0:
        return Comparison(True, f"equal to {show(expected)} exactly")
    return Comparison(None, f"agrees with {show(expected)} to {DIGITS} digits but not proven equal")


def _simplifiable(expr: sympy.Expr) -> bool:
    """Small and tame enough for sympy.simplify, which can run for minutes on large numbers
    (10^(10^5) - x), non-integer powers (y^(21/2)) or symbolic powers (10^max(x, y)).

    A size rule, not a time limit, so that the same answer is always graded the same way.

    >>> x = sympy.Symbol("x")
    >>> _simplifiable(sympy.sin(x) ** 2 + sympy.cos(x) ** 2), _simplifiable(x ** sympy.pi)
    (True, False)
    """
    if sympy.count_ops(expr) > _SIMPLIFY_OPS:
        return False
    if any(_large(r) for r in expr.atoms(sympy.Rational)):
        return False
    for p in expr.atoms(sympy.Pow):
        if not p.exp.is_Rational or abs(p.exp.p) > 12 or p.exp.q > 2:
            return False
    return True


def _large(r: sympy.Rational) -> bool:
    return abs(r.p) > _SIMPLIFY_NUMBER or r.q > _SIMPLIFY_NUMBER
