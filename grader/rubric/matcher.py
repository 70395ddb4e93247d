"""Match compiled patterns (grader.rubric.patterns) against tokenized answers.

A Matcher holds the word table of one rubric part; ``Matcher.read`` tokenizes an answer once
and finds every pattern word in it (a Doc); ``search`` then combines word spans into the
pattern's best match per sentence, marking matches that lie under a negation.

This module holds the word table and reading (Matcher, Matcher.read, Matcher.lookup); the
span algebra is in grader.rubric.spans and search in grader.rubric.hits. Their public names
(Doc, Hit, Span, node_spans, search, NEGATION_WINDOW) are importable from here too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import compress
from operator import itemgetter

from rapidfuzz.distance import DamerauLevenshtein

from grader.rubric.hits import NEGATION_WINDOW, Hit, search
from grader.rubric.patterns import MIN_TYPO_LEN, Pattern, Word
from grader.rubric.spans import Doc, Span, node_spans
from grader.rubric.text import WordTable, normalize_word, scan, stem, word_entry

__all__ = ["NEGATION_WINDOW", "Doc", "Hit", "Matcher", "Span", "node_spans", "search"]

_CACHE_LIMIT = 20_000  # distinct written words per part: bounded memory
_PAYLOAD = itemgetter(3)  # of a word table entry: see Matcher._entry
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
