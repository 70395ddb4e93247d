"""key.json (version 1): frozen parameters and exact answers of variants, with a bank fingerprint.

Layout (keys sorted, two-space indent, UTF-8, trailing newline; no timestamps, so the same
inputs give byte-identical files)::

    {"format": "examgrader-key", "version": 1,
     "exam": {"id": "inf5860-2019", "version": 1},
     "fingerprint": "sha256:<hex>",
     "seed": 42,                              # null for the original only
     "variant_ids": ["K7Q2M", "3XW9A"],       # in the order they were made
     "roster": {"s123456": "K7Q2M"},          # student -> variant ({} without a roster)
     "variants": {"K7Q2M": {
         "intros": {"ex3": "..."},            # exercise id -> intro as printed
         "intro_figures": {"ex3": [{"id", "kind", "data", "caption"}]},  # optional: shared
         "parts": [
         {"id": "ex3b", "kind": "number", "points": "1", "text": "...", "params": {...},
          "answer": "23", "solution": "...", "figures": [{"id", "kind", "data", "caption"}],
          "mistakes": {"stride-forgotten": "13"}},   # optional: only when the family gives some
         ...]}}}

Parts are a list, in paper order; ``params`` are the effective parameters the part was
solved on (shared ones included). Points are exact strings ("9/2"); "4.5" is read too.
``seed``, ``variant_ids``, ``roster``, ``intros`` and a part's ``mistakes`` came later within
version 1: a key without them is read as having no seed, its variants in file order, no
roster, no intros, no family-computed mistakes. ``intro_figures`` (the figures of an
exercise's shared family, e.g. the CNN stack of 2019 ex3) is written only when there are some.

The fingerprint is sha256 over a tag, the exam.yaml bytes, and, for every family the exam
uses (sorted by name, shared families included), its name and the bytes of the source file of
the module that defines its ``solve`` (and of its ``sample``, when that is another file).
Paths are not hashed, so the same bank gives the same fingerprint wherever it is installed.
Changes in ``grader/solver`` are not covered: solvers are tested against independent oracles
instead. A key whose fingerprint differs from the current bank's is reported by the caller
as a warning (:func:`fingerprint_warning`), never silently regraded.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.atomic import write_text_atomic
from grader.bank import parse_points
from grader.errors import InputError
from grader.model import Exam, Family, Figure, PartVariant, Variant
from grader.variants import plain

KEY_FORMAT = "examgrader-key"
KEY_VERSION = 1
_FINGERPRINT_TAG = b"examgrader-bank-fingerprint-v1\0"


@dataclass(frozen=True)
class KeyMeta:
    """What a key.json says about where it came from."""

    exam_id: str
    exam_version: int
    fingerprint: str
    version: int = KEY_VERSION
    variant_ids: tuple[str, ...] = ()  # in the order they were made
    roster: Mapping[str, str] = field(default_factory=dict)  # student -> variant id
    seed: int | None = None  # what random variant ids were drawn from (None: original only)


def _families_used(exam_path: Path) -> list[str]:
    """Family names in an exam.yaml, read leniently (the fingerprint must not fail on a typo)."""
    try:
        data = yaml.safe_load(exam_path.read_bytes())
    except yaml.YAMLError:
        return []
    names = set()
    exercises = data.get("exercises") if isinstance(data, Mapping) else None
    for exercise in exercises if isinstance(exercises, list) else []:
        shared = exercise.get("shared") if isinstance(exercise, Mapping) else None
        if isinstance(shared, Mapping) and isinstance(shared.get("family"), str):
            names.add(shared["family"])
        parts = exercise.get("parts") if isinstance(exercise, Mapping) else None
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, Mapping) and isinstance(part.get("family"), str):
                names.add(part["family"])
    return sorted(names)


def _source_file(function: Any) -> Path | None:
    try:
        source_file = inspect.getsourcefile(function)
    except TypeError:  # a builtin or C function
        return None
    return Path(source_file) if source_file else None


def _family_source(family: Family) -> bytes:
    """The bytes of every module in the folders that define ``family.solve`` and
    ``family.sample``, in name order: a family's helpers (samplers, mistake rules) live beside
    it, and a change to any of them can change a variant. Deliberately conservative: editing one
    family module warns for every key of the bank, never silently regrades."""
    folders = sorted({f.parent for f in (_source_file(family.solve),
                                         _source_file(family.sample) if family.sample else None)
                      if f is not None})
    source = b""
    for folder in folders:
        for module in sorted(folder.glob("*.py")):
            source += b"\0" + module.name.encode() + b"\0" + module.read_bytes()
    return source


def bank_fingerprint(exam_path: str | Path, families: Mapping[str, Family]) -> str:
    """``"sha256:<hex>"`` of the exam.yaml and the sources of the families it uses.

    Raises:
        InputError: the exam file cannot be read.
    """
    path = Path(exam_path)
    try:
        exam_bytes = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read exam: {err}", file=str(path)) from None
    digest = hashlib.sha256(_FINGERPRINT_TAG)
    digest.update(len(exam_bytes).to_bytes(8, "big") + exam_bytes)
    for name in _families_used(path):
        source = _family_source(families[name]) if name in families else b""
        for chunk in (name.encode(), source):
            digest.update(len(chunk).to_bytes(8, "big") + chunk)
    return f"sha256:{digest.hexdigest()}"


def fingerprint_warning(meta: KeyMeta, current: str) -> str | None:
    """The warning to show when a key was made from another version of the bank, else None."""
    if meta.fingerprint == current:
        return None
    return (f"the key for {meta.exam_id} was made from a different version of the question "
            f"bank ({meta.fingerprint[:19]}..., now {current[:19]}...); grading uses the "
            "frozen key, regenerate it if the change was intended")


def _figure_json(figure: Figure) -> dict[str, Any]:
    return {"id": figure.id, "kind": figure.kind, "data": plain(figure.data),
            "caption": figure.caption}


def _variant_json(variant: Variant) -> dict[str, Any]:
    data = {"intros": dict(variant.intros), "parts": [_part_json(p) for p in variant.parts]}
    if variant.intro_figures:  # optional within version 1, like a part's mistakes
        data["intro_figures"] = {ex: [_figure_json(f) for f in figures]
                                 for ex, figures in variant.intro_figures.items()}
    return data


def _part_json(part: PartVariant) -> dict[str, Any]:
    data = {
        "id": part.part_id,
        "kind": part.kind,
        "points": str(part.points),
        "text": part.text,
        "params": plain(part.params),
        "answer": plain(part.answer),
        "solution": part.solution,
        "figures": [_figure_json(f) for f in part.figures],
    }
    if part.mistakes:  # optional within version 1: keys without common mistakes stay as they were
        data["mistakes"] = dict(part.mistakes)
    return data


def key_text(exam: Exam, variants: Iterable[Variant], fingerprint: str, *,
             roster: Mapping[str, str] | None = None, seed: int | None = None) -> str:
    """The key.json text (pure; see the module docstring for the layout).

    Args:
        exam: the exam the variants belong to.
        variants: the variants, in the order they were made.
        fingerprint: :func:`bank_fingerprint` of the bank they were made from.
        roster: student id -> variant id, when papers were assigned to a roster.
        seed: the seed random variant ids were drawn from.

    Raises:
        ValueError: the roster names a variant that is not in ``variants``.
    """
    variants = list(variants)
    ids = [v.variant_id for v in variants]
    unknown = sorted({v for v in (roster or {}).values() if v not in ids})
    if unknown:
        raise ValueError(f"the roster uses variants that are not in the key: {unknown}")
    document = {
        "format": KEY_FORMAT,
        "version": KEY_VERSION,
        "exam": {"id": exam.id, "version": exam.version},
        "fingerprint": fingerprint,
        "seed": seed,
        "variant_ids": ids,
        "roster": dict(roster or {}),
        "variants": {v.variant_id: _variant_json(v) for v in variants},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_key(path: str | Path, exam: Exam, variants: Iterable[Variant], fingerprint: str, *,
              roster: Mapping[str, str] | None = None, seed: int | None = None) -> Path:
    """Write key.json atomically; the same inputs give the same bytes (see :func:`key_text`)."""
    return write_text_atomic(path, key_text(exam, variants, fingerprint, roster=roster,
                                            seed=seed))


def _require(data: Any, key: str, types: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, Mapping) or key not in data or not isinstance(data[key], types):
        raise ValueError(f"{where}: '{key}' is missing or has the wrong type")
    return data[key]


def _read_figures(items: list, where: str) -> tuple[Figure, ...]:
    return tuple(Figure(_require(f, "id", str, where), _require(f, "kind", str, where),
                        _require(f, "data", dict, where), f.get("caption", ""))
                 for f in items)


def _read_part(data: Any, where: str) -> PartVariant:
    part_id = _require(data, "id", str, where)
    where = f"{where}, part {part_id}"
    figures = _read_figures(_require(data, "figures", list, where), where)
    answer = data.get("answer")
    if answer is not None and not isinstance(answer, str | dict):
        raise ValueError(f"{where}: 'answer' must be a string or a mapping")
    mistakes = _optional(data, "mistakes", dict, {}, where)
    if not all(isinstance(v, str) for v in mistakes.values()):
        raise ValueError(f"{where}: 'mistakes' must map mistake ids to exact values")
    return PartVariant(
        part_id=part_id,
        kind=_require(data, "kind", str, where),
        points=parse_points(_require(data, "points", (str, int, float), where)),
        text=_require(data, "text", str, where),
        params=_require(data, "params", dict, where),
        answer=answer,
        solution=_require(data, "solution", str, where),
        figures=figures,
        mistakes=mistakes,
    )


def _read_document(document: Any) -> tuple[KeyMeta, dict[str, Variant]]:
    if not isinstance(document, Mapping) or document.get("format") != KEY_FORMAT:
        raise ValueError("not an examgrader key (no \"format\": \"examgrader-key\")")
    version = document.get("version")
    if version != KEY_VERSION:
        raise ValueError(f"key version {version!r} is not supported (supported: {KEY_VERSION})")
    exam = _require(document, "exam", dict, "key")
    exam_id, exam_version = _require(exam, "id", str, "exam"), _require(exam, "version", int,
                                                                        "exam")
    variants = {}
    for variant_id, body in _require(document, "variants", dict, "key").items():
        where = f"variant {variant_id}"
        parts = tuple(_read_part(p, where) for p in _require(body, "parts", list, where))
        intros = _optional(body, "intros", dict, {}, where)
        if not all(isinstance(v, str) for v in intros.values()):
            raise ValueError(f"{where}: 'intros' must map exercise ids to text")
        intro_figures = {}
        for ex, items in _optional(body, "intro_figures", dict, {}, where).items():
            if not isinstance(items, list):
                raise ValueError(f"{where}: 'intro_figures' must map exercise ids to lists")
            intro_figures[str(ex)] = _read_figures(items, f"{where}, exercise {ex}")
        variants[variant_id] = Variant(exam_id, exam_version, variant_id, parts, intros,
                                       intro_figures)
    meta = KeyMeta(exam_id, exam_version, _require(document, "fingerprint", str, "key"),
                   version, *_read_assignment(document, variants))
    return meta, variants


def _optional(data: Mapping, key: str, types: type | tuple[type, ...], default: Any,
              where: str) -> Any:
    """An optional field (added within version 1): ``default`` when absent or null."""
    if data.get(key) is None:
        return default
    return _require(data, key, types, where)


def _read_assignment(document: Mapping, variants: Mapping[str, Variant]
                     ) -> tuple[tuple[str, ...], dict[str, str], int | None]:
    """variant_ids, roster and seed; a key written before they existed has none of them."""
    ids = _optional(document, "variant_ids", list, list(variants), "key")
    roster = _optional(document, "roster", dict, {}, "key")
    seed = _optional(document, "seed", int, None, "key")
    if sorted(map(str, ids)) != sorted(variants) or len(set(ids)) != len(ids):
        raise ValueError("key: 'variant_ids' does not list the key's variants")
    if any(not isinstance(v, str) or v not in variants for v in roster.values()):
        raise ValueError("key: 'roster' assigns a variant that is not in the key")
    return tuple(ids), dict(roster), seed


def read_key(path: str | Path) -> tuple[KeyMeta, dict[str, Variant]]:
    """Read a key.json written by :func:`write_key`.

    Returns:
        The key's metadata and its variants by id.

    Raises:
        InputError: the file cannot be read, is not JSON, or is not a version-1 key.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        return _read_document(document)
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read key: {err}", file=str(path)) from None
    except ValueError as err:  # json.JSONDecodeError is a ValueError too
        raise InputError(f"not a valid key: {err}", file=str(path)) from None
