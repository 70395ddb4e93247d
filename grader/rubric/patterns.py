"""The rubric pattern language (DESIGN 3.4): compile once, match many tokenized answers.

Grammar (one string is one pattern)::

    pattern := seq ("~" seq)*        parts joined by ~ match in any order, same sentence
    seq     := item+                 in order, up to MAX_GAP other words between
    item    := WORD | WORD* | "(" seq ("|" seq)* ")"

A WORD matches by normalized form or stem, a 5+ letter word also with one typo, ``WORD*`` as a
prefix. A synonym key stands for itself and its synonyms; a lexicon head also for its
paraphrases (grader.rubric.lexicon). Two adjacent plain words also match their compound
("feed forward" ~ "feedforward"), and an answer's two adjacent words match a compound
pattern word ("over fitting" ~ "overfitting"). A whole match lies in one sentence; it is
*negated* when a negation word that is not part of the match lies within NEGATION_WINDOW words
before it or between its words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import NamedTuple

from rapidfuzz.distance import DamerauLevenshtein

from grader.rubric import lexicon
from grader.rubric.text import Token, normalize_pattern_word, normalize_word, stem, tokenize

MAX_GAP = 3
NEGATION_WINDOW = 3
MIN_TYPO_LEN = 5
_MAX_SPANS = 24  # per node and sentence: enough witnesses, no blow-up on long answers
_CACHE_LIMIT = 50_000

_LEX_RE = re.compile(r"\s*(?:([()|~])|([^\s()|~]+))")
_WORD_RE = re.compile(r"^[^\W_]+(?:[-'][^\W_]+)*\*?$")


class PatternError(ValueError):
    """A pattern string is malformed; the message says where."""


class Word:
    """One pattern word (interned: equal words are the same object, hashed by identity)."""

    __slots__ = ("text", "stem", "prefix", "order")
    _interned: dict[tuple[str, bool], Word] = {}

    def __init__(self, text: str, prefix: bool) -> None:
        self.text, self.prefix = text, prefix
        self.stem = text if prefix else stem(text)
        self.order = len(Word._interned)  # a stable sort key (identity hashes vary per run)

    @classmethod
    def get(cls, text: str, prefix: bool = False) -> Word:
        key = (text, prefix)
        if key not in cls._interned:
            cls._interned[key] = cls(text, prefix)
        return cls._interned[key]

    def __repr__(self) -> str:
        return f"Word({self.text}{'*' if self.prefix else ''})"


def _needs(node: Node) -> tuple[frozenset[Word], ...]:
    """Sets of words that must each meet the answer for the node to match (a quick reject)."""
    if isinstance(node, Word):
        return (frozenset((node,)),)
    return node.needs


def _all_needs(nodes: tuple[Node, ...]) -> tuple[frozenset[Word], ...]:
    return tuple(n for node in nodes for n in _needs(node))


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    needs: tuple[frozenset[Word], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs", _all_needs(self.items))


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Node, ...]
    needs: tuple[frozenset[Word], ...] = field(init=False, repr=False, compare=False)
    words: frozenset[Word] = field(init=False, repr=False, compare=False)  # plain-word options
    others: tuple[Node, ...] = field(init=False, repr=False, compare=False)
    others_need: frozenset[Word] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # one option must match: the union of each option's smallest required set
        union = frozenset().union(*(min(_needs(o), key=len) for o in self.options))
        object.__setattr__(self, "needs", (union,))
        object.__setattr__(self, "words", frozenset(o for o in self.options if type(o) is Word))
        others = tuple(o for o in self.options if type(o) is not Word)
        object.__setattr__(self, "others", others)
        object.__setattr__(self, "others_need",
                           frozenset().union(*(min(o.needs, key=len) for o in others)))


@dataclass(frozen=True, slots=True)
class AnyOrder:
    parts: tuple[Node, ...]
    needs: tuple[frozenset[Word], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs", _all_needs(self.parts))


def _possible(node: Node, keys) -> bool:
    for need in node.needs:  # a plain loop: this is the matcher's hottest line
        if keys.isdisjoint(need):
            return False
    return True


Node = Word | Seq | Alt | AnyOrder


# ---------------------------------------------------------------- parsing


def _lex(source: str) -> list[str]:
    pos, out = 0, []
    source = source.strip()
    while pos < len(source):
        m = _LEX_RE.match(source, pos)
        if not m or m.end() == pos:
            raise PatternError(f"cannot read pattern {source!r} at {source[pos:]!r}")
        out.append(m.group(1) or m.group(2))
        pos = m.end()
    return out


@dataclass
class _Parser:
    """Recursive descent over the lexed pattern; expands synonyms and lexicon while parsing."""

    source: str
    tokens: list[str]
    synonyms: Mapping[str, tuple[Node, ...]]
    use_lexicon: bool = True
    pos: int = 0

    def fail(self, what: str) -> PatternError:
        return PatternError(f"pattern {self.source!r}: {what}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def pattern(self) -> Node:
        parts = [self.seq()]
        while self.peek() == "~":
            self.pos += 1
            parts.append(self.seq())
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return parts[0] if len(parts) == 1 else AnyOrder(tuple(parts))

    def seq(self) -> Node:
        raw: list[str | Node] = []
        while self.peek() not in (None, "~", "|", ")"):
            tok = self.tokens[self.pos]
            self.pos += 1
            if tok == "(":
                raw.append(self.group())
            else:
                raw.append(self.word(tok))
        if not raw:
            raise self.fail("empty pattern or alternative")
        items = _join_compounds(raw, self.expand, self.use_lexicon)
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def group(self) -> Node:
        options = [self.seq()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.seq())
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.pos += 1
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def word(self, tok: str) -> str:
        if not _WORD_RE.match(tok):
            raise self.fail(f"{tok!r} is not a word (letters, digits, inner - or ', final *)")
        return tok

    def expand(self, tok: str) -> Node:
        """A written word -> its node with synonyms and lexicon paraphrases as alternatives."""
        prefix = tok.endswith("*")
        text = normalize_pattern_word(tok.rstrip("*"))
        if prefix and len(text) < 2:
            raise self.fail(f"prefix {tok!r} is too short")
        options: list[Node] = [Word.get(text, prefix)]
        options.extend(self.synonyms.get(tok.rstrip("*").casefold(), ()))
        if self.use_lexicon:
            options.extend(phrase(a) for a in lexicon.alternatives(text, prefix=prefix))
        return options[0] if len(options) == 1 else Alt(tuple(options))


def _join_compounds(raw: Sequence[str | Node], expand, use_lexicon: bool) -> list[Node]:
    """Expand words; two adjacent plain words also match as one compound word, and as the
    paraphrases of a two-word lexicon head ("speed up")."""
    items: list[Node] = []
    i = 0
    while i < len(raw):
        cur = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if isinstance(cur, str) and isinstance(nxt, str) and "*" not in cur + nxt:
            joined = Word.get(normalize_pattern_word(cur + nxt))
            pair = f"{normalize_pattern_word(cur)} {normalize_pattern_word(nxt)}"
            paraphrases = (phrase(a) for a in lexicon.alternatives(pair)) if use_lexicon else ()
            items.append(Alt((Seq((expand(cur), expand(nxt))), joined, *paraphrases)))
            i += 2
            continue
        items.append(expand(cur) if isinstance(cur, str) else cur)
        i += 1
    return items


def phrase(text: str) -> Node:
    """A plain phrase (lexicon entry or synonym) -> a word sequence, no further expansion."""
    words = [Word.get(normalize_pattern_word(w.rstrip("*")), w.endswith("*"))
             for w in text.split()]
    if not words:
        raise PatternError("empty phrase")
    return words[0] if len(words) == 1 else Seq(tuple(words))


def compile_synonyms(synonyms: Mapping[str, Iterable[str]]) -> dict[str, tuple[Node, ...]]:
    """Exam-wide synonyms: key (folded) -> its alternatives as phrase nodes."""
    out: dict[str, tuple[Node, ...]] = {}
    for key, values in synonyms.items():
        out[key.casefold()] = tuple(_parse(value, {}, False) for value in values)
    return out


def _parse(source: str, synonyms: Mapping[str, tuple[Node, ...]], use_lexicon: bool) -> Node:
    return _Parser(source, _lex(source), synonyms, use_lexicon).pattern()


def _collect_words(root: Node) -> frozenset[Word]:
    found: set[Word] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Word):
            found.add(node)
        else:
            stack.extend(getattr(node, node.__slots__[0]))  # items / options / parts
    return frozenset(found)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: its source text, the node tree and every word in it."""

    source: str
    root: Node
    words: frozenset[Word]


