"""Rubric options sig_figs and decimals: loading, grading, and every LMS export at the boundary.

Each export is parsed back and asked, with the LMS's own rule (Moodle / GIFT: value ±
tolerance; QTI 2.1: ``equal`` with an absolute tolerance, bounds included; Canvas numerical:
``vargte``/``varlte``; Canvas fill-in blanks: the listed texts), whether it accepts probe
answers just inside, on and just outside the grader's bounds; the answer must be the grader's.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from lxml import etree

from grader import variants
from grader.errors import AuthoringError
from grader.export import canvas, gift, moodle, qti21
from grader.export.common import ExportSet, build_question, margin
from grader.export.package import export_bytes
from grader.model import PartVariant
from grader.rubric.engine import score_part
from grader.rubric.loader import PartRubric, rubric_from_mapping
from tests.test_export_support import context, unzip, validate


def _rubric(parts):
    return rubric_from_mapping({"version": 1, "parts": parts}, "rubrics/r.yaml")


# ---------------------------------------------------------------- loader


def test_sig_figs_and_decimals_load_on_number_arrows_and_values_parts():
    rubric = _rubric({
        "n": {"kind": "number", "points": 1, "sig_figs": 3},
        "d": {"kind": "number", "points": 1, "decimals": 0},
        "a": {"kind": "arrows", "points": 1, "per_arrow": "1/2", "sig_figs": 2, "rtol": 0.01},
        "v": {"kind": "values", "points": 1, "per_value": "1/2", "decimals": 2},
    })
    assert rubric.parts["n"].sig_figs == 3 and rubric.parts["n"].decimals is None
    assert rubric.parts["d"].decimals == 0 and rubric.parts["d"].sig_figs is None
    assert rubric.parts["a"].sig_figs == 2 and rubric.parts["a"].rtol == Fraction(1, 100)
    assert rubric.parts["v"].decimals == 2


@pytest.mark.parametrize("option, value, fragment", [
    ("sig_figs", 0, "sig_figs must be a positive whole number"),
    ("sig_figs", -2, "sig_figs must be a positive whole number"),
    ("sig_figs", 2.5, "sig_figs must be a positive whole number"),
    ("sig_figs", "3", "sig_figs must be a positive whole number"),
    ("sig_figs", True, "sig_figs must be a positive whole number"),
    ("decimals", -1, "decimals must be a whole number >= 0"),
    ("decimals", 1.0, "decimals must be a whole number >= 0"),
    ("decimals", "two", "decimals must be a whole number >= 0"),
    ("decimals", False, "decimals must be a whole number >= 0"),
])
def test_bad_values_name_the_file_the_part_and_the_option(option, value, fragment):
    with pytest.raises(AuthoringError) as info:
        _rubric({"ex3b": {"kind": "number", "points": 1, option: value}})
    err = info.value
    assert fragment in err.message and repr(value) in err.message
    assert err.file == "rubrics/r.yaml" and err.part == "ex3b"
    assert "rubrics/r.yaml" in str(err) and "ex3b" in str(err)


@pytest.mark.parametrize("kind", ["expression", "text", "choice"])
def test_parts_without_numbers_refuse_the_options(kind):
    part = {"kind": kind, "points": 1, "sig_figs": 2}
    if kind == "text":
        part["criteria"] = [{"id": "c", "points": 1, "any": ["word"]}]
    with pytest.raises(AuthoringError) as info:
        _rubric({"p": part})
    assert "unknown key sig_figs" in info.value.message and info.value.part == "p"


# ---------------------------------------------------------------- grading

RUBRIC = _rubric({
    "sig2": {"kind": "number", "points": 1, "sig_figs": 2},
    "sig3": {"kind": "number", "points": 1, "sig_figs": 3},
    "dec2": {"kind": "number", "points": 1, "decimals": 2},
    "dec0": {"kind": "number", "points": 1, "decimals": 0},
    "pct": {"kind": "number", "points": 1, "sig_figs": 2, "allow_percent": True},
    "both": {"kind": "number", "points": 1, "rtol": 0.01, "sig_figs": 1},
    "exact": {"kind": "number", "points": 1, "exact": True, "sig_figs": 1},
    "arr": {"kind": "arrows", "points": 1, "per_arrow": "1/2", "sig_figs": 2},
    "val": {"kind": "values", "points": 1, "per_value": "1/2", "decimals": 1},
})


def grade(part: str, raw, answer):
    pr = RUBRIC.parts[part]
    pv = PartVariant(part, pr.kind, pr.points, "", {}, answer, "")
    return score_part(RUBRIC, pr, pv, raw, student="s")


@pytest.mark.parametrize("part, expected, raw, ok", [
    # 0.5236 to 2 significant figures: within 0.005, both ends included
    ("sig2", "0.5236", "0.52", True), ("sig2", "0.5236", "0.5186", True),
    ("sig2", "0.5236", "0.5286", True), ("sig2", "0.5236", "0.51859", False),
    ("sig2", "0.5236", "0.52861", False), ("sig2", "0.5236", "0,5286", True),
    # negative values: the same margin on both sides
    ("sig2", "-3.52", "-3.47", True), ("sig2", "-3.52", "-3.57", True),
    ("sig2", "-3.52", "-3.4699", False), ("sig2", "-3.52", "-3.5701", False),
    # exactly half a unit of the last figure passes; a hair more does not
    ("sig3", "0.125", "0.1245", True), ("sig3", "0.125", "0.1255", True),
    ("sig3", "0.125", "0.12449", False),
    # expected 0: significant figures of 0 are undefined, only exact 0 passes
    ("sig3", "0", "0", True), ("sig3", "0", "0.0", True), ("sig3", "0", "0.0001", False),
    ("sig3", "0", "-1e-9", False),
    # decimal places
    ("dec2", "0.125", "0.12", True), ("dec2", "0.125", "0.13", True),
    ("dec2", "0.125", "0.1199", False), ("dec2", "-2/3", "-0,67", True),
    ("dec2", "-2/3", "-0.66", False), ("dec0", "1234.5", "1234", True),
    ("dec0", "1234.5", "1235", True), ("dec0", "1234.5", "1233.99", False),
    # percent answers are read as their value first
    ("pct", "0.5236", "52 %", True), ("pct", "0.5236", "51,86 %", True),
    ("pct", "0.5236", "51.8 %", False),
    # any tolerance passing is enough: rtol 1 % of 23 is 0.23, 1 figure allows 5
    ("both", "23", "27.9", True), ("both", "23", "28.1", False),
    # exact: true wins over sig_figs
    ("exact", "23", "20", False), ("exact", "23", "23", True),
    # irrational expected values
    ("sig3", "sqrt(2)/24", "0.0589", True), ("sig3", "sqrt(2)/24", "0.0594", False),
])
def test_number_parts_honour_sig_figs_and_decimals(part, expected, raw, ok):
    result = grade(part, raw, expected)
    assert (result.score == 1) is ok, result.notes


def test_the_note_says_what_was_allowed():
    assert grade("sig2", "0.52", "0.5236").notes[-1] == (
        "agrees with 0.5236 to 2 significant figures")
    assert grade("dec2", "0.2", "0.125").notes[-1] == (
        "expected 0.125, got 0.2 (allowed: agrees with it to 2 decimal places)")


def test_arrows_and_values_compare_each_item_with_the_options():
    result = grade("arr", {"a1": "0.52", "a2": "-3.6"}, {"a1": "0.5236", "a2": "-3.52"})
    assert [c.met for c in result.criteria] == [True, False]
    result = grade("val", {"v1": "0.1", "v2": "1,25"}, {"v1": "0.125", "v2": "1.2"})
    assert [c.met for c in result.criteria] == [True, True]  # 0.05 each way, bounds included
    result = grade("val", {"v1": "0.07", "v2": "1.3"}, {"v1": "0.125", "v2": "1.2"})
    assert [c.met for c in result.criteria] == [False, False]


def test_the_comparison_memo_keeps_the_options_apart():
    # the same two rationals, graded under parts that differ only in sig_figs / decimals
    assert grade("sig2", "0.52", "0.5236").score == 1
    assert grade("sig3", "0.52", "0.5236").score == 0
    assert grade("dec0", "0.3", "0.5236").score == 1  # 0 places: within 0.5
    assert grade("dec2", "0.3", "0.5236").score == 0


# ---------------------------------------------------------------- exports at the boundary

# (rubric options, expected, the margin worked out by hand, probes written as a student would)
CASES = [
    ({"sig_figs": 2}, "0.5236", Fraction(1, 200),
     ["0.5186", "0.5286", "0.51859", "0.52861", "0.5186000001", "0.5285999999", "0.5"]),
    ({"sig_figs": 2}, "-3.52", Fraction(1, 20),
     ["-3.47", "-3.57", "-3.4699999999", "-3.5700000001", "-3.5699999999", "-3.5"]),
    ({"decimals": 2}, "0.125", Fraction(1, 200),
     ["0.12", "0.13", "0.1199999999", "0.1300000001", "0.1200000001"]),
    ({"decimals": 0}, "1234.5", Fraction(1, 2),
     ["1234", "1235", "1233.9999999", "1235.0000001", "1234.0000001"]),
    ({"sig_figs": 3}, "0", Fraction(0), ["0", "0.0000000001", "-0.0000000001"]),
    ({"sig_figs": 3}, "2/3", Fraction(1, 2000),
     ["0.6662", "0.6671", "0.6661", "0.6672", "0.6661666667", "0.6661666666",
      "0.6671666666", "0.6671666667"]),
    ({"sig_figs": 3}, "sqrt(2)/24", Fraction(1, 20000),
     ["0.0589", "0.05888", "0.05887", "0.05897", "0.05898", "0.0589756", "0.0589757"]),
    ({"rtol": 0.01, "sig_figs": 1}, "23", Fraction(5),
     ["18", "28", "17.9999999999", "28.0000000001", "23.23"]),
    ({"atol": "1/1000", "decimals": 1}, "-0.25", Fraction(1, 20),
     ["-0.2", "-0.3", "-0.1999999999", "-0.3000000001"]),
]


def _grader_accepts(options: dict, expected: str, text: str) -> bool:
    rubric = _rubric({"ex3b": {"kind": "number", "points": 1, **options}})
    pr = rubric.parts["ex3b"]
    pv = PartVariant("ex3b", "number", pr.points, "", {}, expected, "")
    return score_part(rubric, pr, pv, text).score == 1


def _number_set(options: dict, expected: str, kind: str = "number") -> ExportSet:
    """One exported question for ex3b (number) or ex1a (arrows: blanks a1, a2)."""
    ctx = context()
    part_id = "ex3b" if kind == "number" else "ex1a"
    extra = {"per_arrow": "1/2"} if kind == "arrows" else {}
    rubric = _rubric({part_id: {"kind": kind, "points": 1, **extra, **options}})
    answer = expected if kind == "number" else {"a1": expected, "a2": "7"}
    part = PartVariant(part_id, kind, Fraction(1), "Compute it.", {}, answer, "")
    original = variants.build_variant(ctx.exam, "original", ctx.families)
    question, _ = build_question(ctx.exam, original, part, rubric.parts[part_id])
    return ExportSet("inf5860-2019", "t", "t1", ((question.category, (question,)),))


def _within(value: str, tol: str, text: str) -> bool:
    """value ± tolerance, both ends included, in exact decimal arithmetic."""
    return Decimal(value) - Decimal(tol) <= Decimal(text) <= Decimal(value) + Decimal(tol)


def _moodle_rule(export: ExportSet):
    quiz = etree.fromstring(moodle.moodle_xml(export))
    answer = quiz.find("question[@type='numerical']/answer")
    value, tol = answer.findtext("text"), answer.findtext("tolerance")
    return lambda text: _within(value, tol, text)


def _cloze_rule(export: ExportSet):
    quiz = etree.fromstring(moodle.moodle_xml(export))
    text = quiz.find("question[@type='cloze']/questiontext/text").text
    value, tol = re.search(r"a1 = \{\d+:NUMERICAL:=([^:}]+):([^}]+)\}", text).groups()
    return lambda probe: _within(value, tol, probe)


def _qti_rule(export: ExportSet, rid: str = "RESPONSE"):
    ns = {"q": qti21.QTI_NS}
    item = etree.fromstring(qti21.item_xml(export.questions[0]))
    value = item.find(f"q:responseDeclaration[@identifier='{rid}']/q:correctResponse/q:value",
                      ns).text
    equal = next(e for e in item.iterfind(".//q:equal", ns)
                 if e.find("q:variable", ns).get("identifier") == rid)
    if equal.get("toleranceMode") == "exact":
        return lambda text: Decimal(text) == Decimal(value)
    low_tol, high_tol = equal.get("tolerance").split()
    assert equal.get("includeLowerBound") == equal.get("includeUpperBound") == "true"
    return lambda text: (Decimal(value) - Decimal(low_tol) <= Decimal(text)
                         <= Decimal(value) + Decimal(high_tol))


def _canvas_rule(export: ExportSet):
    ns = {"c": canvas.QTI12_NS}
    root = etree.fromstring(canvas.assessment_xml(export))
    either = root.find(".//c:respcondition/c:conditionvar/c:or", ns)
    exact = either.findtext("c:varequal", namespaces=ns)
    low = either.findtext("c:and/c:vargte", namespaces=ns)
    high = either.findtext("c:and/c:varlte", namespaces=ns)
    return lambda text: (Decimal(text) == Decimal(exact)
                         or Decimal(low) <= Decimal(text) <= Decimal(high))


def _gift_rule(export: ExportSet):
    value, tol = re.search(r"\{#([^:}]+):([^}]+)\}", gift.gift_text(export)).groups()
    return lambda text: _within(value, tol, text)


@pytest.mark.parametrize("options, expected, hand, probes", CASES,
                         ids=[f"{c[1]}-{sorted(c[0])}" for c in CASES])
def test_every_export_accepts_exactly_what_the_grader_accepts(options, expected, hand, probes):
    rubric = _rubric({"p": {"kind": "number", "points": 1, **options}})
    from grader.answers.parse import expected_value

    assert margin(expected_value(expected), rubric.parts["p"]) == hand
    graded = {p: _grader_accepts(options, expected, p) for p in probes}
    assert any(graded.values()) or expected == "0"
    number = _number_set(options, expected)
    arrows = _number_set(options, expected, "arrows")
    rules = {"moodle numerical": _moodle_rule(number), "moodle cloze": _cloze_rule(arrows),
             "qti21 number": _qti_rule(number), "qti21 blank": _qti_rule(arrows, "RESPONSE_a1"),
             "canvas numerical": _canvas_rule(number), "gift": _gift_rule(number)}
    for name, accepts in rules.items():
        lms = {p: accepts(p) for p in probes}
        assert lms == graded, name


@pytest.mark.parametrize("options, expected, hand, probes", CASES,
                         ids=[f"{c[1]}-{sorted(c[0])}" for c in CASES])
def test_canvas_blank_spellings_are_all_accepted_by_the_grader(options, expected, hand, probes):
    question = _number_set(options, expected, "arrows").questions[0]
    forms = canvas.spellings(question.blanks[0])
    assert forms
    for form in forms:
        assert _grader_accepts(options, expected, form), form


def test_canvas_blank_spellings_list_the_roundings_the_tolerance_allows():
    forms = canvas.spellings(_number_set({"sig_figs": 2}, "0.5236", "arrows")
                             .questions[0].blanks[0])
    assert {"0.5236", "0.52", "0,52", "0.524", "0,524"} <= set(forms)
    assert "0.5" not in forms and "0.53" not in forms
    forms = canvas.spellings(_number_set({"sig_figs": 3}, "12345.678", "arrows")
                             .questions[0].blanks[0])
    assert "12300" in forms and "12000" not in forms  # 3 figures, the grader's margin is 50
    zero = canvas.spellings(_number_set({"sig_figs": 3}, "0", "arrows").questions[0].blanks[0])
    assert zero[0] == "0" and all(float(f.replace(",", ".")) == 0 for f in zero)


def test_exports_with_sig_figs_validate(tmp_path):
    for target in ("qti21", "canvas", "moodle"):
        for kind in ("number", "arrows"):
            data = export_bytes(_number_set({"sig_figs": 2}, "0.5236", kind), target)
            folder = tmp_path / f"{target}-{kind}"
            folder.mkdir()
            if target == "moodle":
                path = folder / "moodle.xml"
                path.write_bytes(data)
                paths = [path]
            else:
                paths = unzip(data, folder)
            validate(paths)


def test_old_rubrics_keep_their_margins():
    part = PartRubric("p", "number", Fraction(1), rtol=Fraction(1, 100))
    assert margin(Fraction(-7, 2), part) == Fraction(7, 200)
    assert margin(Fraction(0), part) == 0
    assert margin(Fraction(23), PartRubric("p", "number", Fraction(1))) == 0
