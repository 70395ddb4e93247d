"""GIFT export: categories per part, numeric answers equal the key, text escaped."""

from __future__ import annotations

import re

import pytest

from grader.export import gift
from tests.test_export_support import (
    HOSTILE,
    context,
    export_file,
    hostile_set,
    html_text,
    key_answer,
)

IDS = ("original", "K7Q2M")
# A question: ::name::[html]text{answer}; text may hold escaped characters (\{, \}, \:, ...).
QUESTION = re.compile(r"^::(?P<name>(?:[^:\\]|\\.)*)::\[html\](?P<text>(?:[^{}\\]|\\.)*)"
                      r"\{(?P<answer>[^}]*)\}$")


def gift_unescape(text: str) -> str:
    """Undo gift_escape as Moodle's importer does."""
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], text)


def _questions(text: str) -> dict[str, tuple[str, str]]:
    out = {}
    for line in text.splitlines():
        match = QUESTION.match(line)
        if line.startswith("::"):
            assert match, line[:200]
            out[gift_unescape(match["name"])] = (gift_unescape(match["text"]), match["answer"])
    return out


@pytest.fixture(scope="module")
def document() -> str:
    return export_file("gift", ids=IDS).decode("utf-8")


def test_categories_and_names(document):
    categories = re.findall(r"^\$CATEGORY: (.+)$", document, flags=re.M)
    assert [c.rsplit("/", 1)[-1] for c in categories] == [f"inf5860-2019 {p.id}"
                                                          for p in context().exam.parts]
    assert len(_questions(document)) == len(IDS) * len(categories)


def test_ex3b_numeric_answer_exact(document):
    text, answer = _questions(document)["inf5860-2019 ex3b original"]
    assert answer == f"#{key_answer('ex3b')}:0" == "#23:0"
    assert html_text(text).rstrip().endswith("Variant original · ex3b")


def test_blanks_and_essays_are_open_answers(document):
    questions = _questions(document)
    text, answer = questions["inf5860-2019 ex1a K7Q2M"]
    assert answer == "" and "a1, a2" in html_text(text)
    assert questions["inf5860-2019 ex2c original"][1] == ""
    assert "random-drop" not in document  # no rubric where students could see it


def test_hostile_text_arrives_intact():
    questions = _questions(gift.gift_text(hostile_set()))
    assert questions
    for text, _ in questions.values():
        shown = html_text(text)
        assert HOSTILE in shown and "\\(x < 0 \\& y > 1\\)" in shown


def test_golden(golden):
    lines = export_file("gift", "inf5860-drills").decode("utf-8").splitlines()
    picked = [line for line in lines if line.startswith(("::inf5860-drills d2a original",
                                                         "::inf5860-drills d3a original"))]
    golden("export/gift-numeric-and-blanks.gift.txt", "\n".join(picked) + "\n")
