"""Build a Variant of an exam: parameters per part, filled texts, exact answers and solutions."""

from __future__ import annotations

import datetime as _dt
import random
import string
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from grader.errors import AuthoringError
from grader.model import Exam, Exercise, Family, Figure, Part, PartVariant, Solved, Variant
from grader.pools import pool_variant
from grader.variant_ids import ORIGINAL, normalize_variant_id, variant_seed

__all__ = ["ORIGINAL", "build_variant", "families_without_sample", "fill_placeholders",
           "plain", "variant_seed"]


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


@dataclass(frozen=True)
class _Draw:
    """Where one variant's parameters come from: the original's, or draws from its seed."""

    seed: int | None  # None: the original exam
    variant_id: str
    file: str

    def rng(self, scope_id: str) -> random.Random | None:
        """A generator for one exercise or part: its draws do not depend on the others'.

        Exercise and part ids are unique across the exam (the loader checks), so each scope
        gets its own stream; adding a part does not change the other parts' draws.
        """
        return None if self.seed is None else random.Random(f"{self.seed}:{scope_id}")

    def where(self, message: str) -> str:
        return message if self.seed is None else f"variant {self.variant_id}: {message}"


def _family(name: str, families: Mapping[str, Family], file: str, where: str) -> Family:
    if name not in families:
        known = ", ".join(sorted(families)) or "none"
        raise AuthoringError(f"unknown family {name!r} (known: {known})", file=file, part=where)
    return families[name]


def _solve(family: Family, params: Mapping[str, Any], draw: _Draw, where: str) -> Solved:
    """Run the family; any failure becomes an AuthoringError naming the part and file."""
    try:
        solved = family.solve(params)
    except AuthoringError as err:
        detail = f"{err.part}: {err.message}" if err.part and err.part != where else err.message
        raise AuthoringError(draw.where(f"family {family.name}: {detail}"),
                             file=draw.file, part=where) from None
    except (ValueError, TypeError, KeyError, ArithmeticError) as err:
        raise AuthoringError(draw.where(f"family {family.name} cannot solve these params: "
                                        f"{err!r}"), file=draw.file, part=where) from None
    if not isinstance(solved, Solved):
        raise AuthoringError(f"family {family.name} returned {type(solved).__name__}, not Solved",
                             file=draw.file, part=where)
    return solved


def _sample(family: Family, base: Mapping[str, Any], fixed: Mapping[str, Any], draw: _Draw,
            where: str) -> dict[str, Any]:
    """The scope's own parameters: drawn when the variant is random and the family samples,
    else the original's (a family without ``sample`` keeps its base params in every variant)."""
    rng = draw.rng(where)
    if rng is None or family.sample is None:
        return plain(base)
    try:
        drawn = family.sample(rng, base, fixed)
    except AuthoringError as err:
        raise AuthoringError(draw.where(f"family {family.name} cannot sample: {err.message}"),
                             file=draw.file, part=where) from None
    except (ValueError, TypeError, KeyError, ArithmeticError, IndexError) as err:
        raise AuthoringError(draw.where(f"family {family.name} cannot sample: {err!r}"),
                             file=draw.file, part=where) from None
    if not isinstance(drawn, Mapping):
        raise AuthoringError(f"family {family.name}.sample returned {type(drawn).__name__}, "
                             "not a mapping", file=draw.file, part=where)
    return plain(drawn)


def _answer(value: Any) -> str | dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return str(value)


def _family_part(part: Part, family: Family, fixed: Mapping[str, Any],
                 draw: _Draw) -> PartVariant:
    params = {**fixed, **_sample(family, part.params, fixed, draw, part.id)}
    solved = _solve(family, params, draw, part.id)
    solution = solved.solution
    if part.solution:  # a note from the exam author follows the worked solution
        solution = f"{solution}\n\n{part.solution}" if solution else part.solution
    figures = tuple(Figure(f.id, f.kind, plain(f.data), f.caption) for f in solved.figures)
    return PartVariant(
        part_id=part.id,
        kind=part.kind,
        points=Fraction(part.points),
        text=fill_placeholders(part.text, solved.placeholders, part.id, draw.file),
        params=params,
        answer=_answer(solved.answer),
        solution=solution,
        figures=figures,
        mistakes={str(k): str(v) for k, v in solved.mistakes.items()},
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


def _shared(exercise: Exercise, families: Mapping[str, Family],
            draw: _Draw) -> tuple[dict[str, Any], str, tuple[Figure, ...]]:
    """The parameters an exercise's parts share, its intro (filled when it has a shared
    family; verbatim otherwise, like fixed texts) and the shared family's figures."""
    if exercise.shared_family is None:
        return {}, exercise.intro, ()
    family = _family(exercise.shared_family, families, draw.file, exercise.id)
    shared = _sample(family, exercise.shared_params, {}, draw, exercise.id)
    solved = _solve(family, shared, draw, exercise.id)
    figures = tuple(Figure(f.id, f.kind, plain(f.data), f.caption) for f in solved.figures)
    return (shared, fill_placeholders(exercise.intro, solved.placeholders, exercise.id,
                                      draw.file), figures)


def build_variant(exam: Exam, variant_id: str, families: Mapping[str, Family]) -> Variant:
    """Build one variant of ``exam``: every part with its text, exact answer and solution.

    ``original`` solves the exam's own parameters. Any other id is a Crockford code whose seed
    (:func:`variant_seed`) drives each family's ``sample``: per exercise with a shared family,
    ``random.Random(f"{seed}:{exercise_id}")`` draws the shared parameters; per part,
    ``random.Random(f"{seed}:{part_id}")`` draws the part's own, given the shared ones; the
    part is solved on both merged. Fixed parts are the same in every variant. The variant
    keeps the effective parameters, so a frozen key holds everything needed to grade.

    Args:
        exam: the loaded exam.
        variant_id: ``"original"`` or a variant code (any case; I/L/O read as 1/1/0).
        families: the family registry (name -> Family), passed in by the caller.

    Raises:
        InputError: the variant id is not valid.
        AuthoringError: a family is unknown or fails, or a text placeholder is missing.
    """
    variant_id = normalize_variant_id(variant_id)
    seed = None if variant_id == ORIGINAL else variant_seed(exam.id, exam.version, variant_id)
    draw = _Draw(seed, variant_id, exam.source)
    parts, intros, intro_figures = [], {}, {}
    for exercise in exam.exercises:
        shared, intro, figures = _shared(exercise, families, draw)
        if intro:
            intros[exercise.id] = intro
        if figures:
            intro_figures[exercise.id] = figures
        for part in exercise.parts:
            if part.family is None:  # a pooled part asks one of its siblings (grader.pools)
                parts.append(pool_variant(part, draw.rng(part.id)) if part.pool
                             else _fixed_part(part))
            else:
                family = _family(part.family, families, draw.file, part.id)
                parts.append(_family_part(part, family, shared, draw))
    return Variant(exam.id, exam.version, variant_id, tuple(parts), intros, intro_figures)


def families_without_sample(exam: Exam, families: Mapping[str, Family]) -> list[str]:
    """Families the exam uses that cannot draw new parameters (same in every variant), sorted.

    For ``grader check``: their parts keep the original's parameters in random variants.
    """
    used = {p.family for p in exam.parts if p.family}
    used |= {e.shared_family for e in exam.exercises if e.shared_family}
    return sorted(name for name in used if name in families and families[name].sample is None)
