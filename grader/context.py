"""Loading an exam with its rubric and families, and the variant lookups grading uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from grader import bank, checks, keyfile, variants
from grader import cache as result_cache
from grader.bounded import BoundedDict
from grader.errors import InputError
from grader.grading import GradingContext
from grader.model import Exam, Family, Variant
from grader.rubric.loader import Rubric, load_rubric
from grader.variant_ids import normalize_variant_id


@dataclass(frozen=True)
class ExamContext:
    """An exam with its rubric and the families that generate its variants, all validated."""

    exam: Exam
    exam_path: Path
    rubric: Rubric
    families: Mapping[str, Family]


def default_families() -> Mapping[str, Family]:
    """The bank's question families (the only place grader reaches into question_bank)."""
    from question_bank.families import FAMILIES

    return FAMILIES


def load_context(exam: str, rubric: Path | None = None) -> ExamContext:
    """Resolve a bank id or exam.yaml path, load the exam and its rubric, and check they agree."""
    families = default_families()
    exam_path, default_rubric = bank.resolve_exam(exam)
    loaded = bank.load_exam(exam_path, families)
    rubric_path = rubric or default_rubric
    if not rubric_path.is_file():
        raise InputError("no rubric found (give one with --rubric)", file=str(rubric_path))
    loaded_rubric = load_rubric(rubric_path)
    checks.check_rubric_covers(loaded, loaded_rubric)
    return ExamContext(loaded, exam_path, loaded_rubric, families)


def variant_lookup(ctx: ExamContext) -> Callable[[str], Variant]:
    """Build variants on demand (each at most once per run, whatever the id's spelling)."""
    build = cache(lambda canonical: variants.build_variant(ctx.exam, canonical, ctx.families))
    return lambda variant_id: build(normalize_variant_id(variant_id))


def key_lookup(ctx: ExamContext, key: Path) -> tuple[Callable[[str], Variant], list[str]]:
    """Variants from a frozen key.json, with a warning if the bank changed since it was written."""
    meta, frozen = keyfile.read_key(key)
    if meta.exam_id != ctx.exam.id:
        raise InputError(f"key is for exam '{meta.exam_id}', not '{ctx.exam.id}'", file=str(key))
    warning = keyfile.fingerprint_warning(
        meta, keyfile.bank_fingerprint(ctx.exam_path, ctx.families))

    def lookup(variant_id: str) -> Variant:
        canonical = normalize_variant_id(variant_id)
        if canonical not in frozen:
            raise InputError(f"variant '{variant_id}' is not in the key {key.name}")
        return frozen[canonical]

    return lookup, [f"{key}: {warning}"] if warning else []


def grading_context(exam: str, rubric: Path | None = None, key: Path | None = None,
                    ) -> GradingContext:
    """The context grading needs: exam, rubric and variant lookup (bank or frozen key)."""
    ctx = load_context(exam, rubric)
    lookup = key_lookup(ctx, key)[0] if key else variant_lookup(ctx)
    return GradingContext(ctx.exam, ctx.rubric, lookup)


_CONTEXTS: dict[str, GradingContext] = BoundedDict(4)  # by fingerprint: built once a process


def remember_context(fingerprint: str, context: GradingContext) -> None:
    """Let this process's ContextFactory(…, fingerprint) return `context` (already loaded by
    the caller) instead of loading the exam and rubric a second time (~0.3 s per batch)."""
    _CONTEXTS[fingerprint] = context


@dataclass(frozen=True)
class ContextFactory:
    """Picklable recipe for a worker's context; reused while the fingerprint is the same.

    The fingerprint covers the rubric's and key's bytes, the bank and the grading code, so an
    edited file in a long-lived process never meets a stale context.
    """

    exam: str
    rubric: Path | None
    key: Path | None
    fingerprint: str

    def __call__(self) -> GradingContext:
        context = _CONTEXTS.get(self.fingerprint)
        if context is None:
            context = grading_context(self.exam, self.rubric, self.key)
            remember_context(self.fingerprint, context)
        return context


def grading_fingerprint(ctx: ExamContext, key: Path | None) -> str:
    """What every cached score depends on besides the answers: code, rubric, key or bank."""
    rubric_bytes = Path(ctx.rubric.source).read_bytes() if ctx.rubric.source else b""
    frozen = key.read_bytes() if key else keyfile.bank_fingerprint(ctx.exam_path, ctx.families)
    return result_cache.fingerprint(result_cache.code_fingerprint(), rubric_bytes, frozen,
                                    ctx.exam.id)
