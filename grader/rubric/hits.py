"""A pattern's best match per sentence in a read answer (search), as Hits, each marked when
it lies under a negation ("not", "doesn't") or a negation read as a purpose clause.

The spans come from grader.rubric.spans; this module ranks them (no negation, no typo,
earliest first) and builds the Hits criteria and feedback read.
"""

from __future__ import annotations

from typing import NamedTuple

from grader.rubric.patterns import Pattern
from grader.rubric.spans import Doc, Span, _spans

NEGATION_WINDOW = 3


class Hit(NamedTuple):
    """A pattern's match in one sentence, with the answer's words that matched.

    A NamedTuple, not a frozen dataclass: one is built per pattern and sentence matched, and
    a frozen dataclass costs several times more to build (bench_keywords.py).
    """

    pattern: str
    words: tuple[str, ...]
    sentence: int
    typo: bool = False  # a typo-tolerant match was needed
    negated: bool = False  # the match lies under a negation (it does not count)
    purpose: bool = False  # a negation before it was read as a purpose clause ("so ... not")
    by: str = ""  # the negation as written ("not", "doesn't"), when negated or purpose


def _near(span: Span, doc: Doc, positions: tuple[int, ...]) -> int:
    """The first token at one of `positions` (a negation), not part of the match, with a
    matched word at most NEGATION_WINDOW words after it in the same sentence; -1 if none.

    The scope is the few words after the negation, not the whole match: in "options which are
    not needed ... between the fixed header and the payload" the "not" says nothing about
    "payload" twelve words on, though both lie in one any-order match.
    """
    if not positions:  # most answers deny nothing
        return -1
    start, last, idx, _, sentence = span
    lo = max(doc.starts[sentence], start - NEGATION_WINDOW)
    for j in positions:
        if lo <= j < last and j not in idx:
            for i in idx:
                if 0 < i - j <= NEGATION_WINDOW:
                    return j
    return -1


def search(pattern: Pattern, doc: Doc) -> list[Hit]:
    """The pattern's best match in each sentence (negated matches are kept, marked)."""
    spans = _spans(pattern.root, doc)  # [] at once when the root is not _possible
    if not spans:
        return []
    negations = doc.negations
    if len(spans) == 1:  # the most common case: no ranking needed
        s = spans[0]
        return [_hit(pattern, doc, s, _near(s, doc, negations) if negations else -1)]
    best: dict[int, tuple[tuple, Span, int]] = {}
    for s in spans:
        by = _near(s, doc, negations) if negations else -1
        rank = (by >= 0, s[3], s[0], s[1], s[2])  # negated, typo, start, last, idx
        sentence = s[4]
        if sentence not in best or rank < best[sentence][0]:
            best[sentence] = (rank, s, by)
    return [_hit(pattern, doc, s, by) for _, (_, s, by) in sorted(best.items())]


def _hit(pattern: Pattern, doc: Doc, span: Span, by: int) -> Hit:
    """The Hit of a span; `by` is the position of the negation it lies under, or -1."""
    surfaces = doc.surfaces
    words = tuple(map(surfaces.__getitem__, span[2]))  # span[2]: idx
    negated = by >= 0
    if not negated and doc.purposes:
        by = _near(span, doc, doc.purposes)
    # tuple.__new__: a Hit without NamedTuple.__new__'s Python frame (one per match)
    return tuple.__new__(Hit, (pattern.source, words, span[4], span[3], negated,
                               not negated and by >= 0, surfaces[by] if by >= 0 else ""))
