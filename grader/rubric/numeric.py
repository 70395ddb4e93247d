"""Score number and expression parts: parse the answer, compare it with the variant's exact
answer (exactly or within the part's tolerance), else credit a common-mistake rule.

The comparison and mistake helpers are shared with grader.rubric.arrows, which compares each
arrow's value the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import sympy

from grader.answers import (
    compare_expression,
    compare_number,
    expected_value,
    parse_expression,
    parse_number,
)
from grader.bounded import BoundedDict
from grader.errors import AnswerError
from grader.model import CriterionResult, PartScore, RawAnswer
from grader.rubric.loader import PartRubric
from grader.rubric.mistakes import feedback_text, find_mistake
from grader.rubric.scoring import ZERO, _Ctx, _unreadable


def _score_value(ctx: _Ctx, raw: RawAnswer) -> PartScore:
    """number and expression parts: parse, compare exactly or within tolerance, mistakes."""
    pr = ctx.rubric
    if not isinstance(raw, str):
        return _unreadable(ctx, raw, "expected one answer, not one per arrow")
    try:
        if pr.kind == "number":
            parsed = parse_number(raw, allow_percent=pr.allow_percent)
        else:
            parsed = parse_expression(raw, symbols=pr.symbols)
    except AnswerError as exc:
        return _unreadable(ctx, raw, exc.message)
    cmp = _compare(pr, parsed.value, expected_value(str(ctx.variant.answer)))
    flags = list(parsed.flags)
    if cmp.ok:
        result = CriterionResult("value", pr.points, pr.points, True, (parsed.normalized,))
        return ctx.score(pr.points, raw, [result], (*parsed.notes, cmp.note), flags)
    if cmp.ok is None:
        flags.append("undecided")
    points, feedback = _mistake(pr, parsed.value, str(ctx.variant.answer), ctx.variant.mistakes)
    result = CriterionResult("value", points, pr.points, False, (parsed.normalized,),
                             feedback or cmp.note)
    return ctx.score(points, raw, [result], (*parsed.notes, cmp.note), flags)


def _compare(pr: PartRubric, got: sympy.Expr, expected: sympy.Expr):
    if pr.kind == "expression":
        return compare_expression(got, expected, symbols=pr.symbols)
    return _compare_number(pr, got, expected)


_COMPARED: dict[tuple, object] = BoundedDict(8192)


def _compare_number(pr: PartRubric, got: sympy.Expr, expected: sympy.Expr):
    """compare_number with the part's options; two rationals are compared once per process
    (a class gives the same few numbers: each arrow, mistake and follow-through value is met
    again and again). Keys carry types: 0.5 and 1/2 are equal options, not the same."""
    if not (isinstance(got, sympy.Rational) and isinstance(expected, sympy.Rational)):
        return compare_number(got, expected, exact=pr.exact, rtol=pr.rtol, atol=pr.atol,
                              sig_figs=pr.sig_figs, decimals=pr.decimals)
    key = (type(got), got, type(expected), expected, pr.exact, type(pr.rtol), pr.rtol,
           type(pr.atol), pr.atol, pr.sig_figs, pr.decimals)
    found = _COMPARED.get(key)
    if found is None:
        found = _COMPARED[key] = compare_number(got, expected, exact=pr.exact, rtol=pr.rtol,
                                                atol=pr.atol, sig_figs=pr.sig_figs,
                                                decimals=pr.decimals)
    return found


def _mistake(pr: PartRubric, got: sympy.Expr, expected: str,
             family: Mapping[str, str] | None = None) -> tuple[Fraction, str]:
    """Points and feedback of the first common-mistake rule the answer equals.

    ``family`` holds the variant's family-computed mistake values (PartVariant.mistakes).
    """
    if not pr.mistakes:
        return ZERO, ""
    target = expected_value(expected)
    # rule rounding counts decimal places when the tolerance is given in them
    by_places = pr.decimals is not None and pr.sig_figs is None
    found = find_mistake(pr.mistakes, got, target, family or {},
                         lambda a, b: _compare(pr, a, b).ok, decimals=by_places)
    if found is None:
        return ZERO, ""
    return found.mistake.points, feedback_text(found.mistake, target, found.value, found.fills)
