"""The span algebra of keyword matching: where in a read answer (a Doc) a pattern node
matches, combined bottom-up from its words' spans.

A Span is one way a node matches within one sentence; _spans returns a node's (bounded)
Spans: an alternative's are its options', a sequence's chain its items' in order with small
gaps, an any-order group's pair its parts' without a shared token. grader.rubric.matcher
builds the Doc (the spans of every pattern word); grader.rubric.hits ranks a pattern's spans
into Hits.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import NamedTuple

from grader.rubric.patterns import MAX_GAP, Alt, Node, Seq, Word

_MAX_SPANS = 24  # per node and sentence: enough witnesses, no blow-up on long answers


# Token positions a node matched in one sentence: (start, last, idx, typo, sentence): first
# and last position, all of them, whether a typo was used, the sentence. A plain tuple read by
# index, not a NamedTuple: 20 are built per answer, and a tuple literal costs one allocation
# where tuple.__new__(Span, ...) costs a call and two (score_text 48 -> 46 us per answer).
Span = tuple[int, int, tuple[int, ...], bool, int]


class Doc(NamedTuple):
    """One read answer: its words as written, every pattern word's spans, sentence starts and
    negations.

    A NamedTuple built with tuple.__new__, not a frozen dataclass: one is built per answer,
    and the frozen dataclass's __init__ (a setattr per field) cost as much as the rest of a
    short answer's Doc assembly.
    """

    surfaces: list[str]  # the answer's words as written (for feedback)
    starts: list[int]  # index of the first word of each sentence
    hits: Mapping[Word, list[Span]]
    negations: tuple[int, ...] = ()  # positions of the words that negate what follows
    purposes: tuple[int, ...] = ()  # negations waived as purpose clauses ("so that ... not")


_ORDER = attrgetter("order")  # a sort key of Words (identity hashes vary per run)


def _dedupe(spans: list[Span]) -> list[Span]:
    """One span per (start, last), preferring one without typos; at most _MAX_SPANS.

    May return `spans` itself (callers pass lists of their own)."""
    if len(spans) == 2:  # the most common size: no dict
        a, b = spans
        if a[0] != b[0] or a[1] != b[1]:
            return spans
        return [b] if a[3] and not b[3] else [a]  # [3]: typo
    best: dict[tuple[int, int], Span] = {}
    get = best.get
    for s in spans:
        key = (s[0], s[1])  # (start, last); indexes: cheaper than field names here
        kept = get(key)
        if kept is None or (kept[3] and not s[3]):  # [3]: typo
            best[key] = s
            if len(best) >= _MAX_SPANS:
                break
    return list(best.values())


def _spans(node: Node, doc: Doc) -> list[Span]:
    """Every way (bounded) a node matches within one sentence.

    Not memoized: equal nodes are distinct objects (each synonym and lexicon expansion is its
    own), so a per-answer memo found 4 repeats in 36,000 calls and cost a dict get and set
    per node.
    """
    kind = type(node)
    if kind is Word:
        return doc.hits.get(node, [])
    hits = doc.hits
    keys = hits.keys()
    if kind is Alt:
        if not node.others:  # options that are all plain words: most alternatives
            present = keys & node.words  # the node's need set is node.words
            if len(present) == 1:
                return hits[next(iter(present))]  # callers never change a returned list
            return _words_spans(present, hits)
        return _alt(node, doc)
    for need in node.needs:  # _possible, inlined: the matcher's hottest test
        if keys.isdisjoint(need):
            return []
    # Every need set meets the answer, so each Word part and each plain-word Alt part (its
    # need set is its words) has spans: taken here, without a call per part (inlined _spans).
    parts = []
    for part in node.items if type(node) is Seq else node.parts:
        kind = type(part)
        if kind is Word:
            spans = hits[part]
        elif kind is Alt and not part.others:
            present = keys & part.words
            spans = hits[next(iter(present))] if len(present) == 1 else _words_spans(present,
                                                                                     hits)
        elif kind is Alt:  # _alt without _spans' dispatch
            spans = _alt(part, doc)
            if not spans:
                return spans
        else:
            spans = _spans(part, doc)
            if not spans:
                return spans
        parts.append(spans)
    if type(node) is Seq:
        return _seq(parts)
    return _any_order(parts, len(doc.starts) == 1)


# Public name for criteria: a criterion on an answer without negations ranks spans itself
# (criteria._evaluate_plain) and builds no Hit.
node_spans = _spans


def _words_spans(present: set[Word], hits: Mapping[Word, list[Span]]) -> list[Span]:
    """The spans of an alternative's words found in the answer, in pattern order."""
    out = []
    for w in sorted(present, key=_ORDER):
        out.extend(hits[w])
    return _dedupe(out) if len(out) > 1 else out


