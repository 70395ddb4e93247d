"""Common-mistake rules (DESIGN 3.4, docs/mistakes.md): what value each rule stands for.

A rule gives partial credit and feedback to a wrong answer that equals the value a known
mistake produces. Three forms, one per rubric key:

- ``value:`` (+ ``expected:``): a fixed value; with ``expected`` it applies only while the
  right answer is that one (in practice: the original exam only);
- ``rule:`` a generic rule the engine derives from the expected answer of any variant:
  ``sign`` (-x), ``off_by_one`` (x + 1 or x - 1), ``factor`` with ``factor: f`` (x*f or x/f),
  ``rounding`` (x rounded to fewer significant figures, or decimal places, than the part's
  comparison accepts; number, arrows and values parts);
- ``family:`` the value the question family computed for this variant (``Solved.mistakes``,
  frozen in key.json), e.g. ``stride-forgotten`` of cnn.field_of_view.

A candidate that the part's own comparison accepts as the right answer is never offered.

Rounding policy (docs/mistakes.md): the candidates are x rounded to s = 1, 2, ... significant
figures (to d = 0, 1, ... decimal places when the part's tolerance is ``decimals:`` without
``sig_figs:``), stopping at the first rounding the part accepts; each is rounded half away
from zero and half to even (they differ only on an exact half), never truncated. The answer
must EQUAL a candidate (exact values: "0,52", "0.520" and "52 %" are all 0.52); the part's
tolerance is not applied around a rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import sympy

from grader.answers import expected_value
from grader.answers.compare import _numeric, _order, show

RULES = ("sign", "off_by_one", "factor", "rounding")
# rule rounding: number, arrows and values parts (an expression has no significant figures)
ROUNDING_KINDS = ("number", "arrows", "values")
MAX_FIGURES = 15  # roundings tried: 1..15 significant figures (an exact 1/3 never ends)
ROUNDING_FEEDBACK = "rounded too early: {value} is {expected} to {figures}; give at least {needed}"
MISTAKE_KEYS = {"id", "value", "points", "feedback", "expected", "rule", "factor", "family"}
# Parts scored one item at a time take generic rules only: a fixed or family value is one
# number, not one per arrow.
ITEM_KINDS = ("arrows", "values")

# (student's value, rule's value) -> True (the same), False or None (undecided)
Same = Callable[[sympy.Expr, sympy.Expr], bool | None]


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer: partial credit and feedback (see the module docstring)."""

    id: str
    value: str | None  # fixed form: exact number or expression, e.g. "3*3*3*2 + 3*5*5*2"
    points: Fraction  # for arrows/values parts: per item
    feedback: str  # may use {expected}, {value} and {difference} (filled per variant)
    expected: str | None = None  # fixed form: applies only when the expected answer is this
    rule: str | None = None  # generic form: one of RULES
    factor: str | None = None  # rule factor: the exact factor, e.g. "2"
    family: str | None = None  # family form: a key of the variant's mistakes


def parse_mistake(data: Mapping[str, Any], kind: str, limit: Fraction,
                  points: Callable[[Any, str], Fraction],
                  error: Callable[[str], Exception]) -> Mistake:
    """Validate one rubric mistake mapping (keys already checked against MISTAKE_KEYS).

    Args:
        data: the mapping, with a string ``id``.
        kind: the part's kind.
        limit: the most a mistake may give (the part's points, or per item).
        points: the loader's points reader (value, what) -> Fraction.
        error: makes the AuthoringError to raise from a message.
    """
    mid = data["id"]
    forms = [k for k in ("value", "rule", "family") if k in data]
    if len(forms) != 1:
        raise error(f"mistake {mid}: value must be given, or instead rule or family "
                    "(exactly one of the three)")
    if kind in ITEM_KINDS and forms != ["rule"]:
        raise error(f"mistake {mid}: an {kind} part takes generic rules only (rule: ...)")
    value, rule, family = data.get("value"), data.get("rule"), data.get("family")
    if "value" in data and (isinstance(value, bool) or not isinstance(value, str | int | float)):
        raise error(f"mistake {mid}: value must be a number or an expression string")
    if "expected" in data and "value" not in data:
        raise error(f"mistake {mid}: expected goes with value only (rules follow the variant)")
    if "rule" in data and rule not in RULES:
        raise error(f"mistake {mid}: rule must be one of {', '.join(RULES)}, not {rule!r}")
    if rule == "rounding" and kind not in ROUNDING_KINDS:
        raise error(f"mistake {mid}: rule rounding needs a number, arrows or values part "
                    f"(not {kind}): only numbers have significant figures")
    if "family" in data and (not isinstance(family, str) or not family):
        raise error(f"mistake {mid}: family must name one of the family's mistakes")
    factor = _factor(data, mid, points, error)
    given = points(data.get("points", 0), f"mistake {mid}: points")
    if given > limit:
        most = f"the {limit} per item" if kind in ITEM_KINDS else f"the part's {limit}"
        raise error(f"mistake {mid}: gives {given}, more than {most}")
    feedback = data.get("feedback", "")
    if not isinstance(feedback, str):
        raise error(f"mistake {mid}: feedback must be text")
    expected = data.get("expected")
    return Mistake(mid, None if value is None else str(value), given, feedback.strip(),
                   None if expected is None else str(expected), rule, factor, family)


