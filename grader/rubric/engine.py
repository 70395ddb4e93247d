"""Score one part of one student's submission against its rubric (dispatch on the part kind).

Scores are Fractions in [0, points]. A blank answer scores 0 with the note "blank"; an
unreadable one scores 0 with the parser's plain note and the flag "unparseable". Every lost
point explains itself in a CriterionResult's feedback or in the PartScore's notes.

Review flags: "unparseable", "ambiguous" (from the parser), "follow-through" (an arrow was
credited from the student's own upstream value), "unknown-arrow", "undecided" (a comparison
could not decide), "long-answer", and "borderline" for text parts: a criterion was credited
through a typo-tolerant match or a purpose-clause reading ("so that it does not explode"), or
lost only because a negation stood before its match or its term was named without the
description the criterion requires. Those are the keyword decisions one word could flip, for
a person to confirm; deny patterns are deliberate and not flagged.

The per-kind scorers live beside this module: grader.rubric.numeric (number, expression),
grader.rubric.arrows (arrows, values, with follow-through), grader.rubric.criteria (text);
grader.rubric.scoring holds what they share. Choice parts are scored here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from grader.model import CriterionResult, PartScore, PartVariant, RawAnswer
from grader.rubric.arrows import _score_items
from grader.rubric.criteria import MAX_TEXT, score_text
from grader.rubric.loader import PartRubric, Rubric, sibling_rubric
from grader.rubric.numeric import _score_value
from grader.rubric.scoring import ZERO, _Ctx, _unreadable, sum_points

__all__ = ["MAX_TEXT", "choice_label", "score_part", "sum_points"]


def score_part(
    rubric: Rubric | None,
    part_rubric: PartRubric,
    variant_part: PartVariant,
    raw: RawAnswer | None,
    *,
    student: str = "",
) -> PartScore:
    """Score one answer to one part.

    Args:
        rubric: the whole rubric (synonyms are already compiled into part_rubric's patterns;
            kept for callers that pass it and for future exam-wide settings).
        part_rubric: the part's rubric.
        variant_part: the part as on the student's paper, with its frozen exact answer.
        raw: the student's answer (text, or arrow id -> text), None when missing.
        student: the student id, copied into the score.
    """
    ctx = _Ctx(part_rubric, variant_part, student)
    if _blank(raw):
        return ctx.score(ZERO, "", notes=("blank",))
    return _SCORERS[part_rubric.kind](ctx, raw)


def _blank(raw: RawAnswer | None) -> bool:
    if type(raw) is str:  # most answers: skips the isinstance(Mapping) ABC check
        return not raw.strip()
    if raw is None:
        return True
    if isinstance(raw, Mapping):
        return all(v is None or not str(v).strip() for v in raw.values())
    return not str(raw).strip()


# ---------------------------------------------------------------- text


def _score_text(ctx: _Ctx, raw: RawAnswer) -> PartScore:
    """Keyword criteria (grader.rubric.criteria), capped at the part's points."""
    if not isinstance(raw, str):
        return _unreadable(ctx, raw, "expected a text answer, not one value per arrow")
    # a pooled part: the criteria of the sibling the paper asked (grader.pools)
    result = score_text(sibling_rubric(ctx.rubric, ctx.variant.params), raw)
    return ctx.score(result.total, raw, result.criteria, result.notes, result.flags)


# ---------------------------------------------------------------- choice

_LABEL_RE = re.compile(r"^[\s(\[]*(.*?)[\s)\].:]*$", re.S)


def choice_label(text: str) -> str:
    """An option label as students write it -> its bare, folded form.

    >>> [choice_label(t) for t in ["(b)", " B. ", "b)", "[C]"]]
    ['b', 'b', 'b', 'c']
    """
    return _LABEL_RE.match(str(text)).group(1).casefold()


def _score_choice(ctx: _Ctx, raw: RawAnswer) -> PartScore:
    if not isinstance(raw, str):
        return _unreadable(ctx, raw, "expected one option")
    expected = choice_label(str(ctx.variant.answer))
    ok = choice_label(raw) == expected
    points = ctx.rubric.points if ok else ZERO
    result = CriterionResult("choice", points, ctx.rubric.points, ok, (choice_label(raw),),
                             "" if ok else f"the right option is {expected}")
    return ctx.score(points, raw, [result])


_SCORERS: dict[str, Callable[[_Ctx, RawAnswer], PartScore]] = {
    "number": _score_value,
    "expression": _score_value,
    "arrows": _score_items,
    "values": _score_items,
    "text": _score_text,
    "choice": _score_choice,
}
