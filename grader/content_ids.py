"""Small ids for what a part score says, so per-student outputs can reuse earlier work.

A class repeats the same outcomes: the same missed concept, matched words, arrow values, the
memo's shared numeric scores. The per-student writers (cache entry, details.jsonl, feedback
pages) each keep the text they made for one outcome under its id and only fill in what is the
student's own (their id, their answer).

An id covers every field of a PartScore and its criteria except `student` and `answer`. Ids are
never reused (a counter), so a table that is cleared when full only loses hits, never gives
another outcome's text. Why an id and not the content tuple as the writers' key: a tuple does
not cache its hash, and hashing a student's ~45 criteria costs ~12 us each time (measured,
2,000-student reference class); the content is hashed once per part score here, and the
three writers look up an int.
"""

from __future__ import annotations

from itertools import count

from grader.bounded import BoundedDict
from grader.model import PartScore

_ids: dict[tuple, int] = BoundedDict(8_192)  # distinct outcomes kept (~4 MB at most)
_next_id = count()

# part scores remembered by identity: a student's, for the three writers
_recent: dict[int, tuple[PartScore, int | None]] = BoundedDict(256)


def content_id(score: PartScore) -> int | None:
    """The id of everything `score` holds but its student and answer (None: not cacheable,
    e.g. float points or a list of matched words; the writers then take their plain path).

    The writers ask for the same PartScore object in turn: the last few are remembered by
    identity (holding the object, so its id() cannot be reused meanwhile).
    """
    recent = _recent.get(id(score))
    if recent is not None and recent[0] is score:
        return recent[1]
    try:
        key = _content(score)
        ident = _ids.get(key)
    except (AttributeError, TypeError):  # not Fractions and tuples of str: no shortcut
        ident = None
    else:
        if ident is None:
            ident = _ids[key] = next(_next_id)
    _recent[id(score)] = (score, ident)
    return ident


def _content(score: PartScore) -> tuple:
    """Every field but student and answer, as a hashable tuple.

    Points are keyed by numerator and denominator (Fraction's own hash is Python code, ~1 us)
    read from the slots directly: its `numerator` property costs ~50 ns a call, ~8 us for a
    student's ~180 (measured); an int has no such slot and takes the plain path (AttributeError).
    `type(met)`: True == 1 as keys, but JSON writes them differently.
    """
    return (score.part, score.score._numerator, score.score._denominator, score.max._numerator,
            score.max._denominator, score.notes, score.flags,
            tuple([(c.id, c.points._numerator, c.points._denominator, c.max._numerator,
                    c.max._denominator, c.met, type(c.met), c.matched, c.feedback)
                   for c in score.criteria]))


def remember_content_id(score: PartScore, ident: int | None) -> None:
    """Tell content_id the id of a part score whose content is known to have it (a decoded
    cache entry: its content text was keyed already)."""
    _recent[id(score)] = (score, ident)
