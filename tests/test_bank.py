"""The question bank: the seed exam as docs/contracts.md fixes it, and the loader's error table."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

import question_bank
from grader import bank
from grader.bank import load_exam, parse_points, resolve_exam
from grader.errors import AuthoringError, InputError
from question_bank.families import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "question_bank" / "inf5860_2019" / "exam.yaml"

# docs/contracts.md: part -> (kind, points, family)
CONTRACT = {
    "ex1a": ("arrows", Fraction(9, 2), "backprop.graph"),
    **{p: ("text", Fraction(1), None) for p in ("ex2a", "ex2b", "ex3d", "ex6b")},
    **{p: ("text", Fraction(2), None) for p in (
        "ex2c", "ex2d", "ex2e", "ex2f", "ex3e", "ex4a", "ex4b", "ex5a", "ex5b", "ex6a",
        "ex7a", "ex7b", "ex7c")},
    "ex3a": ("number", Fraction(1), "cnn.field_of_view"),
    "ex3b": ("number", Fraction(1), "cnn.field_of_view"),
    "ex3c": ("number", Fraction(2), "cnn.params"),
}


@pytest.fixture(scope="module")
def exam():
    return load_exam(SEED, FAMILIES)


def test_seed_exam_header(exam):
    assert (exam.id, exam.version, exam.date) == ("inf5860-2019", 1, "2019-06-08")
    assert exam.duration == "4 hours" and exam.aids == "Calculator"
    assert "INF 5860" in exam.course and exam.title == "Machine learning for image analysis"
    assert "your answers should be **short**" in exam.instructions.lower()
    assert "Exercise 1" in exam.assumptions and "points" in exam.assumptions
    assert exam.source == str(SEED)


def test_parts_match_the_contract(exam):
    got = {p.id: (p.kind, p.points, p.family) for p in exam.parts}
    assert got == CONTRACT
    assert [p.id for p in exam.parts] == sorted(CONTRACT)  # paper order
    assert exam.total_points == Fraction(77, 2)


def test_exercise_structure(exam):
    assert [e.id for e in exam.exercises] == [f"ex{i}" for i in range(1, 8)]
    audiences = {e.id: e.audience for e in exam.exercises}
    assert audiences.pop("ex7") == "INF9860 only"
    assert set(audiences.values()) == {""}
    assert "kernel sizes {kernels}" in exam.exercises[2].intro
    assert exam.exercises[2].shared_family == "cnn.stack"
    assert exam.exercises[0].title == "A simple network"


def test_ex1_graph_is_the_contract_graph(exam):
    contracts = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(inputs:.*?)```", contracts, re.S).group(1)
    assert exam.part("ex1a").params == yaml.safe_load(block)
    text = exam.part("ex1a").text
    assert "{function_tex}" in text and "{inputs}" in text and "a1 to a9" in text
    assert "1/2 point per correct answer" in text and "your answers" in text


def test_family_params_and_fixed_parts(exam):
    assert exam.exercises[2].shared_params == {"kernels": [3, 5, 7], "channels": 3, "filters": 2}
    assert exam.part("ex3a").params == {"strides": [1, 1, 1]}
    assert exam.part("ex3b").params == {"strides": [2, 1, 1]}
    assert exam.part("ex3c").params == {"bias": False}
    for part in exam.parts:
        if part.kind == "text":
            assert part.family is None and part.params == {} and part.answer is None
            assert part.solution.strip(), part.id
    assert "growing dilation factor" in exam.part("ex3d").solution


@pytest.mark.parametrize("raw, expected", [
    (1, Fraction(1)), (0.5, Fraction(1, 2)), ("1/2", Fraction(1, 2)), ("4.5", Fraction(9, 2)),
    (4.5, Fraction(9, 2)), (0.1, Fraction(1, 10)),
])
def test_points_forms(raw, expected):
    assert parse_points(raw) == expected


@pytest.mark.parametrize("raw", [True, "abc", "1/0", None, [1]])
def test_points_rejected(raw):
    with pytest.raises(ValueError):
        parse_points(raw)


def _minimal() -> dict:
    return {
        "id": "demo-1", "version": 1, "title": "T", "course": "C", "date": "2020-01-01",
        "duration": "1 hour", "aids": "none", "instructions": "Go.",
        "exercises": [{"id": "ex1", "parts": [
            {"id": "ex1a", "points": 1, "kind": "number", "text": "k = {k}",
             "family": "fake.fam", "params": {"k": 3}},
            {"id": "ex1b", "points": "1/2", "kind": "text", "text": "Why?", "solution": "So."},
        ]}],
    }


def _set(path: tuple, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


_DELETE = object()
_A = ("exercises", 0, "parts", 0)
_B = ("exercises", 0, "parts", 1)


def _dup_part(data):
    data["exercises"][0]["parts"][1]["id"] = "ex1a"


def _dup_exercise(data):
    data["exercises"].append({"id": "ex1", "parts": [
        {"id": "ex2a", "points": 1, "kind": "text", "text": "?"}]})


ERROR_CASES = [
    # (case id, mutation, part named in the error, words in the message)
    ("unknown top key", _set(("colour",), "red"), None, "unknown key(s) in the exam: colour"),
    ("unknown part key", _set((*_A, "pionts"), 2), "ex1a", "unknown key(s) in part ex1a: pionts"),
    ("unknown exercise key", _set(("exercises", 0, "note"), "x"), "ex1", "note"),
    ("missing top field", _set(("title",), _DELETE), None, "missing 'title'"),
    ("missing part text", _set((*_A, "text"), _DELETE), "ex1a", "missing 'text'"),
    ("missing points", _set((*_B, "points"), _DELETE), "ex1b", "missing 'points'"),
    ("duplicate part id", _dup_part, "ex1a", "duplicate id 'ex1a'"),
    ("duplicate exercise id", _dup_exercise, "ex1", "duplicate id 'ex1'"),
    ("bad kind", _set((*_B, "kind"), "essay"), "ex1b", "unknown kind 'essay'"),
    ("zero points", _set((*_B, "points"), 0), "ex1b", "points must be positive"),
    ("negative points", _set((*_B, "points"), "-1/2"), "ex1b", "points must be positive"),
    ("points not a number", _set((*_B, "points"), "two"), "ex1b", "not a number"),
    ("points boolean", _set((*_B, "points"), True), "ex1b", "must be int or float or str"),
    ("unknown family", _set((*_A, "family"), "fake.nope"), "ex1a", "unknown family 'fake.nope'"),
    ("number without answer", _set((*_A, "family"), _DELETE), "ex1a", "needs a 'family' or"),
    ("family and answer", _set((*_A, "answer"), "3"), "ex1a", "remove 'answer'"),
    ("text with answer", _set((*_B, "answer"), "x"), "ex1b", "graded by the rubric"),
    ("bad part id", _set((*_B, "id"), "Ex 1b"), "Ex 1b", "lower-case"),
    ("wrong type", _set((*_A, "params"), [1, 2]), "ex1a", "'params' in part ex1a must be dict"),
    ("part not a mapping", _set(_B, "ex1b"), None, "must be a mapping"),
    ("no parts", _set(("exercises", 0, "parts"), []), "ex1", "at least one part"),
    ("version 2", _set(("version",), 2), None, "version 2 is not supported"),
]


@pytest.mark.parametrize("mutate, part, words", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_loader_errors(tmp_path, mutate, part, words):
    data = _minimal()
    mutate(data)
    path = tmp_path / "exam.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(AuthoringError) as info:
        load_exam(path, {"fake.fam": object()})
    err = info.value
    assert words in err.message
    assert err.file == str(path) and err.part == part
    assert str(err).startswith(str(path))  # "file, part ex1a: message", no traceback text
    assert err.__cause__ is None


def test_minimal_exam_loads(tmp_path):
    path = tmp_path / "exam.yaml"
    path.write_text(yaml.safe_dump(_minimal()), encoding="utf-8")
    exam = load_exam(path, {"fake.fam": object()})
    assert [p.points for p in exam.parts] == [1, Fraction(1, 2)]
    assert exam.part("ex1b").exercise == "ex1" and exam.exercises[0].title == ""


def test_unquoted_date_is_read_as_iso_text(tmp_path):
    path = tmp_path / "exam.yaml"
    path.write_text(yaml.safe_dump(_minimal()).replace("'2020-01-01'", "2020-01-01"),
                    encoding="utf-8")
    assert "date: 2020-01-01" in path.read_text(encoding="utf-8")
    assert load_exam(path, {"fake.fam": object()}).date == "2020-01-01"


def test_bad_yaml_and_missing_file(tmp_path):
    path = tmp_path / "exam.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(AuthoringError, match="not valid YAML") as info:
        load_exam(path)
    assert info.value.file == str(path)
    with pytest.raises(InputError, match="cannot read exam"):
        load_exam(tmp_path / "missing.yaml")


def test_families_unchecked_without_registry(tmp_path):
    data = _minimal()
    data["exercises"][0]["parts"][0]["family"] = "anything.goes"
    path = tmp_path / "exam.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_exam(path).part("ex1a").family == "anything.goes"


def test_resolve_bank_id_and_paths(tmp_path):
    exam_path, rubric = resolve_exam("inf5860-2019")
    assert exam_path == bank.BANK_ROOT / "inf5860_2019" / "exam.yaml"
    assert rubric == bank.RUBRICS_ROOT / "inf5860_2019.yaml"
    assert bank.BANK_ROOT == Path(question_bank.__file__).resolve().parent
    assert bank.RUBRICS_ROOT == bank.BANK_ROOT.parent / "rubrics"
    assert exam_path in bank.list_bank()
    # a bank laid out like ours: rubrics/<dir>.yaml beside question_bank/
    (tmp_path / "qb" / "my_exam").mkdir(parents=True)
    (tmp_path / "rubrics").mkdir()
    mine = tmp_path / "qb" / "my_exam" / "exam.yaml"
    mine.write_text("id: x\n", encoding="utf-8")
    assert resolve_exam(str(mine))[1] == tmp_path / "qb" / "my_exam" / "rubric.yaml"
    (tmp_path / "rubrics" / "my_exam.yaml").write_text("version: 1\n", encoding="utf-8")
    assert resolve_exam(str(mine)) == (mine, tmp_path / "rubrics" / "my_exam.yaml")
    assert resolve_exam(str(mine.parent))[0] == mine  # a directory holding exam.yaml


@pytest.mark.parametrize("name", ["inf5860-2018", "../etc", "", "nope.yaml"])
def test_resolve_unknown(name):
    with pytest.raises(InputError, match="inf5860-2019"):
        resolve_exam(name)