def _factor(data: Mapping[str, Any], mid: str, points, error) -> str | None:
    """``factor:`` of a factor rule: an exact number above 0 and not 1."""
    if (data.get("rule") == "factor") != ("factor" in data):
        raise error(f"mistake {mid}: rule factor needs factor: (and only it takes one)")
    if "factor" not in data:
        return None
    factor = points(data["factor"], f"mistake {mid}: factor")
    if factor in (0, 1):
        raise error(f"mistake {mid}: factor must not be 0 or 1")
    return str(factor)


def candidates(mistake: Mistake, expected: sympy.Expr,
               family: Mapping[str, str]) -> tuple[sympy.Expr, ...]:
    """The values a student who makes ``mistake`` may write, for this expected answer.

    >>> x = sympy.Integer(23)
    >>> candidates(Mistake("m", None, Fraction(0), "", rule="off_by_one"), x, {})
    (24, 22)
    >>> candidates(Mistake("m", None, Fraction(0), "", family="stride-forgotten"), x,
    ...            {"stride-forgotten": "13"})
    (13,)
    """
    if mistake.rule == "sign":
        return (-expected,)
    if mistake.rule == "off_by_one":
        return (expected + 1, expected - 1)
    if mistake.rule == "factor":
        factor = sympy.Rational(mistake.factor)
        return (expected * factor, expected / factor)
    if mistake.family is not None:
        value = family.get(mistake.family)
        return () if value is None else (expected_value(value),)
    if mistake.expected is not None and expected_value(mistake.expected) != expected:
        return ()  # a fixed value written for another variant's answer
    return (expected_value(mistake.value),)


class Found(NamedTuple):
    """The rule an answer matched, the rule's value, and extra placeholder values."""

    mistake: Mistake
    value: sympy.Expr
    fills: tuple[tuple[str, str], ...] = ()  # rounding: ("figures", ...), ("needed", ...)


def find_mistake(mistakes: Iterable[Mistake], got: sympy.Expr, expected: sympy.Expr,
                 family: Mapping[str, str], same: Same, *,
                 decimals: bool = False) -> Found | None:
    """The first rule whose value the answer equals, with that value; None if none does.

    A candidate that ``same`` does not tell apart from the expected answer is skipped: a
    mistake must never equal the right answer (e.g. -0, or x + 1 within the tolerance).
    ``decimals``: rounding rules count decimal places instead of significant figures.
    """
    for mistake in mistakes:
        if mistake.rule == "rounding":
            found = rounded_too_early(got, expected, same, decimals=decimals)
            if found is not None:
                value, fills = found
                return Found(mistake, value, fills)
            continue
        for value in candidates(mistake, expected, family):
            if same(value, expected) is False and same(got, value):
                return Found(mistake, value)
    return None


# ---------------------------------------------------------------- rule: rounding


def round_to(x: Fraction, exponent: int, *, half_even: bool = False) -> Fraction:
    """x rounded to a multiple of 10**exponent, half away from zero (or half to even).

    >>> round_to(Fraction(5236, 10000), -2), round_to(Fraction(-125, 1000), -2)
    (Fraction(13, 25), Fraction(-13, 100))
    >>> round_to(Fraction(-125, 1000), -2, half_even=True)
    Fraction(-3, 25)
    """
    unit = Fraction(10) ** exponent
    whole, rest = divmod(abs(x) / unit, 1)
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and (not half_even or whole % 2)):
        whole += 1
    return (-1 if x < 0 else 1) * whole * unit


