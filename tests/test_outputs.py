"""Output helpers: grade letters, points, safe file names and spreadsheet-safe CSV."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.errors import InputError
from grader.grading import AppliedOverride, StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import CriterionResult, PartScore
from grader.report.grades import DEFAULT_SCALE, format_points, grade_letter, parse_scale
from grader.report.outputs import (
    _is_number,
    _score_record,
    csv_safe,
    errors_csv,
    safe_filename,
    student_details,
)

ROOT = Path(__file__).resolve().parents[1]


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


# --- spreadsheet-safe cells: a bounded "is this a plain number" test ----------------------------

def _fraction_reads(cell: str) -> bool:
    """What csv_safe asked before: does Fraction read the cell? (Only for bounded cells.)"""
    try:
        Fraction(cell)
    except (ValueError, ZeroDivisionError):
        return False
    return True


@pytest.mark.parametrize("cell", ["-1e99999999", "-1e-99999999", "+1E99999999",
                                  "-1.5e+99999999", "- 1e99999999)"])
def test_a_cell_with_a_huge_exponent_is_checked_at_once(cell):
    # Fraction(cell) computed 10**99999999: the batch hung (a 60 s timeout). A subprocess, so
    # that a hang fails the test instead of stalling the suite (the computation holds the GIL).
    code = ("import time, sys; from grader.report.outputs import csv_safe; t = time.perf_counter();"
            f" out = csv_safe({cell!r}); print(time.perf_counter() - t); print(out)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, cwd=ROOT)
    elapsed, out = done.stdout.splitlines()
    assert float(elapsed) < 0.1
    # a literal number, however large, is no formula (what Fraction would have said)
    assert out == (("'" + cell) if ")" in cell or " " in cell else cell)


def test_long_numeric_looking_cells_are_checked_in_linear_time():
    import time

    for cell in ("-" + "1" * 1_000_000, "-" + "1_" * 500_000 + "x", "-1/" + "0" * 999_000,
                 "-1." + "1_" * 400_000 + "e" + "9" * 4000):
        start = time.perf_counter()
        assert csv_safe(cell) == "'" + cell  # more digits than int() reads: not a number
        assert time.perf_counter() - start < 0.5


# (cell, csv_safe(cell)) as the Fraction-based test gave them
ORDINARY_CELLS = [
    ("-3.5", "-3.5"), ("-3", "-3"), ("+3", "+3"), ("-0.5", "-0.5"), ("-.5", "-.5"),
    ("-1.", "-1."), ("-1e3", "-1e3"), ("-1E-3", "-1E-3"), ("+1e+3", "+1e+3"),
    ("-1/2", "-1/2"), ("-1_000", "-1_000"), (" -3 ", " -3 "), ("\t5", "\t5"), ("\r-1", "\r-1"),
    ("-\u0663", "-\u0663"), ("-1/0", "'-1/0"), ("=1+2", "'=1+2"), ("-x", "'-x"),
    ("+1e3)", "'+1e3)"), ("-1+2", "'-1+2"), ("@SUM(1)", "'@SUM(1)"), ("-", "'-"),
    ("- 1", "'- 1"), ("-1.5/2", "'-1.5/2"), ("-inf", "'-inf"), ("-nan", "'-nan"),
    ("-0x10", "'-0x10"), ("-1__0", "'-1__0"), ("-1_", "'-1_"), ("-1.d", "'-1.d"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("\t=1", "'\t=1"),
    ("s100001", "s100001"), ("38.5", "38.5"), ("", ""), ("ex1a", "ex1a"),
]


@pytest.mark.parametrize(("cell", "expected"), ORDINARY_CELLS)
def test_ordinary_cells_keep_their_output(cell, expected):
    assert csv_safe(cell) == expected
    # the table is what the Fraction-based test gave
    formula = cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _fraction_reads(cell)
    assert expected == ("'" + cell if formula else cell)


_LITERAL = st.text(st.sampled_from("0123456789_./eE+- \t\r\n\u0663x"), max_size=10)


@given(st.sampled_from(["=", "+", "-", "@", "\t", "\r"]), _LITERAL)
def test_the_number_test_agrees_with_fraction(first, rest):
    cell = first + rest
    if "e" in cell.lower():  # keep Fraction's own work small
        exponent = cell.lower().rpartition("e")[2].lstrip("+-").replace("_", "")
        if exponent.isdigit() and int(exponent) > 10_000:
            return
    assert _is_number(cell) == _fraction_reads(cell)
    assert csv_safe(cell) == (cell if _fraction_reads(cell) else "'" + cell)


# --- file names: case and Windows device names ---------------------------------------------------

@pytest.mark.parametrize("student", ["s100001", "s1", "ola.nordmann", "a_b-c.d", "2019-1",
                                     "console", "com10", "conx.txt", "s1-1234567"])
def test_lower_case_ids_keep_their_names(student):
    assert safe_filename(student) == student


@pytest.mark.parametrize("student", ["S1", "Ola", "CON", "con", "aux", "nul", "com1", "LPT9",
                                     "con.txt", "Nul.tar.gz", "prn.", "s1-deadbeef"])
def test_upper_case_and_device_names_get_a_hash(student):
    name = safe_filename(student)
    digest = hashlib.sha256(student.encode("utf-8")).hexdigest()[:8]
    assert name.endswith("-" + digest)
    stem = name.split(".")[0].lower()
    assert stem not in {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                        *(f"lpt{i}" for i in range(10))}


def test_ids_differing_only_in_case_get_two_files_everywhere():
    names = [safe_filename(s) for s in ("S1", "s1", "s1-" + hashlib.sha256(b"S1").hexdigest()[:8])]
    assert len({n.casefold() for n in names}) == 3  # one file each on macOS, Windows, in a zip
    assert names[1] == "s1"


_IDS = st.text(st.sampled_from("sSoO1_-.cnCN"), min_size=1, max_size=6) | st.sampled_from(
    ["CON", "con", "Con.txt", "S1", "s1", "lpt1", "LPT1.x"])


@given(st.lists(_IDS, min_size=2, max_size=8, unique=True))
def test_different_ids_never_share_a_file_on_a_case_insensitive_disk(students):
    names = [safe_filename(s) for s in students]
    assert len({n.casefold() for n in names}) == len(students)
    for name in names:
        assert name and not name.startswith(".") and "/" not in name
        assert name.split(".")[0].casefold() not in {"con", "prn", "aux", "nul", "lpt1"}