def _alt(node: Alt, doc: Doc) -> list[Span]:
    """Spans of an alternative with phrase options: its words' (in pattern order), then each
    phrase's."""
    hits = doc.hits
    keys = hits.keys()
    if keys.isdisjoint(node.needs[0]):  # the union of the options' smallest need sets
        return []
    present = keys & node.words
    if len(present) == 1:
        out = list(hits[next(iter(present))])  # a copy: phrase spans may be added
    else:
        out = []
        for w in sorted(present, key=_ORDER):
            out.extend(hits[w])
    if not keys.isdisjoint(node.others_need):  # most phrase options are absent
        for opt in node.others:  # _spans rejects an option that cannot match at once
            out.extend(_spans(opt, doc))
    return _dedupe(out) if len(out) > 1 else out


def _seq(items: list[list[Span]]) -> list[Span]:
    """Spans of a sequence from its items' spans: each after the previous one's, at most
    MAX_GAP words between, in one sentence."""
    out = items[0]
    for nxt in items[1:]:
        # Span fields by index: 0 start, 1 last, 2 idx, 3 typo, 4 sentence
        out = [(a[0], b[1], a[2] + b[2], a[3] or b[3], a[4])
               for a in out for b in nxt
               if a[1] < b[0] <= a[1] + 1 + MAX_GAP and a[4] == b[4]]
        if len(out) > 1:
            out = _dedupe(out)
        elif not out:
            break
    return out


def _any_order(lists: list[list[Span]], one_sentence: bool = False) -> list[Span]:
    """Combine one span of each part, same sentence, no shared token, any order.

    Spans are grouped by sentence, then the parts are folded in pairwise (each step bounded
    by _dedupe): a product over every part's spans was the matcher's hot spot on answers that
    repeat a term ("J(theta + eps) - J(theta - eps)"). In a one-sentence answer (80 % of a
    class's) every span is in sentence 0: no grouping, the same folds.
    """
    for spans in lists:
        if not spans:
            return []
    if one_sentence:
        acc = lists[0]
        for spans in lists[1:]:
            acc = _pairs(acc, spans, 0)
            if len(acc) > 1:  # _dedupe of a deduped list keeps it as it is: done once here
                acc = _dedupe(acc)
            elif not acc:
                return acc
        return acc
    groups: list[dict[int, list[Span]]] = []
    for spans in lists:
        by_sentence: dict[int, list[Span]] = {}
        for span in spans:
            by_sentence.setdefault(span[4], []).append(span)  # [4]: sentence
        groups.append(by_sentence)
    common = set(groups[0]).intersection(*groups[1:])
    out = []
    for sentence in sorted(common):
        acc = groups[0][sentence]
        for group in groups[1:]:
            acc = _dedupe(_pairs(acc, group[sentence], sentence))
            if not acc:
                break
        out.extend(acc)
    return _dedupe(out)


def _pairs(left: list[Span], right: list[Span], sentence: int) -> list[Span]:
    """Spans of two parts in one sentence combined when they share no token (bounded)."""
    out: list[Span] = []
    append = out.append
    limit = 2 * _MAX_SPANS  # _dedupe keeps _MAX_SPANS distinct ones
    right_single = [len(b[2]) == 1 for b in right]  # once per call, not once per pair
    for a in left:
        a_idx, a_typo = a[2], a[3]
        if len(a_idx) == 1:  # a single word: most spans
            i = a_idx[0]
            for b, single in zip(right, right_single, strict=True):
                if single:
                    j = b[0]  # a single word's start is its index
                    if i == j:
                        continue
                    idx = (i, j) if i < j else (j, i)
                else:
                    if i in b[2]:
                        continue
                    idx = tuple(sorted(a_idx + b[2]))
                append((idx[0], idx[-1], idx, a_typo or b[3], sentence))
                if len(out) >= limit:
                    return out
        else:
            taken = set(a_idx)
            for b in right:
                b_idx = b[2]
                if not taken.isdisjoint(b_idx):
                    continue
                idx = tuple(sorted(a_idx + b_idx))
                append((idx[0], idx[-1], idx, a_typo or b[3], sentence))
                if len(out) >= limit:
                    return out
    return out