def compile_pattern(
    source: str, synonyms: Mapping[str, tuple[Node, ...]] | None = None, *, use_lexicon=True
) -> Pattern:
    """Compile one pattern string (raises PatternError).

    >>> compile_pattern("(unit|neuron) ~ layer*").root
    AnyOrder(parts=(Alt(options=(Word(unit), Word(neuron))), Word(layer*)))
    """
    if not isinstance(source, str) or not source.strip():
        raise PatternError("a pattern must be a non-empty string")
    root = _parse(source, synonyms or {}, use_lexicon)
    return Pattern(source, root, _collect_words(root))


# ---------------------------------------------------------------- matching


class Span(NamedTuple):
    """Token positions a node matched in one sentence: first, last, all of them, typo used."""

    start: int
    last: int
    idx: tuple[int, ...]
    typo: bool
    sentence: int


@dataclass(frozen=True)
class Hit:
    """A pattern's match in one sentence, with the answer's words that matched."""

    pattern: str
    words: tuple[str, ...]
    sentence: int
    typo: bool = False  # a typo-tolerant match was needed
    negated: bool = False  # the match lies under a negation (it does not count)


@dataclass(frozen=True)
class Doc:
    """One tokenized answer: every pattern word's spans, sentence starts, and a per-answer memo
    of node results (patterns share synonym and lexicon nodes)."""

    tokens: tuple[Token, ...]
    starts: tuple[int, ...]  # index of the first token of each sentence
    hits: Mapping[Word, list[Span]]
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
            typo = {w for w in self.fuzzy if w not in exact and _one_typo(norm, stemmed, w)}
        found = tuple((w, False) for w in exact) + tuple((w, True) for w in typo)
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        cache[norm] = found
        return found

    def read(self, text: str) -> Doc:
        """Tokenize an answer once and find every pattern word in it."""
        tokens = tokenize(text)
        hits: dict[Word, list[Span]] = {}
        starts: list[int] = []
        single_cache, joined_cache = self._cache, self._joined_cache
        for i, tok in enumerate(tokens):
            s = tok.sentence
            if s == len(starts):
                starts.append(i)
            single = single_cache.get(tok.norm)
            if single is None:
                single = self.lookup(tok.norm)
            for w, typo in single:
                hits.setdefault(w, []).append(Span(i, i, (i,), typo, s))
            if i + 1 < len(tokens) and tokens[i + 1].sentence == s:
                joined = tok.norm + tokens[i + 1].norm
                found = joined_cache.get(joined)
                if found is None:
                    found = self.lookup(joined, joined=True)
                for w, _ in found:
                    if all(w is not x for x, _ in single):
                        hits.setdefault(w, []).append(Span(i, i + 1, (i, i + 1), False, s))
        return Doc(tokens, tuple(starts), hits)


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
    for s in spans:
        key = (s.start, s.last)
        if key not in best or (best[key].typo and not s.typo):
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
    if not _possible(node, doc.hits.keys()):
        return []
    if type(node) is Alt:
        out = []
        hits = doc.hits
        keys = hits.keys()
        present = keys & node.words
        for w in sorted(present, key=_ORDER) if len(present) > 1 else present:
            out.extend(hits[w])
        if not keys.isdisjoint(node.others_need):  # most phrase options are absent
            for opt in node.others:
                if _possible(opt, keys):
                    out.extend(_spans(opt, doc))
        out = _dedupe(out) if len(out) > 1 else out
    elif type(node) is Seq:
        hits = doc.hits
        first = node.items[0]
        out = hits.get(first, []) if type(first) is Word else _spans(first, doc)
        for item in node.items[1:]:
            if not out:
                break
            nxt = hits.get(item, []) if type(item) is Word else _spans(item, doc)
            out = _dedupe(Span(a.start, b.last, a.idx + b.idx, a.typo or b.typo, a.sentence)
                          for a in out for b in nxt
                          if a.last < b.start <= a.last + 1 + MAX_GAP and a.sentence == b.sentence)
    else:
        out = _any_order([_spans(part, doc) for part in node.parts])
    doc.memo[id(node)] = out
    return out


