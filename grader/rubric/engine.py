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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import NamedTuple

import sympy

from grader.answers import (
    compare_expression,
    compare_number,
    expected_value,
    parse_expression,
    parse_number,
)
from grader.errors import AnswerError
from grader.model import CriterionResult, PartScore, PartVariant, RawAnswer
from grader.rubric.criteria import MAX_TEXT, score_text
from grader.rubric.loader import PartRubric, Rubric, sibling_rubric
from grader.rubric.mistakes import feedback_text, find_mistake
from grader.solver.graph import GraphSolution, graph_from_mapping, local_derivative, solve_graph

ZERO = Fraction(0)
GRAPH_KEYS = ("inputs", "nodes", "output")
__all__ = ["MAX_TEXT", "choice_label", "score_part", "sum_points"]


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


def _as_text(raw: RawAnswer) -> str:
    if isinstance(raw, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in raw.items())
    return str(raw)


def _unreadable(ctx: _Ctx, raw: RawAnswer, note: str) -> PartScore:
    return ctx.score(ZERO, _as_text(raw), notes=(note,), flags=("unparseable",))


# ---------------------------------------------------------------- number / expression


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


_COMPARED: dict[tuple, object] = {}


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
        if len(_COMPARED) > 8192:
            _COMPARED.clear()
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


# ---------------------------------------------------------------- arrows

_SOLUTIONS: dict[int, tuple[PartVariant, GraphSolution]] = {}


def _solution(variant: PartVariant) -> GraphSolution:
    """The solved graph of a variant part (cached: a batch grades one variant many times)."""
    cached = _SOLUTIONS.get(id(variant))
    if cached is None or cached[0] is not variant:
        if len(_SOLUTIONS) > 256:
            _SOLUTIONS.clear()
        # Only the DESIGN 3.1 graph keys: a family may keep drawing options beside them
        # (e.g. backprop's zero_arrows), which are not part of the graph.
        graph = {k: variant.params[k] for k in GRAPH_KEYS if k in variant.params}
        cached = (variant, solve_graph(graph_from_mapping(graph)))
        _SOLUTIONS[id(variant)] = cached
    return cached[1]


def _score_items(ctx: _Ctx, raw: RawAnswer) -> PartScore:
    """arrows and values parts: one criterion per arrow (or named value): right, right by
    follow-through (arrows only), blank, unreadable or wrong."""
    expected: Mapping[str, str] = ctx.variant.answer  # type: ignore[assignment]
    item = "arrow" if ctx.rubric.kind == "arrows" else "value"
    if not isinstance(raw, Mapping):
        example = ", ".join(f"{k}: ..." for k in list(expected)[:2])
        return _unreadable(ctx, raw, f"expected one answer per {item} ({example})")
    notes, flags = [], []
    unknown = sorted(str(k) for k in raw if k not in expected)
    if unknown:
        notes.append(f"unknown {item} id {', '.join(unknown)} (not graded)")
        flags.append(f"unknown-{item}")
    memo = _items_memo(ctx)
    readings = [memo.reading(ctx, aid, raw.get(aid)) for aid in expected]
    for reading in readings:
        notes.extend(reading.notes)
        flags.extend(reading.flags)
    results = [memo.followed(ctx, aid, reading, raw) if reading.result is None else reading.result
               for aid, reading in zip(expected, readings, strict=True)]
    for r in results:
        if r.met and r.feedback.startswith("follow-through"):
            notes.append(f"{r.id}: {r.feedback}")
            flags.append("follow-through")
    return ctx.score(sum_points(r.points for r in results), _as_text(raw), results, notes, flags)


class _Reading(NamedTuple):
    """One arrow (or named value) as read and compared on its own."""

    value: sympy.Expr | None  # None: blank or unreadable
    notes: tuple[str, ...]  # the parser's notes, "a2: read '-10,5' as ..."
    flags: tuple[str, ...]
    result: CriterionResult | None  # None: wrong, but follow-through may still credit it


