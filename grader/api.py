"""The functions the CLI calls, one per verb; every default lives here."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from grader import bank, checks, keyfile, variants
from grader.errors import InputError
from grader.grading import GradingContext, StudentResult, grade_stream
from grader.ingest.submissions import IngestProblem, read_submissions
from grader.model import Exam, Family, Variant
from grader.report import grades
from grader.report.outputs import write_outputs
from grader.rubric.loader import Rubric, load_rubric
from grader.solver import cnn, graph, report

DEFAULT_VARIANTS = ("original",)


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


def list_exams() -> list[Exam]:
    """Every exam in the bank."""
    return [bank.load_exam(path, default_families()) for path in bank.list_bank()]


def variant_lookup(ctx: ExamContext) -> Callable[[str], Variant]:
    """Build variants on demand (each at most once per run)."""
    return cache(lambda variant_id: variants.build_variant(ctx.exam, variant_id, ctx.families))


def make_papers(exam: str, out_dir: Path, variant_ids: Sequence[str] = DEFAULT_VARIANTS,
                rubric: Path | None = None) -> list[Path]:
    """Student papers, answer keys and key.json for the given variants."""
    from grader.paper import write_papers

    ctx = load_context(exam, rubric)
    built = [variants.build_variant(ctx.exam, v, ctx.families) for v in variant_ids]
    written = write_papers(out_dir, ctx.exam, built)
    key_path = out_dir / "key.json"
    keyfile.write_key(key_path, ctx.exam, built,
                      keyfile.bank_fingerprint(ctx.exam_path, ctx.families))
    return [*written, key_path]


@dataclass(frozen=True)
class GradeSummary:
    students: int
    problems: tuple[IngestProblem, ...]
    results: tuple[StudentResult, ...]
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.fatal)


def _key_lookup(ctx: ExamContext, key: Path) -> tuple[Callable[[str], Variant], list[str]]:
    meta, frozen = keyfile.read_key(key)
    warnings = []
    if meta.get("exam") not in (None, ctx.exam.id):
        raise InputError(f"key is for exam '{meta.get('exam')}', not '{ctx.exam.id}'",
                         file=str(key))
    current = keyfile.bank_fingerprint(ctx.exam_path, ctx.families)
    if meta.get("fingerprint") != current:
        warnings.append(f"{key}: the bank changed since this key was written (fingerprint "
                        "differs); grading uses the frozen key, not the current bank")

    def lookup(variant_id: str) -> Variant:
        if variant_id not in frozen:
            raise InputError(f"variant '{variant_id}' is not in the key {key.name}")
        return frozen[variant_id]

    return lookup, warnings


def grade(exam: str, inputs: Sequence[Path], out_dir: Path, *, key: Path | None = None,
          rubric: Path | None = None, scale: str | None = None) -> GradeSummary:
    """Grade submission files and folders; write every output into out_dir."""
    ctx = load_context(exam, rubric)
    grade_scale = grades.parse_scale(scale) if scale else grades.DEFAULT_SCALE
    lookup, warnings = _key_lookup(ctx, key) if key else (variant_lookup(ctx), [])
    grading = GradingContext(ctx.exam, ctx.rubric, lookup)
    results: list[StudentResult] = []
    problems: list[IngestProblem] = []
    for item in grade_stream(read_submissions(inputs), grading):
        (problems if isinstance(item, IngestProblem) else results).append(item)
    files = write_outputs(out_dir, ctx.exam, results, problems, grade_scale, lookup)
    return GradeSummary(len(results), tuple(problems), tuple(results), tuple(files),
                        tuple(warnings))


@dataclass(frozen=True)
class CheckReport:
    exam: Exam
    lines: tuple[str, ...]
    failures: tuple[str, ...]


def check(exam: str, rubric: Path | None = None) -> CheckReport:
    """Validate bank and rubric, and grade every part's model answer (each must score full)."""
    ctx = load_context(exam, rubric)
    lines, failures = [], []
    original = variants.build_variant(ctx.exam, "original", ctx.families)
    for score in checks.model_answer_scores(ctx.rubric, original):
        line = (f"{score.part}: model answer scores {grades.format_points(score.score)} / "
                f"{grades.format_points(score.max)}")
        lines.append(line)
        if score.score != score.max:
            missed = [c.id for c in score.criteria if not c.met]
            failures.append(f"{line} (missed: {', '.join(missed) or ', '.join(score.notes)})")
    return CheckReport(ctx.exam, tuple(lines), tuple(failures))


def solve_backprop(path: Path, as_json: bool = False) -> str:
    """Forward values, arrow values and gradients of a graph file (DESIGN 3.1)."""
    solution = graph.solve_graph(graph.load_graph(path))
    if as_json:
        return json.dumps(report.graph_json(solution), indent=2, sort_keys=False)
    return report.graph_text(solution)


def solve_cnn(path: Path, as_json: bool = False) -> str:
    """Field of view, effective stride, output sizes and parameters of a stack (DESIGN 3.2)."""
    solution = cnn.solve_cnn(cnn.load_cnn(path))
    if as_json:
        return json.dumps(report.cnn_json(solution), indent=2, sort_keys=False)
    return report.cnn_text(solution)
