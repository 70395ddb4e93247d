"""Pools of sibling wordings and questions for text parts (grader.pools, docs/pools.md)."""

from __future__ import annotations

import copy
import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from grader import api
from grader.bank import exam_from_mapping, load_exam
from grader.checks import check_rubric_covers, model_answers, sibling_model_scores
from grader.errors import AuthoringError
from grader.keyfile import read_key, write_key
from grader.paper.markdown import key_markdown, student_markdown
from grader.pools import pool_variant, sibling_ids
from grader.rubric import load_rubric, rubric_from_mapping, score_part
from grader.variant_ids import variant_ids
from grader.variants import build_variant, variant_seed
from question_bank.families import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "question_bank" / "inf5860_2019" / "exam.yaml"
RUBRIC = ROOT / "rubrics" / "inf5860_2019.yaml"
RELU_ANSWER = ("Because it is zero for all negative inputs, nodes can die. Networks should be "
               "monitored.")
SIGMOID_ANSWER = ("The sigmoid saturates for large inputs, so the derivative approaches 0 and "
                  "the early layers learn slowly.")


@pytest.fixture(scope="module")
def exam():
    return load_exam(SEED, FAMILIES)


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC)


# --- a small pooled exam and rubric for the validation tables ---------------------------------

def _exam_data():
    return {"id": "demo", "version": 1, "title": "T", "course": "C", "date": "2020-01-01",
            "duration": "1 hour", "aids": "none", "instructions": "Go.",
            "exercises": [{"id": "ex1", "parts": [
                {"id": "ex1a", "points": 1, "kind": "text", "text": "Shortcomings of ReLU?",
                 "solution": "Dying units.",
                 "pool": [{"id": "sigmoid", "text": "Shortcomings of the sigmoid?",
                           "solution": "Saturation."},
                          {"id": "reworded", "text": "What is wrong with ReLU?",
                           "rubric": "same"}]}]}]}


def _criteria(word):
    return [{"id": word, "points": 1, "any": [word]}]


def _rubric_data():
    return {"version": 1, "parts": {"ex1a": {
        "kind": "text", "points": 1, "model_answer": "Units die.", "criteria": _criteria("die*"),
        "siblings": {"sigmoid": {"model_answer": "It saturates.",
                                 "criteria": _criteria("saturat*")}}}}}


def _pool(data):
    return data["exercises"][0]["parts"][0]


EXAM_ERRORS = [
    ("not a list", lambda d: _pool(d).update(pool={"id": "x"}), "'pool' in part ex1a must be"),
    ("empty", lambda d: _pool(d).update(pool=[]), "non-empty list of siblings"),
    ("not text", lambda d: _pool(d).update(kind="choice", answer="a"), "only text parts"),
    ("unknown key", lambda d: _pool(d)["pool"][0].update(points=2), "sibling sigmoid: unknown"),
    ("no text", lambda d: _pool(d)["pool"][0].pop("text"), "sibling sigmoid: 'text' must be"),
    ("bad id", lambda d: _pool(d)["pool"][0].update(id="Sigmoid"), "lower-case letters"),
    ("repeated", lambda d: _pool(d)["pool"][1].update(id="sigmoid", rubric=None), "is repeated"),
    ("original", lambda d: _pool(d)["pool"][0].update(id="original"), "part's own text"),
    ("unknown rubric", lambda d: _pool(d)["pool"][1].update(rubric="tanh"), "'rubric: tanh'"),
    ("chained rubric", lambda d: _pool(d)["pool"].append(
        {"id": "again", "text": "t", "rubric": "reworded"}), "'rubric: reworded'"),
    ("not a mapping", lambda d: _pool(d)["pool"].append("tanh"), "sibling ? must be a mapping"),
]


@pytest.mark.parametrize(("case", "mutate", "message"), EXAM_ERRORS,
                         ids=[e[0] for e in EXAM_ERRORS])
