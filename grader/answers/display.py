"""How values are written in notes: '-3.5', '1/3', 'exp(2)', '≈1e+100'.

Every comparison note shows the expected value and the answer the way a teacher writes them;
rubric feedback (grader.rubric.mistakes) uses the same text. Kept apart from the comparisons so
that the wording of values is decided in one place.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy


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


def _ratio(value: object) -> tuple[int, int] | None:
    """(numerator, denominator) of a rational (SymPy, Fraction or int), in lowest terms."""
    if isinstance(value, sympy.Rational):
        return int(value.p), int(value.q)
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, int):
        return int(value), 1  # int(): a bool is shown as 1, not True
    return None
