"""Expression comparison: is the answer the same function of the variables as the key?

Exact steps first (expansion, bounded by size rules), then agreement at seeded random points,
then sympy.simplify only when the points cannot decide. Every step is bounded by a size rule,
not a time limit, so that the same answer is always graded the same way.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from fractions import Fraction

import sympy

from grader.answers.display import _approx, show
from grader.answers.exact import (
    _MAX_OPS,
    DIGITS,
    Comparison,
    _exact,
    _large,
    _numeric,
    _real,
    _simplifiable,
)
from grader.answers.parse import expected_value, symbol

_POINTS = 8  # random points that must agree
_TRIES = 40  # points tried (some fall outside the domain: log of a negative, ...)


def _by_name(expr: sympy.Expr) -> sympy.Expr:
    """Replace every symbol by the parser's real symbol of the same name."""
    return expr.xreplace({s: symbol(s.name) for s in expr.free_symbols})


def compare_expression(
    got: sympy.Expr, expected: sympy.Expr | str, *, symbols: Iterable[str] = (), seed: int = 0
) -> Comparison:
    """Compare expressions: exact simplification first (bounded), then seeded random points.

    Symbols are matched by name. Agreement at 8 seeded random points (to about 20 digits) counts
    as equal; ok is None when too few points can be evaluated and simplification cannot decide.

    >>> x = symbol("x")
    >>> compare_expression((x + 1) ** 2, "x^2 + 2*x + 1", symbols=["x"]).ok
    True
    >>> compare_expression(x + 1, "x + 2", symbols=["x"]).note
    'differs from the expected answer by -1'
    """
    exp_value = _by_name(expected_value(expected) if isinstance(expected, str) else expected)
    got = _by_name(got)
    allowed = set(symbols) | {s.name for s in exp_value.free_symbols}
    extra = sorted(s.name for s in got.free_symbols if s.name not in allowed)
    if extra:
        return Comparison(False, f"uses {', '.join(extra)}, which the expected answer does not")
    if not got.free_symbols and not exp_value.free_symbols:
        return _exact(got, exp_value)
    if got == exp_value:
        return Comparison(True, "equal to the expected answer exactly")
    diff = sympy.Add(got, sympy.Mul(-1, exp_value))
    ops = sympy.count_ops(diff)
    if ops > _MAX_OPS:
        return Comparison(None, "too large to compare automatically")
    # Cheap exact step first; random points next (they settle most wrong answers quickly);
    # sympy.simplify, which can take seconds, only when the points could not decide.
    if _max_power(diff) <= 12 and _small_exponents(diff):
        decided = _decide(sympy.expand(diff), "equal to the expected answer (expanded)")
        if decided is not None:
            return decided
    result = _random_points(got, exp_value, sorted(allowed), seed)
    if result.ok is None and _simplifiable(diff):
        return _decide(sympy.simplify(diff), "equal to the expected answer (simplified)") or result
    return result


def _decide(diff: sympy.Expr, equal_note: str) -> Comparison | None:
    """Equal if diff is 0, unequal if it is a nonzero constant, else None (undecided)."""
    if diff == 0:
        return Comparison(True, equal_note)
    gap = _numeric(diff) if diff.is_number else None
    if gap is not None and gap != 0:  # a constant difference: certainly not equal
        return Comparison(False, f"differs from the expected answer by {show(diff)}")
    return None


def _small_exponents(expr: sympy.Expr) -> bool:
    """No number above 1000 in any power's exponent: expanding (1/2)^(x + 10^10) would compute
    2^(10^10).

    >>> x = sympy.Symbol("x")
    >>> _small_exponents(2 ** (x + 3)), _small_exponents(2 ** (x + 10**10))
    (True, False)
    """
    return not any(_large(r) for p in expr.atoms(sympy.Pow) for r in p.exp.atoms(sympy.Rational))


def _max_power(expr: sympy.Expr) -> int:
    """The largest integer power of a sum in expr (expanding (x+1)^1000 would be slow)."""
    powers = [abs(int(p.exp)) for p in expr.atoms(sympy.Pow) if p.exp.is_Integer and p.base.is_Add]
    return max(powers, default=0)


def _random_points(got: sympy.Expr, expected: sympy.Expr, names: list[str], seed: int):
    """Evaluate both at seeded random points; all must agree to about 20 digits."""
    rng = random.Random(seed)
    agreed = 0
    for _ in range(_TRIES):
        point = {symbol(n): sympy.Rational(rng.randint(-300, 300), 100) for n in names}
        g, e = _at(got, point), _at(expected, point)
        if g is None or e is None:
            continue
        if abs(g - e) > Fraction(1, 10**20) * max(1, abs(e)):
            where = ", ".join(f"{n} = {show(point[symbol(n)])}" for n in names)
            return Comparison(
                False,
                f"differs from the expected answer at {where}"
                f" (expected {_approx(e)}, got {_approx(g)})",
            )
        agreed += 1
        if agreed == _POINTS:
            return Comparison(True, f"agrees with the expected answer at {_POINTS} random points")
    return Comparison(None, "could not evaluate the answer at enough points to compare it")


def _at(expr: sympy.Expr, point: dict) -> Fraction | None:
    """The value at `point`, evaluated in floating point with DIGITS digits (never exactly: an
    exact x^1000000 at x = 297/100 would be a 17-million-bit rational). A point where a
    sub-expression is astronomically large is skipped: evalf of sin(10^(10^4)) runs for ages."""
    try:
        _rough(expr, point)
        return _real(expr.evalf(DIGITS, subs=point))
    except (ArithmeticError, TypeError, ValueError):
        return None


_ROUGH_LIMIT = 1e6  # largest argument of exp/sin/cos/tan... worth evaluating precisely
_ROUGH = {"exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos, "tan": math.tan,
          "tanh": math.tanh, "sqrt": math.sqrt, "Abs": abs, "Max": max, "Min": min}


def _rough(expr: sympy.Expr, point: dict) -> float:
    """A float estimate of expr at point; raises OverflowError where evalf would not finish."""
    if expr.is_Number:
        return float(expr)
    if expr.is_Symbol:
        return float(point.get(expr, 1))
    args = [_rough(a, point) for a in expr.args]
    if isinstance(expr, sympy.Add):
        value = math.fsum(args)
    elif isinstance(expr, sympy.Mul):
        value = math.prod(args)
    elif isinstance(expr, sympy.Pow):
        value = abs(args[0]) ** args[1] if args[0] else 0.0
    else:
        if any(abs(a) > _ROUGH_LIMIT for a in args):
            raise OverflowError("argument too large to evaluate")
        rough = _ROUGH.get(type(expr).__name__)
        value = rough(*args) if rough is not None else 1.0
    if not math.isfinite(value) or abs(value) > 1e300:
        raise OverflowError("value too large to evaluate")
    return value
