"""Match compiled patterns (grader.rubric.patterns) against tokenized answers.

A Matcher holds the word table of one rubric part; ``Matcher.read`` tokenizes an answer once
and finds every pattern word in it (a Doc); ``search`` then combines word spans into the
pattern's best match per sentence, marking matches that lie under a negation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from rapidfuzz.distance import DamerauLevenshtein

from grader.rubric.patterns import (
    MAX_GAP,
    MIN_TYPO_LEN,
    Alt,
    Node,
    Pattern,
    Seq,
    Word,
    _possible,
)
from grader.rubric.text import normalize_word, scan, stem

NEGATION_WINDOW = 3
_MAX_SPANS = 24  # per node and sentence: enough witnesses, no blow-up on long answers
_CACHE_LIMIT = 50_000


class Span(NamedTuple):
    """Token positions a node matched in one sentence: first, last, all of them, typo used."""

    start: int
    last: int
    idx: tuple[int, ...]
    typo: bool
    sentence: int


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


@dataclass(frozen=True)
class Doc:
    """One read answer: its words as written, every pattern word's spans, sentence starts,
    negations, and a per-answer memo of node results (patterns share synonym and lexicon
    nodes)."""

    surfaces: list[str]  # the answer's words as written (for feedback)
    starts: list[int]  # index of the first word of each sentence
    hits: Mapping[Word, list[Span]]
    negations: tuple[int, ...] = ()  # positions of the words that negate what follows
    purposes: tuple[int, ...] = ()  # negations waived as purpose clauses ("so that ... not")
    memo: dict[int, list[Span]] = field(default_factory=dict)


_Found = tuple[tuple[Word, bool], ...]


class Matcher:
    """The word table of a set of patterns (one rubric part): reads answers into Docs.

    Each distinct answer word is looked up once per matcher (cached), so a class's answers,
    which share most of their vocabulary, cost a dict lookup per word.
    """

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        words: set[Word] = set()
        for p in patterns:
            words |= p.words
        self.by_norm: dict[str, list[Word]] = {}
        self.by_stem: dict[str, list[Word]] = {}
        for w in words:
            if not w.prefix:
                self.by_norm.setdefault(w.text, []).append(w)
                self.by_stem.setdefault(w.stem, []).append(w)
        self.prefixes = [w for w in words if w.prefix]
        self.fuzzy = [w for w in words if not w.prefix and len(w.text) >= MIN_TYPO_LEN]
        # A typo is one edit: only words within one letter of the answer word's length (or
        # its stem's) can be one; lookup tries those, in `fuzzy` order, not every word.
        self._by_len: dict[tuple[bool, int], list[int]] = {}
        for k, w in enumerate(self.fuzzy):
            self._by_len.setdefault((False, len(w.text)), []).append(k)
            self._by_len.setdefault((True, len(w.stem)), []).append(k)
        # An answer word can start a compound ("over" + "fitting") only if it is a proper
        # prefix of a pattern word or stem: the quick test that skips most adjacent pairs.
        self.heads = frozenset(form[:n] for w in words for form in {w.text, w.stem}
                               for n in range(1, len(form)))
        self._cache: dict[str, _Found] = {}
        self._joined_cache: dict[str, _Found] = {}

    def lookup(self, norm: str, joined: bool = False) -> _Found:
        """Pattern words one normalized answer word matches, each with 'typo used'.

        Joined words (two answer words read as one compound) match exactly or by prefix only.
        """
        cache = self._joined_cache if joined else self._cache
        found = cache.get(norm)
        if found is not None:
            return found
        stemmed = normalize_word(norm)[1] if joined else stem(norm)
        exact = {*self.by_norm.get(norm, ()), *self.by_stem.get(stemmed, ())}
        exact.update(w for w in self.prefixes if norm.startswith(w.text))
        typo: set[Word] = set()
        if not joined and len(norm) >= MIN_TYPO_LEN - 1:
            fuzzy = self.fuzzy
            typo = {fuzzy[k] for k in self._typo_candidates(norm, stemmed)
                    if fuzzy[k] not in exact and _one_typo(norm, stemmed, fuzzy[k])}
        found = tuple((w, False) for w in exact) + tuple((w, True) for w in typo)
        cache[norm] = found  # read() bounds the caches, between answers
        return found

    def _typo_candidates(self, norm: str, stemmed: str) -> list[int]:
        """Indexes into `fuzzy` of the words `_one_typo` may accept, in order (lengths
        within one of the answer word's, or of its stem's when that is long enough)."""
        by_len, found = self._by_len, set()
        keys = [(False, len(norm))]
        if len(stemmed) >= MIN_TYPO_LEN - 1:
            keys.append((True, len(stemmed)))
        for stem_side, n in keys:
            for length in (n - 1, n, n + 1):
                found.update(by_len.get((stem_side, length), ()))
        return sorted(found)

    def read(self, text: str) -> Doc:
        """Scan an answer once and find every pattern word in it."""
        surfaces, norms, starts, negations, purposes = scan(text)
        single_cache, joined_cache, heads = self._cache, self._joined_cache, self.heads
        if len(single_cache) > _CACHE_LIMIT or len(joined_cache) > _CACHE_LIMIT:
            single_cache.clear()  # between answers: a cached tuple is never lost mid-answer
            joined_cache.clear()
        hits: dict[Word, list[Span]] = {}
        new = tuple.__new__  # a Span without NamedTuple.__new__'s Python frame
        bounds = (*starts[1:], len(norms)) if norms else ()  # one past each sentence's end
        for s, end in enumerate(bounds):
            for i in range(starts[s], end):
                norm = norms[i]
                single = single_cache.get(norm)
                if single is None:
                    single = self.lookup(norm)
                if single:  # one Span per word and typo flag, shared by its pattern words
                    plain = typed = None
                    for w, typo in single:
                        if typo:
                            span = typed or (typed := new(Span, (i, i, (i,), True, s)))
                        else:
                            span = plain or (plain := new(Span, (i, i, (i,), False, s)))
                        spans = hits.get(w)
                        if spans is None:
                            hits[w] = [span]
                        else:
                            spans.append(span)
                if norm in heads and i + 1 < end:
                    found = joined_cache.get(norm + norms[i + 1])
                    if found is None:
                        found = self.lookup(norm + norms[i + 1], joined=True)
                    for w, _ in found:
                        if all(w is not x for x, _ in single):
                            span = (i, i + 1, (i, i + 1), False, s)
                            hits.setdefault(w, []).append(new(Span, span))
        return Doc(surfaces, starts, hits, tuple(negations), tuple(purposes))


def _close(a: str, b: str) -> bool:
    """One edit apart, but not a word and its one-letter extension ("large"/"larger"): those
    are different words, and a real inflection is the stemmer's business."""
    return (abs(len(a) - len(b)) <= 1 and not (a.startswith(b) or b.startswith(a))
            and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1)


