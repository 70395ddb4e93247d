"""report.html, class statistics, --compare (changes.csv) and feedback content."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from grader import api
from grader.cli import cli
from grader.grading import AppliedOverride, StudentResult
from grader.model import CriterionResult, PartScore
from grader.report import plots
from grader.report.feedback import feedback_markdown
from grader.report.stats import ClassStats, StatRow, correlation, cronbach_alpha, stat_row

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
RUBRIC = ROOT / "rubrics" / "inf5860_2019.yaml"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    api.grade("inf5860-2019", [EXAMPLES], out)
    return out


def test_report_opens_offline_with_inline_plots(graded):
    html = (graded / "report.html").read_text("utf-8")
    assert html.count("<svg") == 3 and "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched
    assert "<?xml" not in html and "<metadata>" not in html
    assert "Cronbach's alpha" in html and "item-rest r" in html
    assert "<strong>8</strong> students graded" in html
    for part in ("ex1a", "ex3c", "ex7c"):
        assert f"<td>{part}</td>" in html
    assert "Parts flagged most for review" in html


def test_report_contains_no_student_text(graded):
    html = (graded / "report.html").read_text("utf-8")
    assert "s100004" not in html and "zero-centered" not in html


def _matrix_stats(matrix: list[list[float]]) -> ClassStats:
    stats = ClassStats(tuple(f"p{i}" for i in range(len(matrix[0]))), (2.0,) * len(matrix[0]))
    for row in matrix:
        done = [x for x in row if not math.isnan(x)]
        stats.add(StatRow(tuple(row), (), (), (), sum(done), 2.0 * len(done)), "A")
    return stats


def test_alpha_and_item_rest_correlation_match_their_formulas():
    matrix = [[2, 2, 1], [1, 1, 0], [0, 1, 0], [2, 1, 2], [1, 0, 0]]
    summary = _matrix_stats(matrix).summary()
    x = np.array(matrix, dtype=float)
    k, variances = 3, x.var(axis=0, ddof=1).sum()
    assert summary.alpha == pytest.approx(k / (k - 1) * (1 - variances / x.sum(1).var(ddof=1)))
    rest = x.sum(axis=1) - x[:, 0]
    assert summary.items[0].discrimination == pytest.approx(np.corrcoef(x[:, 0], rest)[0, 1])
    assert summary.items[2].difficulty == pytest.approx(0.3)  # mean 0.6 of 2 points


def test_parts_not_taken_are_left_out_not_counted_as_zero():
    nan = math.nan
    summary = _matrix_stats([[2, 1, nan], [1, 1, 2], [0, 0, nan], [2, 2, 1]]).summary()
    assert summary.items[2].n == 2 and summary.items[2].mean == 1.5
    assert summary.alpha_parts == ("p0", "p1")
    assert math.isnan(correlation(np.array([1.0, 1, 1]), np.array([0.0, 1, 2])))
    assert math.isnan(cronbach_alpha(np.zeros((0, 3))))


def test_stat_row_of_a_result_with_override_and_flags():
    scores = (PartScore("s", "ex2a", Fraction(1, 2), Fraction(1), flags=("borderline",)),
              PartScore("s", "ex3a", Fraction(0), Fraction(1), notes=("blank",)))
    result = StudentResult("s", "original", "f", scores,
                           (AppliedOverride("ex2a", Fraction(0), Fraction(1, 2), "ok"),))
    row = stat_row(result, ["ex2a", "ex3a", "ex7a"])
    assert row.scores[:2] == (0.5, 0.0) and math.isnan(row.scores[2])
    assert row.flags == (("ex2a", "borderline"),) and row.blanks == ("ex3a",)
    assert row.overrides == ("ex2a",) and (row.total, row.max) == (0.5, 2.0)


def test_plots_are_deterministic_svg():
    summary = _matrix_stats([[2, 2, 1], [1, 1, 0], [0, 1, 0], [2, 1, 2]]).summary()
    first = plots.totals_histogram(summary, [("A", 89.0)])
    assert first.startswith("<svg") and first == plots.totals_histogram(summary, [("A", 89.0)])
    assert plots.difficulty_discrimination(summary) == plots.difficulty_discrimination(summary)


def test_compare_explains_what_changed_for_whom_and_why(graded, tmp_path):
    rubric = RUBRIC.read_text("utf-8")
    anchor = '          - "(neuron|weight*) ~ redundan*"\n'
    assert anchor in rubric
    (tmp_path / "r.yaml").write_text(rubric.replace(anchor, anchor + '          - "is random"\n'),
                                     "utf-8")
    (tmp_path / "o.yaml").write_text(
        "- {student: s100007, part: ex3b, points: 1, reason: stride on the figure}\n", "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "grade", "inf5860-2019", str(EXAMPLES), "-o", str(out), "--rubric",
        str(tmp_path / "r.yaml"), "--overrides", str(tmp_path / "o.yaml"), "--compare",
        str(graded)])
    assert result.exit_code == 0, result.output
    assert "changed: s100004 ex2a: 0 -> 1 (now met: same-learning)" in result.output
    assert "changed: s100007 ex3b: 0 -> 1 (override 1 (rubric 0): stride on the figure)" \
        in result.output
    assert "2 part scores changed since" in result.output
    with (out / "changes.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student"], r["part"], r["old"], r["new"], r["change"]) for r in rows] == [
        ("s100004", "ex2a", "0", "1", "+1"), ("s100007", "ex3b", "0", "1", "+1")]


def test_compare_with_the_output_folder_itself(tmp_path):
    out = tmp_path / "out"
    api.grade("inf5860-2019", [EXAMPLES], out)
    (tmp_path / "o.yaml").write_text(
        "- {student: s100002, part: ex3a, points: 1, reason: illegible but right}\n", "utf-8")
    summary = api.grade("inf5860-2019", [EXAMPLES], out, overrides=tmp_path / "o.yaml",
                        compare=out)
    assert [c.line() for c in summary.changes] == [
        "s100002 ex3a: 0 -> 1 (override 1 (rubric 0): illegible but right)"]
    again = api.grade("inf5860-2019", [EXAMPLES], out, compare=out)  # override removed
    assert "override removed" in again.changes[0].why


def test_feedback_explains_only_real_losses_and_shows_the_model_answer():
    exam = api.load_context("inf5860-2019").exam
    full = PartScore("s", "ex2a", Fraction(1), Fraction(1), criteria=(
        CriterionResult("same-learning", Fraction(1), Fraction(1), True, ("same",)),
        CriterionResult("symmetry", Fraction(0), Fraction(1), False, (), "Say symmetry.")))
    lost = PartScore("s", "ex2c", Fraction(0), Fraction(2), answer="<b>no</b>", criteria=(
        CriterionResult("purpose", Fraction(0), Fraction(1), False),))
    result = StudentResult("s", "original", "f", (full, lost))
    text = feedback_markdown(exam, result, None, {"ex2a": "Model A.", "ex2c": "Model C."})
    ex2a, ex2c = text.split("## ex2c")
    assert "Where points were lost" not in ex2a and "Model A." not in ex2a
    assert "purpose (1 lost): not found in your answer" in ex2c
    assert "A full answer would say: Model C." in ex2c


@pytest.mark.parametrize("rows", [[], [[1.0, 2.0, 0.0]], [[1.0, 2.0, math.nan]] * 2])
def test_tiny_classes_give_undefined_statistics_not_warnings(rows):
    stats = ClassStats(("p0", "p1", "p2"), (2.0, 2.0, 2.0))
    for row in rows:
        stats.add(StatRow(tuple(row), (), (), (), 3.0, 6.0), "C")
    summary = stats.summary()  # pytest turns numpy's RuntimeWarnings into errors
    assert summary.students == len(rows) and math.isnan(summary.alpha)
    assert plots.totals_histogram(summary, []).startswith("<svg")
    assert plots.difficulty_discrimination(summary).startswith("<svg")


def test_alternative_criteria_say_up_to_not_lost():
    exam = api.load_context("inf5860-2019").exam
    capped = PartScore("s", "ex2a", Fraction(0), Fraction(1), criteria=(
        CriterionResult("same-learning", Fraction(0), Fraction(1), False, (), "Say why."),
        CriterionResult("symmetry", Fraction(0), Fraction(1), False, (), "Say symmetry.")))
    text = feedback_markdown(exam, StudentResult("s", "original", "f", (capped,)))
    assert "- same-learning (up to 1): Say why." in text and "lost):" not in text


def _fresh_pieces(monkeypatch) -> None:
    """Empty piece caches: the next page is rendered from the templates alone."""
    from grader.report import feedback

    monkeypatch.setattr(feedback, "_HEADS", feedback._PieceCache("head"))
    monkeypatch.setattr(feedback, "_TAILS", feedback._PieceCache("tail"))
    monkeypatch.setattr(feedback, "_PARTS", {})
    monkeypatch.setattr(feedback, "_TOPS", {})


def test_cached_feedback_pieces_equal_a_fresh_rendering(monkeypatch):
    """Heads and tails are shared across students: each must show only what its key holds."""
    from grader.report.feedback import feedback_both

    exam = api.load_context("inf5860-2019").exam

    def criterion(points, feedback="", matched=()):
        return CriterionResult("purpose", Fraction(points), Fraction(1), points > 0, matched,
                               feedback)

    scores = [PartScore("s", "ex2c", Fraction(p), Fraction(2), (criterion(p, fb, words),),
                        notes, answer=answer)
              for p, fb, words, notes, answer in [
                  (0, "Say why.", (), (), "<b>x</b>"), (0, "Say how.", (), (), "<b>x</b>"),
                  (1, "", ("over<fit>",), (), "y"), (1, "", ("fit",), ("blank",), "y"),
                  (0, "Say why.", (), ("a & b",), "`z`")]]
    results = [StudentResult(f"s{i}", "original", "f", (score,)) for i, score in enumerate(scores)]
    results.append(StudentResult("<u>&", "original", "f", (scores[0], replace(
        scores[2], part="ex2a", answer=""))))  # an id to escape, a blank answer
    results.append(StudentResult("t", "original", "f", (scores[0],), (
        AppliedOverride("ex2c", Fraction(0), Fraction(2), "see <paper>"),)))
    models = [{"ex2c": "Model."}, {"ex2c": "Other *model*."}, {}]
    warm = [feedback_both(exam, r, None, m) for m in models for r in results]
    cold = []
    for m in models:
        for r in results:
            _fresh_pieces(monkeypatch)
            cold.append(feedback_both(exam, r, None, m))
    assert warm == cold
    markdown, html = warm[0]
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" in markdown  # fenced in Markdown
    assert "over&lt;fit&gt;" in warm[2][1] and "Say how." in warm[1][0]
    assert "see &lt;paper&gt;" in warm[6][1] and "**Score set by the teacher: 2" in warm[6][0]
    assert warm[5][1].count("&lt;u&gt;&amp;") == 2 and "Student: &lt;u&gt;&amp; ·" in warm[5][0]
    assert "<pre>(blank)</pre>" in warm[5][1] and "```\n(blank)\n```" in warm[5][0]


def test_a_part_whose_text_holds_the_answer_placeholder_is_rendered_alone(monkeypatch):
    from grader.report import feedback

    exam = api.load_context("inf5860-2019").exam
    _fresh_pieces(monkeypatch)
    slot = str(feedback._SLOT)
    score = PartScore("s", "ex2c", Fraction(0), Fraction(2), (CriterionResult(
        "purpose", Fraction(0), Fraction(1), False, (), f"say {slot}"),), answer="<mine>")
    result = StudentResult(f"id{slot}", "original", "f", (score,))
    markdown, html = feedback.feedback_both(exam, result)
    assert not feedback._PARTS  # nothing cached for such text
    assert f"say {slot}" in markdown and "&lt;mine&gt;" in html
    assert f"Student: id{slot} ·" in markdown and f"({slot[1:-1]}" not in html


def test_a_first_run_publishes_feedback_only_when_complete(tmp_path, monkeypatch):
    from grader.report import writer

    out = tmp_path / "out"
    calls = []

    def stop_at_the_third(*args):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*args)

    original = writer.feedback_both
    monkeypatch.setattr(writer, "feedback_both", stop_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        api.grade("inf5860-2019", [EXAMPLES], out)
    assert not (out / "feedback").exists()  # the previous state: no feedback folder at all
    assert any(writer.staging_folder(out).iterdir())  # the two written students wait there
    monkeypatch.setattr(writer, "feedback_both", original)
    api.grade("inf5860-2019", [EXAMPLES], out)  # the leftover is dropped, not published
    assert not writer.staging_folder(out).exists()
    students = (out / "scores.csv").read_text("utf-8").count("\n") - 1
    assert len(list((out / "feedback").iterdir())) == 2 * students > 6


def test_a_rerun_rewrites_only_changed_feedback_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    api.grade("inf5860-2019", [EXAMPLES], out)
    feedback = out / "feedback"
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in feedback.iterdir()}
    (feedback / "notes.txt").write_text("the teacher's own file", "utf-8")
    (feedback / "s100001.md").write_text("edited by hand", "utf-8")
    api.grade("inf5860-2019", [EXAMPLES], out)
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in feedback.iterdir()}
    assert after.pop("notes.txt")[1] == b"the teacher's own file"
    assert after["s100001.md"][1] == before["s100001.md"][1]  # rewritten...
    assert after["s100001.md"][0] != before["s100001.md"][0]  # ...through a new file
    del after["s100001.md"], before["s100001.md"]
    assert after == before  # unchanged files were left alone (same inode, same bytes)
    assert not any(p.name.endswith(".tmp") for p in feedback.iterdir())


def test_a_batch_without_students_creates_no_feedback_folder(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.yaml").write_text("student: [", "utf-8")
    out = tmp_path / "out"
    api.grade("inf5860-2019", [tmp_path / "in"], out)
    assert (out / "errors.csv").is_file() and not (out / "feedback").exists()
    assert not (out / ".partial" / "feedback.new").exists()


HOSTILE = "<script>alert(1)</script> [link](x) ![i](http://t/p.png) ``tick`` \\[y](z)"


def _outside_code_blocks(rendered: str) -> str:
    return re.sub(r"<pre><code>.*?</code></pre>", "", rendered, flags=re.DOTALL)


def _shown(text: str) -> str:
    """text as rendered HTML shows it literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "cached-pieces"])
