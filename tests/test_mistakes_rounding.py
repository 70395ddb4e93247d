"""rule: rounding: an answer rounded to fewer figures than the part's comparison accepts."""

from __future__ import annotations

from fractions import Fraction

import pytest

from grader.model import PartVariant
from grader.rubric.engine import score_part
from grader.rubric.loader import rubric_from_mapping
from grader.rubric.mistakes import decimal_text, round_to, roundings

ROUNDING = {"id": "early", "rule": "rounding", "points": "1/2"}
RUBRIC = rubric_from_mapping({"version": 1, "parts": {
    "sig3": {"kind": "number", "points": 1, "sig_figs": 3, "mistakes": [ROUNDING]},
    "pct": {"kind": "number", "points": 1, "sig_figs": 3, "allow_percent": True,
            "mistakes": [ROUNDING]},
    "rtol": {"kind": "number", "points": 1, "rtol": 0.01, "mistakes": [ROUNDING]},
    "exact": {"kind": "number", "points": 1, "exact": True, "mistakes": [ROUNDING]},
    "plain": {"kind": "number", "points": 1, "mistakes": [ROUNDING]},  # no tolerance: exact
    "dec2": {"kind": "number", "points": 1, "decimals": 2, "mistakes": [ROUNDING]},
    "custom": {"kind": "number", "points": 1, "sig_figs": 3, "mistakes": [
        {"id": "early", "rule": "rounding", "points": "1/4",
         "feedback": "{value} = {expected} to {figures} (off by {difference}); use {needed}."}]},
    "order": {"kind": "number", "points": 1, "sig_figs": 3, "mistakes": [
        {"id": "sign", "rule": "sign", "points": "1/4", "feedback": "sign"}, ROUNDING]},
    "arr": {"kind": "arrows", "points": 1, "per_arrow": "1/2", "sig_figs": 3, "mistakes": [
        {"id": "early", "rule": "rounding", "points": "1/4"}]},
    "val": {"kind": "values", "points": 1, "per_value": "1/2", "decimals": 1, "mistakes": [
        {"id": "early", "rule": "rounding", "points": "1/4"}]},
}}, "rubrics/r.yaml")


def grade(part, raw, answer):
    pr = RUBRIC.parts[part]
    pv = PartVariant(part, pr.kind, pr.points, "", {}, answer, "")
    return score_part(RUBRIC, pr, pv, raw, student="s")


def feedback(part, raw, answer):
    return grade(part, raw, answer).criteria[0].feedback


def test_the_brief_example():
    result = grade("sig3", "0.52", "0.5236")
    assert result.score == Fraction(1, 2) and not result.criteria[0].met
    assert result.criteria[0].feedback == ("rounded too early: 0.52 is 0.5236 to 2 significant "
                                           "figures; give at least 3 significant figures")
    assert feedback("sig3", "0.5", "0.5236") == (
        "rounded too early: 0.5 is 0.5236 to 1 significant figure; give at least 3 "
        "significant figures")


@pytest.mark.parametrize("raw", ["0.5236", "0.524", "0.5235", "0.5231", "0,524", "52.4 %"])
def test_an_answer_the_tolerance_accepts_is_never_a_mistake(raw):
    part = "pct" if "%" in raw else "sig3"
    result = grade(part, raw, "0.5236")
    assert result.score == 1 and result.criteria[0].met and not result.criteria[0].feedback


def test_rtol_decides_how_many_figures_are_needed():
    # 1 % of 0.5236: 0.52 (0.7 % off) is right, not a mistake; 0.5 (4.5 %) is rounded too early
    assert grade("rtol", "0.52", "0.5236").score == 1
    assert feedback("rtol", "0.5", "0.5236").endswith(
        "0.5236 to 1 significant figure; give at least 2 significant figures")
    # 1 % of 23.49 is 0.2349: 23 is 2 figures but too far; 23.5 is right
    assert grade("rtol", "23.5", "23.49").score == 1
    assert grade("rtol", "23", "23.49").score == Fraction(1, 2)


def test_needed_is_what_this_value_needs_not_the_rubrics_number():
    # 0.52001 to 2 figures (0.52) is within half a unit of the 3rd figure: 2 are enough
    assert grade("sig3", "0.52", "0.52001").score == 1
    assert feedback("sig3", "0.5", "0.52001").endswith("give at least 2 significant figures")


@pytest.mark.parametrize("answer, raw", [
    ("0.125", "0.13"), ("0.125", "0.12"),  # an exact half: away from zero and to even
    ("-0.125", "-0.13"), ("-0.125", "-0.12"), ("2.5", "3"), ("2.5", "2"),
    ("-0.5236", "-0.52"), ("-0.5236", "-0,52"), ("1234.5", "1200"),
])
def test_both_half_rules_and_negative_values(answer, raw):
    part = "exact"
    result = grade(part, raw, answer)
    assert result.score == Fraction(1, 2), result.criteria[0].feedback
    assert result.criteria[0].feedback.startswith("rounded too early")


