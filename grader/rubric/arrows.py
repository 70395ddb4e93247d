"""Score arrows and values parts: one criterion per arrow (or named value).

An arrow is right, right by follow-through (credited from the student's own upstream
gradient, arrows parts only), blank, unreadable or wrong (perhaps a common-mistake rule's).
Each arrow is scored once per (part, variant, text) through _ItemsMemo: a class writes the
same few values on each arrow, but rarely the same whole set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import sympy

from grader.answers import expected_value, parse_number
from grader.bounded import BoundedDict
from grader.errors import AnswerError
from grader.model import CriterionResult, PartScore, PartVariant, RawAnswer
from grader.rubric.loader import PartRubric
from grader.rubric.numeric import _compare_number, _mistake
from grader.rubric.scoring import ZERO, _as_text, _Ctx, _unreadable, sum_points
from grader.solver.graph import GraphSolution, graph_from_mapping, local_derivative, solve_graph

GRAPH_KEYS = ("inputs", "nodes", "output")

_SOLUTIONS: BoundedDict = BoundedDict(256)  # id(variant part) -> its solved graph


def _solution(variant: PartVariant) -> GraphSolution:
    """The solved graph of a variant part (cached: a batch grades one variant many times)."""
    return _SOLUTIONS.by_identity(variant, _solve)


def _solve(variant: PartVariant) -> GraphSolution:
    # Only the DESIGN 3.1 graph keys: a family may keep drawing options beside them
    # (e.g. backprop's zero_arrows), which are not part of the graph.
    graph = {k: variant.params[k] for k in GRAPH_KEYS if k in variant.params}
    return solve_graph(graph_from_mapping(graph))


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
        self.readings: dict[tuple[str, str | None], _Reading] = BoundedDict(self.LIMIT)
        self.scored: dict[tuple, CriterionResult] = BoundedDict(self.LIMIT)
        self.outgoing: dict[str, tuple[str, ...]] = {}

    def reading(self, ctx: _Ctx, aid: str, text) -> _Reading:
        key = (aid, None if text is None else str(text))
        found = self.readings.get(key)
        if found is None:
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
            found = self.scored[key] = _wrong_arrow(ctx, aid, reading.value, values,
                                                    key[1].strip())
        return found


_ITEMS_MEMOS: dict[tuple[int, int], tuple[PartRubric, PartVariant, _ItemsMemo]] = BoundedDict(256)


def _items_memo(ctx: _Ctx) -> _ItemsMemo:
    """The memo of ctx's (part rubric, variant part) pair (kept alive with it: ids stay theirs)."""
    key = (id(ctx.rubric), id(ctx.variant))
    found = _ITEMS_MEMOS.get(key)
    if found is None or found[0] is not ctx.rubric or found[1] is not ctx.variant:
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
    found = _FOLLOWED[key] = (sol, _followed(sol, arrow, outgoing, values))
    return found[1]


_FOLLOWED: dict[tuple, tuple[GraphSolution, object]] = BoundedDict(4096)


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
