"""The CLI end to end on the bundled exam and example class (click's CliRunner, tmp folders)."""

from __future__ import annotations

import csv
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BANK_EXAM = ROOT / "question_bank" / "inf5860_2019" / "exam.yaml"
BANK_RUBRIC = ROOT / "rubrics" / "inf5860_2019.yaml"
TOTAL_POINTS = Fraction(77, 2)  # 4.5 + 10 + 7 + 4 + 4 + 3 + 6 (docs/contracts.md)
INF9860_POINTS = Fraction(6)


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def read_scores(out: Path) -> dict[str, dict[str, str]]:
    with (out / "scores.csv").open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("results")
    result = run("grade", "inf5860-2019", EXAMPLES / "submissions", "-o", out)
    return out, result


def test_help_lists_the_verbs():
    result = run("--help")
    for verb in ("list", "paper", "grade", "solve", "check"):
        assert f"  {verb} " in result.output


def test_list_shows_exam_parts_and_points():
    result = run("list")
    assert result.exit_code == 0
    assert "inf5860-2019" in result.output and "38.5 points" in result.output
    assert "ex1a: arrows, 4.5 points, family backprop.graph" in result.output
    assert "INF9860 only" in result.output


def test_grade_example_class(graded):
    out, result = graded
    assert result.exit_code == 0, result.output
    scores = read_scores(out)
    assert len(scores) == 8
    perfect = scores["s100001"]
    assert Fraction(perfect["total"]) == TOTAL_POINTS == Fraction(perfect["max"])
    assert perfect["grade"] == "A"
    blank = scores["s100002"]
    assert Fraction(blank["total"]) == 0 and blank["grade"] == "F"
    # INF5860 students are not graded on the INF9860-only exercise.
    assert Fraction(blank["max"]) == TOTAL_POINTS - INF9860_POINTS and blank["ex7a"] == ""


def test_decimal_comma_and_forgotten_stride(graded):
    scores = read_scores(graded[0])
    assert scores["s100003"]["ex1a"] == "4.5"  # every arrow written with a decimal comma
    assert scores["s100003"]["ex3a"] == "1" and scores["s100003"]["ex3b"] == "0"
    assert scores["s100006"]["ex1a"] == "4.5"  # the same from a CSV row
    assert scores["s100008"]["ex3a"] == "1" and scores["s100008"]["ex3c"] == "2"


def test_arrow_errors_and_follow_through(graded):
    out = graded[0]
    scores = read_scores(out)
    assert scores["s100005"]["ex1a"] == "4"  # one sign error on a8, nothing depends on it
    assert scores["s100007"]["ex1a"] == "3.5"  # a3 and a4 swapped at the max gate
    # s100004 has a9 wrong and carried it upstream consistently: 8 arrows by follow-through.
    assert scores["s100004"]["ex1a"] == "4"
    details = [json.loads(line) for line in (out / "details.jsonl").read_text("utf-8").splitlines()]
    s4 = next(d for d in details if d["student"] == "s100004" and d["part"] == "ex1a")
    assert "follow-through" in s4["flags"]
    review = (out / "review.csv").read_text("utf-8")
    assert "s100004,ex1a" in review


def test_outputs_are_complete_and_deterministic(graded, tmp_path):
    out, _ = graded
    for name in ("scores.csv", "details.jsonl", "review.csv", "errors.csv"):
        assert (out / name).is_file()
    for student in ("s100001", "s100008"):
        assert (out / "feedback" / f"{student}.md").is_file()
        assert (out / "feedback" / f"{student}.html").is_file()
    again = tmp_path / "again"
    run("grade", "inf5860-2019", EXAMPLES / "submissions", "-o", again)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            assert (again / path.relative_to(out)).read_bytes() == path.read_bytes(), path.name


def test_feedback_explains_lost_points(graded):
    text = (graded[0] / "feedback" / "s100004.md").read_text("utf-8")
    assert "Where points were lost" in text
    assert "ex3c" in text and "ex2a" in text


def test_bad_inputs_are_reported_and_the_rest_graded(tmp_path):
    out = tmp_path / "out"
    result = run("grade", "inf5860-2019", EXAMPLES / "bad", EXAMPLES / "submissions" /
                 "s100001.yaml", "-o", out)
    assert result.exit_code == 3
    with (out / "errors.csv").open(encoding="utf-8", newline="") as handle:
        errors = list(csv.DictReader(handle))
    by_file = {Path(e["file"]).name: e for e in errors}
    assert by_file["broken.yaml"]["severity"] == "error"
    assert "not valid YAML" in by_file["broken.yaml"]["problem"]
    unknown = by_file["unknown-part.yaml"]
    assert unknown["part"] == "ex9z" and "unknown part id" in unknown["problem"]
    scores = read_scores(out)
    assert set(scores) == {"s100001", "s199998"}
    assert scores["s199998"]["ex3a"] == "1"
    assert "inputs not graded" in result.output


