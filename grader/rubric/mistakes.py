"""Common-mistake rules (DESIGN 3.4, docs/mistakes.md): what value each rule stands for.

A rule gives partial credit and feedback to a wrong answer that equals the value a known
mistake produces. Three forms, one per rubric key:

- ``value:`` (+ ``expected:``): a fixed value; with ``expected`` it applies only while the
  right answer is that one (in practice: the original exam only);
- ``rule:`` a generic rule the engine derives from the expected answer of any variant:
  ``sign`` (-x), ``off_by_one`` (x + 1 or x - 1), ``factor`` with ``factor: f`` (x*f or x/f);
- ``family:`` the value the question family computed for this variant (``Solved.mistakes``,
  frozen in key.json), e.g. ``stride-forgotten`` of cnn.field_of_view.

A candidate that the part's own comparison accepts as the right answer is never offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from grader.answers import expected_value

RULES = ("sign", "off_by_one", "factor")
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


def find_mistake(mistakes: Iterable[Mistake], got: sympy.Expr, expected: sympy.Expr,
                 family: Mapping[str, str], same: Same) -> tuple[Mistake, sympy.Expr] | None:
    """The first rule whose value the answer equals, with that value; None if none does.

    A candidate that ``same`` does not tell apart from the expected answer is skipped: a
    mistake must never equal the right answer (e.g. -0, or x + 1 within the tolerance).
    """
    for mistake in mistakes:
        for value in candidates(mistake, expected, family):
            if same(value, expected) is False and same(got, value):
                return mistake, value
    return None


def feedback_text(mistake: Mistake, expected: sympy.Expr, value: sympy.Expr) -> str:
    """The feedback with ``{expected}``, ``{value}`` and ``{difference}`` filled in.

    Only these three names are replaced (other braces stay as written, e.g. LaTeX).

    >>> m = Mistake("b", None, Fraction(1), "{expected} weights, not {difference} more")
    >>> feedback_text(m, sympy.Integer(350), sympy.Integer(356))
    '350 weights, not 6 more'
    """
    text = mistake.feedback
    for name, number in (("expected", expected), ("value", value),
                         ("difference", abs(value - expected))):
        text = text.replace("{" + name + "}", str(number))
    return text