class _ItemsMemo:
    """The arrows (named values) of one part on one variant, each scored once per text.

    A class writes the same few values on each arrow, but rarely the same whole set (2,000
    reference students: 1,580 distinct sets of 9 arrows, 66 distinct (arrow, text) pairs). The
    sets cost ~250 us each in SymPy comparisons, mistake rules and follow-through; scored per
    arrow they cost a few dict look-ups. An arrow's criterion depends only on its own text,
    except a wrong one under follow-through, which also depends on the texts of the arrows
    leaving its target (the student's gradient there): those are part of its key.
    """

    LIMIT = 4_096  # entries per dict before it is emptied (a part with odd answers)

    def __init__(self) -> None:
        self.readings: dict[tuple[str, str | None], _Reading] = {}
        self.scored: dict[tuple, CriterionResult] = {}
        self.outgoing: dict[str, tuple[str, ...]] = {}

    def reading(self, ctx: _Ctx, aid: str, text) -> _Reading:
        key = (aid, None if text is None else str(text))
        found = self.readings.get(key)
        if found is None:
            if len(self.readings) >= self.LIMIT:
                self.readings.clear()
            found = self.readings[key] = _read_item(ctx, aid, key[1])
        return found

    def followed(self, ctx: _Ctx, aid: str, reading: _Reading,
                 raw: Mapping[str, str]) -> CriterionResult:
        """The criterion of a wrong arrow under follow-through (its reading has no result)."""
        outgoing = self.outgoing.get(aid)
        if outgoing is None:
            outgoing = self.outgoing[aid] = _outgoing(_solution(ctx.variant), aid)
        texts = tuple(raw.get(o) for o in outgoing)
        key = (aid, str(raw.get(aid)), tuple(None if t is None else str(t) for t in texts))
        found = self.scored.get(key)
        if found is None:
            values = {aid: reading.value}
            for o, text in zip(outgoing, texts, strict=True):
                value = self.reading(ctx, o, text).value
                if value is not None:
                    values[o] = value
            if len(self.scored) >= self.LIMIT:
                self.scored.clear()
            found = self.scored[key] = _wrong_arrow(ctx, aid, reading.value, values,
                                                    key[1].strip())
        return found


_ITEMS_MEMOS: dict[tuple[int, int], tuple[PartRubric, PartVariant, _ItemsMemo]] = {}


def _items_memo(ctx: _Ctx) -> _ItemsMemo:
    """The memo of ctx's (part rubric, variant part) pair (kept alive with it: ids stay theirs)."""
    key = (id(ctx.rubric), id(ctx.variant))
    found = _ITEMS_MEMOS.get(key)
    if found is None or found[0] is not ctx.rubric or found[1] is not ctx.variant:
        if len(_ITEMS_MEMOS) >= 256:
            _ITEMS_MEMOS.clear()
        found = _ITEMS_MEMOS[key] = (ctx.rubric, ctx.variant, _ItemsMemo())
    return found[2]


def _outgoing(sol: GraphSolution, aid: str) -> tuple[str, ...]:
    """The arrows leaving the target of arrow `aid` (none when it enters the output)."""
    arrow = next(a for a in sol.arrows if a.id == aid)
    if arrow.target == sol.graph.output:
        return ()
    return tuple(a.id for a in sol.arrows if a.source == arrow.target)


