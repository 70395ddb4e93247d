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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
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
from grader.rubric.loader import Criterion, PartRubric, Rubric, criteria_patterns
from grader.rubric.matcher import Doc, Hit, Matcher, search
from grader.rubric.patterns import describing_pattern
from grader.solver.graph import GraphSolution, graph_from_mapping, local_derivative, solve_graph

ZERO = Fraction(0)
MAX_TEXT = 20_000  # characters of a free-text answer that are read


@dataclass(frozen=True)
class _Ctx:
    """What every scorer needs about the part being graded."""

    rubric: PartRubric
    variant: PartVariant
    student: str

    def score(self, points: Fraction, answer: str, criteria=(), notes=(), flags=()) -> PartScore:
        if type(points) is not Fraction:
            points = Fraction(points)
        if points < 0 or points > self.rubric.points:  # Fraction min/max are slow; rarely needed
            points = min(max(points, ZERO), self.rubric.points)
        return PartScore(self.student, self.rubric.part, points, self.rubric.points,
                         tuple(criteria), tuple(n for n in notes if n),
                         tuple(dict.fromkeys(flags)), answer)


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
    points, feedback = _mistake(pr, parsed.value, str(ctx.variant.answer))
    result = CriterionResult("value", points, pr.points, False, (parsed.normalized,),
                             feedback or cmp.note)
    return ctx.score(points, raw, [result], (*parsed.notes, cmp.note), flags)


def _compare(pr: PartRubric, got: sympy.Expr, expected: sympy.Expr):
    if pr.kind == "expression":
        return compare_expression(got, expected, symbols=pr.symbols)
    return compare_number(got, expected, exact=pr.exact, rtol=pr.rtol, atol=pr.atol)


def _mistake(pr: PartRubric, got: sympy.Expr, expected: str) -> tuple[Fraction, str]:
    """Points and feedback of the first common-mistake rule the answer equals."""
    for m in pr.mistakes:
        if m.expected is not None and expected_value(m.expected) != expected_value(expected):
            continue
        if _compare(pr, got, expected_value(m.value)).ok:
            return m.points, m.feedback
    return ZERO, ""


# ---------------------------------------------------------------- arrows

_SOLUTIONS: dict[int, tuple[PartVariant, GraphSolution]] = {}


def _solution(variant: PartVariant) -> GraphSolution:
    """The solved graph of a variant part (cached: a batch grades one variant many times)."""
    cached = _SOLUTIONS.get(id(variant))
    if cached is None or cached[0] is not variant:
        if len(_SOLUTIONS) > 256:
            _SOLUTIONS.clear()
        cached = (variant, solve_graph(graph_from_mapping(variant.params)))
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
    notes, flags, values, errors = [], [], {}, {}
    unknown = sorted(str(k) for k in raw if k not in expected)
    if unknown:
        notes.append(f"unknown {item} id {', '.join(unknown)} (not graded)")
        flags.append(f"unknown-{item}")
    for aid in expected:
        text = raw.get(aid)
        if text is None or not str(text).strip():
            continue
        try:
            parsed = parse_number(str(text))
            values[aid] = parsed.value
            notes.extend(f"{aid}: {n}" for n in parsed.notes)
            flags.extend(parsed.flags)
        except AnswerError as exc:
            errors[aid] = exc.message
            flags.append("unparseable")
    results = [_arrow(ctx, aid, values, errors) for aid in expected]
    for r in results:
        if r.met and r.feedback.startswith("follow-through"):
            notes.append(f"{r.id}: {r.feedback}")
            flags.append("follow-through")
    return ctx.score(sum((r.points for r in results), ZERO), _as_text(raw), results, notes, flags)


def _arrow(ctx: _Ctx, aid: str, values: Mapping[str, sympy.Expr], errors) -> CriterionResult:
    pr = ctx.rubric
    per = pr.per_item or ZERO
    if aid in errors:
        return CriterionResult(aid, ZERO, per, False, feedback=errors[aid])
    if aid not in values:
        return CriterionResult(aid, ZERO, per, False, feedback="blank")
    got = values[aid]
    cmp = compare_number(got, expected_value(ctx.variant.answer[aid]), rtol=pr.rtol, atol=pr.atol,
                         exact=pr.exact)
    if cmp.ok:
        return CriterionResult(aid, per, per, True, (str(got),))
    if pr.follow_through:
        found = _follow_through(_solution(ctx.variant), aid, values)
        if found is not None:
            ft_value, upstream = found
            if compare_number(got, ft_value, rtol=pr.rtol, atol=pr.atol, exact=pr.exact).ok:
                return CriterionResult(aid, per * pr.follow_through_credit, per, True, (str(got),),
                                       f"follow-through from your {upstream}")
    return CriterionResult(aid, ZERO, per, False, (str(got),), cmp.note)


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
    student_grad = sum((values[o] for o in outgoing), sympy.Integer(0))
    if sympy.simplify(student_grad - sol.gradients[arrow.target]) == 0:
        return None
    node = next(n for n in graph.nodes if n.id == arrow.target)
    local = local_derivative(node, [sol.forward[i] for i in node.inputs], arrow.slot)
    label = " + ".join(outgoing)
    return student_grad * local, f"{label} = {student_grad}"


# ---------------------------------------------------------------- text


class _Eval(NamedTuple):
    """How one criterion fared: met, the words that decided it, and why not when not."""

    met: bool
    words: tuple[str, ...] = ()
    typo: bool = False
    why: str = "missing"  # met | missing | negated | denied | mention
    by: str = ""  # the negation word (negated), or the purpose-clause one a met match follows


