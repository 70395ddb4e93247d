"""Common-mistake rules: the generic rules, family values, the fixed form, validation."""

from __future__ import annotations

from fractions import Fraction

import pytest

from grader.bank import exam_from_mapping
from grader.errors import AuthoringError
from grader.model import Family, PartVariant, Solved
from grader.rubric.engine import score_part
from grader.rubric.loader import rubric_from_mapping
from grader.stress import stress_test

GRAPH = {"inputs": {"x": 3, "y": -2}, "nodes": [{"id": "f", "op": "mul", "inputs": ["x", "y"]}],
         "output": "f"}  # df/dx = y = -2 (arrow a1), df/dy = x = 3 (arrow a2)


def _rubric(parts):
    return rubric_from_mapping({"version": 1, "parts": parts}, "test.yaml")


RUBRIC = _rubric({
    "sign": {"kind": "number", "points": 2, "exact": True, "mistakes": [
        {"id": "sign", "rule": "sign", "points": 1,
         "feedback": "sign: {value} is not {expected}"}]},
    "obo": {"kind": "number", "points": 1, "rtol": 0.01, "mistakes": [
        {"id": "obo", "rule": "off_by_one", "points": "1/2", "feedback": "off by one"}]},
    "fac": {"kind": "number", "points": 1, "exact": True, "mistakes": [
        {"id": "half", "rule": "factor", "factor": 2, "points": "1/4",
         "feedback": "a factor {difference} away"}]},
    "fam": {"kind": "number", "points": 2, "exact": True, "mistakes": [
        {"id": "s", "family": "stride-forgotten", "points": 1, "feedback": "stride"},
        {"id": "old", "value": "13", "expected": "23", "points": "1/2", "feedback": "fixed"}]},
    "expr": {"kind": "expression", "points": 1, "symbols": ["x"], "mistakes": [
        {"id": "sign", "rule": "sign", "points": "1/2", "feedback": "sign"}]},
    "arr": {"kind": "arrows", "points": 1, "per_arrow": "1/2", "rtol": 0.01, "mistakes": [
        {"id": "sign", "rule": "sign", "points": "1/4", "feedback": "wrong sign"}]},
    "val": {"kind": "values", "points": 1, "per_value": "1/2", "exact": True, "mistakes": [
        {"id": "sign", "rule": "sign", "points": 0, "feedback": "wrong sign"}]},
})


def score(part, raw, answer, mistakes=None, params=None):
    pr = RUBRIC.parts[part]
    pv = PartVariant(part, pr.kind, pr.points, "", params or {}, answer, "",
                     mistakes=mistakes or {})
    return score_part(RUBRIC, pr, pv, raw, student="s")


@pytest.mark.parametrize("answer, raw, value", [
    ("23", "-23", "-23"), ("-7/2", "3.5", "7/2"), ("-7/2", "3,5", "7/2"),
    ("1/3", "-1/3", "-1/3"), ("125", "-125", "-125")])
def test_sign_rule_fires_on_any_expected_value(answer, raw, value):
    result = score("sign", raw, answer)
    assert result.score == 1 and result.max == 2 and not result.criteria[0].met
    assert result.criteria[0].feedback == f"sign: {value} is not {answer}"


def test_sign_rule_feedback_fills_the_variant_values():
    assert score("sign", "-23", "23").criteria[0].feedback == "sign: -23 is not 23"


def test_sign_rule_is_not_offered_when_it_equals_the_answer():
    # -0 is 0: a right answer, and a wrong one (5) is not the sign error
    assert score("sign", "0", "0").score == 2
    result = score("sign", "5", "0")
    assert result.score == 0 and result.criteria[0].feedback == "expected 0, got 5"


def test_right_answer_still_scores_full_and_other_wrong_answers_nothing():
    assert score("sign", "23", "23").score == 2
    assert score("sign", "22", "23").score == 0


@pytest.mark.parametrize("raw, points", [("24", Fraction(1, 2)), ("22", Fraction(1, 2)),
                                         ("23.1", 1), ("25", 0)])
def test_off_by_one_both_ways_outside_the_part_tolerance(raw, points):
    # rtol 1 % of 23 is 0.23: 23.1 is right, 22 and 24 are off by one, 25 is just wrong
    assert score("obo", raw, "23").score == points


def test_off_by_one_inside_the_tolerance_is_not_a_mistake():
    # expected 1000 with rtol 1 %: 999 and 1001 are right answers, never "off by one"
    assert score("obo", "1001", "1000").score == 1
    assert score("obo", "980", "1000").score == 0


@pytest.mark.parametrize("raw, points", [("46", Fraction(1, 4)), ("23/2", Fraction(1, 4)),
                                         ("69", 0)])
def test_factor_rule_times_and_divided(raw, points):
    result = score("fac", raw, "23")
    assert result.score == points
    if points:
        assert result.criteria[0].feedback == f"a factor {abs(Fraction(raw) - 23)} away"


