"""Dilation families (2019 ex3d) vs brute force: impulse propagation through numpy convolutions."""

from __future__ import annotations

import json
import random
import re

import pytest

from grader.errors import AuthoringError
from question_bank.families import FAMILIES
from tests.test_cnn_sample import impulse
from tests.test_solver_cnn import _eval_sum

DFOV, DMIN = FAMILIES["cnn.dilation_fov"], FAMILIES["cnn.dilation_min_layers"]


def fov_of(kernel: int, dilations: list[int], size: int = 32) -> int:
    """Field of view of stride-1 k x k convs with these dilations, by impulse propagation."""
    return impulse([(kernel, 1, d, 0) for d in dilations], size)[0]


def test_growing_dilation_by_hand():
    solved = DFOV.solve({"kernel": 3, "layers": 3})
    assert solved.answer == "15" == str(fov_of(3, [1, 2, 4]))
    assert "`1 + (3-1) + 2*(3-1) + 4*(3-1) = 15`" in solved.solution
    assert solved.placeholders == {"kernel": "3x3", "layers": "3", "dilations": "1, 2 and 4"}
    listed = DFOV.solve({"kernel": 2, "dilations": [1, 3, 9]})
    assert listed.answer == "14" and listed.placeholders["dilations"] == "1, 3 and 9"


def test_min_layers_by_hand():
    solved = DMIN.solve({"kernel": 3, "target": 25})
    assert solved.answer == "4"
    assert "- layer 4 (dilation 8): 15 + 8*(3-1) = 31" in solved.solution
    assert "4 layers reach 31 >= 25; 3 would reach only 15." in solved.solution
    assert DMIN.solve({"kernel": 3, "target": 3}).answer == "1"
    assert DMIN.solve({"kernel": 3, "target": 4}).answer == "2"


def check_fov(seed: int) -> None:
    base = [{"kernel": 3, "layers": 3}, {"kernel": 3, "dilations": [1, 2, 4]}][seed % 2]
    params = DFOV.sample(random.Random(seed), base, {})
    assert params == DFOV.sample(random.Random(seed), base, {})
    assert json.loads(json.dumps(params)) == params
    solved = DFOV.solve(params)
    dilations = params.get("dilations") or [2**i for i in range(params["layers"])]
    assert 2 <= len(dilations) <= 6 and dilations[0] == 1
    assert all(b > a for a, b in zip(dilations, dilations[1:], strict=False))  # growing
    fov = fov_of(params["kernel"], dilations)
    assert solved.answer == str(fov) and fov > 1
    (worked,) = re.findall(r"`(.+)`", solved.solution)
    assert _eval_sum(worked) == fov


def check_min_layers(seed: int) -> None:
    params = DMIN.sample(random.Random(seed), {"kernel": 3, "target": 25}, {})
    assert params == DMIN.sample(random.Random(seed), {"kernel": 3, "target": 25}, {})
    assert json.loads(json.dumps(params)) == params
    kernel, target = params["kernel"], params["target"]
    solved = DMIN.solve(params)
    reached, dilations = [], []
    while not reached or reached[-1] < target:  # add layers until the field reaches the target
        dilations.append(2 ** len(dilations))
        reached.append(fov_of(kernel, dilations, size=2 * target + 8))
    assert solved.answer == str(len(dilations)) and 2 <= len(dilations) <= 7
    listed = [int(v) for v in re.findall(r"^- layer \d+ .* = (\d+)$", solved.solution, re.M)]
    assert listed == reached


@pytest.mark.parametrize("check", [check_fov, check_min_layers])
def test_many_seeds(check):
    for seed in range(200):
        check(seed)


@pytest.mark.slow
@pytest.mark.parametrize("check", [check_fov, check_min_layers])
def test_many_more_seeds(check):
    for seed in range(200, 1200):
        check(seed)


def test_shared_kernel_is_kept():
    for seed in range(20):
        assert "kernel" not in DMIN.sample(random.Random(seed), {"target": 9}, {"kernel": 5})
        assert "kernel" not in DFOV.sample(random.Random(seed), {"layers": 3}, {"kernel": 5})


@pytest.mark.parametrize("family,params", [
    (DFOV, {"kernel": 1, "layers": 3}),
    (DFOV, {"kernel": 3}),
    (DFOV, {"kernel": 3, "layers": 2, "dilations": [1, 2, 4]}),
    (DFOV, {"kernel": 3, "dilations": [1, 0]}),
    (DFOV, {"kernel": 3, "layers": 2, "stride": 2}),
    (DMIN, {"kernel": 3, "target": 1}),
    (DMIN, {"kernel": 3}),
    (DMIN, {"kernel": 2, "target": 10**12}),
    (DMIN, {"kernel": 3, "target": 9, "layers": 2}),
])
def test_bad_params(family, params):
    with pytest.raises(AuthoringError):
        family.solve(params)
