"""Output helpers: grade letters, points, safe file names and spreadsheet-safe CSV."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.errors import InputError
from grader.grading import AppliedOverride, StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import CriterionResult, PartScore
from grader.report.grades import DEFAULT_SCALE, format_points, grade_letter, parse_scale
from grader.report.outputs import _score_record, errors_csv, safe_filename, student_details


@pytest.mark.parametrize(("total", "letter"), [
    (Fraction(100), "A"), (Fraction(89), "A"), (Fraction(8899, 100), "B"), (Fraction(77), "B"),
    (Fraction(65), "C"), (Fraction(53), "D"), (Fraction(41), "E"), (Fraction(4099, 100), "F"),
    (Fraction(0), "F"),
])
def test_default_scale_boundaries(total, letter):
    assert grade_letter(total, Fraction(100), DEFAULT_SCALE) == letter


def test_scale_is_relative_to_the_maximum():
    assert grade_letter(Fraction(29), Fraction(65, 2)) == "A"  # 89.2 %
    assert grade_letter(Fraction(28), Fraction(65, 2)) == "B"  # 86.2 %


@pytest.mark.parametrize("text", ["A=89,B", "A=89,B=95", "A=x", "=3", "A=101"])
def test_bad_scales_are_rejected(text):
    with pytest.raises(InputError):
        parse_scale(text)


def test_format_points_is_exact_for_terminating_decimals():
    assert format_points(Fraction(77, 2)) == "38.5"
    assert format_points(Fraction(1, 4)) == "0.25"
    assert format_points(Fraction(0)) == "0"


@pytest.mark.parametrize("student", ["../../x", "a/b", "CON", "", ".hidden", "é", "a b", "x" * 300])
def test_safe_filenames_stay_inside_the_folder(student):
    name = safe_filename(student)
    assert name and "/" not in name and "\\" not in name and not name.startswith(".")
    assert len(name) <= 80


def test_different_ids_never_share_a_file():
    assert safe_filename("a/b") != safe_filename("a_b")
    assert safe_filename("a b") != safe_filename("a_b")


def test_csv_cells_cannot_start_a_formula():
    text = errors_csv([IngestProblem("f.yaml", "=HYPERLINK(\"http://x\")", student="-1+2")])
    row = text.splitlines()[1]
    assert "'=HYPERLINK" in row and "'-1+2" in row


# --- details.jsonl: the assembled lines equal the reference encoder's, byte for byte --------

# every code point: controls, quotes, backslashes, U+2028, non-BMP, lone surrogates
_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
_WORDS = st.lists(_TEXT, max_size=3).map(tuple)
_POINTS = (st.builds(Fraction, st.integers(-10**20, 10**20), st.integers(1, 10**6))
           | st.integers(-3, 3))  # an int is a Rational too
_CRITERION = st.builds(CriterionResult, _TEXT | st.sampled_from(["a1", "value"]), _POINTS,
                       _POINTS, st.booleans(), _WORDS, _TEXT | st.just(""))
_SCORE = st.builds(PartScore, st.just("s"), _TEXT, _POINTS, _POINTS,
                   st.lists(_CRITERION, max_size=4).map(tuple), _WORDS, _WORDS, _TEXT)


def reference_details(result: StudentResult) -> str:
    """details.jsonl as json.dumps writes it (the format the assembled lines must equal)."""
    return "".join(json.dumps(_score_record(result, s), ensure_ascii=False, sort_keys=True)
                   + "\n" for s in result.scores)


@given(_TEXT, _TEXT, st.lists(_SCORE, max_size=4), st.data())
def test_details_lines_equal_the_json_module(student, variant, scores, data):
    overrides = ()
    if scores and data.draw(st.booleans()):  # an overridden part takes the reference path
        overrides = (AppliedOverride(scores[0].part, scores[0].score, data.draw(_POINTS),
                                     data.draw(_TEXT)),)
    result = StudentResult(student, variant, "f", tuple(scores), overrides)
    assert student_details(result) == reference_details(result)
    assert student_details(result) == reference_details(result)  # now from the caches


def test_equal_criteria_of_other_types_do_not_share_a_line():
    # True == 1 and Fraction(1) == 1: equal as keys, but met=1 is written 1, not true
    base = CriterionResult("c", Fraction(1), Fraction(1), True, ("w",), "")
    odd = CriterionResult("c", Fraction(1), Fraction(1), 1, ("w",), "")
    for criterion in (base, odd, base):
        score = PartScore("s", "p", Fraction(1), Fraction(1), (criterion,))
        result = StudentResult("s", "v", "f", (score,))
        assert student_details(result) == reference_details(result)
