"""Build a Variant of an exam: parameters per part, filled texts, exact answers and solutions."""

from __future__ import annotations

import datetime as _dt
import hashlib
import random
import string
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from grader.errors import AuthoringError, InputError
from grader.model import Exam, Family, Figure, Part, PartVariant, Solved, Variant

ORIGINAL = "original"


def variant_seed(exam_id: str, exam_version: int, variant_id: str) -> int:
    """The seed of a variant: the same exam version and variant id give it on every machine.

    A hash (not Python's ``hash``, which is salted per process) of the three parts.

    >>> variant_seed("inf5860-2019", 1, "K7Q2M") == variant_seed("inf5860-2019", 1, "K7Q2M")
    True
    """
    digest = hashlib.sha256(f"{exam_id}\0{exam_version}\0{variant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def plain(value: Any) -> Any:
    """A JSON-ready copy: mappings -> dicts with str keys, sequences -> lists, exact numbers -> str.

    Variants hold only such data so that a key.json read back equals the variant written.

    >>> plain({"w": Fraction(1, 2), "k": (3, 5)})
    {'w': '1/2', 'k': [3, 5]}
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, _dt.date):
        return value.isoformat()
    # Fraction, SymPy numbers and expressions: their exact string form
    return str(value)


class _Placeholders(Mapping[str, str]):
    """The values for ``str.format_map``; a missing name is an authoring error naming the part."""

    def __init__(self, values: Mapping[str, Any], part_id: str, file: str) -> None:
        self._values = values
        self._part = part_id
        self._file = file

    def __getitem__(self, key: str) -> str:
        if key not in self._values:
            known = ", ".join(sorted(self._values)) or "none"
            raise AuthoringError(f"text uses {{{key}}} but the family gives no such value "
                                 f"(it gives: {known}); write {{{{ }}}} for literal braces",
                                 file=self._file, part=self._part)
        return str(self._values[key])

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def fill_placeholders(text: str, values: Mapping[str, Any], part_id: str, file: str = "") -> str:
    """Fill ``{name}`` placeholders; only plain names are allowed (no ``{a.b}`` or ``{a[0]}``).

    >>> fill_placeholders("k = {k}, set {{a}}", {"k": 3}, "ex3a")
    'k = 3, set {a}'

    Raises:
        AuthoringError: an unknown name, a non-plain field or unbalanced braces.
    """
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as err:
        raise AuthoringError(f"text has unbalanced braces ({err}); write {{{{ and }}}} for "
                             "literal braces", file=file, part=part_id) from None
    for name in fields:
        if not name.isidentifier():
            raise AuthoringError(f"placeholder {{{name}}} must be a plain name",
                                 file=file, part=part_id)
    return text.format_map(_Placeholders(values, part_id, file))


def _check_variant_id(exam: Exam, variant_id: str) -> random.Random | None:
    """The random generator that drives ``family.sample`` for this variant (None: original)."""
    if variant_id == ORIGINAL:
        return None
    # Randomized variants: random.Random(variant_seed(exam.id, exam.version, variant_id)),
    # one generator for the whole variant, parts drawn in paper order. Not enabled yet.
    raise InputError(f"variant {variant_id!r} is not known for exam {exam.id} "
                     f"(only '{ORIGINAL}' until randomized variants land)")


def _solve(part: Part, family: Family, params: Mapping[str, Any], file: str) -> Solved:
    """Run the family; any failure becomes an AuthoringError naming the part and file."""
    try:
        solved = family.solve(params)
    except AuthoringError as err:
        detail = f"{err.part}: {err.message}" if err.part and err.part != part.id else err.message
        raise AuthoringError(f"family {family.name}: {detail}", file=file, part=part.id) from None
    except (ValueError, TypeError, KeyError, ArithmeticError) as err:
        raise AuthoringError(f"family {family.name} cannot solve these params: {err!r}",
                             file=file, part=part.id) from None
    if not isinstance(solved, Solved):
        raise AuthoringError(f"family {family.name} returned {type(solved).__name__}, not Solved",
                             file=file, part=part.id)
    return solved


def _answer(value: Any) -> str | dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return str(value)


def _family_part(part: Part, family: Family, rng: random.Random | None, file: str) -> PartVariant:
    params: Mapping[str, Any] = part.params
    if rng is not None and family.sample is not None:
        params = family.sample(rng, part.params)
    solved = _solve(part, family, params, file)
    solution = solved.solution
    if part.solution:  # a note from the exam author follows the worked solution
        solution = f"{solution}\n\n{part.solution}" if solution else part.solution
    figures = tuple(Figure(f.id, f.kind, plain(f.data), f.caption) for f in solved.figures)
    return PartVariant(
        part_id=part.id,
        kind=part.kind,
        points=Fraction(part.points),
        text=fill_placeholders(part.text, solved.placeholders, part.id, file),
        params=plain(params),
        answer=_answer(solved.answer),
        solution=solution,
        figures=figures,
    )


def _fixed_part(part: Part) -> PartVariant:
    # Fixed texts are used verbatim: LaTeX braces need no escaping there.
    return PartVariant(
        part_id=part.id,
        kind=part.kind,
        points=Fraction(part.points),
        text=part.text,
        params=plain(part.params),
        answer=part.answer,
        solution=part.solution,
    )


def build_variant(exam: Exam, variant_id: str, families: Mapping[str, Family]) -> Variant:
    """Build one variant of ``exam``: every part with its text, exact answer and solution.

    Args:
        exam: the loaded exam.
        variant_id: ``"original"`` (the exam's own parameters); randomized ids come later.
        families: the family registry (name -> Family), passed in by the caller.

    Raises:
        InputError: the variant id is not known.
        AuthoringError: a family is unknown or fails, or a text placeholder is missing.
    """
    rng = _check_variant_id(exam, variant_id)
    parts = []
    for part in exam.parts:
        if part.family is None:
            parts.append(_fixed_part(part))
            continue
        if part.family not in families:
            known = ", ".join(sorted(families)) or "none"
            raise AuthoringError(f"unknown family {part.family!r} (known: {known})",
                                 file=exam.source, part=part.id)
        parts.append(_family_part(part, families[part.family], rng, exam.source))
    return Variant(exam.id, exam.version, variant_id, tuple(parts))
