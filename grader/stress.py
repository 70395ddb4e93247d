"""Stress-test an exam's families over many variants: errors, degenerate answers, distributions.

In the spirit of R/exams' ``stresstest_exercise``: draw many variants, solve each, grade each
model answer against the rubric, and report what a teacher must fix before printing (failures,
zero or huge answers, variants that repeat) and how the answers are spread.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sympy

from grader.answers import expected_value
from grader.checks import model_answer_scores
from grader.errors import GraderError
from grader.model import Exam, Family, Variant
from grader.pools import sibling_ids
from grader.rubric.loader import Rubric
from grader.variant_ids import variant_ids
from grader.variants import build_variant, families_without_sample, plain

HUGE = 10**6  # an answer beyond this is not one a student computes by hand
# Two parts of a family sharing an answer by coincidence now and then is harmless; when it is
# common, one part does not test what distinguishes it from the other.
SAME_ANSWER_RATE = 0.01
TINY = sympy.Rational(1, 10**6)  # nor a non-zero answer closer to 0 than this


@dataclass
class PartStats:
    """What the stress test saw of one part over all variants."""

    values: list[float] = field(default_factory=list)
    distinct_answers: set[str] = field(default_factory=set)
    degenerate: Counter = field(default_factory=Counter)  # reason -> count
    examples: dict[str, str] = field(default_factory=dict)  # reason -> first variant id
    not_full: int = 0  # variants whose model answer did not score full marks
    siblings: Counter = field(default_factory=Counter)  # pooled parts: sibling id -> times asked

    def flag(self, reason: str, variant_id: str) -> None:
        self.degenerate[reason] += 1
        self.examples.setdefault(reason, variant_id)


@dataclass(frozen=True)
class StressReport:
    seeds: int
    built: int
    errors: tuple[str, ...]
    parts: Mapping[str, PartStats]
    repeated_variants: int  # variants whose parameters equal an earlier variant's
    fixed_families: tuple[str, ...]  # families that cannot draw (same in every variant)

    def _degenerate(self, failing: bool) -> list[str]:
        lines = []
        for part_id, stats in sorted(self.parts.items()):
            for reason, count in sorted(stats.degenerate.items()):
                tolerated = reason.startswith("the same answer") and (
                    count <= SAME_ANSWER_RATE * max(self.built, 1))
                if tolerated != failing:
                    lines.append(f"{part_id}: {count} variant(s) with {reason} "
                                 f"(e.g. {stats.examples[reason]})")
        return lines

    @property
    def warnings(self) -> list[str]:
        """Worth a look, not a reason to stop (rare coincidences, siblings never asked)."""
        never = [f"{part_id}: sibling {sibling} was never asked in {self.built} variants"
                 for part_id, stats in sorted(self.parts.items())
                 for sibling, count in stats.siblings.items() if not count and self.built]
        return self._degenerate(failing=False) + never

    @property
    def failures(self) -> list[str]:
        """Everything that should stop a teacher from printing these variants."""
        problems = list(self.errors) + self._degenerate(failing=True)
        for part_id, stats in sorted(self.parts.items()):
            if stats.not_full:
                problems.append(f"{part_id}: the model answer of {stats.not_full} variant(s) "
                                "does not score full marks")
        return problems


def _numbers(answer) -> Iterable[sympy.Expr]:
    if answer is None:
        return ()
    texts = answer.values() if isinstance(answer, Mapping) else (answer,)
    return (expected_value(str(t)) for t in texts)


def _inspect_answer(stats: PartStats, part, variant_id: str) -> None:
    """Record one part's answer: its values for the distribution, and anything degenerate."""
    if part.answer is None:
        return
    stats.distinct_answers.add(repr(plain(part.answer)))
    for mistake, value in part.mistakes.items():
        # a family mistake equal to the answer would take points from a right answer's twin
        if isinstance(part.answer, str) and expected_value(value) == expected_value(part.answer):
            stats.flag(f"the mistake {mistake} equal to the answer", variant_id)
    for value in _numbers(part.answer):
        if not value.is_real or not value.is_finite:
            stats.flag("a non-finite answer", variant_id)
            continue
        number = float(value)
        stats.values.append(number)
        if value == 0:
            stats.flag("an answer of 0", variant_id)
        elif abs(value) > HUGE:
            stats.flag(f"an answer above {HUGE:,}", variant_id)
        elif abs(value) < TINY:
            stats.flag("an answer within 1e-6 of 0", variant_id)


