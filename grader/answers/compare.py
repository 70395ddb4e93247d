"""Comparison of a parsed answer with the expected exact value: exact first, then tolerances."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from grader.answers.arith import MAX_BITS
from grader.answers.parse import expected_value, symbol

DIGITS = 30  # precision of numeric evaluation (tolerances and random points)
_MAX_OPS = 200  # larger answers are not simplified or evaluated: sent to review
_SIMPLIFY_OPS = 40  # sympy.simplify only below this size (it can be slow)
_SIMPLIFY_NUMBER = 1000  # ... and with no number larger than this in the expression
_POINTS = 8  # random points that must agree
_TRIES = 40  # points tried (some fall outside the domain: log of a negative, ...)


@dataclass(frozen=True)
class Comparison:
    """The outcome: ok is None when it cannot be decided (the answer goes to review)."""

    ok: bool | None
    note: str  # plain words: "equal to 13 exactly", "expected 23, got 13"


def show(value: sympy.Expr | Fraction) -> str:
    """A value as a teacher writes it: '-3.5', '1/3', 'exp(2)'.

    >>> show(sympy.Rational(-7, 2)), show(sympy.Rational(1, 3)), show(sympy.exp(2))
    ('-3.5', '1/3', 'exp(2)')
    >>> show(sympy.Integer(10) ** 100)
    '≈1e+100'

    """
    pq = _ratio(value)
    if pq is None:
        return sympy.sstr(value)
    exact = _decimal(*pq)
    text = exact if exact is not None else f"{pq[0]}/{pq[1]}"
    if len(text) <= 30:
        return text
    return "≈" + _approx(Fraction(*pq))  # a note, not a proof: keep it short


def _decimal(p: int, q: int) -> str | None:
    """Exact decimal text of p/q (in lowest terms, q > 0) with at most 8 decimals, else None.

    >>> _decimal(-7, 2), _decimal(1, 3), _decimal(5, 1), _decimal(1, 2**9)
    ('-3.5', None, '5', None)
    """
    if q == 1:
        return str(p)
    # In lowest terms, p/q ends after k decimals iff q is 2^a 5^b, and then k = max(a, b).
    twos = (q & -q).bit_length() - 1
    rest = q >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    places = max(twos, fives)
    if rest != 1 or places > 8:
        return None
    scaled = p * 10**places // q
    sign, digits = ("-", str(-scaled)) if scaled < 0 else ("", str(scaled))
    digits = digits.rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _approx(value: Fraction) -> str:
    """Six significant digits for a note, even for numbers too large for a float."""
    try:
        return f"{float(value):.6g}"
    except OverflowError:
        return mpmath.nstr(mpmath.mpf(value.numerator) / value.denominator, 6)


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


def _tolerance(t: Fraction | float | int, what: str) -> Fraction:
    """A tolerance as an exact Fraction: 0.01 is 1/100 (read from its decimal text)."""
    frac = Fraction(str(t)) if isinstance(t, float) else Fraction(t)
    if frac < 0:
        raise ValueError(f"{what} must not be negative")
    return frac


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


def _ratio(value: object) -> tuple[int, int] | None:
    """(numerator, denominator) of a rational (SymPy, Fraction or int), in lowest terms."""
    if isinstance(value, sympy.Rational):
        return int(value.p), int(value.q)
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, int):
        return int(value), 1  # int(): a bool is shown as 1, not True
    return None


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


def _small_exponents(expr: sympy.Expr) -> bool:
    """No number above 1000 in any power's exponent: expanding (1/2)^(x + 10^10) would compute
    2^(10^10).

    >>> x = sympy.Symbol("x")
    >>> _small_exponents(2 ** (x + 3)), _small_exponents(2 ** (x + 10**10))
    (True, False)
    """
    return not any(_large(r) for p in expr.atoms(sympy.Pow) for r in p.exp.atoms(sympy.Rational))


def _large(r: sympy.Rational) -> bool:
    return abs(r.p) > _SIMPLIFY_NUMBER or r.q > _SIMPLIFY_NUMBER


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
