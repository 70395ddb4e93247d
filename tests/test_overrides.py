"""overrides.yaml: validated, applied on every regrade, visible in every output."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import api
from grader.cli import cli
from grader.errors import InputError
from grader.report.overrides import load_overrides

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
GOOD = """version: 1
overrides:
  - {student: s100004, part: ex2a, points: 0.5, reason: "symmetry argued in other words"}
  - {student: s100007, part: ex3b, points: "1", reason: "stride written on the figure"}
"""


@pytest.fixture(scope="module")
def exam():
    return api.load_context("inf5860-2019").exam


@pytest.fixture(scope="module")
def overridden(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ov")
    (folder / "overrides.yaml").write_text(GOOD, "utf-8")
    api.grade("inf5860-2019", [EXAMPLES], folder / "out", overrides=folder / "overrides.yaml")
    return folder / "out"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_scores_and_totals_use_the_teachers_points(overridden):
    scores = {r["student"]: r for r in _rows(overridden / "scores.csv")}
    assert scores["s100004"]["ex2a"] == "0.5" and scores["s100007"]["ex3b"] == "1"
    for row in scores.values():  # totals (and so grades) include the teacher's points
        cells = [Fraction(v) for k, v in row.items() if k.startswith("ex") and v]
        assert Fraction(row["total"]) == sum(cells)


def test_details_keep_the_original_score_and_the_reason(overridden):
    lines = (overridden / "details.jsonl").read_text("utf-8").splitlines()
    details = [json.loads(line) for line in lines]
    record = next(d for d in details if (d["student"], d["part"]) == ("s100004", "ex2a"))
    assert record["score"] == 0.5
    assert record["override"] == {"original": 0.0, "points": 0.5,
                                  "reason": "symmetry argued in other words"}
    assert not any("override" in d for d in details if d["part"] != record["part"]
                   and d["student"] == "s100004")


def test_feedback_shows_the_override_and_review_drops_it(overridden):
    text = (overridden / "feedback" / "s100004.md").read_text("utf-8")
    assert ("Score set by the teacher: 0.5 (the rubric gave 0). Reason: symmetry argued in "
            "other words") in text
    assert "Score set by the teacher" in (overridden / "feedback" / "s100004.html").read_text()
    reviewed = {(r["student"], r["part"]) for r in _rows(overridden / "review.csv")}
    assert ("s100004", "ex2a") not in reviewed
    assert "2 part scores overridden" in (overridden / "report.html").read_text("utf-8")


def test_changing_only_overrides_regrades_from_the_cache(tmp_path):
    out = tmp_path / "out"
    api.grade("inf5860-2019", [EXAMPLES], out)
    (tmp_path / "o.yaml").write_text(GOOD, "utf-8")
    summary = api.grade("inf5860-2019", [EXAMPLES], out, overrides=tmp_path / "o.yaml")
    assert summary.cached == summary.students == 8
    assert {r["student"]: r for r in _rows(out / "scores.csv")}["s100004"]["ex2a"] == "0.5"


def test_points_may_be_exact_strings(exam, tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("- {student: s1, part: ex1a, points: '9/2', reason: ok}\n", "utf-8")
    (entry,) = load_overrides(path, exam).entries
    assert entry.points == Fraction(9, 2)


@pytest.mark.parametrize(("text", "fragment"), [
    ("overrides: [{student: s1, part: ex9z, points: 1, reason: x}]",
     "entry 1 (student s1, part ex9z): unknown part 'ex9z'"),
    ("overrides: [{student: s1, part: ex2a, points: 1.5, reason: x}]",
     "entry 1 (student s1, part ex2a): points 1.5 must be a number in [0, 1]"),
    ("overrides: [{student: s1, part: ex2a, points: -1, reason: x}]", "must be a number in"),
    ("overrides: [{student: s1, part: ex2a, points: lots, reason: x}]", "must be a number in"),
    ("overrides: [{student: s1, part: ex2a, points: 1}]", "missing reason"),
    ("overrides: [{student: s1, part: ex2a, points: 1, reason: x, note: y}]",
     "unknown keys note"),
    ("overrides:\n  - {student: s1, part: ex2a, points: 1, reason: x}\n"
     "  - {student: s1, part: ex2a, points: 0, reason: y}",
     "entry 2 (student s1, part ex2a): the same student and part as entry 1"),
    ("overrides: [s1]", "entry 1: expected a mapping"),
    ("overrides: {s1: 2}", "must be a list"),
    ("overrides: [{student: s1", "not valid YAML"),
])
def test_bad_entries_are_clear_errors_naming_file_and_entry(exam, tmp_path, text, fragment):
    path = tmp_path / "overrides.yaml"
    path.write_text(text + "\n", "utf-8")
    with pytest.raises(InputError) as caught:
        load_overrides(path, exam)
    assert fragment in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize(("entry", "fragment"), [
    ("{student: s999, part: ex2a, points: 1, reason: x}", "unknown student 's999'"),
    ("{student: s100004, part: ex7a, points: 1, reason: x}",
     "part 'ex7a' does not count for student 's100004'"),
])
def test_students_are_checked_against_the_batch(tmp_path, entry, fragment):
    (tmp_path / "o.yaml").write_text(f"overrides: [{entry}]\n", "utf-8")
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(EXAMPLES), "-o",
                                      str(tmp_path / "out"), "--overrides",
                                      str(tmp_path / "o.yaml")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "o.yaml" in result.output and "entry 1" in result.output and fragment \
        in result.output