def _any_order(lists: list[list[Span]]) -> list[Span]:
    """Combine one span of each part, same sentence, no shared token, any order."""
    if not all(lists):
        return []
    out = []
    for combo in product(*lists):
        if any(s.sentence != combo[0].sentence for s in combo):
            continue
        idx = sorted(i for s in combo for i in s.idx)
        if len(set(idx)) == len(idx):
            out.append(Span(idx[0], idx[-1], tuple(idx), any(s.typo for s in combo),
                            combo[0].sentence))
    return _dedupe(out)


def _negated(span: Span, doc: Doc) -> bool:
    """A negation not part of the match, within NEGATION_WINDOW words before it or inside it."""
    lo = max(doc.starts[span.sentence], span.start - NEGATION_WINDOW)
    tokens = doc.tokens
    return any(tokens[j].negation and j not in span.idx for j in range(lo, span.last + 1))


def search(pattern: Pattern, doc: Doc) -> list[Hit]:
    """The pattern's best match in each sentence (negated matches are kept, marked)."""
    if type(pattern.root) is not Word and not _possible(pattern.root, doc.hits.keys()):
        return []
    best: dict[int, tuple[tuple, Span]] = {}
    for s in _spans(pattern.root, doc):
        rank = (_negated(s, doc), s.typo, s.start, s.last, s.idx)
        if s.sentence not in best or rank < best[s.sentence][0]:
            best[s.sentence] = (rank, s)
    return [Hit(pattern.source, tuple(doc.tokens[i].surface for i in s.idx), number,
                s.typo, rank[0]) for number, (rank, s) in sorted(best.items())]
