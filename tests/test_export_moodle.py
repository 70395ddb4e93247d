"""Moodle XML export: valid for Moodle's importer, and the answers read back equal the key."""

from __future__ import annotations

import base64
import re

import pytest
from lxml import etree

from grader.export import moodle
from grader.export.package import export_bytes
from tests.test_export_support import (
    HOSTILE,
    as_float,
    context,
    export_file,
    export_set,
    hostile_set,
    html_text,
    key_answer,
    validate,
)

IDS = ("original", "K7Q2M", "3XW9A")
CLOZE = re.compile(r"\{(\d+):NUMERICAL:=([^:}]+):([^}]+)\}")


@pytest.fixture(scope="module")
def quiz() -> etree._Element:
    return etree.fromstring(export_file("moodle", ids=IDS))


def _question(quiz: etree._Element, name: str) -> etree._Element:
    found = [q for q in quiz.iter("question") if q.findtext("name/text") == name]
    assert len(found) == 1, name
    return found[0]


def test_validates_with_moodle_rules(tmp_path):
    path = tmp_path / "moodle.xml"
    path.write_bytes(export_file("moodle", ids=IDS))
    validate([path])


def test_one_category_per_part_with_every_variant(quiz):
    parts = [p.id for p in context().exam.parts]
    seen: dict[str, list[str]] = {}
    current = None
    for question in quiz.iter("question"):
        if question.get("type") == "category":
            current = question.findtext("category/text").rsplit("/", 1)[-1]
            seen[current] = []
        else:
            seen[current].append(question.findtext("name/text"))
    assert list(seen) == [f"inf5860-2019 {p}" for p in parts]
    for category, names in seen.items():
        assert names == [f"{category} {v}" for v in IDS]


def test_ex3b_original_is_numerical_23_with_tolerance_0(quiz):
    question = _question(quiz, "inf5860-2019 ex3b original")
    assert question.get("type") == "numerical"
    assert question.findtext("answer/text") == "23" == key_answer("ex3b")
    assert question.find("answer").get("fraction") == "100"
    assert question.findtext("answer/tolerance") == "0"
    assert question.findtext("defaultgrade") == "1"
    text = question.findtext("questiontext/text")
    assert html_text(text).rstrip().endswith("Variant original · ex3b")


@pytest.mark.parametrize("variant", IDS)
def test_ex1a_cloze_blanks_equal_the_key_within_one_percent(quiz, variant):
    question = _question(quiz, f"inf5860-2019 ex1a {variant}")
    assert question.get("type") == "cloze"
    text = question.findtext("questiontext/text")
    blanks = re.findall(r"<p>(\w+) = " + CLOZE.pattern, text)
    key = key_answer("ex1a", variant=variant)
    assert [b[0] for b in blanks] == list(key) == [f"a{i}" for i in range(1, 10)]
    for arrow, weight, value, tolerance in blanks:
        expected = as_float(key[arrow])
        assert float(value) == pytest.approx(expected, rel=1e-9)
        assert float(tolerance) == pytest.approx(0.01 * abs(expected), rel=1e-9)
        assert weight == "1"  # 0.5 points each: equal weights
    # the only braces Moodle's cloze parser sees are the blanks'
    assert text.count("{") == len(blanks) == 9


def test_ex1a_embeds_the_figure_as_a_plugin_file(quiz):
    question = _question(quiz, "inf5860-2019 ex1a original")
    files = question.findall("questiontext/file")
    assert len(files) == 1
    name = files[0].get("name")
    assert f'src="@@PLUGINFILE@@/{name}"' in question.findtext("questiontext/text")
    svg = base64.b64decode(files[0].text)
    assert svg.lstrip().startswith(b"<?xml") or b"<svg" in svg[:400]
    figure = export_set().questions[0].figures[0]
    assert svg == figure.data and name == figure.name


def test_essay_carries_rubric_for_the_marker_only(quiz):
    question = _question(quiz, "inf5860-2019 ex2c original")
    assert question.get("type") == "essay"
    guide = html_text(question.findtext("graderinfo/text"))
    assert "Model answer" in guide and "random-drop (1)" in guide and "purpose (1)" in guide
    assert "dropout" in guide.lower()
    student_text = html_text(question.findtext("questiontext/text"))
    assert "random-drop" not in student_text and "Model answer" not in student_text


def test_same_input_same_bytes_and_stable_idnumbers():
    first = export_bytes(export_set(ids=IDS), "moodle")
    assert first == export_bytes(export_set(ids=IDS), "moodle")
    ids = [q.findtext("idnumber") for q in etree.fromstring(first).iter("question")
           if q.get("type") != "category"]
    assert len(set(ids)) == len(ids)
    single = etree.fromstring(export_file("moodle"))
    original = {q.findtext("name/text"): q.findtext("idnumber") for q in single.iter("question")}
    again = {q.findtext("name/text"): q.findtext("idnumber")
             for q in etree.fromstring(first).iter("question")}
    for name, ident in original.items():
        assert again[name] == ident  # a re-export with more variants keeps each question's id


def test_hostile_text_arrives_intact(tmp_path):
    data = moodle.moodle_xml(hostile_set())
    path = tmp_path / "hostile.xml"
    path.write_bytes(data)
    validate([path])
    for question in etree.fromstring(data).iter("question"):
        if question.get("type") == "category":
            continue
        shown = html_text(question.findtext("questiontext/text"))
        assert HOSTILE in shown
        assert "\\(x < 0 \\& y > 1\\)" in shown
        if question.get("type") == "essay":
            assert HOSTILE in html_text(question.findtext("graderinfo/text"))


def _element(name: str, data: bytes) -> str:
    question = _question(etree.fromstring(data), name)
    return etree.tostring(question, encoding="unicode")


@pytest.mark.parametrize(("exam", "name", "golden_name"), [
    ("inf5860-2019", "inf5860-2019 ex3b original", "numerical"),
    ("inf5860-drills", "inf5860-drills d2a original", "cloze"),
    ("inf5860-2019", "inf5860-2019 ex2c original", "essay"),
])
def test_goldens(golden, exam, name, golden_name):
    golden(f"export/moodle-{golden_name}.xml", _element(name, export_file("moodle", exam)) + "\n")
