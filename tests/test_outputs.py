"""Output helpers: grade letters, points, safe file names and spreadsheet-safe CSV."""

from __future__ import annotations

from fractions import Fraction

import pytest

from grader.errors import InputError
from grader.ingest.submissions import IngestProblem
from grader.report.grades import DEFAULT_SCALE, format_points, grade_letter, parse_scale
from grader.report.outputs import errors_csv, safe_filename


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
