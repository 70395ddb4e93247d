"""Answer text to tokens: a pipeline of small normalization steps, sentence split and stemming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

import snowballstemmer

from grader.bounded import BoundedDict

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
             "grey": "gray", "adverserial": "adversarial", "defence": "defense",
             "licence": "license", "offence": "offense", "programme": "program",
             "programmes": "programs", "analogue": "analog", "catalogue": "catalog",
             "dialogue": "dialog", "judgement": "judgment", "ageing": "aging",
             "artefact": "artifact", "artefacts": "artifacts", "sceptical": "skeptical",
             "whilst": "while", "amongst": "among", "cancelled": "canceled",
             "cancelling": "canceling", "levelled": "leveled", "travelling": "traveling",
             "tunnelling": "tunneling", "channelled": "channeled", "fuelled": "fueled",
             "totalled": "totaled", "modeller": "modeler", "skilful": "skillful",
             "fulfil": "fulfill", "enrol": "enroll", "mould": "mold", "plough": "plow"}
# -our -> -or ("colour", "neighbouring", "favourite") and -re -> -er ("centre", "metres"),
# for the stems where the British form is the only difference ("four", "hour" are not).
_OUR_RE = re.compile(r"^(behavi|col|fav|flav|harb|hon|hum|lab|neighb|rum|sav|vap|endeav|arm|od"
                     r"|rig|vig|tum|val|clam|splend|parl)our(s|ed|ing|al|ally|able|ite|ites|"
                     r"hood|hoods|less|ful|er|ers|ly)?$")
_RE_RE = re.compile(r"^(cent|fib|met|lit|theat|calib|spect|lust|somb|meag)re(s|d)?$")
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
    >>> [american(w) for w in ["neighbouring", "fibred", "metres", "four", "hour", "more"]]
    ['neighboring', 'fibered', 'meters', 'four', 'hour', 'more']
    """
    if word in _SPELLING:
        return _SPELLING[word]
    if word in _ISE_KEEP:
        return word
    if "our" in word or word.endswith(("re", "res", "red")):
        word = _OUR_RE.sub(r"\1or\2", word)
        word = _RE_RE.sub(lambda m: m[1] + ("ered" if m[2] == "d" else "er" + (m[2] or "")), word)
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


def _abbreviation(norms: list[str], first: int) -> bool:
    """Whether a "." right after `norms` ends an abbreviation ("e.g.", "etc.") not a sentence."""
    last = norms[-1]
    if last in _ABBREVIATIONS:
        return True
    before = norms[-2] if len(norms) - 2 >= first else ""
    return (before, last) in (("e", "g"), ("i", "e"))


# The sentence ends: . ! ? before whitespace or the end, and line breaks (bullet lists); a
# single full stop is captured: it may end an abbreviation ("e.g.") instead.
# (The leading lookahead only lets the regex engine skip to candidate characters: split
# 2.5 -> 1.1 us per answer.)
_ENDS_RE = re.compile(r"(?=[.!?\n])(?:(\.)(?=\s|$)|[.!?]+(?=\s|$)|\n)")
# In ASCII text [^\W_] is a letter or a digit: every other byte separates words.
_SEPARATE = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))
# _CHAR_MAP's apostrophes: of its characters only these can change a word (its dashes, like
# "-", separate words either way).
_APOSTROPHES = tuple(chr(code) for code, to in _CHAR_MAP.items() if to == "'")
_ROLE_WORDS = NEGATIONS | _NEGATION_BREAKERS
_NORM = itemgetter(0)


class Scan(NamedTuple):
    """An answer's words as parallel lists (no object per word: the matcher's hot path).

    ``starts`` holds the index of each sentence's first word; ``negations`` the words that
    negate what follows; ``purposes`` the negations waived inside a purpose clause;
    ``entries`` each word's entry in the word table the scan used (see ``scan``).
    """

    surfaces: list[str]
    norms: list[str]
    starts: list[int]
    negations: list[int]
    purposes: list[int]
    entries: list[tuple]


WordTable = dict[str, tuple]  # word as written -> (norm, stem, role, ...): see scan


def scan(text: str, words: WordTable | None = None,
         entry: Callable[[str], tuple] | None = None) -> Scan:
    """Split an answer into words with sentence starts and negation roles.

    Hyphens and punctuation separate words; sentences without words are not counted; "not
    only" is not a negation, nor is a negation inside a purpose clause ("so that it does not
    explode", "in order not to overfit").

    `words` and `entry` let a caller bring its own word table, cached by the word as written:
    ``entry(surface)`` builds a missing entry, a tuple that starts with ``word_entry``'s
    (norm, stem, role) and may carry the caller's own data after them (the matcher keeps the
    pattern words each word matches there, so reading an answer looks each word up once).

    >>> found = scan("It doesn't explode. So that it doesn't explode!")
    >>> found.norms[:4], found.starts, found.negations, found.purposes
    (['it', 'not', 'explode', 'so'], [0, 3], [1], [6])
    """
    if words is None:
        words, entry = _WORDS, word_entry
    if text.isascii():  # NFKC keeps ASCII as it is; "`" is _CHAR_MAP's only ASCII key
        clean = text.replace("`", "'") if "`" in text else text
    else:
        clean = unicodedata.normalize("NFKC", text)
        for char in _APOSTROPHES:  # str.replace: str.translate with a dict is slow
            if char in clean:
                clean = clean.replace(char, "'")
    # No apostrophe in ASCII text (95 % of answers): bytes.translate + str.split find the same
    # words as _TOKEN_RE.findall, 5x faster
    split = _TOKEN_RE.findall if "'" in clean or not clean.isascii() else _ascii_words
    pieces = _ENDS_RE.split(clean)  # text, end, text, end, ..., text (end: "." or None)
    if len(pieces) == 1 or (len(pieces) == 3 and (not pieces[2] or not split(pieces[2]))):
        return _scan_sentence(split(pieces[0]), words, entry)  # one sentence: 80 % of answers
    out = Scan([], [], [], [], [], [])
    surfaces, norms, starts, negations, purposes, entries = out
    first = 0  # index of the current sentence's first word
    # Per piece between sentence ends, not per word: the words are split and looked up with
    # map (no Python step per word).
    for k in range(0, len(pieces), 2):
        if k and len(norms) > first and not (pieces[k - 1] and _abbreviation(norms, first)):
            first = len(norms)  # the end before this piece closed a sentence
        found = split(pieces[k])
        if not found:
            continue
        here = len(norms)
        if here == first:
            starts.append(here)
        found_entries = list(map(words.get, found))
        if None in found_entries:  # words not seen before
            found_entries = [e or entry(w) for e, w in zip(found_entries, found, strict=True)]
        surfaces += found
        entries += found_entries
        norms += map(_NORM, found_entries)
        if not _ROLE_WORDS.isdisjoint(norms[here:]):  # rare: word by word
            _roles(norms, entries, here, first, negations, purposes)
    return out


