"""Keyword criteria of a text part: evaluate each against a read answer, then count points.

Pure functions of (part rubric, answer text): the engine wraps the result in a PartScore.
Every criterion that is not met gets feedback saying why (missing, negated, denied, a bare
mention, counted once in a group, not among the best N); "borderline" marks the decisions one
word could flip (see ``_borderline``).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from operator import itemgetter
from typing import NamedTuple

from grader.bounded import BoundedDict
from grader.model import CriterionResult
from grader.rubric.loader import Criterion, PartRubric, criteria_patterns
from grader.rubric.matcher import Doc, Hit, Matcher, node_spans, search
from grader.rubric.patterns import Word, describing_pattern

ZERO = Fraction(0)
MAX_TEXT = 20_000  # characters of a free-text answer that are read
_CACHE_LIMIT = 4_096  # a part's remembered criterion results (_Plan.result): bounded memory


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
    plan = _PLANS.get(id(pr))  # _plan, inlined: one call per answer
    if plan is None or plan.rubric is not pr:
        plan = _plan(pr)
    doc = plan.matcher.read(raw[:MAX_TEXT])
    if plan.plain:
        results, mask = _plain_results(plan, doc, flags)
        total, note = plan.total(mask)
        if note:
            notes.append(note)
        return tuple.__new__(TextScore, (total, results, notes, flags))  # no Python __new__
    keys = doc.hits.keys()
    evals = [_MISSING if item.needs is not None and keys.isdisjoint(item.needs)
             else _evaluate(item.criterion, doc) for item in plan.items]
    met = [ev.met for ev in evals]
    if sum(met) > 1:
        counted = _counted(pr.criteria, dict(zip(plan.ids, evals, strict=True)), pr.best)
    else:  # one criterion met at most (best N >= 1): _counted's result, without its steps
        counted = {c.id: (c.points if m else ZERO, "")
                   for c, m in zip(pr.criteria, met, strict=True)}
    results = []
    for k, (item, ev) in enumerate(zip(plan.items, evals, strict=True)):
        if ev is _MISSING:  # not met: no group or best N reason, the shared result
            results.append(item.missing)
            continue
        points, why = counted[item.criterion.id]
        if _borderline(ev, points):
            flags.append("borderline")
        results.append(plan.result(k, points is not ZERO, why, ev))
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
    return tuple.__new__(TextScore, (total, results, notes, flags))


def _plain_results(plan: _Plan, doc: Doc, flags: list[str]) -> tuple[list[CriterionResult], int]:
    """The criteria of a part without groups, best N or count_points (each met criterion
    counts its points), evaluated and turned into results in one pass, and the bit mask of
    the criteria met (the key of `_Plan.total`)."""
    keys = doc.hits.keys()
    plain_doc = not (doc.negations or doc.purposes)
    results = []
    mask = 0
    for k, item in enumerate(plan.items):
        needs = item.needs
        if needs is not None and keys.isdisjoint(needs):  # no `any` pattern can match
            results.append(item.missing)  # one shared, immutable result
            continue
        c = item.criterion
        ev = (_evaluate_plain(c, doc) if plain_doc and item.decisive  # as _evaluate would
              else _evaluate(c, doc))
        if not ev.met:
            if ev is _MISSING:
                results.append(item.missing)
                continue
            if ev.why in ("negated", "mention"):  # _borderline of a criterion not counted
                flags.append("borderline")
        elif c.points:
            mask |= 1 << k
            if ev.typo or ev.by:  # _borderline of a criterion that counts
                flags.append("borderline")
        results.append(plan.result(k, ev.met, "", ev))
    return results, mask


class _Item(NamedTuple):
    """What one criterion's scoring needs that does not depend on the answer."""

    criterion: Criterion
    needs: frozenset[Word] | None  # see _first_needs
    decisive: bool  # no require/explain: the first clean match settles it
    worth: Fraction  # the criterion's max as reported (0 under count_points)
    missing: CriterionResult  # its result when nothing matched (frozen: shared by answers)


class _Plan:
    """A text part's criteria prepared once, for all its answers: 99 % of criterion results
    are "missing" (a third: their result is one shared object) or "met" without a note, and
    a plain part's total and cap note depend only on which criteria are met."""

    def __init__(self, pr: PartRubric) -> None:
        self.rubric = pr  # held: the cache is keyed by id(pr)
        self.matcher = pr.matcher or Matcher(criteria_patterns(pr.criteria))
        items = []
        for c in pr.criteria:
            worth = ZERO if pr.count_points else c.points
            missing = CriterionResult(c.id, ZERO, worth, False, (), _feedback(c, _MISSING))
            items.append(_Item(c, _first_needs(c), not (c.require or c.explain), worth,
                               missing))
        self.items = tuple(items)
        self.ids = tuple(c.id for c in pr.criteria)
        self.plain = not (pr.count_points or pr.best is not None
                          or any(c.group is not None for c in pr.criteria))
        self._totals: dict[int, tuple[Fraction, str]] = BoundedDict(4096)  # many criteria
        # bounded: a class's distinct matches
        self._results: dict[tuple, CriterionResult] = BoundedDict(_CACHE_LIMIT)

    def result(self, k: int, counts: bool, why: str, ev: _Eval) -> CriterionResult:
        """Criterion k's result for an evaluation: its points count or not (`why`: the group /
        best N reason they do not, or ""). Kept per (criterion, counts, reason, evaluation),
        all immutable (a Fraction is not in the key: its hash is a Python function):
        a class repeats the words that meet a criterion, and a frozen dataclass costs ~1.5 us
        to build where the dict lookup costs ~0.3 us (score_text -1 us per answer)."""
        key = (k, counts, why, ev)
        found = self._results.get(key)
        if found is None:
            item = self.items[k]
            c = item.criterion
            feedback = why or _feedback(c, ev)
            points = c.points if counts and not self.rubric.count_points else ZERO
            found = CriterionResult(c.id, points,
                                    item.worth, ev.met, ev.words, feedback)
            self._results[key] = found
        return found

    def total(self, mask: int) -> tuple[Fraction, str]:
        """(points, cap note or "") of a plain part whose criteria in `mask` are met."""
        found = self._totals.get(mask)
        if found is None:
            earned = [item.criterion.points for k, item in enumerate(self.items)
                      if mask >> k & 1]
            total = earned[0] if len(earned) == 1 else _sum(earned)
            top = self.rubric.points
            note = f"capped at the part's {top} points" if total > top else ""
            found = self._totals[mask] = (total, note)
        return found