def test_family_rule_uses_the_variants_value():
    result = score("fam", "17", "29", {"stride-forgotten": "17"})
    assert result.score == 1 and result.criteria[0].feedback == "stride"
    assert score("fam", "13", "29", {"stride-forgotten": "17"}).score == 0  # fixed: original
    assert score("fam", "17", "29").score == 0  # a key without family mistakes


def test_fixed_value_form_still_applies_to_its_expected_answer_only():
    result = score("fam", "13", "23")
    assert result.score == Fraction(1, 2) and result.criteria[0].feedback == "fixed"


def test_family_value_equal_to_the_answer_is_never_offered():
    assert score("fam", "23", "23", {"stride-forgotten": "23"}).score == 2
    assert score("fam", "22", "23", {"stride-forgotten": "23"}).score == 0


def test_sign_rule_on_an_expression():
    result = score("expr", "-x - x", "2*x")
    assert result.score == Fraction(1, 2) and result.criteria[0].feedback == "sign"


def test_sign_rule_per_arrow():
    result = score("arr", {"a1": "2", "a2": "3"}, {"a1": "-2", "a2": "3"}, params=GRAPH)
    by_id = {c.id: c for c in result.criteria}
    assert by_id["a1"].points == Fraction(1, 4) and by_id["a1"].feedback == "wrong sign"
    assert by_id["a2"].points == Fraction(1, 2) and result.score == Fraction(3, 4)


def test_zero_point_rule_per_value_gives_feedback_only():
    result = score("val", {"v1": "1/5", "v2": "7"}, {"v1": "-1/5", "v2": "7"})
    by_id = {c.id: c for c in result.criteria}
    assert by_id["v1"].points == 0 and by_id["v1"].feedback == "wrong sign"
    assert result.score == Fraction(1, 2)


BAD = [
    ("two forms", {"id": "m", "rule": "sign", "value": "3"}, "number", "exactly one"),
    ("no form", {"id": "m", "points": 0}, "number", "value must be given"),
    ("unknown rule", {"id": "m", "rule": "truncation"}, "number", "rule must be one of"),
    ("rounding on an expression", {"id": "m", "rule": "rounding"}, "expression",
     "rule rounding needs a number"),
    ("factor without factor", {"id": "m", "rule": "factor"}, "number", "needs factor"),
    ("factor on sign", {"id": "m", "rule": "sign", "factor": 2}, "number", "needs factor"),
    ("factor 1", {"id": "m", "rule": "factor", "factor": 1}, "number", "not be 0 or 1"),
    ("expected on a rule", {"id": "m", "rule": "sign", "expected": "3"}, "number",
     "expected goes with value"),
    ("empty family", {"id": "m", "family": ""}, "number", "family must name"),
    ("family on arrows", {"id": "m", "family": "x"}, "arrows", "generic rules only"),
    ("value on arrows", {"id": "m", "value": "3"}, "arrows", "generic rules only"),
    ("above per arrow", {"id": "m", "rule": "sign", "points": 1}, "arrows",
     "more than the 1/2 per item"),
    ("unknown key", {"id": "m", "rule": "sign", "why": 1}, "number", "unknown key why"),
]


@pytest.mark.parametrize("what, mistake, kind, fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_mistake_rules_are_authoring_errors(what, mistake, kind, fragment):
    part = {"kind": kind, "points": 1, "mistakes": [mistake]}
    if kind == "arrows":
        part["per_arrow"] = "1/2"
    with pytest.raises(AuthoringError) as info:
        _rubric({"p1": part})
    assert fragment in info.value.message and info.value.part == "p1"


# ---------------------------------------------------------------- grader check


def _solve_with(mistake_of):
    def solve(params):
        n = params["n"]
        return Solved({"n": str(n)}, str(2 * n), "2n", mistakes={"m": str(mistake_of(n))})
    return solve


def _stress(mistake_of):
    family = Family("t.double", _solve_with(mistake_of), lambda rng, p, f: {"n": rng.randint(1, 9)})
    exam = exam_from_mapping({
        "id": "t", "version": 1, "title": "T", "course": "C", "date": "2020-01-01",
        "duration": "1h", "aids": "none", "instructions": "-",
        "exercises": [{"id": "e1", "title": "E", "parts": [
            {"id": "q1", "points": 1, "kind": "number", "family": "t.double",
             "params": {"n": 1}, "text": "Double {n}."}]}],
    }, "t.yaml", {"t.double": family})
    rubric = _rubric({"q1": {"kind": "number", "points": 1, "exact": True}})
    return stress_test(exam, rubric, {"t.double": family}, seeds=20)


def test_check_fails_when_a_family_mistake_equals_the_answer():
    assert _stress(lambda n: n).failures == []  # n is never 2n
    failures = _stress(lambda n: 2 * n).failures
    assert failures and "the mistake m equal to the answer" in failures[0]
