"""Answer text to tokens: a pipeline of small normalization steps, sentence split and stemming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")

# Apostrophes and dashes students type (or word processors substitute) -> ASCII.
_CHAR_MAP = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
                           "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                           "\u2014": "-", "\u2212": "-"})

# A token is a run of letters/digits, possibly with inner apostrophes ("doesn't").
_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "eg", "ie", "approx", "resp"})

# British -ise verbs that are not -ize words in American spelling (kept as they are).
_ISE_KEEP = frozenset("""
advertise advise arise chastise circumcise comprise compromise concise demise despise devise
disguise enterprise excise exercise expertise franchise improvise incise merchandise noise
otherwise paradise poise praise precise premise promise raise revise rise supervise surmise
surprise televise treatise wise likewise clockwise pairwise stepwise elementwise pointwise
""".split())
_ISE_RE = re.compile(r"^(\w{4,})is(e|es|ed|ing|er|ers|ation|ations|able)$")
_SPELLING = {"behaviour": "behavior", "colour": "color", "neighbour": "neighbor",
             "centre": "center", "centred": "centered", "modelling": "modeling",
             "modelled": "modeled", "labelled": "labeled", "labelling": "labeling",
             "travelled": "traveled", "signalling": "signaling", "favour": "favor",
             "analyse": "analyze", "analysed": "analyzed", "analysing": "analyzing",
             "grey": "gray", "adverserial": "adversarial"}
NEGATIONS = frozenset({"not", "no", "never", "without", "cannot", "neither", "nor", "none",
                       "nothing", "nobody", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
                       "werent", "wont", "cant", "couldnt", "shouldnt", "wouldnt", "hasnt",
                       "havent", "hadnt", "aint"})
# "not only ...", "not just ..." do not negate what follows.
_NEGATION_BREAKERS = frozenset({"only", "just", "merely", "simply"})


# Purpose clauses state what they name: "so that the activations do not explode" says the
# weights are scaled against exploding, it does not deny exploding. A negation is *purposive*
# when one of these openers starts its clause a few words before it (DESIGN 3.4, negation).
_PURPOSE_PAIRS = frozenset({("so", "that"), ("such", "that"), ("in", "order"), ("so", "as")})
# "so" + a subject ("so the weights do not ...", "so it does not ...") is read as a purpose;
# "so we do not use dropout" (an agent's choice) is not.
_SO_SUBJECTS = frozenset({"the", "it", "they", "that", "this", "these", "those", "its", "their",
                          "each", "all", "every", "our", "activations", "gradients", "weights"})
_CLAUSE_BREAKS = frozenset({"but", "however", "although", "though", "whereas", "while",
                            "because", "since"})
PURPOSE_REACH = 6  # words between the opener and the negation


class Token(NamedTuple):
    """One word of an answer: as written, normalized, stemmed, its sentence number, whether it
    negates what follows, and whether it is a negation waived inside a purpose clause."""

    surface: str
    norm: str
    stem: str
    sentence: int
    negation: bool
    purpose: bool = False


def fold(text: str) -> str:
    """Unicode NFKC, case folding and ASCII apostrophes/dashes.

    >>> fold("Over\u2011Fitting Doesn\u2019t")
    "over-fitting doesn't"
    """
    return unicodedata.normalize("NFKC", text).translate(_CHAR_MAP).casefold()


def american(word: str) -> str:
    """British spelling of one folded word -> American (the form patterns are compared in).

    >>> [american(w) for w in ["regularisation", "generalise", "noise", "behaviour", "optimised"]]
    ['regularization', 'generalize', 'noise', 'behavior', 'optimized']
    """
    if word in _SPELLING:
        return _SPELLING[word]
    if word in _ISE_KEEP:
        return word
    m = _ISE_RE.match(word)
    if m and m.group(1) + "ise" not in _ISE_KEEP:
        return f"{m.group(1)}iz{m.group(2)}"
    return word


def contract(word: str) -> str:
    """Negated contractions -> one plain negation word ("doesn't" -> "not").

    >>> [contract(w) for w in ["doesn't", "can't", "won't", "it's", "students'"]]
    ['not', 'not', 'not', 'it', 'students']
    """
    if word.endswith("n't"):
        return "not"
    if "'" in word:
        return word.split("'", 1)[0]
    return word


# The word pipeline: each step maps one folded word to one word; order matters
# (contractions first, so "doesn't" is not re-spelled; spelling before stemming).
WORD_STEPS: tuple[Callable[[str], str], ...] = (contract, american)


@lru_cache(maxsize=65536)
def normalize_word(word: str) -> tuple[str, str]:
    """A folded word -> (normalized word, stem).

    >>> normalize_word("regularising")
    ('regularizing', 'regular')
    >>> normalize_word("neurons")
    ('neurons', 'neuron')
    """
    for step in WORD_STEPS:
        word = step(word)
    return word, _STEMMER.stemWord(word)


def _abbreviation(tokens: list[Token], first: int) -> bool:
    """Whether a "." right after `tokens` ends an abbreviation ("e.g.", "etc.") not a sentence."""
    last = tokens[-1].norm
    if last in _ABBREVIATIONS:
        return True
    before = tokens[-2].norm if len(tokens) - 2 >= first else ""
    return (before, last) in (("e", "g"), ("i", "e"))


# One scan finds words (group 1), a single full stop that may end a sentence (group 2) and the
# other sentence ends: . ! ? before whitespace or the end, and line breaks (bullet lists).
_SCAN_RE = re.compile(r"([^\W_]+(?:'[^\W_]+)*)|(\.)(?=\s|$)|[.!?]+(?=\s|$)|\n")


def tokenize(text: str) -> tuple[Token, ...]:
    """Split an answer into tokens with sentence numbers; hyphens and punctuation separate words.

    Tokens keep the answer's own spelling (``surface``) for feedback; ``norm`` is folded.
    Sentences without words are not counted; "not only" is not a negation, nor is a negation
    inside a purpose clause ("so that it does not explode", "in order not to overfit").

    >>> [(t.norm, t.stem, t.sentence) for t in tokenize("Over-fitting. It doesn't generalise!")]
    [('over', 'over', 0), ('fitting', 'fit', 0), ('it', 'it', 1), ('not', 'not', 1), \
('generalize', 'general', 1)]
    >>> [t.norm for t in tokenize("so that they do not explode") if t.purpose]
    ['not']
    """
    clean = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    tokens: list[Token] = []
    number = first = 0  # sentence number, index of its first token
    words, _new = _WORDS, tuple.__new__  # a Token without NamedTuple.__new__'s Python frame
    for surface, dot in _SCAN_RE.findall(clean):  # findall: the tokenizer's hot loop
        if not surface:  # a sentence end
            if len(tokens) > first and not (dot and _abbreviation(tokens, first)):
                number, first = number + 1, len(tokens)
            continue
        norm, stemmed, negation = words.get(surface) or _word(surface)
        if negation:
            if _purposive(tokens, first):
                tokens.append(Token(surface, norm, stemmed, number, False, True))
                continue
        elif norm in _NEGATION_BREAKERS and len(tokens) > first and tokens[-1].negation:
            tokens[-1] = tokens[-1]._replace(negation=False)
        tokens.append(_new(Token, (surface, norm, stemmed, number, negation, False)))
    return tuple(tokens)


def _purposive(tokens: list[Token], first: int) -> bool:
    """Whether a negation about to follow `tokens` opens no denial but a purpose clause.

    >>> [_purposive(list(tokenize(t)), 0) for t in ["so that the weights do", "in order",
    ...  "it is important to", "it does", "so that it is big but it does"]]
    [True, True, True, False, False]
    """
    if len(tokens) > first and tokens[-1].norm in ("to", "lest"):  # "to not overfit"
        return True
    lo = max(first, len(tokens) - PURPOSE_REACH - 2)
    for k in range(len(tokens) - 1, lo - 1, -1):
        word = tokens[k].norm
        if word in _CLAUSE_BREAKS or tokens[k].negation:
            return False
        prev = tokens[k - 1].norm if k > first else ""
        if (prev, word) in _PURPOSE_PAIRS or word == "lest":
            return True
        if prev == "so" and word in _SO_SUBJECTS:
            return True
    return False


_WORDS: dict[str, tuple[str, str, bool]] = {}


def _word(surface: str) -> tuple[str, str, bool]:
    """(norm, stem, is a negation) of a word as written; cached, answers share most words."""
    found = _WORDS.get(surface)
    if found is None:
        norm, stemmed = normalize_word(surface.casefold())
        found = (norm, stemmed, norm in NEGATIONS)
        if len(_WORDS) > 100_000:
            _WORDS.clear()
        _WORDS[surface] = found
    return found


def normalize_pattern_word(word: str) -> str:
    """A word written in a rubric pattern -> the normalized form tokens are compared in.

    Hyphens join ("pre-train" -> "pretrain"): the matcher also joins two answer words, so
    "pre-training", "pre training" and "pretraining" all match.

    >>> normalize_pattern_word("Over-Fitting"), normalize_pattern_word("regularise")
    ('overfitting', 'regularize')
    """
    word = fold(word).replace("-", "")
    for step in WORD_STEPS:
        word = step(word)
    return word


def stem(word: str) -> str:
    """The Snowball stem of a normalized word.

    >>> stem("overfitting")
    'overfit'
    """
    return _STEMMER.stemWord(word)
