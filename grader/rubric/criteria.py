"""Keyword criteria of a text part: evaluate each against a read answer, then count points.

Pure functions of (part rubric, answer text): the engine wraps the result in a PartScore.
Every criterion that is not met gets feedback saying why (missing, negated, denied, a bare
mention, counted once in a group, not among the best N); "borderline" marks the decisions one
word could flip (see ``_borderline``).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import NamedTuple

from grader.model import CriterionResult
from grader.rubric.loader import Criterion, PartRubric, criteria_patterns
from grader.rubric.matcher import Doc, Hit, Matcher, search
from grader.rubric.patterns import Word, describing_pattern

ZERO = Fraction(0)
MAX_TEXT = 20_000  # characters of a free-text answer that are read


class TextScore(NamedTuple):
    """A text part's points (uncapped), its criteria, notes and review flags."""

    total: Fraction
    criteria: list[CriterionResult]
    notes: list[str]
    flags: list[str]


def score_text(pr: PartRubric, raw: str) -> TextScore:
    """Keyword criteria: groups, best N, count_points (the caller caps at the part's points)."""
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
        total = earned[0] if len(earned) == 1 else _sum(earned)
        top = pr.points
        if total.numerator * top.denominator > top.numerator * total.denominator:  # total > top
            notes.append(f"capped at the part's {pr.points} points")
    return TextScore(total, results, notes, flags)


def _sum(values: list[Fraction]) -> Fraction:
    """The sum of Fractions in int arithmetic, normalized once (Fraction sums are slow)."""
    num, den = 0, 1
    for v in values:
        d = v.denominator
        num, den = num * d + v.numerator * den, den * d
    return Fraction(num, den)


class _Eval(NamedTuple):
    """How one criterion fared: met, the words that decided it, and why not when not."""

    met: bool
    words: tuple[str, ...] = ()
    typo: bool = False
    why: str = "missing"  # met | missing | negated | denied | mention
    by: str = ""  # the negation word (negated), or the purpose-clause one a met match follows


def _evaluate(c: Criterion, doc: Doc) -> _Eval:
    found = _NEEDS.get(id(c))  # _first_needs' cache, inlined: one call per criterion
    needs = found[1] if found is not None and found[0] is c else _first_needs(c)
    if needs is not None and doc.hits.keys().isdisjoint(needs):
        return _Eval(False)  # no `any` pattern can match: one set test instead of a search each
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
    if c.deny:
        denied = [h for p in c.deny for h in search(p, doc) if not h.negated]
        if denied:
            return _Eval(False, denied[0].words, why="denied")
    best = good[0] if len(good) == 1 else min(good, key=lambda h: (h.typo, h.purpose))
    return _Eval(True, best.words, best.typo, "met", best.by if best.purpose else "")


_NEEDS: dict[int, tuple[Criterion, frozenset[Word] | None]] = {}


def _first_needs(c: Criterion) -> frozenset[Word] | None:
    """Pattern words of which an answer must hold one for any `any` pattern of `c` to match
    (None: some pattern needs no word). Kept per criterion (by identity, the criterion held)."""
    found = _NEEDS.get(id(c))
    if found is not None and found[0] is c:
        return found[1]
    needs: set[Word] | None = set()
    for p in c.any:
        root = p.root
        if type(root) is Word:
            needs.add(root)
        elif root.needs:
            needs.update(min(root.needs, key=len))  # each need set must meet the answer
        else:
            needs = None
            break
    if len(_NEEDS) > 4096:
        _NEEDS.clear()
    _NEEDS[id(c)] = (c, frozenset(needs) if needs is not None else None)
    return _NEEDS[id(c)][1]


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
    base = c.feedback or f"Missing: {c.id}."
    why = ev.why
    if why == "missing":  # the common case: no other message is built
        return base
    quoted = " ".join(ev.words)
    if why == "negated":
        return (f"'{quoted}' follows '{ev.by or 'a negation'}' (a negation), so it was not "
                f"counted. {base}")
    if why == "denied":
        return f"'{quoted}' contradicts this point. {base}"
    if why == "mention":
        return f"You mention '{quoted}' but do not explain it. {base}"
    raise KeyError(why)


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
        ranked = sorted((c for c in criteria if counted[c.id][0].numerator > 0),
                        key=lambda c: counted[c.id][0], reverse=True)  # stable, as -points
        for c in ranked[best:]:
            counted[c.id] = (ZERO, f"only the {best} best answers count")
    return counted


def _borderline(ev: _Eval, points: Fraction) -> bool:
    """A keyword decision one word could flip, for a person to confirm: credit from a typo or
    a purpose-clause reading, or points lost only to a negation or to a missing description
    (the term is there). Deny patterns are deliberate and not flagged."""
    if points:
        return ev.typo or bool(ev.by)
    return ev.why in ("negated", "mention")