def _one_typo(norm: str, stemmed: str, w: Word) -> bool:
    """One edit (Damerau: a swap is one) between the answer word and a 5+ letter pattern word."""
    return _close(norm, w.text) or (len(stemmed) >= MIN_TYPO_LEN - 1 and _close(stemmed, w.stem))


def _ORDER(w: Word) -> int:  # noqa: N802 - a sort key, named like a constant
    return w.order


def _dedupe(spans: Iterable[Span]) -> list[Span]:
    """One span per (start, last), preferring one without typos; at most _MAX_SPANS."""
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
    """Every way (bounded) a node matches within one sentence, memoized per answer."""
    if type(node) is Word:
        return doc.hits.get(node, [])
    out = doc.memo.get(id(node))
    if out is not None:
        return out
    hits = doc.hits
    keys = hits.keys()
    for need in node.needs:  # _possible, inlined: the matcher's hottest test
        if keys.isdisjoint(need):
            return []
    if type(node) is Alt:
        out = []
        present = keys & node.words
        for w in sorted(present, key=_ORDER) if len(present) > 1 else present:
            out.extend(hits[w])
        if not keys.isdisjoint(node.others_need):  # most phrase options are absent
            for opt in node.others:
                if _possible(opt, keys):
                    out.extend(_spans(opt, doc))
        out = _dedupe(out) if len(out) > 1 else out
    elif type(node) is Seq:
        new = tuple.__new__
        first = node.items[0]
        out = hits.get(first, []) if type(first) is Word else _spans(first, doc)
        for item in node.items[1:]:
            if not out:
                break
            nxt = hits.get(item, []) if type(item) is Word else _spans(item, doc)
            out = [new(Span, (a.start, b.last, a.idx + b.idx, a.typo or b.typo, a.sentence))
                   for a in out for b in nxt
                   if a.last < b.start <= a.last + 1 + MAX_GAP and a.sentence == b.sentence]
            if len(out) > 1:
                out = _dedupe(out)
    else:
        out = _any_order([hits.get(part, []) if type(part) is Word else _spans(part, doc)
                          for part in node.parts])
    doc.memo[id(node)] = out
    return out


