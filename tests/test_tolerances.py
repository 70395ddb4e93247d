"""Answer keys state how exact a numeric answer must be; student papers never do."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy

from grader.answers.compare import compare_number
from grader.api import make_papers
from grader.bank import load_exam
from grader.paper import key_html, key_latex, key_markdown
from grader.paper.html import student_html
from grader.paper.latex import student_latex
from grader.paper.markdown import student_markdown
from grader.paper.view import MARKDOWN, paper_view
from grader.rubric.loader import PartRubric, rubric_from_mapping
from grader.rubric.tolerances import tolerance_text, tolerance_texts
from grader.variants import build_variant
from question_bank.families import FAMILIES
from tests.test_paper import SEED


def _part(kind: str = "number", **options) -> PartRubric:
    return PartRubric("p1", kind, Fraction(1), **options)


@pytest.mark.parametrize("options, text", [
    ({}, "exact"),
    ({"exact": True}, "exact"),
    ({"rtol": Fraction(1, 100)}, "within 1 % (relative)"),
    ({"rtol": Fraction(1, 200)}, "within 0.5 % (relative)"),
    ({"rtol": Fraction(1, 3)}, "within 100/3 % (relative)"),
    ({"atol": Fraction(1, 200)}, "within 0.005 (absolute)"),
    ({"atol": Fraction(2)}, "within 2 (absolute)"),
    ({"sig_figs": 3}, "to 3 significant figures"),
    ({"sig_figs": 1}, "to 1 significant figure"),
    ({"decimals": 2}, "to 2 decimal places"),
    ({"decimals": 1}, "to 1 decimal place"),
    ({"decimals": 0}, "to 0 decimal places"),
])
def test_each_option(options, text):
    assert tolerance_text(_part(**options)) == text


@pytest.mark.parametrize("options, text", [
    ({"rtol": Fraction(1, 100), "atol": Fraction(1, 200)},
     "within 1 % (relative) or within 0.005 (absolute)"),
    ({"sig_figs": 3, "decimals": 2}, "to 3 significant figures or to 2 decimal places"),
    ({"rtol": Fraction(2, 100), "atol": Fraction(1, 10), "sig_figs": 2, "decimals": 1},
     "within 2 % (relative) or within 0.1 (absolute) or to 2 significant figures "
     "or to 1 decimal place"),
    # exact: true overrides every tolerance (compare_number ignores them)
    ({"exact": True, "rtol": Fraction(1, 100), "atol": Fraction(1), "sig_figs": 3,
      "decimals": 2}, "exact"),
    # a zero tolerance accepts only the exact value: it adds nothing
    ({"rtol": Fraction(0)}, "exact"),
    ({"rtol": Fraction(0), "atol": Fraction(1, 10)}, "within 0.1 (absolute)"),
])
def test_combinations(options, text):
    assert tolerance_text(_part(**options)) == text


@pytest.mark.parametrize("kind", ["arrows", "values"])
def test_arrows_and_values_parts(kind):
    assert tolerance_text(_part(kind, rtol=Fraction(1, 100))) == "within 1 % (relative)"
    assert tolerance_text(_part(kind)) == "exact"


@pytest.mark.parametrize("kind", ["text", "choice", "expression"])
def test_other_kinds_have_none(kind):
    assert tolerance_text(_part(kind)) == ""


def test_texts_from_yaml_rubric():
    rubric = rubric_from_mapping({"version": 1, "parts": {
        "n1": {"kind": "number", "points": 1, "rtol": 0.01, "atol": 0.005},
        "n2": {"kind": "number", "points": 1, "exact": True, "rtol": 0.01},
        "a1": {"kind": "arrows", "points": 2, "per_arrow": 1, "sig_figs": 3},
        "v1": {"kind": "values", "points": 2, "per_value": 1, "decimals": 2},
        "e1": {"kind": "expression", "points": 1},
        "t1": {"kind": "text", "points": 1, "criteria": [
            {"id": "c", "points": 1, "any": ["word"]}]},
    }})
    assert dict(tolerance_texts(rubric)) == {
        "n1": "within 1 % (relative) or within 0.005 (absolute)", "n2": "exact",
        "a1": "to 3 significant figures", "v1": "to 2 decimal places"}
    assert tolerance_texts(None) == {}


@pytest.mark.parametrize("options, inside, outside", [
    ({"rtol": Fraction(1, 100)}, "100.9", "101.1"),
    ({"atol": Fraction(1, 200)}, "100.004", "100.006"),
    ({"sig_figs": 3}, "100.4", "100.6"),
    ({"decimals": 2}, "100.004", "100.006"),
    ({"rtol": Fraction(1, 100), "atol": Fraction(2)}, "101.9", "102.1"),  # either one
    ({"exact": True, "rtol": Fraction(1, 100)}, "100", "100.1"),
])
def test_text_matches_what_the_grader_accepts(options, inside, outside):
    """The words describe compare_number as the engine calls it (any tolerance; exact wins)."""
    part = _part(**options)
    assert tolerance_text(part)
    args = {k: getattr(part, k) for k in ("exact", "rtol", "atol", "sig_figs", "decimals")}
    assert compare_number(sympy.Rational(inside), sympy.Integer(100), **args).ok
    assert not compare_number(sympy.Rational(outside), sympy.Integer(100), **args).ok


@pytest.fixture(scope="module")
def exam():
    return load_exam(SEED, FAMILIES)


@pytest.fixture(scope="module")
def variant(exam):
    return build_variant(exam, "original", FAMILIES)


TOLERANCES = {"ex1a": "within 1 % (relative) or to 3 significant figures", "ex3a": "exact"}


def test_key_shows_tolerance_next_to_the_answer(exam, variant):
    md = key_markdown(exam, variant, TOLERANCES)
    assert re.search(r"\*\*Answer:\*\* a1 = 7, [^\n]*\n\n\*\*Tolerance:\*\* within 1 % "
                     r"\(relative\) or to 3 significant figures\n", md)
    assert "**Answer:** 13\n\n**Tolerance:** exact\n" in md
    assert md.count("**Tolerance:**") == 2  # ex3b, ex3c: not in the mapping, not shown
    html = key_html(exam, variant, TOLERANCES)
    assert ('<div class="answer tolerance"><strong>Tolerance:</strong> within 1 % (relative) '
            "or to 3 significant figures</div>") in html
    assert html.count("<strong>Tolerance:</strong>") == 2
    tex = key_latex(exam, variant, TOLERANCES)
    assert (r"\par\textbf{Tolerance:} within 1 \% (relative) or to 3 significant figures"
            in tex)
    assert r"\par\textbf{Tolerance:} exact" in tex
    assert not re.search(r"(?<!\\)%", tex.split(r"\begin{document}")[1])  # % is escaped


def test_key_without_tolerances_shows_none(exam, variant):
    assert "Tolerance" not in key_markdown(exam, variant)
    assert "Tolerance" not in key_html(exam, variant)
    assert "Tolerance" not in key_latex(exam, variant)


def test_student_paper_never_shows_tolerance(exam, variant):
    view = paper_view(exam, variant, False, MARKDOWN, tolerances=TOLERANCES)
    assert all("tolerance" not in part for ex in view["exercises"] for part in ex["parts"])
    for text in (student_markdown(exam, variant), student_html(exam, variant),
                 student_latex(exam, variant)):
        assert "Tolerance" not in text and "significant" not in text


def test_make_papers_puts_rubric_tolerances_on_keys_only(tmp_path):
    make_papers(str(SEED), tmp_path, ("original",), formats=("md", "html"))
    key = (tmp_path / "key-original.md").read_text(encoding="utf-8")
    assert key.count("**Tolerance:** within 1 % (relative)") == 1  # ex1a (arrows, rtol 0.01)
    assert key.count("**Tolerance:** exact") == 3  # ex3a-c: exact: true
    for ext in ("md", "html"):
        assert "Tolerance" not in (tmp_path / f"paper-original.{ext}").read_text(
            encoding="utf-8")
    assert "Tolerance" in (tmp_path / "key-original.html").read_text(encoding="utf-8")
    assert "Tolerance" not in (tmp_path / "key.json").read_text(encoding="utf-8")