_PLANS: dict[int, _Plan] = BoundedDict(1024)  # rubrics of many exams in one process


def _plan(pr: PartRubric) -> _Plan:
    """The part's _Plan, built on first use (keyed by identity: the plan holds the rubric)."""
    plan = _PLANS.get(id(pr))
    if plan is None or plan.rubric is not pr:
        plan = _PLANS[id(pr)] = _Plan(pr)
    return plan


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


_MISSING = _Eval(False)  # no pattern matched: the most common evaluation


def _evaluate(c: Criterion, doc: Doc) -> _Eval:
    """Search the criterion's patterns (the caller has made _first_needs' quick test)."""
    decisive = not (c.require or c.explain)  # a clean match settles it: nothing filters hits
    if decisive and not (doc.negations or doc.purposes):
        return _evaluate_plain(c, doc)
    return _evaluate_hits(c, doc)


def _evaluate_hits(c: Criterion, doc: Doc) -> _Eval:
    """_evaluate from the patterns' Hits (negations, purpose clauses, require, explain)."""
    decisive = not (c.require or c.explain)
    allow = c.negation == "allow"
    hits: list = []
    for p in c.any:
        found = search(p, doc)
        if not found:
            continue
        hits.extend(found)
        if decisive:
            for h in found:  # h[3], h[4]: typo, negated (indexes: a per-hit hot loop)
                if not h[3] and (allow or not h[4]):
                    break
            else:
                continue
            break  # the first clean match decides; later patterns cannot change the outcome
    if not hits:
        return _MISSING
    good = hits if allow else [h for h in hits if not h.negated]
    if not good:
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
    best = good[0] if len(good) == 1 else min(good, key=_PREFERENCE)
    return _Eval(True, best.words, best.typo, "met", best.by if best.purpose else "")


def _evaluate_plain(c: Criterion, doc: Doc) -> _Eval:
    """_evaluate of a criterion without require/explain on an answer without negations (most
    evaluations), from the matcher's spans: no Hit is built but the one reported.

    Without negations no hit is negated or read as a purpose, so the reported hit is the first
    exact one (pattern order, then sentence), else the first typo-matched one; a sentence's
    hit is its span of least (typo, start, last, idx), as `search` ranks them.
    """
    first_typo = None
    for p in c.any:
        spans = node_spans(p.root, doc)
        if not spans:
            continue
        if len(spans) == 1:  # most
            if not spans[0][3]:  # [3]: typo
                best = spans[0]
                break
            exact = None
        else:
            exact = [s for s in spans if not s[3]]
        if exact:
            best = exact[0] if len(exact) == 1 else min(exact, key=_POSITION)
            break
        if first_typo is None:
            first_typo = spans[0] if len(spans) == 1 else min(spans, key=_POSITION)
    else:
        if first_typo is None:
            return _MISSING
        best = first_typo
    if c.deny:
        for p in c.deny:
            denied = search(p, doc)
            if denied:
                return _Eval(False, denied[0].words, why="denied")
    words = tuple(map(doc.surfaces.__getitem__, best[2]))
    return tuple.__new__(_Eval, (True, words, best[3], "met", ""))  # no Python __new__


_POSITION = itemgetter(4, 0, 1, 2)  # a span's sentence, start, last, idx: search's order


def _PREFERENCE(h: Hit) -> tuple[bool, bool]:  # noqa: N802 - a sort key, named like a constant
    """The hit a met criterion reports: an exact match before a typo, a plain statement before
    a purpose-clause reading (the first of equals)."""
    return h.typo, h.purpose


def _first_needs(c: Criterion) -> frozenset[Word] | None:
    """Pattern words of which an answer must hold one for any `any` pattern of `c` to match
    (None: some pattern needs no word). Computed once per part (_Plan)."""
    needs: set[Word] = set()
    for p in c.any:
        root = p.root
        if type(root) is Word:
            needs.add(root)
        elif root.needs:
            needs.update(min(root.needs, key=len))  # each need set must meet the answer
        else:
            return None
    return frozenset(needs)


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
