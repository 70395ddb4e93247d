"""The stress test finds what a teacher must fix before printing: errors, degenerate answers."""

from __future__ import annotations

from grader.bank import exam_from_mapping
from grader.errors import AuthoringError
from grader.model import Family, Solved
from grader.rubric.loader import rubric_from_mapping
from grader.stress import distribution_lines, stress_test


def _double(params):
    return Solved({"n": str(params["n"])}, str(2 * params["n"]), "2n")


def _family(sample, solve=_double):
    return Family("t.double", solve, sample)


def _exam(parts=("q1",)):
    return exam_from_mapping({
        "id": "t", "version": 1, "title": "T", "course": "C", "date": "2020-01-01",
        "duration": "1h", "aids": "none", "instructions": "-",
        "exercises": [{"id": "e1", "title": "E", "parts": [
            {"id": p, "points": 1, "kind": "number", "family": "t.double", "params": {"n": 1},
             "text": "Double {n}."} for p in parts]}],
    }, "t.yaml", {"t.double": _family(None)})


RUBRIC = rubric_from_mapping({"version": 1, "parts": {
    "q1": {"kind": "number", "points": 1, "exact": True},
    "q2": {"kind": "number", "points": 1, "exact": True}}})


def test_a_healthy_family_passes_and_reports_its_spread():
    family = _family(lambda rng, params, fixed: {"n": rng.randint(1, 50)})
    report = stress_test(_exam(), RUBRIC, {"t.double": family}, seeds=60)
    assert report.built == 60 and report.failures == []
    (line,) = distribution_lines(report)
    assert line.startswith("q1: ") and "in 60 variants" in line and "min 2" in line


def test_zero_and_huge_answers_fail():
    family = _family(lambda rng, params, fixed: {"n": rng.choice([0, 1, 10**7])})
    failures = stress_test(_exam(), RUBRIC, {"t.double": family}, seeds=40).failures
    assert any("an answer of 0" in f for f in failures)
    assert any("above 1,000,000" in f for f in failures)


def test_a_family_that_fails_is_reported_per_variant():
    def sample(rng, params, fixed):
        if rng.random() < 0.5:
            raise AuthoringError("no luck", part="n")
        return {"n": 3}

    report = stress_test(_exam(), RUBRIC, {"t.double": _family(sample)}, seeds=30)
    assert 0 < report.built < 30
    assert len(report.errors) == 30 - report.built
    assert all("no luck" in e for e in report.errors)
    assert report.repeated_variants == report.built - 1  # every success draws n = 3


def test_two_parts_of_a_family_with_the_same_answer_are_flagged():
    family = _family(lambda rng, params, fixed: {"n": 2})
    report = stress_test(_exam(("q1", "q2")), RUBRIC, {"t.double": family}, seeds=10)
    assert any("q2: 10 variant(s) with the same answer as q1" in f for f in report.failures)


def test_solve_family_reads_typed_parameters_exactly():
    from grader.family_solve import family_named, parse_assignments, solve_json, solve_text
    from question_bank.families import FAMILIES

    family = family_named("momentum", FAMILIES)
    params = parse_assignments(["theta0=1", "mu=0.9", "learning_rate=0.1", "gradients=[2, 1]"])
    # v1 = 0.9*0 - 0.1*2, theta1 = 1 + v1, v2 = 0.9*v1 - 0.1*1, theta2 = theta1 + v2
    assert solve_json(family, params)["answer"] == {
        "v1": "-1/5", "theta1": "4/5", "v2": "-7/25", "theta2": "13/25"}
    assert "v1 = -1/5 (-0.2)" in solve_text(family, params)


def test_solve_family_errors_name_the_problem():
    import pytest

    from grader.errors import InputError
    from grader.family_solve import family_named, parse_assignments
    from question_bank.families import FAMILIES

    with pytest.raises(InputError, match="no family 'frob'.*momentum"):
        family_named("frob", FAMILIES)
    with pytest.raises(InputError, match="not KEY=VALUE"):
        parse_assignments(["mu"])