def _evaluate(c: Criterion, doc: Doc) -> _Eval:
    allow = c.negation == "allow"
    decisive = not (c.require or c.explain)  # a clean match settles it: nothing filters hits
    hits: list = []
    for p in c.any:
        found = search(p, doc)
        hits.extend(found)
        if decisive and any(not h.typo and (allow or not h.negated) for h in found):
            break  # the first clean match decides; later patterns cannot change the outcome
    good = [h for h in hits if allow or not h.negated]
    if not good:
        if not hits:
            return _Eval(False)
        return _Eval(False, hits[0].words, why="negated", by=hits[0].by)
    if c.require:
        described = {h.sentence for p in c.require for h in search(p, doc)
                     if allow or not h.negated}
        if not any(h.sentence in described for h in good):
            return _Eval(False, good[0].words, why="mention")
        good = [h for h in good if h.sentence in described]
    if c.explain:
        described = _described(good, doc)
        if not described:
            return _Eval(False, good[0].words, why="mention")
        good = described
    denied = [h for p in c.deny for h in search(p, doc) if not h.negated]
    if denied:
        return _Eval(False, denied[0].words, why="denied")
    best = min(good, key=lambda h: (h.typo, h.purpose))
    return _Eval(True, best.words, best.typo, "met", best.by if best.purpose else "")


def _described(hits: list[Hit], doc: Doc) -> list[Hit]:
    """The hits whose sentence also holds a describing word that is not one of their own."""
    describing = {h.sentence: set(h.words) for h in search(describing_pattern(), doc)
                  if not (h.negated or h.typo)}  # a guessed word describes nothing
    return [h for h in hits if h.sentence in describing
            and not describing[h.sentence] <= set(h.words)]


def _feedback(c: Criterion, ev: _Eval) -> str:
    """Why a criterion was lost (or how a doubtful match was accepted), in the student's words."""
    if ev.why == "met":
        if not (ev.typo or ev.by):
            return ""
        quoted = " ".join(ev.words)
        notes = []
        if ev.typo:
            notes.append(f"accepted '{quoted}' despite the spelling")
        if ev.by:
            notes.append(f"read '{ev.by} ... {ev.words[-1]}' as a purpose, not a denial")
        return "; ".join(notes)
    quoted = " ".join(ev.words)
    base = c.feedback or f"Missing: {c.id}."
    return {
        "missing": base,
        "negated": f"'{quoted}' follows '{ev.by or 'a negation'}' (a negation), so it was not "
                   f"counted. {base}",
        "denied": f"'{quoted}' contradicts this point. {base}",
        "mention": f"You mention '{quoted}' but do not explain it. {base}",
    }[ev.why]


def _counted(criteria: tuple[Criterion, ...], evals: Mapping[str, _Eval],
             best: int | None) -> dict[str, tuple[Fraction, str]]:
    """Criterion id -> (points that count, why not all): groups count once, then best N."""
    counted = {c.id: (c.points if evals[c.id].met else ZERO, "") for c in criteria}
    leader: dict[str, Criterion] = {}
    for c in criteria:  # in a group only the highest-scoring met criterion counts
        if c.group is None or not evals[c.id].met:
            continue
        other = leader.get(c.group)
        if other is None or c.points > other.points:
            if other is not None:
                counted[other.id] = (ZERO, f"counted once with {c.id} (group {c.group})")
            leader[c.group] = c
        else:
            counted[c.id] = (ZERO, f"counted once with {other.id} (group {c.group})")
    if best is not None:
        ranked = sorted((c for c in criteria if counted[c.id][0] > 0),
                        key=lambda c: -counted[c.id][0])
        for c in ranked[best:]:
            counted[c.id] = (ZERO, f"only the {best} best answers count")
    return counted


def _score_text(ctx: _Ctx, raw: RawAnswer) -> PartScore:
    """Keyword criteria: groups, best N, count_points, capped at the part's points."""
    pr = ctx.rubric
    if not isinstance(raw, str):
        return _unreadable(ctx, raw, "expected a text answer, not one value per arrow")
    notes, flags = [], []
    if len(raw) > MAX_TEXT:
        notes.append(f"long answer: only the first {MAX_TEXT} characters were read")
        flags.append("long-answer")
    matcher = pr.matcher or Matcher(criteria_patterns(pr.criteria))
    doc = matcher.read(raw[:MAX_TEXT])
    evals = {c.id: _evaluate(c, doc) for c in pr.criteria}
    counted = _counted(pr.criteria, evals, pr.best)
    results = []
    for c in pr.criteria:
        ev, (points, why) = evals[c.id], counted[c.id]
        if _borderline(ev, points):
            flags.append("borderline")
        worth = ZERO if pr.count_points else c.points
        results.append(CriterionResult(c.id, ZERO if pr.count_points else points, worth, ev.met,
                                       ev.words, why or _feedback(c, ev)))
    if pr.count_points:
        n = sum(1 for points, _ in counted.values() if points)
        total = max((v for k, v in pr.count_points.items() if k <= n), default=ZERO)
        notes.append(f"{n} criteria met: {total} points")
    else:
        earned = [points for points, _ in counted.values() if points]
        total = earned[0] if len(earned) == 1 else sum(earned, ZERO)  # Fraction sums are slow
        if total > pr.points:
            notes.append(f"capped at the part's {pr.points} points")
    return ctx.score(total, raw, results, notes, flags)


def _borderline(ev: _Eval, points: Fraction) -> bool:
    """A keyword decision one word could flip, for a person to confirm: credit from a typo or
    a purpose-clause reading, or points lost only to a negation or to a missing description
    (the term is there). Deny patterns are deliberate and not flagged."""
    if points:
        return ev.typo or bool(ev.by)
    return ev.why in ("negated", "mention")


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
