"""Thin click layer over grader.api: parse options, call one function, print, set the exit code."""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import click

from grader import api
from grader.errors import GraderError
from grader.report.grades import format_points

EXIT_PROBLEMS = 3  # the batch was graded, but some inputs went to errors.csv
MAX_LINES = 30  # problems or changes printed; the rest are in the CSV files

PathArg = click.Path(path_type=Path)
ExistingPath = click.Path(path_type=Path, exists=True)


def user_errors(func):
    """Translate our typed errors into a one-line message and an exit code (no stack trace)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GraderError as exc:
            click.echo(f"error: {printable(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # `grader list | head`: the reader left, nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:  # the output folder is a file, a full disk, no permission
            where = exc.filename if exc.filename is not None else ""
            click.echo(f"error: {printable(str(where))}{': ' if where else ''}"
                       f"{exc.strerror or exc}", err=True)
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last boundary before the user
            if os.environ.get("GRADER_DEBUG"):
                raise
            click.echo(f"internal error: {exc!r} (set GRADER_DEBUG=1 for details; please "
                       "report it)", err=True)
            sys.exit(70)

    return wrapper


# What a terminal would act on (escape sequences) or cannot print (lone surrogates), in file
# names, student ids and part ids that come from students' files.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    r"""The text with control characters and lone surrogates shown as escapes.

    >>> printable("s1\x1b]0;owned\x07 part\nex2a")
    's1\\x1b]0;owned\\x07 part\\nex2a'
    """
    if text.isprintable():
        return text
    return _UNPRINTABLE.sub(lambda m: repr(m[0])[1:-1], text)


@click.group()
@click.version_option(package_name="examgrader")
def cli() -> None:
    """examgrader: set, randomize, solve, grade and publish exams."""


def _points(value) -> str:
    text = format_points(value)
    return f"{text} point" if text == "1" else f"{text} points"


@cli.command("list")
@user_errors
def list_command() -> None:
    """List the exams in the bank with their exercises, parts and points."""
    for exam in api.list_exams():
        click.echo(f"{exam.id} (version {exam.version}): {exam.title}, {exam.date}, "
                   f"{_points(exam.total_points)}")
        for exercise in exam.exercises:
            title = f": {exercise.title}" if exercise.title else ""
            audience = f" [{exercise.audience}]" if exercise.audience else ""
            points = sum(p.points for p in exercise.parts)
            click.echo(f"  {exercise.id}{title}{audience} ({_points(points)})")
            for part in exercise.parts:
                family = f", family {part.family}" if part.family else ""
                click.echo(f"    {part.id}: {part.kind}, {_points(part.points)}{family}")


@cli.command()
@click.argument("exam")
@click.option("-o", "--out", "out_dir", type=PathArg, required=True, help="Output folder.")
@click.option("--variants", "count", type=click.IntRange(min=1),
              help="Write N random variants (ids drawn from --seed) instead of the original.")
@click.option("--seed", type=int,
              help=f"Seed for the random variant ids (default {api.DEFAULT_SEED}); the same seed "
                   "gives the same variants, assignment and key.json; use a new one for a new "
                   "sitting.")
@click.option("--roster", type=ExistingPath,
              help="Roster CSV (column 'student', optional 'name', 'course'): one paper per "
                   "student, each with its own variant while there are enough.")
@click.option("--rubric", type=ExistingPath, help="Rubric YAML (default: the bank's).")
@click.option("--format", "formats", metavar="LIST",
              help="Comma-separated md, html, tex, pdf, or all (default md,html). pdf needs "
                   "TeX (pdflatex), also writes the .tex, and with --roster students.pdf.")
@user_errors
def paper(exam: str, out_dir: Path, count: int | None, seed: int | None, roster: Path | None,
          rubric: Path | None, formats: str | None) -> None:
    """Write student papers, answer keys and key.json for EXAM (bank id or exam.yaml).

    Without --variants or --roster: the original exam. With --roster, each student's paper is
    in students/ and who got which variant is in roster-assignment.csv and key.json.
    """
    result = api.make_papers(exam, out_dir, rubric=rubric, count=count, seed=seed,
                             roster=roster, formats=formats.split(",") if formats else None)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if len(result.files) <= 12:
        for path in result.files:
            click.echo(f"wrote {path}")
    else:
        click.echo(f"wrote {len(result.files)} files into {out_dir}")
    seed_note = f" from seed {result.seed}" if result.seed is not None else ""
    ids = result.variant_ids
    shown = ", ".join(ids[:10]) + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")
    click.echo(f"variants{seed_note}: {shown}")
    if result.assignment:
        click.echo(f"assigned {len(result.assignment)} students to "
                   f"{len(set(result.assignment.values()))} variants; see "
                   f"{out_dir / api.ASSIGNMENT_FILE}")


@cli.command()
@click.argument("exam")
@click.argument("submissions", nargs=-1, required=True, type=PathArg)
@click.option("-o", "--out", "out_dir", type=PathArg, required=True, help="Output folder.")
@click.option("--key", type=ExistingPath, help="Frozen key.json from `grader paper`.")
@click.option("--rubric", type=ExistingPath, help="Rubric YAML (default: the bank's).")
@click.option("--scale", help="Grade letters as the percent needed for each (default "
              "A=89,B=77,C=65,D=53,E=41; below E: F).")
@click.option("--overrides", type=ExistingPath,
              help="overrides.yaml: the teacher's scores (student, part, points, reason), "
                   "applied on every regrade.")
@click.option("--compare", type=ExistingPath,
              help="A previous results folder: print and write changes.csv (what changed, "
                   "for whom, why).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (results are identical for any number).")
@click.option("--fresh", is_flag=True,
              help="Regrade everything (ignore the results cached in OUT/.partial/).")
@user_errors
def grade(exam: str, submissions: tuple[Path, ...], out_dir: Path, key: Path | None,
          rubric: Path | None, scale: str | None, overrides: Path | None,
          compare: Path | None, jobs: int, fresh: bool) -> None:
    """Grade SUBMISSIONS (files or folders of YAML/JSON/CSV) for EXAM into an output folder.

    An interrupted or repeated run reuses the results of unchanged submissions (OUT/.partial/).
    Exit code 3: graded, but some inputs are in errors.csv.
    """
    summary = api.grade(exam, submissions, out_dir, key=key, rubric=rubric, scale=scale,
                        overrides=overrides, compare=compare, jobs=jobs, use_cache=not fresh,
                        progress=True)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in summary.problems[:MAX_LINES]:
        who = ", ".join(x for x in (problem.student and f"student {problem.student}",
                                    problem.part and f"part {problem.part}") if x)
        level = "error" if problem.fatal else "warning"
        click.echo(printable(f"{level}: {problem.source}{', ' + who if who else ''}: "
                             f"{problem.problem}"), err=True)
    if len(summary.problems) > MAX_LINES:
        click.echo(f"... and {len(summary.problems) - MAX_LINES} more in errors.csv", err=True)
    if compare is not None:
        for change in summary.changes[:MAX_LINES]:
            click.echo(printable(f"changed: {change.line()}"))
        more = len(summary.changes) - MAX_LINES
        click.echo(f"{len(summary.changes)} part scores changed since {compare}"
                   + (f" ({more} more not shown)" if more > 0 else "") + "; see changes.csv")
    reused = f", {summary.cached} reused from the cache" if summary.cached else ""
    click.echo(f"graded {summary.students} students into {out_dir}{reused}; "
               f"{summary.errors} inputs not graded, "
               f"{len(summary.problems) - summary.errors} warnings (see errors.csv)")
    if summary.problems:
        sys.exit(EXIT_PROBLEMS)


@cli.group()
def solve() -> None:
    """Solve a computational question from a spec file (for teachers checking questions)."""


@solve.command("backprop")
@click.argument("graph_file", type=ExistingPath)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (DESIGN 3.1).")
@user_errors
def solve_backprop(graph_file: Path, as_json: bool) -> None:
    """Forward values, one value per arrow and gradients of a computational graph."""
    click.echo(api.solve_backprop(graph_file, as_json))


@solve.command("cnn")
@click.argument("spec_file", type=ExistingPath)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (DESIGN 3.2).")
@user_errors
def solve_cnn(spec_file: Path, as_json: bool) -> None:
    """Field of view, effective stride, output sizes and parameters of a layer stack."""
    click.echo(api.solve_cnn(spec_file, as_json))


@solve.command("family", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("name")
@click.option("-p", "--param", "assignments", multiple=True, metavar="KEY=VALUE",
              help="A parameter, value read as YAML (repeat: -p mu=0.9 -p gradients=[2,1]).")
@click.option("--params", "params_file", type=ExistingPath, help="Parameters from a YAML file.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@user_errors
def solve_family(name: str, assignments: tuple[str, ...], params_file: Path | None,
                 as_json: bool) -> None:
    """Solve question family NAME (or an alias: field-of-view, params, dilation,
    dilation-layers, gradient-check, momentum, weight-scale, q-update) on parameters.

    Example: grader solve family momentum -p theta0=1 -p mu=0.9 -p learning_rate=0.1
    -p "gradients=[2, 1]"
    """
    click.echo(api.solve_family(name, assignments, params_file, as_json))


@cli.command()
@click.argument("exam")
@click.option("--rubric", type=ExistingPath, help="Rubric YAML (default: the bank's).")
@click.option("--seeds", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Random variants to stress-test the families on (0: skip).")
@user_errors
def check(exam: str, rubric: Path | None, seeds: int) -> None:
    """Validate EXAM and its rubric, grade every model answer (each must score full), and
    stress-test every family over many random variants (errors, degenerate answers, spread)."""
    report = api.check(exam, rubric, seeds)
    for line in report.lines:
        click.echo(line)
    if report.failures:
        for failure in report.failures:
            click.echo(f"FAIL {failure}", err=True)
        sys.exit(1)
    variants_checked = f" in {report.stress.built + 1} variants" if report.stress else ""
    click.echo(f"ok: {report.exam.id} and its rubric are consistent; every model answer "
               f"scores full marks{variants_checked}")


@cli.command("export-grades")
@click.argument("results", type=ExistingPath)
@click.option("--to", "target", type=click.Choice(["canvas", "moodle", "csv"]), required=True,
              help="Gradebook format: Canvas or Moodle grade import, or a plain CSV.")
@click.option("-o", "--out", "out_file", type=PathArg, required=True, help="File to write.")
@click.option("--map", "--roster", "mapping", type=ExistingPath,
              help="CSV: column 'student' (our id) and the LMS ids (email, idnumber, username, "
                   "canvas_id, sis_user_id, sis_login_id; name, section). See docs/lms-grades.md.")
@click.option("--assignment", help="Gradebook column (default 'Exam'); Canvas: 'Name (12345)' "
                                   "updates assignment 12345.")
@click.option("--id-field", type=click.Choice(["email", "idnumber", "username"]),
              help="Moodle identifier column (default: email with --map, else idnumber).")
@click.option("--parts", is_flag=True, help="Also one grade column per part.")
@user_errors
def export_grades(results: Path, target: str, out_file: Path, mapping: Path | None,
                  assignment: str | None, id_field: str | None, parts: bool) -> None:
    """Write a gradebook import file from RESULTS (the folder `grader grade` wrote)."""
    done = api.export_grades(results, target, out_file, mapping=mapping,
                             assignment=assignment, id_field=id_field, parts=parts)
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {done.file} ({target}, {done.students} students)")
    if done.warnings:
        sys.exit(EXIT_PROBLEMS)


@cli.command("export")
@click.argument("exam")
@click.option("--to", "target", type=click.Choice(["moodle", "qti21", "canvas", "gift"]),
              required=True, help="LMS format: Moodle XML, QTI 2.1 zip (Inspera, OpenOLAT), "
                                  "Canvas QTI 1.2 zip, or GIFT.")
@click.option("-o", "--out", "out_file", type=PathArg, required=True, help="File to write.")
@click.option("--variants", "count", type=click.IntRange(min=1),
              help="Export N random variants per part (ids drawn from --seed, as `grader "
                   "paper --variants`); default: the original only.")
@click.option("--seed", type=int, help=f"Seed for the random variant ids (default "
                                       f"{api.DEFAULT_SEED}).")
@click.option("--key", type=ExistingPath,
              help="key.json from `grader paper`: export exactly its frozen variants.")
@click.option("--rubric", type=ExistingPath, help="Rubric YAML (default: the bank's).")
@user_errors
def export(exam: str, target: str, out_file: Path, count: int | None, seed: int | None,
           key: Path | None, rubric: Path | None) -> None:
    """Export EXAM's questions, pre-computed variants per part, for an LMS to draw from.

    See docs/lms-export.md for how each format carries numbers, blanks and essays.
    """
    done = api.export(exam, target, out_file, count=count, seed=seed, key=key, rubric=rubric)
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    ids = done.variant_ids
    shown = ", ".join(ids[:10]) + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")
    click.echo(f"wrote {done.file} ({target}: {done.questions} questions; variants {shown})")


def main() -> None:
    cli(prog_name="grader")