def stress_test(exam: Exam, rubric: Rubric, families: Mapping[str, Family], seeds: int = 1000,
                seed: int = 0) -> StressReport:
    """Build ``seeds`` random variants of the exam and check every family part of each."""
    parts: dict[str, PartStats] = defaultdict(PartStats)
    errors: list[str] = []
    seen_params: set[str] = set()
    repeated = built = 0
    family_parts = {p.id: p.family for p in exam.parts if p.family}
    for part in exam.parts:  # pooled parts: every sibling is counted, asked or not
        if part.pool:
            parts[part.id].siblings.update(dict.fromkeys(sibling_ids(part), 0))
    for variant_id in variant_ids(seed, seeds):
        try:
            variant = build_variant(exam, variant_id, families)
        except GraderError as exc:
            errors.append(f"variant {variant_id}: {exc}")
            continue
        built += 1
        fingerprint = repr([plain(p.params) for p in variant.parts if p.part_id in family_parts])
        repeated += fingerprint in seen_params
        seen_params.add(fingerprint)
        _inspect_variant(parts, variant, rubric, family_parts)
    return StressReport(seeds, built, tuple(errors), dict(parts), repeated,
                        tuple(families_without_sample(exam, families)))


def _inspect_variant(parts: dict[str, PartStats], variant: Variant, rubric: Rubric,
                     family_parts: Mapping[str, str]) -> None:
    first_with_answer: dict[tuple[str, str], str] = {}
    for part in variant.parts:
        if part.part_id not in family_parts:
            continue
        _inspect_answer(parts[part.part_id], part, variant.variant_id)
        # Two parts of one family with the same answer in a variant: a student who ignores
        # what distinguishes them (a stride, a dilation) still scores, e.g. 3a == 3b.
        key = (family_parts[part.part_id], repr(plain(part.answer)))
        if key in first_with_answer:
            parts[part.part_id].flag(f"the same answer as {first_with_answer[key]}",
                                     variant.variant_id)
        first_with_answer.setdefault(key, part.part_id)
    for part in variant.parts:
        if "sibling" in part.params:
            parts[part.part_id].siblings[part.params["sibling"]] += 1
    for score in model_answer_scores(rubric, variant):
        pooled = score.part in parts and parts[score.part].siblings
        checked = score.part in family_parts or pooled
        if checked and score.score != score.max:
            parts[score.part].not_full += 1


def distribution_lines(report: StressReport) -> list[str]:
    """One line per family part: how many distinct answers, and their spread."""
    lines = []
    for part_id, stats in sorted(report.parts.items()):
        if not stats.values:
            continue
        values = sorted(stats.values)
        quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
        lines.append(
            f"{part_id}: {len(stats.distinct_answers)} distinct answers in {report.built} "
            f"variants; values min {_short(values[0])}, quartiles "
            f"{', '.join(_short(q) for q in quartiles)}, max {_short(values[-1])}")
    return lines


def sibling_lines(report: StressReport) -> list[str]:
    """One line per pooled part: how often each sibling was asked."""
    return [f"{part_id}: siblings asked in {report.built} variants: "
            + ", ".join(f"{sibling} {count}" for sibling, count in stats.siblings.items())
            for part_id, stats in sorted(report.parts.items()) if stats.siblings]


def _short(number: float) -> str:
    return f"{number:.4g}"
