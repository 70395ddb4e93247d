"""Run a grading batch: stream submissions, grade (cached, optionally in N processes), write.

Ordering rules, so that every run of the same inputs writes the same bytes:
1. submissions are read and numbered in input order, duplicates dropped there (first wins);
2. workers grade chunks and results come back in input order (`imap`, not `imap_unordered`);
3. class files are sorted by student id, problems by input number.

The results cache is read and written only here, in the main process: a task carries the cached
entry text of its submission (or None), and a worker returns the entry text of what it graded,
which is appended to the log as soon as it comes back (so an interrupted run keeps it).
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from grader.cache import (
    CACHE_DIR,
    LOG_NAME,
    ResultCache,
    decode_outcome,
    encode_outcome,
    submission_key,
)
from grader.checks import model_answers
from grader.grading import (
    GradingContext,
    StudentResult,
    apply_overrides,
    grade_submission,
    variant_as_seen,
)
from grader.ingest.submissions import IngestProblem
from grader.model import Submission
from grader.report.writer import BatchWriter, Rendered, render_student

CHUNK = 16  # submissions per task sent to a worker: large enough to amortize pickling

ContextFactory = Callable[[], GradingContext]  # picklable (a module-level function or partial)
# (input number, cache key, submission, its cached entry text or None)
Task = tuple[int, str, Submission, str | None]
# (input number, cache key, [Rendered | IngestProblem...], came from the cache,
#  entry text to cache or None)
Done = tuple[int, str, list, bool, str | None]


@dataclass(frozen=True)
class BatchSetup:
    """Everything a worker needs; picklable so that workers can rebuild their context."""

    out_dir: Path
    make_context: ContextFactory
    fingerprint: str  # of rubric, key or bank, and code: part of every cache key
    scale: tuple[tuple[str, Fraction], ...]
    overrides: Mapping[tuple[str, str], tuple[Fraction, str]] = field(default_factory=dict)
    use_cache: bool = True

    @property
    def cache_log(self) -> Path:
        return self.out_dir / CACHE_DIR / LOG_NAME


@dataclass
class BatchOutcome:
    students: int
    problems: list[IngestProblem]
    files: list[Path]
    summary: object  # report.stats.ClassSummary
    graded_parts: dict[str, tuple[str, ...]]  # only for students named in overrides
    cached: int = 0  # students whose result came from the cache (errors not counted)


class _Worker:
    """Grades and renders submissions with one context (one per process)."""

    def __init__(self, setup: BatchSetup) -> None:
        self.setup = setup
        self.ctx = setup.make_context()
        self.overrides = dict(setup.overrides)
        self.models = {p: r.model_answer for p, r in self.ctx.rubric.parts.items()
                       if r.kind == "text" and r.model_answer}

    def process(self, seq: int, key: str, sub: Submission, cached: str | None) -> Done:
        """Grade (or decode the cached entry of) one submission and render it."""
        outcome, entry = _decoded(cached, sub), None
        hit = outcome is not None
        if outcome is None:  # not cached, or a garbled entry: grade
            outcome, ok = _grade_safely(sub, self.ctx)
            if ok:  # an internal error is not remembered: the next run tries again
                entry = encode_outcome(outcome, sub)
        items: list[Rendered | IngestProblem] = []
        for item in outcome:
            if isinstance(item, StudentResult):
                item = self._render(apply_overrides(item, self.overrides))
            items.append(item)
        return seq, key, items, hit, entry

    def _render(self, result: StudentResult) -> Rendered | IngestProblem:
        try:
            variant = variant_as_seen(self.ctx.variant, self.ctx.variant(result.variant),
                                      result.part_variants)
        except Exception:  # noqa: BLE001 - feedback then quotes the exam's own text
            variant = None
        try:
            # a pooled part shows the model answer of the sibling this student was asked
            models = self.models if variant is None else model_answers(self.ctx.rubric,
                                                                       variant.parts)
            return render_student(self.setup.out_dir, self.ctx.exam, result, variant,
                                  self.setup.scale, models)
        except Exception as exc:  # noqa: BLE001 - one student's outputs must not stop a batch
            return IngestProblem(result.source, f"internal error while writing the outputs: "
                                 f"{exc!r}", student=result.student)


def _decoded(cached: str | None, sub: Submission) -> list | None:
    if cached is None:
        return None
    try:
        return decode_outcome(cached, sub)
    except ValueError:
        return None


def _grade_safely(sub: Submission, ctx: GradingContext) -> tuple[list, bool]:
    """The outcome of grading one submission, and False if it failed unexpectedly."""
    try:
        return list(grade_submission(sub, ctx)), True
    except Exception as exc:  # noqa: BLE001 - one broken submission must not stop a batch
        return [IngestProblem(sub.source, f"internal error while grading: {exc!r}",
                              student=sub.student)], False


_WORKER: _Worker | None = None


def _init_worker(setup: BatchSetup) -> None:
    global _WORKER
    _WORKER = _Worker(setup)


def _process_chunk(chunk: Sequence[Task]) -> list[Done]:
    assert _WORKER is not None, "worker not initialized"
    return [_WORKER.process(*task) for task in chunk]


def _numbered(items: Iterable[Submission | IngestProblem], fingerprint: str,
              problems: list[tuple[int, IngestProblem]], keys: set[str], cache: ResultCache,
              ) -> Iterator[Task]:
    """Number the stream; set problems and duplicate ids aside; key each submission and look
    it up in the cache."""
    seen: dict[str, str] = {}
    for seq, item in enumerate(items):
        if isinstance(item, IngestProblem):
            problems.append((seq, item))
        elif item.student in seen:
            problems.append((seq, IngestProblem(
                item.source, f"duplicate student id (already graded from {seen[item.student]}); "
                "this copy is not graded", student=item.student)))
        else:
            seen[item.student] = item.source
            key = submission_key(item, fingerprint)
            keys.add(key)
            yield seq, key, item, cache.get(key)


def _results(tasks: Iterator[Task], setup: BatchSetup, jobs: int) -> Iterator[Done]:
    if jobs <= 1:
        worker = _Worker(setup)
        yield from (worker.process(*task) for task in tasks)
        return
    chunks = iter(lambda: list(itertools.islice(tasks, CHUNK)), [])
    with multiprocessing.get_context().Pool(jobs, _init_worker, (setup,)) as pool:
        for batch in pool.imap(_process_chunk, chunks):
            yield from batch


def _progress():
    from tqdm import tqdm

    # disable=None: quiet when stderr is not a terminal (CI, pipes, tests)
    return tqdm(unit=" students", file=sys.stderr, disable=None, mininterval=0.5,
                desc="grading", leave=False)


def run_batch(items: Iterable[Submission | IngestProblem], setup: BatchSetup, *,
              jobs: int = 1, watch: frozenset[str] = frozenset(),
              progress: bool = True) -> BatchOutcome:
    """Grade a stream of submissions into setup.out_dir; return what the summary needs.

    Args:
        items: submissions and ingest problems, as read_submissions yields them.
        setup: output folder, context factory, fingerprint, scale and overrides.
        jobs: worker processes (1: grade in this process). Results do not depend on it.
        watch: students whose graded parts to return (those named in overrides).
        progress: show a progress bar on a terminal.
    """
    setup.out_dir.mkdir(parents=True, exist_ok=True)
    exam = setup.make_context().exam
    writer = BatchWriter(setup.out_dir, exam, setup.out_dir / CACHE_DIR)
    problems: list[tuple[int, IngestProblem]] = []
    keys: set[str] = set()
    graded: dict[str, tuple[str, ...]] = {}
    students = cached = 0
    bar = _progress() if progress else None
    with ResultCache(setup.cache_log, setup.use_cache) as cache:
        results = _results(_numbered(items, setup.fingerprint, problems, keys, cache), setup,
                           jobs)
        try:
            for seq, key, outputs, hit, entry in results:
                if entry is not None:  # now: an interrupted run keeps what it graded
                    cache.put(key, entry)
                for item in outputs:
                    if isinstance(item, IngestProblem):
                        problems.append((seq, item))
                        continue
                    writer.add(item)
                    students += 1
                    cached += hit  # a student whose result was reused, not its errors
                    if item.student in watch:
                        graded[item.student] = item.parts
                if bar is not None:
                    bar.update()
        except BaseException:
            results.close()  # stop the workers (they are fed from the cache) before closing it
            writer.close()
            raise
        finally:
            if bar is not None:
                bar.close()
        problems.sort(key=lambda p: p[0])  # stable: a submission's own problems keep order
        ordered = [p for _, p in problems]
        files, summary = writer.finish(ordered)
        cache.compact(keys)  # a complete run: drop the entries it did not use
    return BatchOutcome(students, ordered, files, summary, graded, cached)
