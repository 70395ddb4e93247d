"""The rubric pattern language (DESIGN 3.4): parse pattern strings into node trees, once.

Grammar (one string is one pattern)::

    pattern := seq ("~" seq)*        parts joined by ~ match in any order, same sentence
    seq     := item+                 in order, up to MAX_GAP other words between
    item    := WORD | WORD* | "(" seq ("|" seq)* ")"

A WORD matches by normalized form or stem, a 5+ letter word also with one typo, ``WORD*`` as a
prefix. A synonym key stands for itself and its synonyms; a lexicon head also for its
paraphrases (grader.rubric.lexicon). Two adjacent plain words also match their compound
("feed forward" ~ "feedforward"), and an answer's two adjacent words match a compound
pattern word ("over fitting" ~ "overfitting"). A whole match lies in one sentence; it is
*negated* when a negation word that is not part of the match lies within a few words before
it or between its words (grader.rubric.matcher).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from grader.rubric import lexicon
from grader.rubric.text import normalize_pattern_word, stem

MAX_GAP = 3
MIN_TYPO_LEN = 5

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


@cache
def describing_pattern() -> Pattern:
    """The built-in pattern of describing words (lexicon.describing_words), compiled once."""
    return compile_pattern("(" + " | ".join(lexicon.describing_words()) + ")")