def roundings(x: Fraction, places: int, *, decimals: bool = False) -> tuple[Fraction, ...]:
    """x to ``places`` significant figures (or decimal places): half away from zero, then
    half to even when that differs (only on an exact half).

    >>> roundings(Fraction(5236, 10000), 2)
    (Fraction(13, 25),)
    >>> roundings(Fraction(125, 1000), 2)
    (Fraction(13, 100), Fraction(3, 25))
    """
    if x == 0:
        return ()
    exponent = -places if decimals else _order(x) - places + 1
    up, even = round_to(x, exponent), round_to(x, exponent, half_even=True)
    return (up,) if up == even else (up, even)


def _count(places: int, decimals: bool) -> str:
    if decimals:
        return "a whole number" if places == 0 else _plural(places, "decimal place")
    return _plural(places, "significant figure")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def decimal_text(x: Fraction) -> str:
    """A terminating Fraction as plain decimal text (no exponent, no trailing zeros).

    >>> decimal_text(Fraction(13, 25)), decimal_text(Fraction(-3, 1000))
    ('0.52', '-0.003')
    >>> decimal_text(Fraction(1200))
    '1200'
    """
    places = 0
    while (x * 10**places).denominator != 1:
        places += 1
    digits = str(abs(x.numerator * 10**places // x.denominator)).rjust(places + 1, "0")
    text = digits if not places else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if x < 0 else "") + text


def rounded_too_early(got: sympy.Expr, expected: sympy.Expr, same: Same, *,
                      decimals: bool = False) -> tuple[sympy.Expr, tuple] | None:
    """(the rounding ``got`` equals, placeholder fills) when ``got`` is ``expected`` rounded to
    fewer significant figures (decimal places) than the part's comparison ``same`` accepts.

    Roundings are tried with 1, 2, ... figures (0, 1, ... places) until one is accepted; the
    answer must equal one of the rejected ones exactly. None for an expected 0, an answer that
    is not a rational number, or one that is no such rounding.
    """
    if not isinstance(got, sympy.Rational | int | Fraction):
        return None
    value = Fraction(int(sympy.Rational(got).p), int(sympy.Rational(got).q))
    center = _numeric(expected)
    if center is None or center == 0 or value == center:
        return None
    hit = None
    first = 0 if decimals else 1
    for places in range(first, first + MAX_FIGURES):
        options = roundings(center, places, decimals=decimals)
        accepted = [same(sympy.Rational(r.numerator, r.denominator), expected) for r in options]
        if any(accepted):
            needed = _count(places, decimals)
            break
        if hit is None and value in options and all(a is False for a in accepted):
            hit = places
    else:
        needed = "the exact value" if value != center else ""
    if hit is None:
        return None
    shown = _shown_expected(expected, center, hit, decimals)
    fills = [("figures", _count(hit, decimals)), ("needed", needed),
             ("value", decimal_text(value)), ("expected", shown)]
    if _terminates(center):
        fills.append(("difference", decimal_text(abs(value - center))))
    return sympy.Rational(value.numerator, value.denominator), tuple(fills)


def _shown_expected(expected: sympy.Expr, center: Fraction, places: int, decimals: bool) -> str:
    """The expected value as decimal text: exact when it ends soon, else with more digits than
    the rounding had ("1/3 ≈ 0.333333", "sqrt(2)/24 ≈ 0.0589256")."""
    if isinstance(expected, sympy.Rational) and _terminates(center):
        exact = decimal_text(center)
        if len(exact) <= 24:
            return exact
    figures = max(6, places + 3)
    exponent = -figures if decimals else _order(center) - figures + 1
    approx = decimal_text(round_to(center, exponent))
    written = show(expected)
    return f"≈{approx}" if written.startswith("≈") else f"{written} ≈ {approx}"


def _terminates(x: Fraction) -> bool:
    q = x.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def feedback_text(mistake: Mistake, expected: sympy.Expr, value: sympy.Expr,
                  fills: Iterable[tuple[str, str]] = ()) -> str:
    """The feedback with ``{expected}``, ``{value}`` and ``{difference}`` filled in.

    Only these three names are replaced (other braces stay as written, e.g. LaTeX); a
    rounding rule also fills ``{figures}`` and ``{needed}``, writes its numbers as decimals
    and has a default text (ROUNDING_FEEDBACK).

    >>> m = Mistake("b", None, Fraction(1), "{expected} weights, not {difference} more")
    >>> feedback_text(m, sympy.Integer(350), sympy.Integer(356))
    '350 weights, not 6 more'
    """
    text = mistake.feedback or (ROUNDING_FEEDBACK if mistake.rule == "rounding" else "")
    for name, shown in fills:
        text = text.replace("{" + name + "}", shown)
    for name, number in (("expected", expected), ("value", value),
                         ("difference", abs(value - expected))):
        text = text.replace("{" + name + "}", str(number))
    return text
