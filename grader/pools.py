"""Pools of siblings for text parts: alternative wordings and sibling questions (docs/pools.md).

A text part may carry ``pool:``, a list of siblings ``{id, text, solution, rubric}``. The part's
own text and solution are the sibling ``original``. The original variant asks the original; a
random variant picks one sibling with ``random.Random(f"{seed}:{part_id}")`` (the per-part
stream families use) and freezes it in the part's params: ``{"sibling": "sigmoid"}``, plus
``"rubric": "original"`` when the sibling is a rewording that shares another's rubric. The
rubric engine picks the sibling's criteria from those params (``sibling_rubric``), so a
key.json alone says how each paper is graded.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from grader.errors import AuthoringError
from grader.model import ORIGINAL_SIBLING, Part, PartVariant, Sibling

SAME = "same"  # exam.yaml ``rubric: same``: share the original's rubric
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_KEYS = ("id", "text", "solution", "rubric")
_REQUIRED = ("id", "text")


def load_pool(data: Any, *, kind: str, family: str | None, file: str,
              part_id: str) -> tuple[Sibling, ...]:
    """Validate a part's ``pool:`` list (None: no pool) into Siblings.

    Raises:
        AuthoringError: naming the file, the part and the sibling.
    """
    if data is None:
        return ()
    if kind != "text" or family is not None:
        raise AuthoringError("only text parts without a family may have a 'pool'",
                             file=file, part=part_id)
    if not isinstance(data, list) or not data:
        raise AuthoringError("'pool' must be a non-empty list of siblings {id, text, solution}",
                             file=file, part=part_id)
    siblings = tuple(_sibling(item, file, part_id) for item in data)
    ids = [s.id for s in siblings]
    for sib in siblings:
        where = f"sibling {sib.id}"
        if ids.count(sib.id) > 1 or sib.id == ORIGINAL_SIBLING:
            reason = "is the part's own text" if sib.id == ORIGINAL_SIBLING else "is repeated"
            raise AuthoringError(f"{where}: the id {sib.id!r} {reason}", file=file, part=part_id)
        if sib.rubric is None or sib.rubric == ORIGINAL_SIBLING:
            continue
        target = next((s for s in siblings if s.id == sib.rubric), None)
        if target is None or target is sib or target.rubric is not None:
            raise AuthoringError(
                f"{where}: 'rubric: {sib.rubric}' must be 'same' (the original's rubric) or "
                f"another sibling with a rubric of its own ({', '.join(ids)})",
                file=file, part=part_id)
    return siblings


def _sibling(data: Any, file: str, part_id: str) -> Sibling:
    name = data.get("id") if isinstance(data, Mapping) else None
    where = f"sibling {name if isinstance(name, str) else '?'}"
    if not isinstance(data, Mapping):
        raise AuthoringError(f"{where} must be a mapping {{id, text, solution}}",
                             file=file, part=part_id)
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise AuthoringError(f"{where}: unknown key(s) {', '.join(unknown)} "
                             f"(allowed: {', '.join(_KEYS)})", file=file, part=part_id)
    for key in _KEYS:
        value = data.get(key)
        if (value is None and key in _REQUIRED) or not isinstance(value, str | None):
            raise AuthoringError(f"{where}: '{key}' must be text", file=file, part=part_id)
    if not _ID.fullmatch(name):
        raise AuthoringError(f"{where}: the id must be lower-case letters, digits, - or _",
                             file=file, part=part_id)
    rubric = data.get("rubric")
    return Sibling(name, data["text"], data.get("solution") or "",
                   ORIGINAL_SIBLING if rubric == SAME else rubric)


def sibling_ids(part: Part) -> tuple[str, ...]:
    """Every sibling a random variant may ask, the original first."""
    return (ORIGINAL_SIBLING, *(s.id for s in part.pool))


def pool_variant(part: Part, rng: random.Random | None, choice: str | None = None
                 ) -> PartVariant:
    """The part as one variant asks it: the original (``rng`` None), a sibling drawn with
    ``rng``, or the sibling ``choice`` (for checks that visit every sibling)."""
    if choice is None and rng is not None:
        choice = rng.choice(sibling_ids(part))
    text, solution, params = part.text, part.solution, {}
    if choice is not None:
        params = {"sibling": choice}
        if choice != ORIGINAL_SIBLING:
            sibling = next(s for s in part.pool if s.id == choice)
            text, solution = sibling.text, sibling.solution
            if sibling.rubric is not None:
                params["rubric"] = sibling.rubric
    return PartVariant(part_id=part.id, kind=part.kind, points=Fraction(part.points), text=text,
                       params=params, answer=None, solution=solution)