@pytest.mark.parametrize("answer, raw", [
    ("0.5286", "0.52"),  # truncated: rounding gives 0.53
    ("-0.5286", "-0.52"),
    ("0.5236", "0.523"),  # truncated to 3 figures, and outside the tolerance
    ("0.5236", "0.53"),  # rounded the wrong way
    ("0.5236", "0.6"),
    ("0.125", "0.1"),  # 0.1 IS 0.125 to 1 figure ...
])
def test_truncation_and_other_wrong_numbers_are_not_rounding(answer, raw):
    result = grade("sig3", raw, answer)
    if raw == "0.1":  # ... so it counts (a rounding, not a truncation)
        assert result.score == Fraction(1, 2)
        return
    assert result.score == 0 and not result.criteria[0].feedback.startswith("rounded")


def test_truncation_that_equals_the_rounding_counts():
    assert grade("sig3", "0.52", "0.5236").score == Fraction(1, 2)  # 0.5236 -> 0.52 either way


def test_expected_zero_has_no_rounding():
    assert grade("sig3", "0", "0").score == 1
    for raw in ("0.0001", "0.001", "1"):
        result = grade("sig3", raw, "0")
        assert result.score == 0 and not result.criteria[0].feedback.startswith("rounded")


def test_decimal_comma_and_percent_answers():
    assert grade("sig3", "0,52", "0.5236").score == Fraction(1, 2)
    result = grade("pct", "52 %", "0.5236")
    assert result.score == Fraction(1, 2)
    assert "0.52 is 0.5236 to 2 significant figures" in result.criteria[0].feedback
    assert grade("pct", "50 %", "0.5236").score == Fraction(1, 2)  # 1 figure
    assert grade("pct", "53 %", "0.5236").score == 0


def test_exact_parts_ask_for_the_exact_value_when_it_never_ends():
    assert feedback("exact", "0.333", "1/3") == (
        "rounded too early: 0.333 is 1/3 ≈ 0.333333 to 3 significant figures; give at least "
        "the exact value")
    assert grade("exact", "0.3333333333", "1/3").score == Fraction(1, 2)
    assert grade("plain", "0.33", "1/3").score == Fraction(1, 2)
    assert feedback("exact", "0.059", "sqrt(2)/24").startswith(
        "rounded too early: 0.059 is sqrt(2)/24 ≈ 0.0589256 to 2 significant figures")
    # a value that ends: its own number of figures
    assert feedback("exact", "0.524", "0.5236").endswith("give at least 4 significant figures")
    assert grade("exact", "0.5236", "0.5236").score == 1


def test_an_integer_answer_rounded_counts_on_an_exact_part():
    # the rule is opt-in: a part that asks for a count should not list it
    assert grade("exact", "20", "23").score == Fraction(1, 2)


def test_decimal_places_when_the_tolerance_is_in_decimals():
    assert grade("dec2", "1.23", "1.2345").score == 1
    assert feedback("dec2", "1.2", "1.2345") == (
        "rounded too early: 1.2 is 1.2345 to 1 decimal place; give at least 2 decimal places")
    assert feedback("dec2", "1", "1.2345").endswith(
        "1.2345 to a whole number; give at least 2 decimal places")
    assert grade("dec2", "1.0", "1.2345").score == Fraction(1, 2)  # the value is what counts


def test_feedback_placeholders():
    assert feedback("custom", "0.52", "0.5236") == (
        "0.52 = 0.5236 to 2 significant figures (off by 0.0036); use 3 significant figures.")


def test_rules_are_tried_in_order():
    assert feedback("order", "-0.5236", "0.5236") == "sign"
    assert grade("order", "0.52", "0.5236").score == Fraction(1, 2)


def test_arrows_and_values_take_the_rule_per_item():
    result = grade("arr", {"a1": "0.52", "a2": "-3.52", "a3": "1"},
                   {"a1": "0.5236", "a2": "-3.523", "a3": "1.6"})
    points = {c.id: c.points for c in result.criteria}
    assert points == {"a1": Fraction(1, 4), "a2": Fraction(1, 2), "a3": 0}
    assert result.criteria[0].feedback.startswith("rounded too early: 0.52 is 0.5236")
    result = grade("val", {"v1": "1", "v2": "0.1"}, {"v1": "1.25", "v2": "0.125"})
    assert {c.id: c.points for c in result.criteria} == {"v1": Fraction(1, 4),
                                                         "v2": Fraction(1, 2)}
    assert result.criteria[0].feedback.endswith(
        "1.25 to a whole number; give at least 1 decimal place")


def test_rounding_helpers():
    assert round_to(Fraction(25, 10), 0) == 3 and round_to(Fraction(25, 10), 0,
                                                           half_even=True) == 2
    assert round_to(Fraction(-35, 10), 0) == -4 and round_to(Fraction(-35, 10), 0,
                                                             half_even=True) == -4
    assert roundings(Fraction(0), 2) == ()
    assert roundings(Fraction(96, 100), 1) == (Fraction(1),)  # 0.96 to 1 figure is 1
    assert decimal_text(Fraction(-1, 8)) == "-0.125" and decimal_text(Fraction(0)) == "0"
