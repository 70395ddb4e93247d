"""Rubric YAML -> dataclasses: what loads, and one row per AuthoringError case."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest

from grader.errors import AuthoringError
from grader.rubric.loader import load_rubric, rubric_from_mapping

ROOT = Path(__file__).resolve().parents[1]

BASE = {
    "version": 1,
    "synonyms": {"overfitting": ["overtraining", "fits the training data too well"]},
    "parts": {
        "n1": {"kind": "number", "points": 1, "exact": True,
               "mistakes": [{"id": "m", "value": "13", "points": 0, "feedback": "stride"}]},
        "a1": {"kind": "arrows", "points": 4.5, "per_arrow": 0.5, "rtol": 0.01,
               "follow_through": True},
        "t1": {"kind": "text", "points": 2, "model_answer": "Drop random units.",
               "criteria": [
                   {"id": "drop", "points": 1, "any": ["drop* random* unit"], "feedback": "f"},
                   {"id": "why", "points": "1/2", "any": ["overfitting"], "group": "g"},
                   {"id": "why2", "points": 0.5, "any": ["regulari*"], "group": "g",
                    "negation": "allow", "deny": ["not regulari*"], "require": ["help*"]},
                   {"id": "extra", "points": 1, "any": ["ensemble"]},
               ]},
    },
}


def mutated(path: tuple, value) -> dict:
    """BASE with the value at `path` replaced (value DELETE removes the key)."""
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


DELETE = object()


def test_base_rubric_loads_into_typed_values():
    rubric = rubric_from_mapping(BASE, "r.yaml")
    assert rubric.version == 1 and rubric.source == "r.yaml"
    assert rubric.synonyms["overfitting"] == ("overtraining", "fits the training data too well")
    arrows = rubric.parts["a1"]
    assert arrows.points == Fraction(9, 2) and arrows.per_item == Fraction(1, 2)
    assert arrows.rtol == Fraction(1, 100) and arrows.follow_through
    assert arrows.follow_through_credit == 1
    number = rubric.parts["n1"]
    assert number.exact and number.mistakes[0].value == "13" and number.mistakes[0].points == 0
    text = rubric.parts["t1"]
    assert [c.points for c in text.criteria] == [1, Fraction(1, 2), Fraction(1, 2), 1]
    why2 = text.criteria[2]
    assert why2.group == "g" and why2.negation == "allow"
    assert [p.source for p in why2.deny] == ["not regulari*"]
    assert [p.source for p in why2.require] == ["help*"]
    assert text.matcher is not None and text.model_answer == "Drop random units."


@pytest.mark.parametrize("value, expected", [
    (1, Fraction(1)), (0.5, Fraction(1, 2)), ("1/2", Fraction(1, 2)), (" 3/4 ", Fraction(3, 4)),
    (0.1, Fraction(1, 10)), ("2", Fraction(2)),
])
def test_points_accept_ints_decimals_and_fraction_strings(value, expected):
    data = mutated(("parts", "n1", "points"), value)
    assert rubric_from_mapping(data, "r.yaml").parts["n1"].points == expected


ERRORS = [
    # (what, path, value, part, message fragment)
    ("unknown top key", ("extra",), 1, None, "unknown key extra"),
    ("bad version", ("version",), 2, None, "unsupported rubric version"),
    ("parts not a mapping", ("parts",), [], None, "parts must be a mapping"),
    ("synonyms not lists", ("synonyms", "overfitting"), "overtraining", "synonyms",
     "list of words"),
    ("bad synonym pattern", ("synonyms", "overfitting"), ["(a|b"], "synonyms", "missing ')'"),
    ("unknown kind", ("parts", "n1", "kind"), "essay", "n1", "kind must be one of"),
    ("key of another kind", ("parts", "t1", "per_arrow"), 1, "t1", "unknown key per_arrow"),
    ("unknown part key", ("parts", "n1", "tolerance"), 1, "n1", "unknown key tolerance"),
    ("points not a number", ("parts", "n1", "points"), "one", "n1", "must be a number"),
    ("points a boolean", ("parts", "n1", "points"), True, "n1", "must be a number"),
    ("points missing", ("parts", "n1", "points"), DELETE, "n1", "must be a number"),
    ("negative points", ("parts", "n1", "points"), -1, "n1", "must not be negative"),
    ("negative rtol", ("parts", "a1", "rtol"), "-1/100", "a1", "must not be negative"),
    ("exact not boolean", ("parts", "n1", "exact"), "yes", "n1", "true or false"),
    ("arrows without per_arrow", ("parts", "a1", "per_arrow"), DELETE, "a1", "per_arrow"),
    ("follow-through credit above 1", ("parts", "a1", "follow_through_credit"), 2, "a1",
     "at most 1"),
    ("mistake unknown key", ("parts", "n1", "mistakes", 0, "why"), "x", "n1", "unknown key why"),
    ("mistake above part points", ("parts", "n1", "mistakes", 0, "points"), 2, "n1",
     "more than the part's"),
    ("mistake without value", ("parts", "n1", "mistakes", 0, "value"), DELETE, "n1",
     "value must be"),
    ("no criteria", ("parts", "t1", "criteria"), [], "t1", "at least one criterion"),
    ("criterion without id", ("parts", "t1", "criteria", 0, "id"), DELETE, "t1", "needs an id"),
    ("duplicate criterion id", ("parts", "t1", "criteria", 1, "id"), "drop", "t1",
     "duplicate criterion id drop"),
    ("criterion unknown key", ("parts", "t1", "criteria", 0, "keywords"), ["x"], "t1",
     "unknown key keywords"),
    ("criterion negative points", ("parts", "t1", "criteria", 0, "points"), -1, "t1",
     "criterion drop: points must not be negative"),
    ("empty any", ("parts", "t1", "criteria", 0, "any"), [], "t1", "needs at least one"),
    ("any not strings", ("parts", "t1", "criteria", 0, "any"), [1], "t1", "list of strings"),
    ("unbalanced pattern", ("parts", "t1", "criteria", 0, "any"), ["(a|b"], "t1",
     "criterion drop: pattern '(a|b': missing ')'"),
    ("bad pattern word", ("parts", "t1", "criteria", 0, "any"), ["a?b"], "t1", "is not a word"),
    ("bad deny pattern", ("parts", "t1", "criteria", 0, "deny"), ["a ~"], "t1", "empty pattern"),
    ("bad negation", ("parts", "t1", "criteria", 0, "negation"), "ignore", "t1",
     "negation must be"),
    ("group not a string", ("parts", "t1", "criteria", 0, "group"), 3, "t1", "group must be"),
    ("best above criteria", ("parts", "t1", "best"), 5, "t1", "best must be a whole number"),
    ("best zero", ("parts", "t1", "best"), 0, "t1", "best must be a whole number"),
    ("unreachable points", ("parts", "t1", "points"), 4, "t1",
     "can give at most 5/2 of the part's 4 points"),
    ("unreachable with best", ("parts", "t1", "best"), 1, "t1", "at most 1 of the part's 2"),
    ("count_points above criteria", ("parts", "t1", "count_points"), {5: 2}, "t1",
     "not a number of criteria"),
    ("count_points above points", ("parts", "t1", "count_points"), {1: 3}, "t1",
     "more than the part's"),
    ("count_points unreachable", ("parts", "t1", "count_points"), {1: 1}, "t1",
     "at most 1 of the part's 2"),
    ("model answer not text", ("parts", "t1", "model_answer"), ["x"], "t1", "must be text"),
    ("explain not boolean", ("parts", "t1", "criteria", 0, "explain"), "yes", "t1",
     "explain must be true or false"),
    ("criterion id a YAML boolean", ("parts", "t1", "criteria", 0, "id"), False, "t1",
     "is a YAML boolean: quote it"),
]


@pytest.mark.parametrize("what, path, value, part, fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_authoring_errors_name_file_and_part(what, path, value, part, fragment):
    with pytest.raises(AuthoringError) as info:
        rubric_from_mapping(mutated(path, value), "rubrics/r.yaml")
    err = info.value
    assert fragment in err.message
    assert err.file == "rubrics/r.yaml" and err.part == part
    assert str(err).startswith("rubrics/r.yaml" + (f", part {part}" if part else ""))


def test_groups_count_once_when_checking_reachable_points():
    data = mutated(("parts", "t1", "criteria", 3, "group"), "g")
    data["parts"]["t1"]["criteria"][3]["points"] = "1/2"  # drop 1 + group g 1/2 = 3/2
    with pytest.raises(AuthoringError, match="at most 3/2 of the part's 2"):
        rubric_from_mapping(data, "r.yaml")


def test_load_rubric_reads_yaml_and_reports_bad_yaml(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\nparts:\n  x: {kind: choice, points: 1}\n", encoding="utf-8")
    assert load_rubric(good).parts["x"].kind == "choice"
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nparts: {x: [\n", encoding="utf-8")
    with pytest.raises(AuthoringError, match="not valid YAML") as info:
        load_rubric(bad)
    assert info.value.file == str(bad)
    with pytest.raises(AuthoringError, match="cannot read rubric"):
        load_rubric(tmp_path / "missing.yaml")


def test_zero_follow_through_credit_is_kept():
    data = mutated(("parts", "a1", "follow_through_credit"), 0)
    assert rubric_from_mapping(data, "r.yaml").parts["a1"].follow_through_credit == 0


def test_not_a_mapping_at_all():
    with pytest.raises(AuthoringError, match="the rubric must be a mapping"):
        rubric_from_mapping(["version", 1], "r.yaml")


CONTRACT_PARTS = {
    "ex1a": ("arrows", Fraction(9, 2)), "ex2a": ("text", 1), "ex2b": ("text", 1),
    "ex2c": ("text", 2), "ex2d": ("text", 2), "ex2e": ("text", 2), "ex2f": ("text", 2),
    "ex3a": ("number", 1), "ex3b": ("number", 1), "ex3c": ("number", 2), "ex3d": ("text", 1),
    "ex3e": ("text", 2), "ex4a": ("text", 2), "ex4b": ("text", 2), "ex5a": ("text", 2),
    "ex5b": ("text", 2), "ex6a": ("text", 2), "ex6b": ("text", 1), "ex7a": ("text", 2),
    "ex7b": ("text", 2), "ex7c": ("text", 2),
}


def test_the_2019_rubric_covers_every_part_of_the_contract():
    rubric = load_rubric(ROOT / "rubrics" / "inf5860_2019.yaml")
    assert {p: (r.kind, r.points) for p, r in rubric.parts.items()} == CONTRACT_PARTS
    for part in rubric.parts.values():
        if part.kind == "text":
            assert part.model_answer
            assert all(c.feedback for c in part.criteria), part.part


def test_explain_loads_and_adds_the_describing_words_to_the_matcher():
    data = mutated(("parts", "t1", "criteria", 3, "explain"), True)
    part = rubric_from_mapping(data, "r.yaml").parts["t1"]
    assert [c.explain for c in part.criteria] == [False, False, False, True]
    assert "because" in part.matcher.by_norm  # the describing words are looked up too
    plain = rubric_from_mapping(BASE, "r.yaml").parts["t1"]
    assert "because" not in plain.matcher.by_norm


def test_yaml_no_as_criterion_id_is_reported_from_a_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\nparts:\n  q:\n    kind: text\n    points: 1\n"
                    "    criteria:\n      - {id: no, points: 1, any: [no]}\n", encoding="utf-8")
    with pytest.raises(AuthoringError) as info:
        load_rubric(path)
    assert "r.yaml" in str(info.value) and "quote it" in str(info.value)
