"""Batch grading a teacher can trust: determinism, --jobs, resume, streaming, bad inputs."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader import api, batch
from grader.cli import cli
from grader.grading import grade_submission
from grader.ingest.submissions import read_submissions

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
RUBRIC = ROOT / "rubrics" / "inf5860_2019.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    """Every output file (the cache folder excepted) by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".partial" not in p.parts}


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """The example class plus 24 generated students (numbers repeat, text varies)."""
    folder = tmp_path_factory.mktemp("class")
    for path in EXAMPLES.iterdir():
        shutil.copy(path, folder / path.name)
    base = yaml.safe_load((EXAMPLES / "s100003.yaml").read_text("utf-8"))
    for i in range(24):
        doc = {**base, "student": f"g{i:03d}", "course": "INF9860" if i % 3 else "INF5860"}
        answers = dict(base["answers"])
        answers["ex3b"] = ("23", "13", "1 + (3-1) + 2*(5-1) + 2*(7-1)")[i % 3]
        answers["ex2c"] = f"{answers['ex2c']} Example {i}." if i % 4 else ""
        doc["answers"] = answers
        (folder / f"g{i:03d}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return folder


def read_scores(out: Path) -> dict[str, dict[str, str]]:
    with (out / "scores.csv").open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def read_errors(out: Path) -> list[dict[str, str]]:
    with (out / "errors.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def grade(inputs, out, **options):
    return api.grade("inf5860-2019", [Path(p) for p in inputs], out, **options)


@pytest.fixture(scope="module")
def reference(klass, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    summary = grade([klass], out)
    assert summary.students == 32 and not summary.problems
    return out


def test_same_inputs_give_byte_identical_outputs(klass, reference, tmp_path):
    grade([klass], tmp_path / "again", use_cache=False)
    assert tree(tmp_path / "again") == tree(reference)
    assert {"scores.csv", "details.jsonl", "review.csv", "errors.csv",
            "report.html"} <= set(tree(reference))


def test_jobs_give_the_same_results_as_one_process(klass, reference, tmp_path):
    summary = grade([klass], tmp_path / "j2", jobs=2)
    assert summary.students == 32
    assert tree(tmp_path / "j2") == tree(reference)


def test_a_rerun_reuses_the_cache_and_writes_the_same_bytes(klass, reference, tmp_path):
    out = tmp_path / "out"
    assert grade([klass], out).cached == 0
    again = grade([klass], out)
    assert again.cached == 32 and tree(out) == tree(reference)
    assert grade([klass], out, use_cache=False).cached == 0


def test_an_interrupted_run_resumes_where_it_stopped(klass, reference, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = batch._Worker.process
    calls = []

    def flaky(self, seq, key, sub, cached):
        if len(calls) == 10:
            raise KeyboardInterrupt  # the teacher pressed Ctrl-C
        calls.append(sub.student)
        return real(self, seq, key, sub, cached)

    monkeypatch.setattr(batch._Worker, "process", flaky)
    with pytest.raises(KeyboardInterrupt):
        grade([klass], out)
    assert not (out / "scores.csv").exists()  # nothing half-written
    monkeypatch.setattr(batch._Worker, "process", real)
    resumed = grade([klass], out)
    assert resumed.cached == 10 and resumed.students == 32
    assert tree(out) == tree(reference)


def test_the_cache_follows_the_rubric_and_the_answers(klass, tmp_path):
    out = tmp_path / "out"
    grade([klass], out)
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(RUBRIC.read_text("utf-8") + "\n# edited\n", "utf-8")
    assert api.grade("inf5860-2019", [klass], out, rubric=rubric).cached == 0
    changed = tmp_path / "changed"
    shutil.copytree(klass, changed)
    doc = yaml.safe_load((changed / "g001.yaml").read_text("utf-8"))
    doc["answers"]["ex3a"] = "12"
    (changed / "g001.yaml").write_text(yaml.safe_dump(doc), "utf-8")
    grade([changed], tmp_path / "o2")
    (changed / "g001.yaml").rename(changed / "renamed.yaml")  # moved: still a hit
    summary = grade([changed], tmp_path / "o2")
    assert summary.cached == 32
    rows = read_scores(tmp_path / "o2")
    assert rows["g001"]["ex3a"] == "0" and rows["g002"]["ex3a"] == "1"


def test_submissions_are_streamed_not_loaded_first(klass, tmp_path, monkeypatch):
    consumed, added = [], []

    def stream():
        for item in read_submissions([klass]):
            consumed.append(item)
            yield item

    real_add = batch.BatchWriter.add

    def add(self, rendered):
        added.append(len(consumed))
        real_add(self, rendered)

    monkeypatch.setattr(batch.BatchWriter, "add", add)
    ctx = api.grading_context("inf5860-2019")
    setup = batch.BatchSetup(tmp_path, lambda: ctx, "test", api.grades.DEFAULT_SCALE)
    batch.run_batch(stream(), setup, progress=False)
    assert added == list(range(1, 33))  # student k is written when k items have been read


def test_identical_number_answers_share_a_score_but_keep_their_student(klass):
    ctx = api.grading_context("inf5860-2019")
    subs = [s for s in read_submissions([klass / "g001.yaml", klass / "g004.yaml"])]
    (a,), (b,) = (list(grade_submission(s, ctx)) for s in subs)
    score_a = next(s for s in a.scores if s.part == "ex3b")
    score_b = next(s for s in b.scores if s.part == "ex3b")
    assert (score_a.student, score_b.student) == ("g001", "g004")
    assert score_a.score == score_b.score and score_a.criteria == score_b.criteria


def test_duplicates_unknown_variants_and_parts_are_reported(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES / "s100001.yaml", folder / "a.yaml")
    shutil.copy(EXAMPLES / "s100001.yaml", folder / "b.yaml")  # the same student again
    (folder / "c.yaml").write_text("student: s9\nvariant: 'K7Q2!'\nanswers: {ex3a: '13'}\n",
                                   "utf-8")
    (folder / "d.yaml").write_text("student: s8\nanswers: {ex3a: '13', ex8q: '1'}\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(folder), "-o", str(out)])
    assert result.exit_code == 3
    assert "graded 2 students" in result.output and "grading:" not in result.output  # no bar
    assert "2 inputs not graded, 1 warnings" in result.output
    errors = read_errors(out)
    assert [(Path(e["file"]).name, e["severity"]) for e in errors] == [
        ("b.yaml", "error"), ("c.yaml", "error"), ("d.yaml", "warning")]
    assert "duplicate student id" in errors[0]["problem"] and "a.yaml" in errors[0]["problem"]
    assert "K7Q2!" in errors[1]["problem"] and errors[2]["part"] == "ex8q"
    assert set(read_scores(out)) == {"s100001", "s8"}


def test_a_variant_missing_from_the_frozen_key_is_reported(tmp_path):
    api.make_papers("inf5860-2019", tmp_path / "papers")  # key.json with the original only
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.yaml").write_text("student: s1\nvariant: K7Q2M\nanswers: {}\n",
                                            "utf-8")
    summary = grade([tmp_path / "in"], tmp_path / "out", key=tmp_path / "papers" / "key.json")
    assert summary.students == 0 and summary.errors == 1
    assert "K7Q2M" in read_errors(tmp_path / "out")[0]["problem"]


def test_hostile_student_ids_stay_inside_the_feedback_folder(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.yaml").write_text(
        "student: ../../evil<script>\nanswers: {ex2a: '<script>alert(1)</script>'}\n", "utf-8")
    grade([tmp_path / "in"], tmp_path / "out")
    (page,) = (tmp_path / "out" / "feedback").glob("*.html")
    assert page.parent == tmp_path / "out" / "feedback"
    html = page.read_text("utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)" in html
    assert not list(tmp_path.glob("evil*"))


def test_a_crash_on_one_student_is_reported_and_not_cached(klass, tmp_path, monkeypatch):
    real = batch.grade_submission

    def crashing(sub, ctx):
        if sub.student == "g005":
            raise ZeroDivisionError("boom")
        return real(sub, ctx)

    monkeypatch.setattr(batch, "grade_submission", crashing)
    summary = grade([klass], tmp_path / "out")
    assert summary.students == 31 and summary.errors == 1
    assert "internal error while grading: ZeroDivisionError('boom')" in \
        read_errors(tmp_path / "out")[0]["problem"]
    monkeypatch.setattr(batch, "grade_submission", real)
    again = grade([klass], tmp_path / "out")
    assert again.students == 32 and again.cached == 31


def test_the_summary_counts_only_students_reused_from_the_cache(tmp_path):
    """Submissions that ended in errors (an unknown variant: no result) are cached too, but
    no student was reused: "graded 2 students ..., 3 reused from the cache" was printed."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("s100001.yaml", "s100003.yaml"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "bad.yaml").write_text("student: s9\nvariant: K7Q2M!\nanswers: {ex3a: '13'}\n",
                                     "utf-8")
    out = tmp_path / "out"
    first = grade([folder], out)
    assert (first.students, first.errors, first.cached) == (2, 1, 0)
    again = grade([folder], out)
    assert (again.students, again.errors, again.cached) == (2, 1, 2)
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(folder), "-o", str(out)])
    assert result.exit_code == 3
    assert result.output.strip().splitlines()[-1] == (
        f"graded 2 students into {out}, 2 reused from the cache; 1 inputs not graded, "
        "0 warnings (see errors.csv)")