def test_exam_pool_errors_name_the_file_part_and_sibling(case, mutate, message):
    data = _exam_data()
    mutate(data)
    with pytest.raises(AuthoringError) as err:
        exam_from_mapping(data, "demo.yaml")
    assert message in str(err.value) and err.value.file == "demo.yaml"
    assert err.value.part == "ex1a"


def _sibling(d):
    return d["parts"]["ex1a"]["siblings"]


RUBRIC_ERRORS = [
    ("unknown key", lambda d: _sibling(d)["sigmoid"].update(points=1), "unknown key points"),
    ("no model answer", lambda d: _sibling(d)["sigmoid"].pop("model_answer"), "model_answer"),
    ("no criteria", lambda d: _sibling(d)["sigmoid"].pop("criteria"), "at least one criterion"),
    ("unreachable", lambda d: _sibling(d)["sigmoid"]["criteria"][0].update(points="1/2"),
     "at most 1/2"),
    ("bad pattern", lambda d: _sibling(d)["sigmoid"]["criteria"][0].update(any=["a?"]),
     "is not a word"),
    ("original", lambda d: _sibling(d).update(original=_sibling(d)["sigmoid"]), "part's own"),
    ("not a mapping", lambda d: _sibling(d).update(sigmoid="same"), "must be a mapping"),
    ("number part", lambda d: d["parts"]["ex1a"].update(kind="number"), "unknown key"),
]


@pytest.mark.parametrize(("case", "mutate", "message"), RUBRIC_ERRORS,
                         ids=[e[0] for e in RUBRIC_ERRORS])
def test_rubric_sibling_errors(case, mutate, message):
    data = _rubric_data()
    mutate(data)
    with pytest.raises(AuthoringError) as err:
        rubric_from_mapping(data, "r.yaml")
    assert message in str(err.value) and err.value.file == "r.yaml"
    assert err.value.part.startswith("ex1a")
    if case not in ("original", "number part", "not a mapping"):
        assert err.value.part == "ex1a (sibling sigmoid)"


CROSS_ERRORS = [
    ("missing", lambda e, r: _sibling(r).clear(), "sibling sigmoid has no rubric"),
    ("unknown", lambda e, r: _sibling(r).update(tanh=_sibling(r)["sigmoid"]),
     "sibling tanh, which is not in the exam's pool (original, sigmoid, reworded)"),
    ("shared", lambda e, r: _sibling(r).update(reworded=_sibling(r)["sigmoid"]),
     "sibling reworded, which shares the rubric of original"),
    ("no pool", lambda e, r: _pool(e).pop("pool"), "sibling sigmoid, which is not in"),
]


@pytest.mark.parametrize(("case", "mutate", "message"), CROSS_ERRORS,
                         ids=[e[0] for e in CROSS_ERRORS])
def test_every_sibling_has_a_rubric_and_no_other(case, mutate, message):
    exam_data, rubric_data = _exam_data(), _rubric_data()
    check_rubric_covers(exam_from_mapping(exam_data, "demo.yaml"),
                        rubric_from_mapping(rubric_data, "r.yaml"))  # consistent as written
    mutate(exam_data, rubric_data)
    with pytest.raises(AuthoringError) as err:
        check_rubric_covers(exam_from_mapping(exam_data, "demo.yaml"),
                            rubric_from_mapping(rubric_data, "r.yaml"))
    assert message in str(err.value) and (err.value.file, err.value.part) == ("r.yaml", "ex1a")


def test_a_key_naming_an_unknown_sibling_is_an_authoring_error(rubric, exam):
    asked = pool_variant(exam.part("ex2b"), None, "sigmoid")
    stale = asked.__class__(**{**asked.__dict__, "params": {"sibling": "softplus"}})
    with pytest.raises(AuthoringError, match="sibling 'softplus'.*original, sigmoid, tanh"):
        score_part(rubric, rubric.parts["ex2b"], stale, SIGMOID_ANSWER)


# --- the seed exam ----------------------------------------------------------------------------

