"""Match compiled patterns (grader.rubric.patterns) against tokenized answers.

A Matcher holds the word table of one rubric part; ``Matcher.read`` tokenizes an answer once
and finds every pattern word in it (a Doc); ``search`` then combines word spans into the
pattern's best match per sentence, marking matches that lie under a negation.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import compress
from operator import attrgetter, itemgetter
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
)
from grader.rubric.text import WordTable, normalize_word, scan, stem, word_entry

NEGATION_WINDOW = 3
_MAX_SPANS = 24  # per node and sentence: enough witnesses, no blow-up on long answers
_CACHE_LIMIT = 20_000  # distinct written words per part: bounded memory
_PAYLOAD = itemgetter(3)  # of a word table entry: see Matcher._entry


# Token positions a node matched in one sentence: (start, last, idx, typo, sentence): first
# and last position, all of them, whether a typo was used, the sentence. A plain tuple read by
# index, not a NamedTuple: 20 are built per answer, and a tuple literal costs one allocation
# where tuple.__new__(Span, ...) costs a call and two (score_text 48 -> 46 us per answer).
Span = tuple[int, int, tuple[int, ...], bool, int]


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
        self._words: WordTable = {}  # scan's word table, with this part's matches (_entry)

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

    def _entry(self, surface: str) -> tuple:
        """A word as written -> scan's (norm, stem, role) and what reading needs of it: None
        (no pattern word, no compound can start here: 45 % of words), or (pattern words matched
        exactly, pattern words matched with a typo, whether it may start a compound, and the
        only pattern word when that is all: 60 % of the others)."""
        norm, stemmed, role = word_entry(surface)
        single = self._cache.get(norm) or self.lookup(norm)
        head = norm in self.heads
        found = None
        if single or head:
            exact = tuple(w for w, typo in single if not typo)
            typos = tuple(w for w, typo in single if typo)
            only = exact[0] if len(exact) == 1 and not (typos or head) else None
            found = (exact, typos, head, only)
        entry = (norm, stemmed, role, found)
        self._words[surface] = entry  # read() bounds the caches, between answers
        return entry

    def read(self, text: str) -> Doc:
        """Scan an answer once and find every pattern word in it."""
        if (len(self._words) > _CACHE_LIMIT or len(self._cache) > _CACHE_LIMIT
                or len(self._joined_cache) > _CACHE_LIMIT):
            for cache in (self._words, self._cache, self._joined_cache):
                cache.clear()  # between answers: an entry is never lost mid-answer
        surfaces, norms, starts, negations, purposes, entries = scan(text, self._words,
                                                                     self._entry)
        joined_cache = self._joined_cache
        hits: dict[Word, list[Span]] = {}
        payloads = list(map(_PAYLOAD, entries))
        n = len(payloads)
        sentence, end = 0, n  # of a one-sentence answer (most)
        several = len(starts) > 1
        # compress: only the words that match a pattern word or may start a compound (half of
        # an answer's), without a Python step for the others
        for i in compress(range(n), payloads):
            exact, typos, head, only = payloads[i]
            if several:
                sentence = bisect_right(starts, i) - 1
                end = starts[sentence + 1] if sentence + 1 < len(starts) else n
            if only is not None:  # one pattern word, exactly: the common case, fewest steps
                spans = hits.get(only)
                if spans is None:
                    hits[only] = [(i, i, (i,), False, sentence)]
                else:
                    spans.append((i, i, (i,), False, sentence))
                continue
            # one Span per word and typo flag, shared by its pattern words
            for words, typo in ((exact, False), (typos, True)):
                if not words:
                    continue
                span = (i, i, (i,), typo, sentence)
                for w in words:
                    spans = hits.get(w)
                    if spans is None:
                        hits[w] = [span]
                    else:
                        spans.append(span)
            if head and i + 1 < end:
                joined = norms[i] + norms[i + 1]
                compound = joined_cache.get(joined)
                if compound is None:
                    compound = self.lookup(joined, joined=True)
                for w, _ in compound:
                    if w not in exact and w not in typos:  # Words compare by identity
                        hits.setdefault(w, []).append((i, i + 1, (i, i + 1), False, sentence))
        return tuple.__new__(Doc, (surfaces, starts, hits, tuple(negations), tuple(purposes)))


def _close(a: str, b: str) -> bool:
    """One edit apart, but not a word and its one-letter extension ("large"/"larger"): those
    are different words, and a real inflection is the stemmer's business."""
    return (abs(len(a) - len(b)) <= 1 and not (a.startswith(b) or b.startswith(a))
            and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1)


def _one_typo(norm: str, stemmed: str, w: Word) -> bool:
    """One edit (Damerau: a swap is one) between the answer word and a 5+ letter pattern word."""
    return _close(norm, w.text) or (len(stemmed) >= MIN_TYPO_LEN - 1 and _close(stemmed, w.stem))


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