def _any_order(lists: list[list[Span]]) -> list[Span]:
    """Combine one span of each part, same sentence, no shared token, any order.

    Spans are grouped by sentence, then the parts are folded in pairwise (each step bounded
    by _dedupe): a product over every part's spans was the matcher's hot spot on answers that
    repeat a term ("J(theta + eps) - J(theta - eps)").
    """
    if not all(lists):
        return []
    groups: list[dict[int, list[Span]]] = []
    for spans in lists:
        by_sentence: dict[int, list[Span]] = {}
        for span in spans:
            by_sentence.setdefault(span.sentence, []).append(span)
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
    out = []
    new = tuple.__new__  # a Span without NamedTuple.__new__'s Python frame
    for a in left:
        a_idx = a.idx
        for b in right:
            b_idx = b.idx
            if len(a_idx) == 1 and len(b_idx) == 1:  # two single words: most pairs
                i, j = a_idx[0], b_idx[0]
                if i == j:
                    continue
                idx = (i, j) if i < j else (j, i)
            else:
                if not set(a_idx).isdisjoint(b_idx):
                    continue
                idx = tuple(sorted(a_idx + b_idx))
            out.append(new(Span, (idx[0], idx[-1], idx, a.typo or b.typo, sentence)))
            if len(out) >= 2 * _MAX_SPANS:  # _dedupe keeps _MAX_SPANS distinct ones
                return out
    return out


def _near(span: Span, doc: Doc, positions: tuple[int, ...]) -> int:
    """The first token at one of `positions` (a negation), not part of the match, with a
    matched word at most NEGATION_WINDOW words after it in the same sentence; -1 if none.

    The scope is the few words after the negation, not the whole match: in "options which are
    not needed ... between the fixed header and the payload" the "not" says nothing about
    "payload" twelve words on, though both lie in one any-order match.
    """
    if not positions:  # most answers deny nothing
        return -1
    lo = max(doc.starts[span.sentence], span.start - NEGATION_WINDOW)
    for j in positions:
        if lo <= j < span.last and j not in span.idx:
            for i in span.idx:
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
        rank = (by >= 0, s.typo, s.start, s.last, s.idx)
        if s.sentence not in best or rank < best[s.sentence][0]:
            best[s.sentence] = (rank, s, by)
    return [_hit(pattern, doc, s, by) for _, (_, s, by) in sorted(best.items())]


def _hit(pattern: Pattern, doc: Doc, span: Span, by: int) -> Hit:
    """The Hit of a span; `by` is the position of the negation it lies under, or -1."""
    surfaces = doc.surfaces
    words = tuple(surfaces[i] for i in span.idx)
    negated = by >= 0
    if not negated and doc.purposes:
        by = _near(span, doc, doc.purposes)
    return Hit(pattern.source, words, span.sentence, span.typo, negated, not negated and by >= 0,
               surfaces[by] if by >= 0 else "")
