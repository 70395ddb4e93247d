"""Scoring one part: arrows with follow-through, numbers with mistakes, text criteria, choice."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.model import PartVariant
from grader.rubric.engine import choice_label, score_part
from grader.rubric.loader import rubric_from_mapping
from tests import contract

GRAPH = contract.GRAPH
ARROWS = contract.ARROWS
# a9 = -14 instead of -7, everything upstream computed consistently from it.
A9_WRONG = {"a1": "14", "a2": "-21", "a3": "0", "a4": "-7", "a5": "-7", "a6": "-7",
            "a7": "-7", "a8": "98", "a9": "-14"}

RUBRIC = rubric_from_mapping({
    "version": 1,
    "synonyms": {"overfitting": ["overtraining"]},
    "parts": {
        "arr": {"kind": "arrows", "points": 4.5, "per_arrow": 0.5, "rtol": 0.01,
                "follow_through": True},
        "arr_strict": {"kind": "arrows", "points": 4.5, "per_arrow": 0.5, "rtol": 0.01},
        "arr_half": {"kind": "arrows", "points": 4.5, "per_arrow": 0.5, "rtol": 0.01,
                     "follow_through": True, "follow_through_credit": "1/2"},
        "num": {"kind": "number", "points": 1, "exact": True, "mistakes": [
            {"id": "no-stride", "value": "13", "points": 0, "expected": "23",
             "feedback": "the stride of the first layer multiplies the later kernels"},
            {"id": "half", "value": "2*23", "points": "1/2", "feedback": "doubled"}]},
        "tol": {"kind": "number", "points": 1, "rtol": 0.01},
        "txt": {"kind": "text", "points": 2, "criteria": [
            {"id": "drop", "points": 1, "any": ["drop random* unit"], "feedback": "say drop"},
            {"id": "why", "points": 1, "any": ["overfitting"], "feedback": "say why"}]},
        "grp": {"kind": "text", "points": 2, "best": 2, "criteria": [
            {"id": "pre", "points": 1, "any": ["pre-train*"]},
            {"id": "aug", "points": 1, "group": "reg", "any": ["augment*"]},
            {"id": "reg", "points": 1, "group": "reg", "any": ["regulari*"]},
            {"id": "multi", "points": 1, "any": ["multi-task"]}]},
        "cnt": {"kind": "text", "points": 3, "count_points": {1: 1, 3: 2, 4: 3}, "criteria": [
            {"id": f"k{i}", "points": 1, "any": [word]}
            for i, word in enumerate(["alpha", "bravo", "charlie", "delta"])]},
        "frac": {"kind": "text", "points": 1, "criteria": [
            {"id": "a", "points": "1/2", "any": ["alpha"]},
            {"id": "b", "points": 0.25, "any": ["bravo"]},
            {"id": "c", "points": "3/4", "any": ["charlie"]}]},
        "neg": {"kind": "text", "points": 2, "criteria": [
            {"id": "deny", "points": 1, "any": ["break* symmetr*"]},
            {"id": "allow", "points": 1, "negation": "allow", "any": ["symmetr* ~ break*"]}]},
        "den": {"kind": "text", "points": 1, "criteria": [
            {"id": "valid", "points": 1, "any": ["invalid", "(bad|wrong)"],
             "deny": ["(fine|ok|valid)"], "feedback": "say it is not valid"}]},
        "req": {"kind": "text", "points": 1, "criteria": [
            {"id": "xavier", "points": 1, "any": ["xavier"], "require": ["(variance|sqrt)"],
             "feedback": "explain the scaling"}]},
        "expl": {"kind": "text", "points": 1, "criteria": [
            {"id": "dropout", "points": 1, "any": ["dropout"], "explain": True,
             "feedback": "say what dropout does"}]},
        "pur": {"kind": "text", "points": 2, "criteria": [
            {"id": "explode", "points": 1, "any": ["explod*"], "feedback": "say what it prevents"},
            {"id": "scale", "points": 1, "any": ["scal*"]}]},
        "cho": {"kind": "choice", "points": 1},
        "expr": {"kind": "expression", "points": 1, "symbols": ["x"],
                 "mistakes": [{"id": "sign", "value": "-2*x", "points": "1/2",
                               "feedback": "check the sign"}]},
    },
}, "test.yaml")


def variant(part: str, answer=None, params=None) -> PartVariant:
    pr = RUBRIC.parts[part]
    return PartVariant(part, pr.kind, pr.points, "", params or {}, answer, "")


def score(part: str, raw, answer=None, params=None):
    if RUBRIC.parts[part].kind == "arrows":
        answer, params = answer or ARROWS, params or GRAPH
    return score_part(RUBRIC, RUBRIC.parts[part], variant(part, answer, params), raw,
                      student="s1")


# ---------------------------------------------------------------- arrows


def test_all_arrows_right_scores_full():
    result = score("arr", ARROWS)
    assert result.score == Fraction(9, 2) == result.max
    assert [c.id for c in result.criteria] == [f"a{i}" for i in range(1, 10)]
    assert result.flags == () and result.student == "s1"


def test_follow_through_credits_consistent_propagation_of_a_wrong_a9():
    result = score("arr", A9_WRONG)
    assert result.score == 4  # everything but a9
    by_id = {c.id: c for c in result.criteria}
    assert not by_id["a9"].met and by_id["a9"].points == 0
    assert by_id["a7"].met and by_id["a7"].feedback == "follow-through from your a9 = -14"
    assert by_id["a3"].feedback == ""  # a3 = 0 is right on its own
    assert "a5: follow-through from your a7 = -7" in result.notes
    assert "follow-through" in result.flags


def test_without_follow_through_only_right_values_count():
    result = score("arr_strict", A9_WRONG)
    assert result.score == Fraction(1, 2)  # a3 = 0 only
    assert "follow-through" not in result.flags


def test_follow_through_credit_is_a_fraction_of_the_arrow():
    assert score("arr_half", A9_WRONG).score == Fraction(1, 2) + 7 * Fraction(1, 4)


def test_follow_through_needs_every_outgoing_arrow_answered():
    answers = dict(A9_WRONG)
    del answers["a7"]  # s's gradient is unknown, so a5 and a6 cannot follow through
    by_id = {c.id: c for c in score("arr", answers).criteria}
    assert not by_id["a5"].met and not by_id["a6"].met
    assert by_id["a7"].feedback == "blank"


def test_a_wrong_arrow_not_explained_by_upstream_gets_nothing():
    result = score("arr", {**ARROWS, "a1": "5"})
    by_id = {c.id: c for c in result.criteria}
    assert result.score == 4 and not by_id["a1"].met and "7" in by_id["a1"].feedback


def test_decimal_comma_per_arrow_and_tolerance():
    answers = {**ARROWS, "a4": "-3,5", "a2": "-10,5", "a9": "-7,05"}  # -7.05 within 1 %
    result = score("arr", answers)
    assert result.score == Fraction(9, 2)
    assert any("decimal comma" in n for n in result.notes)


def test_blank_and_unreadable_arrows_cost_only_their_points():
    result = score("arr", {**ARROWS, "a1": " ", "a2": "abc"})
    by_id = {c.id: c for c in result.criteria}
    assert result.score == Fraction(7, 2)
    assert by_id["a1"].feedback == "blank"
    assert by_id["a2"].feedback and not by_id["a2"].met
    assert "unparseable" in result.flags


def test_unknown_arrow_ids_are_noted_and_flagged():
    result = score("arr", {**ARROWS, "a10": "3", "b": "1"})
    assert result.score == Fraction(9, 2)
    assert "unknown arrow id a10, b (not graded)" in result.notes
    assert "unknown-arrow" in result.flags


@pytest.mark.parametrize("raw", [None, {}, {"a1": ""}, {"a1": None, "a2": "  "}])
def test_blank_arrows_part(raw):
    result = score("arr", raw)
    assert result.score == 0 and result.notes == ("blank",) and result.flags == ()


def test_text_given_for_arrows_is_unparseable():
    result = score("arr", "a1 = 7")
    assert result.score == 0 and result.flags == ("unparseable",)


# ---------------------------------------------------------------- numbers


def test_number_exact():
    result = score("num", "1 + (3-1) + 2*(5-1) + 2*(7-1)", answer="23")
    assert result.score == 1 and result.criteria[0].met


def test_common_mistake_gives_its_points_and_feedback():
    result = score("num", "13", answer="23")
    assert result.score == 0
    feedback = result.criteria[0].feedback
    assert feedback == "the stride of the first layer multiplies the later kernels"
    assert score("num", "46", answer="23").score == Fraction(1, 2)


def test_mistake_for_another_variant_does_not_apply():
    result = score("num", "13", answer="29")  # a generated variant: 13 is just wrong
    assert result.score == 0 and "stride" not in result.criteria[0].feedback


def test_number_tolerance_and_decimal_comma():
    assert score("tol", "0,333", answer="1/3").score == 1
    assert score("tol", "0,32", answer="1/3").score == 0


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_blank_number(raw):
    result = score("num", raw, answer="23")
    assert (result.score, result.notes, result.flags) == (0, ("blank",), ())


def test_unreadable_number_is_zero_with_a_plain_note():
    result = score("num", "twenty three", answer="23")
    assert result.score == 0 and result.flags == ("unparseable",)
    assert result.notes and "twenty" in result.notes[0]


def test_expression_equivalent_forms_and_mistakes():
    assert score("expr", "x + x", answer="2*x").score == 1
    wrong = score("expr", "-x-x", answer="2*x")
    assert wrong.score == Fraction(1, 2) and wrong.criteria[0].feedback == "check the sign"
    assert score("expr", "2*y", answer="2*x").flags == ("unparseable",)  # y is not allowed


# ---------------------------------------------------------------- text


def test_text_full_and_matched_words_recorded():
    result = score("txt", "We drop random units to reduce overtraining.")
    assert result.score == 2
    assert [c.matched for c in result.criteria] == [("drop", "random", "units"), ("overtraining",)]


def test_text_missing_criterion_explains_itself():
    result = score("txt", "We drop random units.")
    assert result.score == 1
    assert result.criteria[1].feedback == "say why" and not result.criteria[1].met


def test_groups_count_once_and_best_n():
    result = score("grp", "Data augmentation and regularization")
    assert result.score == 1
    assert "counted once with aug" in result.criteria[2].feedback
    result = score("grp", "pre-training, multi-task learning and augmentation")
    assert result.score == 2
    assert sum(c.points for c in result.criteria) == 2
    assert "only the 2 best" in result.criteria[3].feedback


@pytest.mark.parametrize("text, points", [
    ("", 0), ("nothing here", 0), ("alpha", 1), ("alpha bravo", 1), ("alpha bravo charlie", 2),
    ("alpha bravo charlie delta", 3),
])
def test_count_points_highest_threshold_reached(text, points):
    result = score("cnt", text)
    assert result.score == points


def test_fractional_points_and_cap():
    assert score("frac", "alpha").score == Fraction(1, 2)
    assert score("frac", "alpha bravo").score == Fraction(3, 4)
    capped = score("frac", "alpha bravo charlie")
    assert capped.score == 1 and capped.max == 1
    assert "capped at the part's 1 points" in capped.notes


def test_negation_denies_by_default_and_flags_borderline():
    result = score("neg", "it does not break the symmetry")
    by_id = {c.id: c for c in result.criteria}
    assert not by_id["deny"].met and "negation" in by_id["deny"].feedback
    assert by_id["allow"].met  # negation: allow
    assert result.score == 1 and "borderline" in result.flags


def test_deny_pattern_blocks_the_criterion():
    assert score("den", "It is invalid").score == 1
    result = score("den", "It is bad but fine")
    assert result.score == 0 and "contradicts" in result.criteria[0].feedback
    assert score("den", "It is wrong, not fine").score == 1  # a negated deny does not deny


def test_require_asks_for_more_than_a_mention():
    result = score("req", "Use Xavier.")
    assert result.score == 0 and "mention 'Xavier'" in result.criteria[0].feedback
    assert score("req", "Xavier keeps the variance constant.").score == 1
    assert score("req", "Use Xavier. The variance stays constant.").score == 0  # other sentence


@pytest.mark.parametrize("text, met", [
    ("Dropout.", False),
    ("Use dropout, batch norm and more data augmentation", False),
    ("Dropout. It reduces overfitting.", False),  # the description is in another sentence
    ("Dropout reduces overfitting.", True),
    ("Dropout is used because the net overfits.", True),
    ("With dropout the net overfits less.", True),
])
def test_explain_asks_for_a_describing_word_in_the_same_sentence(text, met):
    result = score("expl", text)
    assert result.criteria[0].met is met
    if not met:
        assert result.criteria[0].feedback.startswith("You mention '")
        assert "say what dropout does" in result.criteria[0].feedback
        assert "borderline" in result.flags  # the term is there: a person should look


def test_purpose_clause_credit_is_explained_and_borderline():
    result = score("pur", "We scale them so that the activations do not explode.")
    assert result.score == 2
    explode = result.criteria[0]
    assert explode.met and explode.feedback == "read 'not ... explode' as a purpose, not a denial"
    assert "borderline" in result.flags
    clean = score("pur", "Scaling prevents exploding activations.")
    assert clean.score == 2 and "borderline" not in clean.flags


def test_negated_loss_names_the_negation_word():
    result = score("pur", "The scaling doesn't stop them, they don't explode.")
    explode = result.criteria[0]
    assert not explode.met
    assert explode.feedback.startswith("'explode' follows 'don't' (a negation)")
    assert explode.feedback.endswith("say what it prevents")


def test_every_lost_point_explains_itself():
    for part in ("txt", "grp", "cnt", "frac", "neg", "den", "req", "expl", "pur"):
        for text in ("", "nothing relevant", "alpha", "it does not drop random units",
                     "Dropout.", "pre-training and augmentation and regularization"):
            result = score(part, text)
            lost = result.max - result.score
            if lost and text.strip():
                assert any(c.feedback for c in result.criteria if c.points < c.max) or \
                    result.notes, (part, text)


def test_typo_match_is_borderline_with_feedback():
    result = score("txt", "We drop random units to fight overtraning")
    assert result.score == 2 and "borderline" in result.flags
    assert result.criteria[1].feedback == "accepted 'overtraning' despite the spelling"


def test_blank_text_and_long_answer():
    assert score("txt", "  \n ").notes == ("blank",)
    long = score("txt", "drop random units " + "x " * 20_000 + " overfitting")
    assert long.score == 1 and "long-answer" in long.flags


def test_arrow_mapping_for_text_is_unparseable():
    assert score("txt", {"a1": "drop random units"}).flags == ("unparseable",)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_text_score_always_within_bounds(text):
    for part in ("txt", "grp", "cnt", "frac", "neg", "den", "req"):
        result = score(part, text)
        assert 0 <= result.score <= result.max == RUBRIC.parts[part].points


HOSTILE = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.text(alphabet=st.sampled_from("\x00\x07\x1b\r\n\t\u200b\u202e\ufeff<>/&;\"'"
                                     "abc drop random unit overfitting not so that"), max_size=400),
    st.lists(st.sampled_from(["<script>alert(1)</script>", "<b>dropout</b>", "&lt;", "&#x202e;",
                              "\u05d3\u05e8\u05d5\u05e4\u05d0\u05d5\u05d8",  # Hebrew
                              "\u0627\u0644\u062a\u0633\u0631\u0628",  # Arabic (RTL)
                              "\u202edrop random units\u202c", "don't", "so that", "not",
                              "drop random units", "overfitting", "e.g.", "...", "\x00"]),
             max_size=60).map(" ".join),
)


@settings(max_examples=120, deadline=None)
@given(HOSTILE)
def test_hostile_text_never_crashes_and_stays_within_bounds(text):
    for part in ("txt", "grp", "cnt", "neg", "req", "expl", "pur"):
        result = score(part, text)
        assert 0 <= result.score <= result.max
        assert all(0 <= c.points <= c.max for c in result.criteria)


@pytest.mark.parametrize("unit", [
    "drop random units to stop overfitting. ",
    "<p>drop <i>random</i> units</p>\x00\x1b[31m ",
    "\u202e\u05d3\u05e8\u05d5\u05e4 not so that drop random units overfitting ",
])
def test_twenty_thousand_characters_of_hostile_text(unit):
    text = (unit * (20_000 // len(unit) + 1))[:20_000]
    for part in ("txt", "cnt", "pur", "expl"):
        result = score(part, text)
        assert 0 <= result.score <= result.max
        assert "long-answer" not in result.flags  # 20,000 characters are read in full
    assert score("txt", text + "x").flags.count("long-answer") == 1


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from([f"a{i}" for i in range(1, 11)]),
                       st.text(alphabet="0123456789-,./ ae", max_size=8), max_size=10))
def test_arrow_score_always_within_bounds(answers):
    result = score("arr", answers)
    assert 0 <= result.score <= Fraction(9, 2)


# ---------------------------------------------------------------- choice


def test_choice_matches_normalized_labels():
    assert score("cho", " (B) ", answer="b").score == 1
    wrong = score("cho", "c.", answer="b")
    assert wrong.score == 0 and wrong.criteria[0].feedback == "the right option is b"
    assert choice_label("[C]") == "c"


# ---------------------------------------------------------------- arrows: per-arrow memo

# Values an arrow may be given: right, right by follow-through from A9_WRONG, a sign error,
# decimal commas, unreadable, blank, and the odd spellings a memo key must keep apart.
ARROW_TEXTS = sorted({*ARROWS.values(), *A9_WRONG.values(), "-3,5", "3.5", "-10,5", "7.0",
                      " 7 ", "abc", "", " ", "1/0", "≈ 49", "-0", "0.0", "98", "-14"})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["arr", "arr_strict", "arr_half"]),
                          st.dictionaries(st.sampled_from([f"a{i}" for i in range(1, 11)]),
                                          st.sampled_from(ARROW_TEXTS) | st.none())),
                min_size=1, max_size=8))
def test_arrow_scores_do_not_depend_on_what_was_scored_before(cases):
    """Arrows are scored once per (arrow, text[, texts downstream]) and remembered: a score
    from the warm memo equals one from a fresh variant object (a fresh memo)."""
    warm = {part: variant(part, ARROWS, GRAPH) for part in ("arr", "arr_strict", "arr_half")}
    for part, answers in cases:
        for _ in range(2):
            remembered = score_part(RUBRIC, RUBRIC.parts[part], warm[part], answers,
                                    student="s1")
            fresh = score_part(RUBRIC, RUBRIC.parts[part], variant(part, ARROWS, GRAPH),
                               answers, student="s1")
            assert remembered == fresh


def test_follow_through_memo_keys_on_the_values_downstream():
    """a5 = -7 is right by follow-through from a7 = -7, not from a7 = -7/2 (the right a7)."""
    part = variant("arr", ARROWS, GRAPH)
    both = [score_part(RUBRIC, RUBRIC.parts["arr"], part, answers, student="s")
            for answers in ({**ARROWS, "a5": "-7", "a6": "-7", "a7": "-7"},
                            {**ARROWS, "a5": "-7"})]
    by_id = [{c.id: c for c in result.criteria} for result in both]
    assert by_id[0]["a5"].met and by_id[0]["a5"].feedback.startswith("follow-through")
    assert not by_id[1]["a5"].met and by_id[1]["a5"].points == 0


@given(st.lists(st.fractions(min_value=-10, max_value=10, max_denominator=12), max_size=25))
def test_sum_points_is_the_exact_sum(values):
    from grader.rubric.engine import sum_points

    assert sum_points(values) == sum(values, Fraction(0))
    assert type(sum_points(values)) is Fraction
