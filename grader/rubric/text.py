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
# Sentence ends: . ! ? followed by whitespace/end, and line breaks (bullet lists).
_SENTENCE_END_RE = re.compile(r"[.!?]+(?=\s|$)|\n")
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


class Token(NamedTuple):
    """One word of an answer: as written, normalized, stemmed, and its sentence number."""

    surface: str
    norm: str
    stem: str
    sentence: int
    negation: bool


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


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of a folded text (abbreviations do not end one)."""
    spans, start = [], 0
    for m in _SENTENCE_END_RE.finditer(text):
        before = text[start:m.start()].rsplit(None, 1)
        if m.group() == "." and before and before[-1].rstrip(".").casefold() in _ABBREVIATIONS:
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def tokenize(text: str) -> tuple[Token, ...]:
    """Split an answer into tokens with sentence numbers; hyphens and punctuation separate words.

    Tokens keep the answer's own spelling (``surface``) for feedback; ``norm`` is folded.
    Sentences without words are not counted; "not only" is not a negation.

    >>> [(t.norm, t.stem, t.sentence) for t in tokenize("Over-fitting. It doesn't generalise!")]
    [('over', 'over', 0), ('fitting', 'fit', 0), ('it', 'it', 1), ('not', 'not', 1), \
('generalize', 'general', 1)]
    """
    clean = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    tokens: list[Token] = []
    number = 0
    for lo, hi in _sentence_spans(clean):
        before = len(tokens)
        for surface in _TOKEN_RE.findall(clean, lo, hi):
            norm, stemmed, negation = _word(surface)
            if norm in _NEGATION_BREAKERS and len(tokens) > before and tokens[-1].negation:
                tokens[-1] = tokens[-1]._replace(negation=False)
            tokens.append(Token(surface, norm, stemmed, number, negation))
        number += len(tokens) > before
    return tuple(tokens)


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
