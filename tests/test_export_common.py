"""The target-neutral export model: styles, tolerances, weights, ids, warnings, packaging."""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction

import pytest

from grader import variants
from grader.export.common import (
    BLANKS,
    ESSAY,
    NUMERIC,
    build_question,
    format_number,
    stable_id,
    tolerance,
)
from grader.export.moodle import cloze_weights
from grader.export.package import TARGETS, zip_bytes
from grader.model import PartVariant
from grader.rubric.loader import PartRubric
from tests.test_export_support import context, export_file, export_set, unzip, validate


@pytest.mark.parametrize(("value", "rubric", "expected"), [
    (23.0, PartRubric("p", "number", Fraction(1), exact=True), 0.0),
    (23.0, PartRubric("p", "number", Fraction(1)), 0.0),  # no tolerance given: exact
    (-3.5, PartRubric("p", "number", Fraction(1), rtol=Fraction(1, 100)), 0.035),
    (-3.5, PartRubric("p", "number", Fraction(1), rtol=Fraction(1, 100), atol=Fraction(1, 10)),
     0.1),  # the grader accepts when ANY tolerance holds: the larger one
    (0.0, PartRubric("p", "number", Fraction(1), rtol=Fraction(1, 100)), 0.0),
    (5.0, PartRubric("p", "number", Fraction(1), rtol=Fraction(1, 100), exact=True), 0.0),
])
def test_tolerance(value, rubric, expected):
    assert tolerance(value, rubric) == pytest.approx(expected)


@pytest.mark.parametrize(("points", "weights"), [
    ([Fraction(1, 2)] * 9, [1] * 9),
    ([Fraction(1)] * 3, [1, 1, 1]),
    ([Fraction(1, 2), Fraction(1)], [1, 2]),
    ([Fraction(2, 3), Fraction(1, 2)], [4, 3]),
])
def test_cloze_weights_keep_the_ratio(points, weights):
    assert cloze_weights(points) == weights


@pytest.mark.parametrize(("value", "text"), [
    (23.0, "23"), (-3.5, "-3.5"), (0.1 + 0.2, "0.3"), (-0.0, "0"), (1 / 3, "0.333333333333"),
    (1e-7, "0.0000001"), (1e20, "1e+20"), (123456789012.0, "123456789012"),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_styles_points_and_ids_of_the_2019_exam():
    questions = {q.part_id: q for q in export_set().questions}
    assert questions["ex1a"].style == BLANKS
    assert [b.points for b in questions["ex1a"].blanks] == [Fraction(1, 2)] * 9
    assert questions["ex3b"].style == NUMERIC and questions["ex3b"].blanks[0].exact == "23"
    assert questions["ex2c"].style == ESSAY and questions["ex2c"].guide.criteria
    assert questions["ex3b"].ident == stable_id("q", "inf5860-2019", "ex3b", "original")
    assert "kernel sizes" in questions["ex3b"].text_md  # the exercise intro comes first
    assert questions["ex1a"].figures and questions["ex1a"].figures[0].name.startswith("fig-")


def test_an_irrational_exact_answer_is_reported():
    ctx = context()
    part = PartVariant("ex3b", "number", Fraction(1), "What is $\\sqrt{2}$?", {}, "sqrt(2)", "")
    original = variants.build_variant(ctx.exam, "original", ctx.families)
    question, warnings = build_question(ctx.exam, original, part,
                                        PartRubric("ex3b", "number", Fraction(1), exact=True))
    assert question.blanks[0].value == pytest.approx(2 ** 0.5)
    assert warnings and "irrational" in warnings[0]


def test_zip_is_sorted_and_dated_1980():
    data = zip_bytes({"b.xml": b"2", "a.xml": b"1"})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["a.xml", "b.xml"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_exam_exports_and_validates(tmp_path, target):
    paths = []
    for exam in ("inf5860-2019", "inf5860-drills"):
        data = export_file(target, exam)
        if TARGETS[target].zipped:
            paths += unzip(data, tmp_path / exam)
        else:
            path = tmp_path / f"{exam}{TARGETS[target].suffix}"
            path.write_bytes(data)
            paths.append(path)
    if target != "gift":  # GIFT is plain text: its tests parse it back instead
        validate(paths)
