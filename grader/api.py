"""The functions the CLI calls, one per verb; every default lives here."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader import bank, checks, family_solve, keyfile, stress, variants
from grader import cache as result_cache
from grader import roster as _roster
from grader.atomic import write_text_atomic
from grader.batch import BatchSetup, run_batch
from grader.context import (  # noqa: F401 - re-exported: the CLI and tests use api.*
    ContextFactory,
    ExamContext,
    default_families,
    grading_context,
    grading_fingerprint,
    key_lookup,
    load_context,
    remember_context,
    variant_lookup,
)
from grader.errors import InputError
from grader.grading import GradingContext, StudentResult
from grader.ingest.lms import lms_context
from grader.ingest.submissions import IngestProblem, read_submissions
from grader.model import Exam, Variant
from grader.report import grades
from grader.report.compare import CHANGES_HEADER, Change, compare_details
from grader.report.outputs import csv_text
from grader.report.overrides import load_overrides
from grader.report.report import report_html
from grader.solver import cnn, graph, report

DEFAULT_VARIANTS = ("original",)


def list_exams() -> list[Exam]:
    """Every exam in the bank."""
    return [bank.load_exam(path, default_families()) for path in bank.list_bank()]


DEFAULT_SEED = 0  # `grader paper --seed`: the same seed gives the same ids, papers and key.json
ASSIGNMENT_FILE = "roster-assignment.csv"


@dataclass(frozen=True)
class PaperSet:
    """What `grader paper` wrote: files, the variants in order, who got which, and warnings."""

    files: tuple[Path, ...]
    variant_ids: tuple[str, ...]
    assignment: Mapping[str, str] = field(default_factory=dict)  # student -> variant id
    seed: int | None = None
    warnings: tuple[str, ...] = ()


def make_papers(exam: str, out_dir: Path, variant_ids: Sequence[str] = DEFAULT_VARIANTS,
                rubric: Path | None = None, *, count: int | None = None,
                seed: int | None = None, roster: Path | None = None,
                formats: Sequence[str] | None = None) -> PaperSet:
    """Student papers, answer keys and key.json for the given variants, or for random ones.

    Args:
        exam: bank id or exam.yaml path.
        out_dir: the output folder.
        variant_ids: the variants to write when neither ``count`` nor ``roster`` is given.
        rubric: the rubric (default: the bank's); it checks the exam, and the answer keys
            state each numeric part's tolerance from it (student papers never see it).
        count: write this many random variants, with different content, ids from ``seed``.
        seed: what random ids are drawn from (default :data:`DEFAULT_SEED`).
        roster: a roster CSV; each student gets a variant (a different one while there are
            enough), a paper under ``students/``, a row in roster-assignment.csv and key.json.
        formats: any of md, html, tex, pdf (default :data:`grader.paper.DEFAULT_FORMATS`);
            pdf also writes the LaTeX source and, with a roster, students.pdf for printing.

    Raises:
        InputError: a bad roster, variant id or format. AuthoringError: a bad exam or family,
        or TeX failed. ToolMissing: pdf asked for and TeX not installed (checked first).
    """
    formats = _paper_formats(formats)
    ctx = load_context(exam, rubric)
    if count is None and roster is None:
        built = [variants.build_variant(ctx.exam, v, ctx.families) for v in variant_ids]
        unused = ("--seed only matters with --variants or --roster",) if seed is not None else ()
        return PaperSet(_write_variants(ctx, out_dir, built, {}, None, formats),
                        tuple(v.variant_id for v in built), warnings=unused)
    seed = DEFAULT_SEED if seed is None else seed
    students = _roster.read_roster(roster) if roster is not None else ()
    build = functools.partial(variants.build_variant, ctx.exam, families=ctx.families)
    pool = _roster.distinct_variants(build, seed, count or len(students))
    built, warnings, written = list(pool.variants), list(pool.warnings), []
    assignment: dict[str, str] = {}
    if students:
        done = _roster.assign(students, [v.variant_id for v in built])
        warnings += done.warnings
        written = _write_roster_papers(ctx.exam, out_dir, built, done, formats)
        assignment = done.mapping()
    written = [*_write_variants(ctx, out_dir, built, assignment, seed, formats), *written]
    return PaperSet(tuple(written), tuple(v.variant_id for v in built), assignment, seed,
                    tuple(warnings))


def _paper_formats(formats: Sequence[str] | None) -> tuple[str, ...]:
    """Validated formats (default: md and html); with pdf, fail now if TeX is missing."""
    from grader.paper import DEFAULT_FORMATS, parse_formats
    from grader.paper.pdf import require_pdflatex

    chosen = parse_formats(",".join(formats)) if formats else DEFAULT_FORMATS
    if "pdf" in chosen:
        require_pdflatex()
    return chosen


def _write_variants(ctx: ExamContext, out_dir: Path, built: Sequence[Variant],
                    assignment: Mapping[str, str], seed: int | None,
                    formats: Sequence[str]) -> tuple[Path, ...]:
    """Per variant: paper-<id>.<fmt> and key-<id>.<fmt>; then key.json for them all."""
    from grader.paper import write_papers
    from grader.rubric.tolerances import tolerance_texts

    written = write_papers(out_dir, ctx.exam, built, formats, tolerance_texts(ctx.rubric))
    key = keyfile.write_key(out_dir / "key.json", ctx.exam, built,
                            keyfile.bank_fingerprint(ctx.exam_path, ctx.families),
                            roster=assignment, seed=seed)
    return (*written, key)


def _paper_stems(students: Sequence[_roster.Student]) -> list[str]:
    """Safe, distinct file stems for students' papers (also where only case tells ids apart).

    safe_filename already keeps only lower-case ids and hashes the others, so stems differ
    even where case does not count; the casefold check stays as a safety net.
    """
    from grader.report.outputs import safe_filename

    stems: list[str] = []
    used: set[str] = set()
    for student in students:
        stem = safe_filename(student.student)
        if stem.casefold() in used:
            stem = f"{stem}-{hashlib.sha256(student.student.encode()).hexdigest()[:8]}"
        used.add(stem.casefold())
        stems.append(stem)
    return stems


def _write_roster_papers(exam: Exam, out_dir: Path, built: Sequence[Variant],
                         done: _roster.Assignment, formats: Sequence[str]) -> list[Path]:
    """Each student's paper (students/<stem>.<fmt>) and roster-assignment.csv."""
    from grader.atomic import write_text_atomic
    from grader.paper import write_student_papers
    from grader.paper.write import STUDENT_DIR

    stems = _paper_stems([s for s, _ in done.rows])
    rows = [(stem, s.student, v) for stem, (s, v) in zip(stems, done.rows, strict=True)]
    written = write_student_papers(out_dir, exam, {v.variant_id: v for v in built}, rows,
                                   formats)
    text = _roster.assignment_csv(done, [f"{STUDENT_DIR}/{stem}" for stem in stems])
    return [*written, write_text_atomic(out_dir / ASSIGNMENT_FILE, text)]


@dataclass(frozen=True)
class GradeSummary:
    students: int
    problems: tuple[IngestProblem, ...]
    results: tuple[StudentResult, ...]  # empty: batches stream (read details.jsonl instead)
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = field(default=())
    changes: tuple[Change, ...] = ()  # with `compare`: part scores that changed
    cached: int = 0  # students whose result was reused from OUT/.partial/ (not errors)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.fatal)


def grade(exam: str, inputs: Sequence[Path], out_dir: Path, *, key: Path | None = None,
          rubric: Path | None = None, scale: str | None = None, overrides: Path | None = None,
          compare: Path | None = None, jobs: int = 1, use_cache: bool = True,
          progress: bool = False) -> GradeSummary:
    """Grade submission files and folders; write every output into out_dir.

    Args:
        exam: bank id or exam.yaml path.
        inputs: submission files and folders (YAML/JSON/CSV, LMS response reports).
        out_dir: the output folder (DESIGN 3.6 files, report.html, changes.csv).
        key: a frozen key.json (default: regenerate each variant from its id).
        rubric: the rubric (default: the bank's).
        scale: grade letters, e.g. "A=89,B=77,C=65,D=53,E=41" (percent needed).
        overrides: overrides.yaml, applied to every regrade (docs/grading.md).
        compare: a previous results folder; what changed goes to changes.csv.
        jobs: worker processes; results are identical for every value.
        use_cache: reuse OUT/.partial/ results of unchanged submissions (resume).
        progress: a progress bar on stderr (shown only on a terminal).

    Raises:
        InputError: a bad scale, key, overrides file or compare folder.
    """
    ctx = load_context(exam, rubric)
    grade_scale = grades.parse_scale(scale) if scale else grades.DEFAULT_SCALE
    lookup, warnings = key_lookup(ctx, key) if key else (variant_lookup(ctx), [])
    table = load_overrides(overrides, ctx.exam) if overrides else None
    previous = _keep_previous(compare, out_dir) if compare else None
    fingerprint = grading_fingerprint(ctx, key)
    remember_context(fingerprint, GradingContext(ctx.exam, ctx.rubric, lookup))
    setup = BatchSetup(out_dir, ContextFactory(exam, rubric, key, fingerprint), fingerprint,
                       grade_scale, table.table if table else {}, use_cache)
    lms = lms_context(ctx.exam, lookup)  # Moodle/Canvas response reports need the exam
    done = run_batch(read_submissions(inputs, lms), setup, jobs=jobs, progress=progress,
                     watch=frozenset(o.student for o in table.entries) if table else frozenset())
    if table:
        table.check_students(done.graded_parts)
    files = [*done.files, write_text_atomic(out_dir / "report.html", report_html(
        ctx.exam, done.summary, grade_scale, errors=sum(p.fatal for p in done.problems),
        warnings=sum(not p.fatal for p in done.problems)))]
    changes: tuple[Change, ...] = ()
    if previous is not None:
        changes = tuple(compare_details(previous, out_dir / "details.jsonl"))
        files.append(write_text_atomic(out_dir / "changes.csv", csv_text(
            CHANGES_HEADER, [c.row() for c in changes])))
    return GradeSummary(done.students, tuple(done.problems), (), tuple(files), tuple(warnings),
                        changes, done.cached)


def _keep_previous(compare: Path, out_dir: Path) -> Path:
    """The previous details.jsonl, copied aside when it is about to be overwritten."""
    previous = compare / "details.jsonl"
    if not previous.is_file():
        raise InputError("no details.jsonl in the folder to compare with", file=str(compare))
    if compare.resolve() != out_dir.resolve():
        return previous
    kept = out_dir / result_cache.CACHE_DIR / "previous-details.jsonl"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(previous, kept)
    return kept


@dataclass(frozen=True)
class CheckReport:
    exam: Exam
    lines: tuple[str, ...]
    failures: tuple[str, ...]
    stress: stress.StressReport | None = None


def check(exam: str, rubric: Path | None = None, seeds: int = 1000) -> CheckReport:
    """Validate bank and rubric, grade every part's model answer (each must score full), and
    stress-test the families over `seeds` random variants (0: skip)."""
    ctx = load_context(exam, rubric)
    lines, failures = [], []
    original = variants.build_variant(ctx.exam, "original", ctx.families)
    scored = [(s.part, s) for s in checks.model_answer_scores(ctx.rubric, original)]
    for label, score in [*scored, *checks.sibling_model_scores(ctx.exam, ctx.rubric)]:
        line = (f"{label}: model answer scores {grades.format_points(score.score)} / "
                f"{grades.format_points(score.max)}")
        lines.append(line)
        if score.score != score.max:
            missed = [c.id for c in score.criteria if not c.met]
            failures.append(f"{line} (missed: {', '.join(missed) or ', '.join(score.notes)})")
    report = None
    if seeds > 0:
        report = stress.stress_test(ctx.exam, ctx.rubric, ctx.families, seeds)
        lines.append(f"stress test: {report.built} of {report.seeds} random variants built; "
                     f"{report.repeated_variants} repeat an earlier variant's parameters")
        lines.extend(stress.distribution_lines(report))
        lines.extend(stress.sibling_lines(report))
        if report.fixed_families:
            lines.append("same in every variant (family cannot draw): "
                         + ", ".join(report.fixed_families))
        lines.extend(f"warning: {w}" for w in report.warnings)
        failures.extend(report.failures)
    return CheckReport(ctx.exam, tuple(lines), tuple(failures), report)


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


def solve_family(name: str, assignments: Sequence[str], params_file: Path | None = None,
                 as_json: bool = False) -> str:
    """Answer and worked solution of one family on the given parameters."""
    family = family_solve.family_named(name, default_families())
    params = family_solve.parse_assignments(assignments, params_file)
    if as_json:
        return json.dumps(family_solve.solve_json(family, params), indent=2)
    return family_solve.solve_text(family, params)


@dataclass(frozen=True)
class GradesExport:
    """What `grader export-grades` wrote."""

    file: Path
    students: int
    warnings: tuple[str, ...] = ()


def export_grades(results: Path, to: str, out: Path, *, mapping: Path | None = None,
                  assignment: str | None = None, id_field: str | None = None,
                  parts: bool = False) -> GradesExport:
    """Write a gradebook import file (Canvas, Moodle or plain CSV) from a graded batch.

    Args:
        results: the folder `grader grade` wrote (or its scores.csv).
        to: "canvas", "moodle" or "csv".
        out: the file to write (atomically).
        mapping: a roster/map CSV giving each student's LMS identifiers (docs/lms-grades.md).
        assignment: the gradebook column name (default "Exam"); for Canvas, "Name (12345)"
            updates the existing assignment 12345.
        id_field: Moodle's identifier column: email, idnumber or username.
        parts: also one column per part.

    Raises:
        InputError: a missing or malformed scores.csv or map, or an unknown target.
    """
    from grader.atomic import write_text_atomic
    from grader.export import gradebook
    from grader.ingest.submissions import read_text

    scores_path = results / "scores.csv" if results.is_dir() else results
    if to not in gradebook.TARGETS:
        raise InputError(f"unknown gradebook '{to}' (use {', '.join(gradebook.TARGETS)})")
    if not scores_path.is_file():
        raise InputError("no scores.csv here (run `grader grade ... -o DIR` first)",
                         file=str(scores_path))
    scores = gradebook.parse_scores(read_text(scores_path)[0], str(scores_path))
    table = gradebook.parse_map(read_text(mapping)[0], str(mapping)) if mapping else None
    name = assignment or DEFAULT_ASSIGNMENT
    if to == "canvas":
        part_max = _part_maxima(scores_path.parent / "details.jsonl") if parts else {}
        book = gradebook.canvas_gradebook(scores, name, mapping=table, part_max=part_max,
                                          parts=parts)
    elif to == "moodle":
        book = gradebook.moodle_gradebook(scores, name, mapping=table, id_field=id_field,
                                          parts=parts)
    else:
        book = gradebook.plain_gradebook(scores, mapping=table)
    return GradesExport(write_text_atomic(out, book.text), book.students, book.warnings)


DEFAULT_ASSIGNMENT = "Exam"


def _part_maxima(details: Path) -> dict[str, str]:
    """Part id -> its points, from details.jsonl (empty when the file is absent)."""
    from fractions import Fraction

    from grader.report.grades import format_points

    maxima: dict[str, str] = {}
    if not details.is_file():
        return maxima
    try:
        for line in details.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if "part" in record and "max" in record:
                maxima.setdefault(record["part"], format_points(Fraction(str(record["max"]))))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read part points: {exc}", file=str(details)) from None
    return maxima


@dataclass(frozen=True)
class QuestionExport:
    """What `grader export` wrote: the file, the format, the variants and any warnings."""

    file: Path
    target: str
    variant_ids: tuple[str, ...]
    questions: int
    warnings: tuple[str, ...] = ()


def _export_variants(ctx: ExamContext, count: int | None, seed: int | None,
                     key: Path | None) -> tuple[list[Variant], list[str]]:
    """The variants to export: a frozen key's (in its order), N random ones, or the original."""
    if key is not None:
        if count is not None or seed is not None:
            raise InputError("--key exports the key's variants; leave out --variants and --seed")
        meta, frozen = keyfile.read_key(key)
        if meta.exam_id != ctx.exam.id:
            raise InputError(f"key is for exam '{meta.exam_id}', not '{ctx.exam.id}'",
                             file=str(key))
        warning = keyfile.fingerprint_warning(
            meta, keyfile.bank_fingerprint(ctx.exam_path, ctx.families))
        return [frozen[v] for v in meta.variant_ids], [f"{key}: {warning}"] if warning else []
    if count is None:
        unused = ["--seed only matters with --variants"] if seed is not None else []
        return [variants.build_variant(ctx.exam, "original", ctx.families)], unused
    build = functools.partial(variants.build_variant, ctx.exam, families=ctx.families)
    pool = _roster.distinct_variants(build, DEFAULT_SEED if seed is None else seed, count)
    return list(pool.variants), list(pool.warnings)


def export(exam: str, target: str, out: Path, *, count: int | None = None,
           seed: int | None = None, key: Path | None = None,
           rubric: Path | None = None) -> QuestionExport:
    """Export every part's pre-computed variants to an LMS format (the LMS draws one each).

    Args:
        exam: bank id or exam.yaml path.
        target: moodle, qti21, canvas or gift (grader.export.package.TARGETS).
        out: the file to write (a .zip for qti21 and canvas).
        count: this many random variants, ids drawn from ``seed`` as `grader paper` does.
        seed: what random ids are drawn from (default :data:`DEFAULT_SEED`).
        key: a key.json from `grader paper`: export exactly its frozen variants.
        rubric: the rubric (default: the bank's); it gives tolerances and essay guides.

    Raises:
        InputError: an unknown target, a bad key, or --key with --variants.
    """
    from grader.export.common import build_export
    from grader.export.package import TARGETS, export_bytes, write_package

    if target not in TARGETS:
        raise InputError(f"unknown export target {target!r} (known: {', '.join(TARGETS)})")
    ctx = load_context(exam, rubric)
    chosen, warnings = _export_variants(ctx, count, seed, key)
    questions = build_export(ctx.exam, chosen, ctx.rubric)
    path = write_package(out, export_bytes(questions, target))
    return QuestionExport(path, target, tuple(v.variant_id for v in chosen),
                          len(questions.questions), (*warnings, *questions.warnings))