def _scan_sentence(surfaces: list[str], words: WordTable, entry: Callable[[str], tuple]) -> Scan:
    """``scan`` of the words of one sentence (a whole answer): the common case, with fewer
    steps (8.3 -> 4.7 us per answer of 19 words)."""
    entries = list(map(words.get, surfaces))
    if None in entries:  # words not seen before
        entries = [e or entry(w) for e, w in zip(entries, surfaces, strict=True)]
    norms = list(map(_NORM, entries))
    negations: list[int] = []
    purposes: list[int] = []
    if not _ROLE_WORDS.isdisjoint(norms):  # rare: word by word
        _roles(norms, entries, 0, 0, negations, purposes)
    # tuple.__new__: NamedTuple.__new__ is a Python-level call
    return tuple.__new__(Scan, (surfaces, norms, [0] if surfaces else [], negations, purposes,
                                entries))


def _ascii_words(piece: str) -> list[str]:
    """The words of ASCII text without apostrophes (as _TOKEN_RE.findall finds them)."""
    return piece.encode().translate(_SEPARATE).decode().split()


def _roles(norms: list[str], entries: list[tuple], here: int, first: int,
           negations: list[int], purposes: list[int]) -> None:
    """Negations (and purpose clauses) among the words from `here` on, in order: a negation
    negates what follows unless it opens a purpose clause; "not only" does not negate."""
    for i in range(here, len(norms)):
        role = entries[i][2]
        if role == NEGATION:
            waived = _purposive(norms[:i], negations, first)
            (purposes if waived else negations).append(i)
        elif role and negations and negations[-1] == i - 1 >= first:  # "not only"
            negations.pop()


def tokenize(text: str) -> tuple[Token, ...]:
    """An answer as Tokens (``scan`` with one object per word, for callers that want them).

    Tokens keep the answer's own spelling (``surface``) for feedback; ``norm`` is folded.

    >>> [(t.norm, t.stem, t.sentence) for t in tokenize("Over-fitting. It doesn't generalise!")]
    [('over', 'over', 0), ('fitting', 'fit', 0), ('it', 'it', 1), ('not', 'not', 1), \
('generalize', 'general', 1)]
    >>> [t.norm for t in tokenize("so that they do not explode") if t.purpose]
    ['not']
    """
    surfaces, norms, starts, negations, purposes, entries = scan(text)
    negated, waived = set(negations), set(purposes)
    tokens, sentence = [], -1
    for i, (surface, norm, found) in enumerate(zip(surfaces, norms, entries, strict=True)):
        sentence += sentence + 1 < len(starts) and starts[sentence + 1] == i
        tokens.append(Token(surface, norm, found[1], sentence, i in negated, i in waived))
    return tuple(tokens)


def _purposive(norms: list[str], negations: list[int], first: int) -> bool:
    """Whether a negation about to follow `norms` opens no denial but a purpose clause.

    >>> def check(text):
    ...     found = scan(text)
    ...     return _purposive(found.norms, found.negations, 0)
    >>> [check(t) for t in ["so that the weights do", "in order", "it is important to",
    ...                     "it does", "so that it is big but it does"]]
    [True, True, True, False, False]
    """
    if len(norms) > first and norms[-1] in ("to", "lest"):  # "to not overfit"
        return True
    lo = max(first, len(norms) - PURPOSE_REACH - 2)
    for k in range(len(norms) - 1, lo - 1, -1):
        word = norms[k]
        if word in _CLAUSE_BREAKS or (negations and k in negations[-3:]):
            return False
        prev = norms[k - 1] if k > first else ""
        if (prev, word) in _PURPOSE_PAIRS or word == "lest":
            return True
        if prev == "so" and word in _SO_SUBJECTS:
            return True
    return False


NEGATION, BREAKER = 1, 2  # a word's role: negates what follows; "only" after "not" undoes it
_WORDS: dict[str, tuple[str, str, int]] = BoundedDict(100_000)


def word_entry(surface: str) -> tuple[str, str, int]:
    """(norm, stem, role) of a word as written; cached, answers share most words."""
    found = _WORDS.get(surface)
    if found is None:
        norm, stemmed = normalize_word(surface.casefold())
        role = NEGATION if norm in NEGATIONS else BREAKER if norm in _NEGATION_BREAKERS else 0
        found = (norm, stemmed, role)
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


@lru_cache(maxsize=65536)  # snowballstemmer's own cache is off; a class repeats its words
def stem(word: str) -> str:
    """The Snowball stem of a normalized word.

    >>> stem("overfitting")
    'overfit'
    """
    return _STEMMER.stemWord(word)