def _read_item(ctx: _Ctx, aid: str, text: str | None) -> _Reading:
    """Read and compare one arrow's text; a wrong value under follow-through stays open."""
    pr = ctx.rubric
    per = pr.per_item or ZERO
    if text is None or not text.strip():
        return _Reading(None, (), (), CriterionResult(aid, ZERO, per, False, feedback="blank"))
    try:
        parsed = parse_number(text)
    except AnswerError as exc:
        return _Reading(None, (), ("unparseable",),
                        CriterionResult(aid, ZERO, per, False, feedback=exc.message))
    got = parsed.value
    notes = tuple(f"{aid}: {n}" for n in parsed.notes)
    shown = (text.strip(),)  # as the student wrote it ("-10,5", not -21/2)
    cmp = _compare_number(pr, got, expected_value(ctx.variant.answer[aid]))
    if cmp.ok:
        result = CriterionResult(aid, per, per, True, shown)
    elif pr.follow_through:
        result = None  # depends on the student's values downstream: _ItemsMemo.followed
    else:
        result = _wrong_arrow(ctx, aid, got, {}, shown[0])
    return _Reading(got, notes, tuple(parsed.flags), result)


def _wrong_arrow(ctx: _Ctx, aid: str, got: sympy.Expr, values: Mapping[str, sympy.Expr],
                 shown_text: str) -> CriterionResult:
    """A value that is not the key's: follow-through credit, a mistake rule's, or nothing.

    `values` holds the student's readable values of the arrow and of those leaving its
    target (follow-through only).
    """
    pr = ctx.rubric
    shown = (shown_text,)
    per = pr.per_item or ZERO
    cmp = _compare_number(pr, got, expected_value(ctx.variant.answer[aid]))
    if pr.follow_through:
        found = _follow_through(_solution(ctx.variant), aid, values)
        if found is not None:
            ft_value, upstream = found
            if _compare_number(pr, got, ft_value).ok:
                return CriterionResult(aid, per * pr.follow_through_credit, per, True, shown,
                                       f"follow-through from your {upstream}")
    if pr.mistakes:  # generic rules only (the loader checks): a sign error on this arrow, ...
        points, feedback = _mistake(pr, got, ctx.variant.answer[aid])
        if feedback or points:
            return CriterionResult(aid, points, per, False, shown, feedback or cmp.note)
    return CriterionResult(aid, ZERO, per, False, shown, cmp.note)


def _follow_through(sol: GraphSolution, aid: str, values: Mapping[str, sympy.Expr]):
    """What a correct local step gives from the student's own gradient at the arrow's target.

    The student's gradient at a node is the sum of their values on its outgoing arrows (all
    answered and readable), or 1 at the output. Returns (value, "a7" or "a5 + a6"), or None
    when it cannot be formed or equals the correct gradient (then nothing is followed).
    """
    arrow = next(a for a in sol.arrows if a.id == aid)
    graph = sol.graph
    if arrow.target == graph.output:
        return None
    outgoing = [a.id for a in sol.arrows if a.source == arrow.target]
    if not outgoing or any(o not in values for o in outgoing):
        return None
    # A class gives the same few values: the SymPy work below is done once per distinct set.
    key = (id(sol), aid, tuple((type(values[o]), values[o]) for o in outgoing))
    known = _FOLLOWED.get(key)
    if known is not None and known[0] is sol:  # the same solution, not a reused id
        return known[1]
    if len(_FOLLOWED) > 4096:
        _FOLLOWED.clear()
    found = _FOLLOWED[key] = (sol, _followed(sol, arrow, outgoing, values))
    return found[1]


_FOLLOWED: dict[tuple, tuple[GraphSolution, object]] = {}


def _followed(sol: GraphSolution, arrow, outgoing: list[str],
              values: Mapping[str, sympy.Expr]):
    """_follow_through's SymPy work for one set of the student's outgoing values."""
    graph = sol.graph
    student_grad = sum((values[o] for o in outgoing), sympy.Integer(0))
    if sympy.simplify(student_grad - sol.gradients[arrow.target]) == 0:
        return None
    node = next(n for n in graph.nodes if n.id == arrow.target)
    local = local_derivative(node, [sol.forward[i] for i in node.inputs], arrow.slot)
    label = " + ".join(outgoing)
    return student_grad * local, f"{label} = {student_grad}"


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