def test_paper_writes_student_paper_key_and_key_json(tmp_path):
    result = run("paper", "inf5860-2019", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert {"paper-original.md", "paper-original.html", "key-original.md", "key-original.html",
            "key.json"} <= names
    key = (tmp_path / "key-original.md").read_text("utf-8")
    for worked in ("1 + (3-1) + (5-1) + (7-1) = 13", "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23",
                   "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350"):
        assert worked in key
        for student_paper in ("paper-original.md", "paper-original.html"):
            assert worked not in (tmp_path / student_paper).read_text("utf-8")


def test_grading_with_the_frozen_key_gives_the_same_scores(tmp_path, graded):
    run("paper", "inf5860-2019", "-o", tmp_path / "papers")
    out = tmp_path / "out"
    result = run("grade", "inf5860-2019", EXAMPLES / "submissions", "--key",
                 tmp_path / "papers" / "key.json", "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "scores.csv").read_bytes() == (graded[0] / "scores.csv").read_bytes()


def test_exam_outside_the_bank_with_its_own_rubric(tmp_path):
    shutil.copy(BANK_EXAM, tmp_path / "exam.yaml")
    shutil.copy(BANK_RUBRIC, tmp_path / "my-rubric.yaml")
    out = tmp_path / "out"
    result = run("grade", tmp_path / "exam.yaml", "--rubric", tmp_path / "my-rubric.yaml",
                 EXAMPLES / "submissions" / "s100001.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    assert Fraction(read_scores(out)["s100001"]["total"]) == TOTAL_POINTS


def test_malformed_rubric_fails_with_file_and_part(tmp_path):
    rubric = BANK_RUBRIC.read_text("utf-8").replace("ex3b:", "ex3b_typo:", 1)
    (tmp_path / "r.yaml").write_text(rubric, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "inf5860-2019", "--rubric",
                                      str(tmp_path / "r.yaml")])
    assert result.exit_code == 2
    assert "r.yaml" in result.output and "ex3b" in result.output
    assert "Traceback" not in result.output


def test_missing_exam_is_a_clear_error():
    result = CliRunner().invoke(cli, ["check", "no-such-exam"])
    assert result.exit_code != 0 and "no-such-exam" in result.output
    assert "Traceback" not in result.output


def test_check_grades_every_model_answer_full():
    result = run("check", "inf5860-2019", "--seeds", "40")
    assert result.exit_code == 0, result.output
    assert "ex7c: model answer scores 2 / 2" in result.output
    assert "stress test: 40 of 40 random variants built" in result.output
    assert "ex3b: " in result.output and "distinct answers in 40 variants" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("exam", ["inf5860-2019", "inf5860-drills"])
def test_every_family_survives_a_thousand_variants(exam):
    result = run("check", exam, "--seeds", "1000")
    assert result.exit_code == 0, result.output
    assert "stress test: 1000 of 1000 random variants built" in result.output


def test_solve_backprop_json_follows_design():
    result = run("solve", "backprop", EXAMPLES / "graph.yaml", "--json")
    data = json.loads(result.output)
    assert set(data) == {"forward", "arrows", "gradients"}
    arrows = {a["id"]: a for a in data["arrows"]}
    assert arrows["a8"]["source"] == "w" and arrows["a8"]["exact"] == "49"
    assert arrows["a2"]["exact"] == "-21/2" and arrows["a2"]["value"] == -10.5
    assert data["forward"]["f"]["exact"] == "49/4"


def test_solve_cnn_on_vgg16():
    data = json.loads(run("solve", "cnn", EXAMPLES / "vgg16.yaml", "--json").output)
    assert data["params"] == {"weights": 138_344_128, "biases": 13_416, "total": 138_357_544}
    assert data["output_size"] == [1, 1] and len(data["layers"]) == 21


def test_solve_cnn_text_shows_the_worked_sums():
    output = run("solve", "cnn", EXAMPLES / "cnn.yaml").output
    assert "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23" in output
    assert "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350" in output


def test_solve_reports_a_bad_graph_without_a_traceback(tmp_path):
    (tmp_path / "g.yaml").write_text("inputs: {x: 1}\nnodes:\n  - {id: f, op: frob, inputs: [x]}\n"
                                     "output: f\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["solve", "backprop", str(tmp_path / "g.yaml")])
    assert result.exit_code == 2 and "g.yaml" in result.output and "frob" in result.output
    assert "Traceback" not in result.output


def test_drawing_options_beside_the_graph_do_not_break_grading(tmp_path):
    """A teacher who asks for max gates in random variants still grades the original."""
    text = BANK_EXAM.read_text("utf-8").replace(
        "          output: f\n", "          output: f\n          zero_arrows: allow_max_gate\n", 1)
    (tmp_path / "exam.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run("grade", tmp_path / "exam.yaml", "--rubric", BANK_RUBRIC,
                 EXAMPLES / "submissions" / "s100004.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    assert read_scores(out)["s100004"]["ex1a"] == "4"  # follow-through still works