def test_the_seed_pools(exam):
    assert sibling_ids(exam.part("ex2b")) == ("original", "relu-reworded", "sigmoid", "tanh")
    assert sibling_ids(exam.part("ex2a")) == ("original", "reworded", "zeros")
    assert [p.id for p in exam.parts if p.pool] == ["ex2a", "ex2b"]


def test_the_original_variant_asks_the_original(exam):
    original = build_variant(exam, "original", FAMILIES)
    part = original.part("ex2b")
    assert part.text == "Discuss briefly if the ReLU activation function has some shortcomings."
    assert part.params == {} and part.solution.startswith("Because it is zero")


def test_random_variants_pick_siblings_deterministically_with_the_part_stream(exam):
    ids = variant_ids(11, 50)
    asked = Counter()
    for vid in ids:
        part = build_variant(exam, vid, FAMILIES).part("ex2b")
        sibling = part.params["sibling"]
        rng = random.Random(f"{variant_seed(exam.id, exam.version, vid)}:ex2b")
        assert sibling == rng.choice(sibling_ids(exam.part("ex2b")))
        assert build_variant(exam, vid, FAMILIES).part("ex2b") == part
        asked[sibling] += 1
    assert set(asked) == set(sibling_ids(exam.part("ex2b")))


def _variant_asking(exam, part_id, sibling):
    for vid in variant_ids(5, 60):
        variant = build_variant(exam, vid, FAMILIES)
        if variant.part(part_id).params.get("sibling") == sibling:
            return variant
    raise AssertionError(f"no variant asks {sibling}")


def test_sibling_parts_carry_their_text_solution_and_shared_rubric(exam):
    sigmoid = _variant_asking(exam, "ex2b", "sigmoid").part("ex2b")
    assert "sigmoid activation" in sigmoid.text and "saturates" in sigmoid.solution
    assert sigmoid.params == {"sibling": "sigmoid"}
    reworded = _variant_asking(exam, "ex2b", "relu-reworded").part("ex2b")
    assert reworded.params == {"sibling": "relu-reworded", "rubric": "original"}


@pytest.mark.parametrize(("sibling", "answer", "low", "high"), [
    ("sigmoid", SIGMOID_ANSWER, 1, 1),
    ("sigmoid", RELU_ANSWER, 0, 0),
    ("sigmoid", "Vanishing gradients.", "1/2", "1/2"),  # named, not explained
    ("sigmoid", "Its outputs are always positive, not zero-centred.", "1/2", "1/2"),
    ("tanh", SIGMOID_ANSWER, 1, 1),
    ("tanh", "Gradients vanish in the flat tails, for large positive or negative inputs.", 1, 1),
    ("tanh", "It is not zero-centred.", 0, 0),  # wrong for tanh
    ("relu-reworded", RELU_ANSWER, 1, 1),
    ("relu-reworded", SIGMOID_ANSWER, 0, "1/2"),
    ("original", SIGMOID_ANSWER, 0, "1/2"),
])
def test_each_sibling_is_graded_by_its_own_rubric(exam, rubric, sibling, answer, low, high):
    asked = pool_variant(exam.part("ex2b"), None, sibling)
    score = score_part(rubric, rubric.parts["ex2b"], asked, answer).score
    assert Fraction(low) <= score <= Fraction(high)


def test_zero_initialization_sibling(exam, rubric):
    asked = pool_variant(exam.part("ex2a"), None, "zeros")
    grade = lambda text: score_part(rubric, rubric.parts["ex2a"], asked, text).score  # noqa: E731
    assert grade("No: the gradients to the hidden layers are zero, so nothing is learned.") == 1
    assert grade("No, every neuron gets the same gradient and learns the same thing.") == 1
    assert grade("Yes, zero is fine since the gradients will flow to the weights.") == 0
    assert grade("Zero weights.") == 0


