"""2019 ex3 mistake rules fire on every variant: the original and 50 random ones.

The mistake values are computed here independently of the families: the forgotten stride by
re-solving the stack with every stride 1 (grader.solver.cnn), the parameter counts layer by
layer by hand.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from grader.bank import load_exam
from grader.keyfile import key_text, read_key, write_key
from grader.rubric.engine import score_part
from grader.rubric.loader import load_rubric
from grader.solver.cnn import cnn_from_mapping, solve_cnn
from grader.stress import stress_test
from grader.variant_ids import variant_ids
from grader.variants import build_variant
from question_bank.families import FAMILIES
from tests.test_rubric_inf5860 import ORIGINAL_MISTAKES

ROOT = Path(__file__).resolve().parents[1]
EXAM = load_exam(ROOT / "question_bank" / "inf5860_2019" / "exam.yaml", FAMILIES)
RUBRIC = load_rubric(ROOT / "rubrics" / "inf5860_2019.yaml")
IDS = ["original", *variant_ids(5860, 50)]
VARIANTS = {v: build_variant(EXAM, v, FAMILIES) for v in IDS}
STRIDE = "The stride of the first layer multiplies the later kernels' contribution."
CHANNELS = ("Layers after the first see as many channels as the layer before has filters, "
            "not the input's channels.")


def grade(variant_id: str, part: str, raw):
    pv = VARIANTS[variant_id].part(part)
    return score_part(RUBRIC, RUBRIC.parts[part], pv, raw, student="s")


def forgotten_stride(params) -> int:
    """The field of view of the same kernels with every stride 1."""
    assert not {"dilations", "pools"} & set(params)  # ex3b has neither: this oracle suffices
    spec = cnn_from_mapping({"layers": [{"type": "conv", "kernel": k, "stride": 1}
                                        for k in params["kernels"]]})
    return solve_cnn(spec).receptive_field[0]


def counts(params) -> tuple[int, int, int]:
    """(right count, count with the input's channels everywhere, number of biases), by hand."""
    kernels, channels = params["kernels"], params["channels"]
    filters = params["filters"]
    filters = filters if isinstance(filters, list) else [filters] * len(kernels)
    assert params.get("groups", 1) == 1 and not params.get("linear")
    right = everywhere = 0
    cin = channels
    for k, f in zip(kernels, filters, strict=True):
        h, w = (k, k) if isinstance(k, int) else k
        right += cin * h * w * f
        everywhere += channels * h * w * f
        cin = f
    biases = sum(filters)
    if params["bias"] is not False:
        right, everywhere = right + biases, everywhere + biases
    return right, everywhere, biases


def test_the_originals_frozen_mistakes_are_the_hand_computed_ones():
    for part, mistakes in ORIGINAL_MISTAKES.items():
        assert dict(VARIANTS["original"].part(part).mistakes) == mistakes


@pytest.mark.parametrize("variant_id", IDS)
def test_a_forgotten_stride_gets_the_rules_points_and_feedback(variant_id):
    part = VARIANTS[variant_id].part("ex3b")
    value = forgotten_stride(part.params)
    assert value != int(part.answer)  # the sampler keeps a stride that matters
    result = grade(variant_id, "ex3b", str(value))
    assert result.score == 0 and result.criteria[0].feedback == STRIDE
    assert grade(variant_id, "ex3b", part.answer).score == 1


@pytest.mark.parametrize("variant_id", IDS)
def test_input_channels_everywhere_gets_1_of_2(variant_id):
    part = VARIANTS[variant_id].part("ex3c")
    right, everywhere, _ = counts(part.params)
    assert str(right) == part.answer
    result = grade(variant_id, "ex3c", str(everywhere))
    if everywhere == right:  # every layer has as many filters as the input channels
        assert "channels-everywhere" not in part.mistakes and result.score == 2
        return
    assert (result.score, result.max) == (1, 2) and result.criteria[0].feedback == CHANNELS


@pytest.mark.parametrize("variant_id", IDS)
def test_the_opposite_of_what_was_asked_about_biases_gets_1_of_2(variant_id):
    part = VARIANTS[variant_id].part("ex3c")
    right, _, biases = counts(part.params)
    included = part.params["bias"] is not False
    result = grade(variant_id, "ex3c", str(right - biases if included else right + biases))
    assert result.score == 1
    word = "includes" if included else "excludes"
    assert result.criteria[0].feedback.startswith(f"The question {word} biases: {right} ")
    assert f"the {biases} biases" in result.criteria[0].feedback


@pytest.mark.parametrize("variant_id", IDS[:11])
def test_a_sign_error_on_an_arrow_gets_the_rules_feedback(variant_id):
    answer = VARIANTS[variant_id].part("ex1a").answer
    aid = next(a for a, v in answer.items() if Fraction(v) != 0)
    raw = {**answer, aid: str(-Fraction(answer[aid]))}
    by_id = {c.id: c for c in grade(variant_id, "ex1a", raw).criteria}
    assert by_id[aid].points == 0 and by_id[aid].feedback.startswith("Right size, wrong sign")


def test_no_frozen_mistake_equals_its_answer():
    for variant in VARIANTS.values():
        for part in variant.parts:
            assert part.answer not in part.mistakes.values(), (variant.variant_id, part.part_id)


def test_key_round_trip_keeps_the_mistakes(tmp_path):
    variants = [VARIANTS[v] for v in IDS[:4]]
    path = write_key(tmp_path / "key.json", EXAM, variants, "sha256:x", seed=5860)
    _, read = read_key(path)
    assert [read[v.variant_id] for v in variants] == variants
    assert read["original"].part("ex3b").mistakes["stride-forgotten"] == "13"
    assert '"stride-forgotten": "13"' in key_text(EXAM, variants[:1], "sha256:x")


def test_a_key_without_mistakes_still_reads(tmp_path):
    """A key written before the field existed (version 1 all the same) reads as no mistakes."""
    document = json.loads(key_text(EXAM, [VARIANTS["original"]], "sha256:x"))
    for part in document["variants"]["original"]["parts"]:
        part.pop("mistakes", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _, read = read_key(path)
    assert read["original"].part("ex3b").mistakes == {}
    assert read["original"].part("ex3b").answer == "23"


def test_check_with_100_seeds_still_passes():
    report = stress_test(EXAM, RUBRIC, FAMILIES, seeds=100)
    assert report.failures == [] and report.built == 100
