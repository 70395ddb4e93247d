"""Number comparison: exact equality, or any of the tolerances rtol, atol, sig_figs, decimals.

compare_number is the entry point (re-exported by grader.answers.compare). Tolerances are
exact Fractions and bounds are compared in integers, so that a grade never depends on float
rounding; grader.export.common reuses _absolute to write the same margins into LMS files.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import sympy

from grader.answers.display import _ratio, show
from grader.answers.exact import Comparison, _as_expr, _exact, _numeric
from grader.answers.parse import expected_value


def _tolerance(t: Fraction | float | int, what: str) -> Fraction:
    """A tolerance as an exact Fraction: 0.01 is 1/100 (read from its decimal text)."""
    frac = Fraction(str(t)) if isinstance(t, float) else Fraction(t)
    if frac < 0:
        raise ValueError(f"{what} must not be negative")
    return frac


def _order(x: Fraction) -> int:
    """floor(log10(|x|)) exactly, for x != 0.

    >>> _order(Fraction(523, 1000)), _order(Fraction(23)), _order(Fraction(100))
    (-1, 1, 2)
    """
    x = abs(x)
    k = len(str(x.numerator)) - len(str(x.denominator))
    while Fraction(10) ** k > x:
        k -= 1
    while Fraction(10) ** (k + 1) <= x:
        k += 1
    return k


def compare_number(
    got: sympy.Expr,
    expected: sympy.Expr | str,
    *,
    exact: bool = False,
    rtol: Fraction | float | None = None,
    atol: Fraction | float | None = None,
    sig_figs: int | None = None,
    decimals: int | None = None,
) -> Comparison:
    """Compare a number answer with the expected value.

    With no tolerance (or exact=True) the values must be exactly equal. Otherwise the answer
    passes if ANY given tolerance holds: |got - expected| <= rtol*|expected|, <= atol, within half
    a unit of the sig_figs-th significant figure of expected, or of the decimals-th decimal place.

    Args:
        got: the parsed answer (a SymPy number).
        expected: the exact expected value, or its text (read with expected_value).
        exact: require exact equality even if tolerances are given.
        rtol, atol: relative and absolute tolerances (floats are read as decimals: 0.01 is 1/100).
        sig_figs, decimals: significant figures or decimal places the answer must agree to.

    >>> compare_number(sympy.Integer(13), "13").note
    'equal to 13 exactly'
    >>> compare_number(sympy.Rational(-35, 10), "-3.52", rtol=0.01).note
    'within 1% of -3.52 (relative tolerance)'
    """
    exp_value = expected_value(expected) if isinstance(expected, str) else expected
    exact = exact or (rtol is None and atol is None and sig_figs is None and decimals is None)
    if exact and isinstance(got, sympy.Rational) and isinstance(exp_value, sympy.Rational):
        if got == exp_value:  # the most common case, kept fastest
            return Comparison(True, f"equal to {show(exp_value)} exactly")
        return Comparison(False, f"expected {show(exp_value)}, got {show(got)}")
    g, e = _ratio(got), _ratio(exp_value)
    if g is not None and e is not None:  # two rationals, the common case: kept fast
        checks = _tolerances(rtol, atol, sig_figs, decimals)  # the options are checked
        if exact or g == e:
            if g == e:
                return Comparison(True, f"equal to {show(exp_value)} exactly")
            return Comparison(False, f"expected {show(exp_value)}, got {show(got)}")
        return _within(g, e, checks, got, exp_value)
    if isinstance(got, sympy.Basic) and got.free_symbols:
        return Comparison(False, f"expected a number, got an expression: {show(got)}")
    if isinstance(exp_value, sympy.Basic) and exp_value.free_symbols:
        raise ValueError(f"the expected value {exp_value} is not a number")
    checks = _tolerances(rtol, atol, sig_figs, decimals)
    if exact or got == exp_value:
        return _exact(_as_expr(got), _as_expr(exp_value))
    g, e = _numeric(got), _numeric(exp_value)
    if g is None or e is None:
        return Comparison(None, f"could not compare {show(got)} with {show(exp_value)}")
    pair = (g.numerator, g.denominator), (e.numerator, e.denominator)
    return _within(*pair, checks, got, exp_value)


def _within(
    g: tuple[int, int],
    e: tuple[int, int],
    checks: tuple[tuple[str, Fraction, str], ...],
    got: sympy.Expr | Fraction,
    expected: sympy.Expr | Fraction,
) -> Comparison:
    """Does g = p/q pass any of the tolerance `checks` around e? (got, expected: for the notes)

    Bounds are compared in integers: |g - e| <= a/b  iff  |gp*eq - ep*gq| * b <= a * gq*eq.
    """
    (gp, gq), (ep, eq) = g, e
    gap, scale = abs(gp * eq - ep * gq), gq * eq
    for kind, amount, text in checks:
        if kind == "rtol":
            num, den = amount.numerator * abs(ep), amount.denominator * eq
        else:
            bound = _absolute(kind, amount, Fraction(ep, eq))
            if bound is None:
                continue
            num, den = bound.numerator, bound.denominator
        if gap * den <= num * scale:
            return Comparison(True, text.format(e=show(expected)))
    allowed = "; ".join(text.format(e="it") for _, _, text in checks)
    return Comparison(False, f"expected {show(expected)}, got {show(got)} (allowed: {allowed})")


@functools.lru_cache(maxsize=256)  # a rubric has a few tolerances, used for every answer
def _tolerances(rtol, atol, sig_figs, decimals) -> tuple[tuple[str, Fraction, str], ...]:
    """(kind, amount, note template) for each tolerance given."""
    checks = []
    if rtol is not None:
        r = _tolerance(rtol, "rtol")
        checks.append(("rtol", r, f"within {show(r * 100)}% of {{e}} (relative tolerance)"))
    if atol is not None:
        a = _tolerance(atol, "atol")
        checks.append(("atol", a, f"within {show(a)} of {{e}} (absolute tolerance)"))
    if sig_figs is not None:
        if sig_figs < 1:
            raise ValueError("sig_figs must be at least 1")
        checks.append(
            ("sig", Fraction(sig_figs), f"agrees with {{e}} to {sig_figs} significant figures")
        )
    if decimals is not None:
        checks.append(
            ("dec", Fraction(decimals), f"agrees with {{e}} to {decimals} decimal places")
        )
    return tuple(checks)


def _absolute(kind: str, amount: Fraction, expected: Fraction) -> Fraction | None:
    """The absolute bound for kind 'atol', 'sig' (n significant figures) or 'dec' (n places)."""
    if kind == "atol":
        return amount
    if kind == "dec":
        return Fraction(1, 2) * Fraction(10) ** -int(amount)
    if expected == 0:
        return None  # significant figures of 0 are undefined: only exact 0 passes (via atol 0)
    return Fraction(1, 2) * Fraction(10) ** (_order(expected) - int(amount) + 1)