def test_every_sibling_model_answer_scores_full(exam, rubric):
    scores = dict(sibling_model_scores(exam, rubric))
    assert sorted(scores) == ["ex2a (reworded)", "ex2a (zeros)", "ex2b (relu-reworded)",
                              "ex2b (sigmoid)", "ex2b (tanh)"]
    assert all(s.score == s.max for s in scores.values())


def test_key_json_round_trip_keeps_the_sibling_and_grades_with_it(exam, rubric, tmp_path):
    variant = _variant_asking(exam, "ex2b", "sigmoid")
    write_key(tmp_path / "key.json", exam, [variant], "sha256:x")
    _, read = read_key(tmp_path / "key.json")
    frozen = read[variant.variant_id]
    assert frozen == variant and frozen.part("ex2b").params == {"sibling": "sigmoid"}
    part = frozen.part("ex2b")
    assert score_part(rubric, rubric.parts["ex2b"], part, SIGMOID_ANSWER).score == 1
    assert score_part(rubric, rubric.parts["ex2b"], part, RELU_ANSWER).score == 0
    assert "sigmoid saturates" in model_answers(rubric, frozen.parts)["ex2b"]


def test_papers_show_the_sibling_text_and_keys_its_solution(exam):
    variant = _variant_asking(exam, "ex2b", "tanh")
    paper, key = student_markdown(exam, variant), key_markdown(exam, variant)
    for text in (paper, key):
        assert "Discuss briefly if the tanh activation function" in text
        assert "ReLU activation function" not in text
    assert "Like the sigmoid, tanh saturates" in key
    assert "saturates" not in paper


def test_grading_uses_the_frozen_sibling(exam, tmp_path):
    variant = _variant_asking(exam, "ex2b", "sigmoid")
    write_key(tmp_path / "key.json", exam, [variant], "sha256:x")
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, answer in (("good", SIGMOID_ANSWER), ("relu", RELU_ANSWER)):
        doc = {"student": student, "variant": variant.variant_id, "answers": {"ex2b": answer}}
        (subs / f"{student}.yaml").write_text(yaml.safe_dump(doc), "utf-8")
    api.grade("inf5860-2019", [subs], tmp_path / "out", key=tmp_path / "key.json",
              use_cache=False)
    rows = (tmp_path / "out" / "scores.csv").read_text("utf-8").splitlines()
    header = rows[0].split(",")
    got = {r.split(",")[0]: r.split(",")[header.index("ex2b")] for r in rows[1:]}
    assert got == {"good": "1", "relu": "0"}
    feedback = (tmp_path / "out" / "feedback" / "relu.md").read_text("utf-8")
    assert "sigmoid saturates" in feedback  # the model answer of the sibling asked


def test_check_grades_every_sibling_and_fails_a_broken_one(tmp_path):
    report = api.check("inf5860-2019", seeds=100)
    assert not report.failures
    assert "ex2b (tanh): model answer scores 1 / 1" in report.lines
    assert any(line.startswith("ex2b: siblings asked in 100 variants: original ")
               for line in report.lines)
    data = yaml.safe_load(RUBRIC.read_text("utf-8"))
    broken = copy.deepcopy(data)
    broken["parts"]["ex2b"]["siblings"]["sigmoid"]["model_answer"] = "It is a fine function."
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(broken), "utf-8")
    failures = api.check("inf5860-2019", rubric=path, seeds=30).failures
    assert any(f.startswith("ex2b (sigmoid): model answer scores 0 / 1") for f in failures)
    assert any(f.startswith("ex2b: the model answer of") for f in failures)


def test_a_sibling_never_asked_is_a_warning():
    from grader.stress import PartStats, StressReport, sibling_lines

    stats = PartStats(siblings=Counter({"original": 3, "tanh": 0}))
    report = StressReport(3, 3, (), {"ex2b": stats}, 0, ())
    assert report.warnings == ["ex2b: sibling tanh was never asked in 3 variants"]
    assert not report.failures
    assert sibling_lines(report) == ["ex2b: siblings asked in 3 variants: original 3, tanh 0"]