def test_student_text_in_markdown_feedback_shows_literally(monkeypatch, warm):
    """Markdown viewers and LMSs render inline HTML: the id, the variant as typed, matched
    words and notes quoting an answer must show as typed, not as HTML, links or code."""
    from markdown_it import MarkdownIt

    from grader.report.feedback import feedback_both

    exam = api.load_context("inf5860-2019").exam
    if not warm:
        _fresh_pieces(monkeypatch)
    student = HOSTILE + " `*bold*` _it_ ~~s~~ $m$"
    score = PartScore("s", "ex2c", Fraction(1), Fraction(2), criteria=(
        CriterionResult("random-drop", Fraction(1), Fraction(1), True, (HOSTILE, "<b>w</b>")),
        CriterionResult("purpose", Fraction(0), Fraction(1), False, (),
                        f"could not read {HOSTILE}")),
        notes=(f"accepted '{HOSTILE}' despite the spelling", "a\n# heading\n<img src=x>"),
        answer=student)
    result = StudentResult(student, "<i>K7Q2M</i>", "f", (score,))
    markdown, html = feedback_both(exam, result, None, {"ex2c": "Model."})
    rendered = MarkdownIt("commonmark").render(markdown)  # raw HTML allowed, as viewers do
    outside = _outside_code_blocks(rendered)
    for tag in ("<script", "<img", "<a ", "<code>", "<b>", "<i>", "<h1>heading"):
        assert tag not in outside, tag
    top = outside.split("<h2>")[0]
    assert "<em>" not in top and "<strong>bold" not in top and "<del>" not in top
    assert f"Student: {_shown(student)} · variant &lt;i&gt;K7Q2M&lt;/i&gt; ·" in top
    assert f"matched \u201c{_shown(HOSTILE)}, &lt;b&gt;w&lt;/b&gt;\u201d" in outside
    assert f"accepted '{_shown(HOSTILE)}' despite the spelling" in outside
    assert f"could not read {_shown(HOSTILE)}" in outside
    assert "a # heading &lt;img src=x&gt;" in outside  # a line break cannot start a block
    assert f"<pre><code>{_shown(student)}\n</code></pre>" in rendered  # the answer: fenced
    # the HTML feedback is escaped by Jinja2's autoescape and markupsafe.escape
    for tag in ("<script", "<img", "<b>w", "<i>K7Q2M", "<h1>heading"):
        assert tag not in html, tag
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


def test_markdown_lines_keep_the_rubric_and_answer_products_as_written():
    """Lines mix rubric text and answer text: '*' and '_' stay (mu*v - learning_rate*dx,
    3*3*3*2), as in the feedback graded before; only HTML, links and code are escaped."""
    from grader.report.feedback import markdown_line, markdown_text

    assert markdown_line("v = mu*v - learning_rate*gradient") == \
        "v = mu*v - learning_rate*gradient"
    assert markdown_line("3*3*3*2 + 2*5*5*2") == "3*3*3*2 + 2*5*5*2"
    assert markdown_text("s100001") == "s100001" and markdown_line("a1 (+0.5)") == "a1 (+0.5)"
