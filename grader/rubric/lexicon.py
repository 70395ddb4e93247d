"""Built-in paraphrase lexicon: general-language knowledge the matcher adds to pattern words.

Each group has *heads* and *members*. A pattern word that is a head (or a prefix such as
``reduc*`` that names a head) also matches every member of its group. Members are not heads
when they are ambiguous on their own ("lower layers", "less is more"): writing ``lower`` in a
pattern does not turn it into "reduce". Members may be phrases; phrase words are matched in
order with the usual gaps. British spellings and hyphenation are handled by ``text``, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """Words that mean the same change, comparison or cause in an answer."""

    name: str
    heads: tuple[str, ...]
    members: tuple[str, ...]


GROUPS: tuple[Group, ...] = (
    Group("increase", ("increase", "raise", "grow", "boost", "enlarge", "expand", "amplify"),
          ("larger", "bigger", "higher", "greater", "go up", "goes up")),
    Group("decrease", ("decrease", "reduce", "diminish", "mitigate", "minimize", "lessen",
                       "shrink", "alleviate", "limit"),
          ("lower", "less", "fewer", "smaller", "cut down", "bring down", "go down",
           "goes down", "damp", "dampen", "counteract", "combat")),
    Group("speed-up", ("speed up", "accelerate", "faster", "quicker", "hasten"),
          ("converge faster", "converges faster", "quick", "fast", "sooner", "speeds up")),
    Group("prevent", ("prevent", "avoid", "stop", "hinder", "counteract", "combat"),
          ("guard against", "protect against", "reduce", "mitigate", "fight", "limit")),
    Group("cause", ("cause", "lead to", "result in", "give rise to"),
          ("leads to", "results in", "gives rise to", "produce", "induce", "because of",
           "due to")),
    Group("remove", ("remove", "drop", "delete", "eliminate", "discard", "deactivate",
                     "disable", "omit", "exclude", "ignore"),
          ("switch off", "turn off", "shut off", "shut down", "zero out", "set to zero",
           "leave out", "mask", "kill", "deactivated")),
    Group("random", ("random", "randomly", "stochastic"),
          ("by chance", "with probability", "with a probability", "stochastically",
           "probabilistic", "probabilistically")),
    Group("same", ("same", "identical", "equal"),
          ("equally", "alike", "indistinguishable", "identically")),
    Group("compute", ("compute", "calculate", "evaluate"),
          ("computing", "calculation", "computation", "estimate", "approximate")),
    Group("stabilize", ("stabilize", "smooth", "damp", "dampen"),
          ("stabilise", "reduce oscillation", "less oscillation", "fewer oscillations",
           "smoother", "stable")),
    Group("explode", ("explode", "blow up"), ("diverge", "grow large", "become large")),
    # verbs of change
    Group("change", ("change", "modify", "alter", "adjust"),
          ("vary", "varies", "adapt", "tweak")),  # not "update": its own concept in ML
    Group("add", ("add", "append", "insert", "attach"),
          ("put in", "extend with", "concatenate", "added")),
    Group("keep", ("keep", "preserve", "maintain", "retain"),
          ("stay", "stays", "remain", "remains", "hold", "unchanged", "conserve")),
    Group("double", ("double",), ("twice", "two times", "multiply by two", "multiplied by two",
                                  "multiply by 2", "multiplied by 2", "times 2", "times two")),
    Group("halve", ("halve", "half"), ("divide by two", "divided by two", "divide by 2",
                                       "divided by 2", "50 percent")),
    Group("slow-down", ("slow down", "decelerate", "slower"), ("more slowly", "slows down")),
    # verbs of cause and dependence
    Group("depend", ("depend", "influence", "affect"),
          ("rely on", "based on", "determined by", "influenced by", "affected by",
           "correlated", "correlate", "conditional on", "related to", "impact")),
    Group("allow", ("allow", "enable", "permit"), ("make possible", "makes possible", "let")),
    Group("need", ("need", "require"), ("necessary", "must", "have to", "has to", "necessitate",
                                        "requirement", "prerequisite")),
    Group("use", ("use", "utilize", "employ"), ("make use of", "makes use of", "apply",
                                                "rely on", "with the help of")),
    Group("improve", ("improve", "enhance"), ("better", "boost", "strengthen")),
    # comparison
    Group("large", ("large", "big", "huge"), ("high", "great", "sizable", "enormous")),
    Group("small", ("small", "tiny"), ("low", "little", "minor", "negligible")),
    Group("more", ("more",), ("additional", "extra")),
    Group("different", ("different", "differ"), ("distinct", "unlike", "dissimilar",
                                                 "whereas", "in contrast", "as opposed to")),
    Group("similar", ("similar",), ("alike", "comparable", "resemble", "close to")),

    # Irregular forms the stemmer does not join ("broken" is not "break").
    Group("break", ("break",), ("broke", "broken")),
    Group("lead", ("lead",), ("led",)),
    Group("grow-forms", ("grow",), ("grew", "grown")),
    Group("choose", ("choose",), ("chose", "chosen")),
    Group("take", ("take",), ("took", "taken")),
    Group("give", ("give",), ("gave", "given")),
    Group("learn", ("learn",), ("learnt",)),
    Group("vanish", ("vanish",), ("die out", "go to zero", "become small", "shrink to zero",
                                  "tend to zero")),
)


def _index(groups: tuple[Group, ...]) -> Mapping[str, tuple[str, ...]]:
    """head -> every other word of its group (heads first, then members)."""
    index: dict[str, list[str]] = {}
    for group in groups:
        words = group.heads + group.members
        for head in group.heads:
            alts = index.setdefault(head, [])
            alts.extend(w for w in words if w != head and w not in alts)
    return {head: tuple(alts) for head, alts in index.items()}


LEXICON: Mapping[str, tuple[str, ...]] = _index(GROUPS)


def alternatives(word: str, *, prefix: bool = False) -> tuple[str, ...]:
    """Paraphrases of one normalized pattern word (empty when it names no head).

    A prefix names a head when the head starts with it and at most 3 letters are left over
    (``reduc*`` -> reduce; ``re*`` names nothing).

    >>> alternatives("reduce")[:3]
    ('decrease', 'diminish', 'mitigate')
    >>> alternatives("lower")
    ()
    >>> "accelerate" in alternatives("faster"), "decrease" in alternatives("reduc", prefix=True)
    (True, True)
    """
    if not prefix:
        return LEXICON.get(word, ())
    found: list[str] = []
    for head, alts in LEXICON.items():
        if " " not in head and head.startswith(word) and len(head) - len(word) <= 3:
            found.extend(a for a in (head, *alts) if a not in found)
    return tuple(found)


# What makes a sentence say something about a term rather than just name it (a criterion's
# ``explain: true``): connectives of cause, purpose, condition and contrast, and the heads of
# the groups above (verbs of change, cause and comparison, with all their paraphrases).
# Irregular forms, a property, and verbs that prescribe ("use dropout", "add more data")
# rather than describe.
_NOT_DESCRIBING = frozenset({"random", "break", "lead", "grow-forms", "choose", "take", "give",
                             "learn", "use", "need", "more", "add"})
CONNECTIVES = ("because", "since", "so", "therefore", "thus", "hence", "means", "meaning",
               "whereby", "when", "if", "otherwise", "instead", "than", "too", "due to",
               "in order", "by", "until", "whereas", "unless")


def describing_words() -> tuple[str, ...]:
    """The words and phrases that count as describing (connectives and every group head).

    >>> "because" in describing_words() and "increase" in describing_words()
    True
    """
    heads = [h for g in GROUPS if g.name not in _NOT_DESCRIBING for h in g.heads]
    return tuple(dict.fromkeys((*CONNECTIVES, *heads)))
