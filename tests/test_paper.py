"""Papers and keys: goldens, no answers on student papers, figures as deterministic SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import pytest

from grader.bank import exam_from_mapping, load_exam
from grader.model import Family, Figure, Solved
from grader.paper import key_html, key_markdown, student_html, student_markdown, write_papers
from grader.paper.figures import graph_markdown, graph_svg, inline_svg
from grader.paper.view import format_points
from grader.rubric.loader import load_rubric
from grader.rubric.tolerances import tolerance_texts
from grader.variant_ids import variant_ids
from grader.variants import build_variant
from question_bank.families import FAMILIES
from tests.test_variants_key import RANDOM, random_exam

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "question_bank" / "inf5860_2019" / "exam.yaml"
SEED_RUBRIC = ROOT / "rubrics" / "inf5860_2019.yaml"
SVG_NS = "{http://www.w3.org/2000/svg}"
WORKED_SUMS = ("1 + (3-1) + (5-1) + (7-1) = 13", "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23",
               "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350")
KEY_ARROWS = ("a1: 7", "a2: -21/2", "a3: 0", "a4: -7/2", "a5: -7/2", "a6: -7/2", "a7: -7/2",
              "a8: 49", "a9: -7")


@pytest.fixture(scope="module")
def exam():
    return load_exam(SEED, FAMILIES)


@pytest.fixture(scope="module")
def variant(exam):
    return build_variant(exam, "original", FAMILIES)


@pytest.fixture(scope="module")
def tolerances():
    return tolerance_texts(load_rubric(SEED_RUBRIC))


@pytest.fixture(scope="module")
def papers(exam, variant, tolerances):
    return {"student_md": student_markdown(exam, variant),
            "student_html": student_html(exam, variant),
            "key_md": key_markdown(exam, variant, tolerances),
            "key_html": key_html(exam, variant, tolerances)}


def test_markdown_goldens(papers, golden):
    golden("inf5860_2019-paper-original.md", papers["student_md"])
    golden("inf5860_2019-key-original.md", papers["key_md"])


def _sentences(markdown: str) -> list[str]:
    """Distinctive pieces of a solution: sentences and lines of 12+ characters."""
    text = re.sub(r"[`*$]", "", markdown)
    pieces = re.split(r"(?<=[.!?])\s+|\n", text)
    return [" ".join(p.split()) for p in pieces if len(p.strip()) >= 12]


def _leak_strings(exam, variant) -> list[str]:
    strings = list(WORKED_SUMS)
    for part in exam.parts:
        if part.kind == "text":
            strings += _sentences(part.solution)
    strings += [f"{k} = {v}" for k, v in variant.part("ex1a").answer.items()]
    strings += list(KEY_ARROWS) + ["49/4", "-21/2"]
    return strings


@pytest.mark.parametrize("which", ["student_md", "student_html"])
def test_student_papers_have_no_answers(exam, variant, papers, which):
    paper = papers[which]
    flat = " ".join(re.sub(r"<[^>]+>", " ", paper).split())  # tags and line breaks ignored
    leaks = [s for s in _leak_strings(exam, variant) if s in paper or s in flat]
    assert leaks == []
    assert "<!--" not in paper and "Solution" not in paper and "Answer:" not in paper
    assert "answer key" not in paper.lower()


def test_leak_strings_are_in_the_key(exam, variant, papers):
    """The leak test is only meaningful if those strings really are in the key."""
    key_flat = " ".join(re.sub(r"[`*$]", "", papers["key_md"]).split())
    missing = [s for s in _leak_strings(exam, variant)
               if s not in key_flat and s not in papers["key_html"]]
    assert missing == []
    assert len(_leak_strings(exam, variant)) > 40


def test_key_contents(papers):
    key = papers["key_md"]
    for worked in WORKED_SUMS:
        assert worked in key
    for answer in ("**Answer:** 13", "**Answer:** 23", "**Answer:** 350",
                   "a1 = 7, a2 = -21/2, a3 = 0"):
        assert answer in key
    assert "| a5 | q | s | -7/2 |" in key
    assert "| total | 38.5 points (32.5 points without Exercise 7, which is for INF9860 only) |" \
        in key
    assert "Use a growing dilation factor" in key and "Assumptions made by the authors" in key
    html = papers["key_html"]
    assert all(label in html for label in KEY_ARROWS) and "<math" in html


def test_student_paper_contents(papers):
    paper = papers["student_md"]
    assert "| Date | 2019-06-08 |" in paper and "| Permitted aids | Calculator |" in paper
    assert "| Variant | original |" in paper and "| Duration | 4 hours |" in paper
    assert "## Exercise 7 (INF9860 only)" in paper
    assert "> **This exercise is for INF9860 only.**" in paper
    assert "### a) 4.5 points · `ex1a`" in paper and "### c) 2 points · `ex3c`" in paper
    assert "| a9 | t | f |" in paper and "kernel sizes 3x3, 5x5 and 7x7" in paper
    assert "Good luck!!" in paper
    html = papers["student_html"]
    assert '<p class="audience">This exercise is for INF9860 only.</p>' in html
    assert "<math" in html and "$" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


def test_html_is_self_contained(papers):
    for html in (papers["student_html"], papers["key_html"]):
        assert "<style>" in html and "http://" not in html.replace(
            "http://www.w3.org/", "")  # namespaces only: no network
        assert "<script" not in html and "<link" not in html and "<!--" not in html


def _svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # well-formed XML
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def test_graph_svg(variant):
    figure = variant.part("ex1a").figures[0]
    student = graph_svg(figure.data)
    texts = _svg_texts(student)
    assert sorted(t for t in texts if re.fullmatch(r"a\d+", t)) == sorted(
        f"a{i}" for i in range(1, 10))
    assert {"x = 3", "y = -2", "z = -1", "w = 1/2", "q", "mul", "square"} <= set(texts)
    assert not any(":" in t for t in texts)  # no values on the student figure
    root = ET.fromstring(student)
    blanks = [r for r in root.iter(f"{SVG_NS}rect") if r.get("stroke-width") == "0.8"]
    assert len(blanks) == 9  # one empty answer box per arrow
    assert graph_svg(figure.data) == student  # byte-identical: goldens stay stable
    key = graph_svg(figure.data, variant.part("ex1a").answer)
    key_texts = _svg_texts(key)
    assert set(KEY_ARROWS) <= set(key_texts) and "49/4" in key_texts  # output on its stub
    forward = [t.get("fill") for t in ET.fromstring(key).iter(f"{SVG_NS}text")
               if t.text in {"3", "-6", "-7/2"}]
    assert forward and set(forward) == {"#1b7a2e"}  # forward values in green
    gradients = {t.get("fill") for t in ET.fromstring(key).iter(f"{SVG_NS}text")
                 if t.text in KEY_ARROWS}
    assert gradients == {"#b3261e"}  # gradients in red
    inline = inline_svg(student)
    assert inline.startswith("<svg") and "<metadata>" not in inline


def test_figures_are_cheap():
    """Figures were the cost of big rosters (~0.2 s each with matplotlib): now a string join."""
    import time

    from grader.paper.texfigure import graph_picture

    graphs = [{"inputs": {"x": i, "y": -i - 1}, "nodes": [
        {"id": "q", "op": "mul", "inputs": ["x", "y"]},
        {"id": "f", "op": "add", "inputs": ["q", "x"]}], "output": "f"} for i in range(200)]
    start = time.perf_counter()
    for data in graphs:
        graph_svg(data)
        graph_picture(data)
    assert time.perf_counter() - start < 2.0  # ~2 ms per graph; 400 drawings


def test_two_arrows_between_the_same_nodes():
    data = {"inputs": {"z": 3}, "nodes": [{"id": "f", "op": "mul", "inputs": ["z", "z"]}],
            "output": "f"}
    assert {"a1", "a2"} <= set(_svg_texts(graph_svg(data)))
    table = graph_markdown(data)
    assert "| a1 | z | f |" in table and "| a2 | z | f |" in table


def _hostile_exam():
    def solve(params):
        return Solved({"k": "<b>3</b>"}, "6", "<img src=x onerror=alert(1)>",
                      (Figure("g", "note", {}, "caption <i>"),))

    data = {"id": "demo", "version": 1, "title": "T <script>alert(1)</script>", "course": "C",
            "date": "2020-01-01", "duration": "1 hour", "aids": "none", "instructions": "Go.",
            "exercises": [{"id": "ex1", "parts": [
                {"id": "ex1a", "points": 1, "kind": "number", "text": "k = {k} <script>x</script>",
                 "family": "f"}]}]}
    families = {"f": Family("f", solve)}
    exam = exam_from_mapping(data, "demo.yaml", families)
    return exam, build_variant(exam, "original", families)


def test_html_escapes_exam_text():
    exam, variant = _hostile_exam()
    for html in (student_html(exam, variant), key_html(exam, variant)):
        assert "<script" not in html and "<b>3</b>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html


def test_write_papers(tmp_path, exam, variant, papers, tolerances):
    written = write_papers(tmp_path / "out", exam, [variant], tolerances=tolerances)
    assert [p.name for p in written] == ["paper-original.md", "paper-original.html",
                                        "key-original.md", "key-original.html"]
    assert written[0].read_text(encoding="utf-8") == papers["student_md"]
    assert written[3].read_text(encoding="utf-8") == papers["key_html"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in written)


@pytest.mark.parametrize("points, text", [((9, 2), "4.5"), ((2, 1), "2"), ((1, 3), "1/3"),
                                          ((1, 8), "0.125")])
def test_format_points(points, text):
    assert format_points(Fraction(*points)) == text


# --- random variants: the id (and student) on the cover, still no answers ----------------------

RANDOM_COUNT = 4


@pytest.fixture(scope="module")
def random_variants(exam):
    return [build_variant(exam, v, FAMILIES) for v in variant_ids(2019, RANDOM_COUNT)]


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[`*$]", "", re.sub(r"<[^>]+>", " ", text)).split())


def _variant_leaks(variant) -> list[str]:
    """What only a key may show: worked-solution sentences and per-arrow answers."""
    strings = []
    for part in variant.parts:
        question = _flat(part.text)
        strings += [s for s in _sentences(part.solution)
                    if _flat(s) not in question and re.search(r"[A-Za-z0-9]", s)]
        if isinstance(part.answer, Mapping):
            strings += [f"{k} = {v}" for k, v in part.answer.items()]
    return strings


@pytest.mark.parametrize("index", range(RANDOM_COUNT))
def test_random_student_papers_have_no_answers(exam, random_variants, index):
    variant = random_variants[index]
    leaks = _variant_leaks(variant)
    key = key_markdown(exam, variant)
    assert [s for s in leaks if _flat(s) not in _flat(key)] == []  # the test means something
    assert len(leaks) > 40
    for paper in (student_markdown(exam, variant, "s123456"),
                  student_html(exam, variant, "s123456")):
        assert [s for s in leaks if s in paper or _flat(s) in _flat(paper)] == []
        assert "Solution" not in paper and "Answer:" not in paper and "<!--" not in paper
        assert variant.variant_id in paper and "s123456" in paper


def test_random_variants_show_their_own_parameters(exam, random_variants):
    intros = set()
    for variant in random_variants:
        paper = student_markdown(exam, variant)
        assert f"| Variant | {variant.variant_id} |" in paper and "| Student |" not in paper
        assert variant.intros["ex3"] in paper and "{" not in variant.intros["ex3"]
        intros.add(variant.intros["ex3"])
        kernels = variant.part("ex3a").params["kernels"]
        assert all(variant.part(p).params["kernels"] == kernels for p in ("ex3b", "ex3c"))
    assert len(intros) > 1  # the shared stack is drawn per variant


def test_student_on_the_cover_html_and_markdown():
    exam = random_exam()
    variant = build_variant(exam, "K7Q2M", RANDOM)
    markdown = student_markdown(exam, variant, "s1<b>")
    assert "| Variant | K7Q2M |\n| Student | s1<b> |" in markdown
    assert "A 3-layer CNN with kernels" in markdown and "Literal {braces} stay" in markdown
    html = student_html(exam, variant, "s1<b>")
    assert "<tr><td>Student</td><td>s1&lt;b&gt;</td></tr>" in html
    assert "Student" not in key_markdown(exam, variant)  # keys are per variant


def test_write_student_papers(tmp_path):
    from grader.paper import write_student_papers

    exam = random_exam()
    variant = build_variant(exam, "K7Q2M", RANDOM)
    written = write_student_papers(tmp_path, exam, {"K7Q2M": variant},
                                   [("s1", "s1", "K7Q2M"), ("x-1a2b", "x/y", "K7Q2M")])
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "students/s1.md", "students/s1.html", "students/x-1a2b.md", "students/x-1a2b.html"]
    assert "| Student | x/y |" in written[2].read_text(encoding="utf-8")
