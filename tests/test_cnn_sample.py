"""CNN families over many seeds vs brute force: impulse propagation and real weight arrays."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.errors import AuthoringError
from question_bank.families import FAMILIES
from question_bank.families.cnn import layers_text
from tests.test_solver_cnn import _count_by_arrays, _eval_sum, conv2d, conv2d_transpose

STACK, FOV, PARAMS = (FAMILIES[n] for n in ("cnn.stack", "cnn.field_of_view", "cnn.params"))
ORIGINAL_STACK = {"kernels": [3, 5, 7], "channels": 3, "filters": 2}
EXAM = Path(__file__).parents[1] / "question_bank" / "inf5860_2019" / "exam.yaml"


# ---------------------------------------------------------------- 1-D brute force
def layers_1d(params: dict) -> list[tuple[int, int, int, int]]:
    """(kernel, stride, dilation, padding) per layer, read from the params as a student would."""
    kernels = params["kernels"]
    n = len(kernels)

    def per(key, default):
        value = params.get(key, default)
        return value if isinstance(value, list) else [value] * n

    out = []
    for i, (k, s, d, p) in enumerate(zip(kernels, per("strides", 1), per("dilations", 1),
                                         per("padding", 0), strict=True), start=1):
        out.append((k, s, d, p))
        if i in params.get("pools", []):
            out.append((2, 2, 1, 0))
    return out


def _conv(x, layer):
    k, s, d, p = layer
    return conv2d(x, np.ones((1, 1, k, 1)), (s, 1), (p, 0), (d, 1))


def forward_sizes(layers, size: int) -> list[int]:
    """Output length of every layer, by running a numpy convolution on a (size x 1) image."""
    x, sizes = np.zeros((1, size, 1)), []
    for layer in layers:
        x = _conv(x, layer)
        sizes.append(x.shape[1])
    return sizes


def dependency(layers, size: int, out_index: int) -> np.ndarray:
    """Input pixels one output pixel depends on: back-propagate a one-hot through the stack."""
    x, shapes = np.zeros((1, size, 1)), []
    for layer in layers:
        shapes.append(x.shape)
        x = _conv(x, layer)
    g = np.zeros(x.shape)
    g[0, out_index, 0] = 1.0
    for (k, s, d, p), shape in zip(reversed(layers), reversed(shapes), strict=True):
        g = conv2d_transpose(g, np.ones((1, 1, k, 1)), shape, (s, 1), (p, 0), (d, 1))
    return np.nonzero(g[0, :, 0] > 0)[0]


def impulse(layers, size: int = 32) -> tuple[int, int]:
    """(field of view, jump) of an unpadded stack: spans of two neighbouring outputs' fields,
    on an input grown (from ``size``) until the middle output's field stays clear of the
    borders."""
    layers = [(k, s, d, 0) for k, s, d, _ in layers]
    while True:
        outputs = forward_sizes(layers, size)[-1]
        if outputs >= 3:
            mid = outputs // 2
            dep, nxt = dependency(layers, size, mid), dependency(layers, size, mid + 1)
            if dep.min() > 0 and nxt.max() < size - 1:
                return int(dep.max() - dep.min() + 1), int(nxt.min() - dep.min())
        size *= 2


# ---------------------------------------------------------------- strides in words, read back
_ORD = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}


def read_layers_text(text: str, noun: str, n: int) -> list[int]:
    """Parse a layers_text sentence back into per-layer values (and check its grammar)."""
    if m := re.fullmatch(rf"all layers use a {noun} of (\d+)", text):
        return [int(m[1])] * n
    if m := re.fullmatch(rf"the layers have {noun}s of ([\d, and]+)", text):
        return [int(v) for v in re.findall(r"\d+", m[1])]
    m = re.fullmatch(rf"the (\w+) layer has a {noun} of (\d+) and the (following|other) "
                     rf"(layer has|layers have) a {noun} of (\d+)", text)
    assert m, text
    index = _ORD[m[1]]
    assert (m[3] == "following") == (index == 0), text
    assert (m[4] == "layer has") == (n == 2), text
    values = [int(m[5])] * n
    values[index] = int(m[2])
    return values


@pytest.mark.parametrize("values,text", [
    ([1, 1, 1], "all layers use a stride of 1"),
    ([2, 1, 1], "the first layer has a stride of 2 and the following layers have a stride of 1"),
    ([1, 3, 1], "the second layer has a stride of 3 and the other layers have a stride of 1"),
    ([1, 1, 2], "the third layer has a stride of 2 and the other layers have a stride of 1"),
    ([2, 1], "the first layer has a stride of 2 and the following layer has a stride of 1"),
    ([1, 3], "the second layer has a stride of 3 and the other layer has a stride of 1"),
    ([2, 3, 1], "the layers have strides of 2, 3 and 1"),
    ([1, 2, 1, 1], "the second layer has a stride of 2 and the other layers have a stride of 1"),
])
def test_layers_text(values, text):
    assert layers_text(values, "stride") == text
    assert read_layers_text(text, "stride", len(values)) == values


# ---------------------------------------------------------------- the 2019 exam
def _ex3() -> dict:
    exam = yaml.safe_load(EXAM.read_text(encoding="utf-8"))
    return next(e for e in exam["exercises"] if e["id"] == "ex3")


def test_original_reproduces_2019_text_and_answers():
    ex3 = _ex3()
    assert ex3["shared"] == {"family": "cnn.stack", "params": ORIGINAL_STACK}
    stack = STACK.solve(ORIGINAL_STACK)
    assert stack.answer is None and stack.solution == ""
    assert ("with the following kernel sizes 3x3, 5x5 and 7x7. This is a 3-layer CNN with filters "
            "in that order.") in ex3["intro"].format_map(stack.placeholders)
    expected = {
        "ex3a": ("13", "1 + (3-1) + (5-1) + (7-1) = 13", "What will be the theoretical "
                 "field-of-view for that network, if all layers use a stride of 1?"),
        "ex3b": ("23", "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23", "What will be the theoretical "
                 "field-of-view be if the first layer has a stride of 2 and the following "
                 "layers have a stride of 1?"),
        "ex3c": ("350", "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350", "The input image has 3 channels, "
                 "and each layer has 2 filters. Excluding biases, how many parameters are in "
                 "this model?"),
    }
    for part in ex3["parts"][:3]:
        solved = FAMILIES[part["family"]].solve({**ORIGINAL_STACK, **part["params"]})
        answer, worked, text = expected[part["id"]]
        assert solved.answer == answer and worked in solved.solution
        assert part["text"].format_map(solved.placeholders) == text


def test_impulse_oracle_on_the_2019_key():
    assert impulse(layers_1d({"kernels": [3, 5, 7]})) == (13, 1)
    assert impulse(layers_1d({"kernels": [3, 5, 7], "strides": [2, 1, 1]})) == (23, 2)
    assert forward_sizes(layers_1d({"kernels": [3, 3], "pools": [1]}), 12) == [10, 5, 3]


def test_original_strides_all_one_stay_all_one():
    for seed in range(50):
        shared = STACK.sample(random.Random(seed), ORIGINAL_STACK, {})
        own = FOV.sample(random.Random(seed), {"strides": [1, 1, 1]}, shared)
        assert own["strides"] == [1] * len(shared["kernels"])
        solved = FOV.solve({**shared, **own})
        assert solved.placeholders["strides_text"] == "all layers use a stride of 1"


# ---------------------------------------------------------------- cnn.stack
def check_stack(seed: int) -> dict:
    shared = STACK.sample(random.Random(seed), ORIGINAL_STACK, {})
    assert shared == STACK.sample(random.Random(seed), ORIGINAL_STACK, {})
    assert json.loads(json.dumps(shared)) == shared
    kernels = shared["kernels"]
    assert 2 <= len(kernels) <= 4 and all(k in (1, 3, 5, 7) for k in kernels)
    assert max(kernels) >= 3 and kernels.count(1) <= 1
    assert shared["channels"] in (1, 3, 4)
    filters = shared["filters"]
    assert all(2 <= f <= 8 for f in (filters if isinstance(filters, list) else [filters]))
    assert not isinstance(filters, list) or len(filters) == len(kernels)
    ph = STACK.solve(shared).placeholders
    assert [int(k) for k in re.findall(r"(\d)x\1", ph["kernels"])] == kernels
    assert ph["layers"] == str(len(kernels))
    assert ph["channels_text"] == f"{shared['channels']} channel" + (
        "s" if shared["channels"] > 1 else "")
    return shared


# ---------------------------------------------------------------- cnn.field_of_view
FOV_BASES = [
    {"strides": [1, 1, 1]},
    {"strides": [2, 1, 1]},
    {"strides": [2, 1, 1], "strided_layer": "any"},
    {"strides": [2, 1, 1], "strided_layer": "any", "draw": ["dilations", "pools"]},
    {"strides": [2, 1, 1], "ask": "jump", "strided_layer": "any", "draw": ["pools"]},
    {"strides": [1, 1, 1], "ask": "output_size", "size": 32, "padding": 0},
    {"strides": [2, 1, 1], "ask": "output_size", "size": 32, "padding": 0, "strided_layer": "any",
     "draw": ["dilations", "pools"]},
]


def check_field_of_view(seed: int) -> None:
    rng = random.Random(seed)
    shared = check_stack(seed) if rng.random() < 0.8 else {}
    base = FOV_BASES[seed % len(FOV_BASES)]
    own = FOV.sample(random.Random(seed), base, shared)
    assert own == FOV.sample(random.Random(seed), base, shared)
    assert json.loads(json.dumps(own)) == own
    params = {**shared, **own}
    solved = FOV.solve(params)
    n = len(params["kernels"])
    strides = own["strides"]
    if all(s == 1 for s in base["strides"]):
        assert strides == [1] * n
    else:
        assert sorted(strides)[:-1] == [1] * (n - 1) and max(strides) in (2, 3)
        assert base.get("strided_layer") == "any" or strides[0] > 1
    assert read_layers_text(solved.placeholders["strides_text"], "stride", n) == strides
    layers = layers_1d(params)
    fov, jump = impulse(layers)
    ask = base.get("ask", "field_of_view")
    if ask == "field_of_view":
        assert solved.answer == str(fov) and fov > 1
        (worked,) = re.findall(r"`(.+)`", solved.solution)
        assert _eval_sum(worked) == fov
    elif ask == "jump":
        assert solved.answer == str(jump) and jump > 1
        assert solved.solution.rstrip().endswith(f"= {jump}`")
    else:
        sizes = forward_sizes(layers, params["size"])
        assert solved.answer == str(sizes[-1]) and 2 <= sizes[-1] <= 8
        assert "floor" not in solved.solution  # every division is exact
        for line, size in zip(solved.solution.strip().splitlines()[-len(layers):], sizes,
                              strict=True):
            assert line.endswith(f"= {size}")


# ---------------------------------------------------------------- cnn.params
PARAMS_BASES = [{"bias": False}, {"bias": False, "groups": "depthwise"},
                {"groups": 2, "linear": 10}, {"linear": [64, 10]}, {}]


def array_layers(params: dict) -> tuple[list[dict], tuple[int, int]]:
    """The stack as the brute-force counter's layer dicts, and an input size that fits it."""
    kernels = [k if isinstance(k, list) else [k, k] for k in params["kernels"]]
    filters = params["filters"]
    filters = filters if isinstance(filters, list) else [filters] * len(kernels)
    bias = params.get("bias", True)
    layers, cin = [], params["channels"]
    for k, f in zip(kernels, filters, strict=True):
        groups = {"depthwise": cin, None: 1}.get(params.get("groups"), params.get("groups"))
        layers.append({"type": "conv", "kernel": k, "filters": f, "bias": bias, "groups": groups})
        cin = f
    linear = params.get("linear", [])
    for units in linear if isinstance(linear, list) else [linear]:
        layers.append({"type": "linear", "units": units, "bias": bias})
    size = params.get("size", sum(k[0] - 1 for k in kernels) + 2)
    return layers, (size if isinstance(size, list) else [size, size])


def check_params(seed: int) -> None:
    rng = random.Random(seed)
    base = PARAMS_BASES[seed % len(PARAMS_BASES)]
    shared = check_stack(seed) if "groups" not in base and rng.random() < 0.6 else {}
    own = PARAMS.sample(random.Random(seed), base, shared)
    assert own == PARAMS.sample(random.Random(seed), base, shared)
    assert json.loads(json.dumps(own)) == own
    params = {**shared, **own}
    solved = PARAMS.solve(params)
    layers, size = array_layers(params)
    count = _count_by_arrays(params["channels"], tuple(size), layers, seed)
    assert solved.answer == str(count) and count > 0
    (worked,) = re.findall(r"`(.+)`", solved.solution)
    assert _eval_sum(worked) == count
    ph = solved.placeholders
    assert ph["bias_text"] == ("Including biases" if own["bias"] else "Excluding biases")
    assert ph["channels_text"].split()[0] == str(params["channels"])
    if "linear" in base:
        assert "fully connected layer" in ph["linear_text"]
    if base.get("groups") == "depthwise":
        assert "depthwise" in ph["groups_text"]


@pytest.mark.parametrize("check", [check_field_of_view, check_params])
def test_many_seeds(check):
    for seed in range(200):
        check(seed)


@pytest.mark.slow
@pytest.mark.parametrize("check", [check_field_of_view, check_params])
def test_many_more_seeds(check):
    for seed in range(200, 1200):
        check(seed)


def test_rectangular_kernels_are_drawn():
    kernels = [k for seed in range(100)
               for k in PARAMS.sample(random.Random(seed), {}, {})["kernels"]]
    assert any(isinstance(k, list) and k[0] != k[1] for k in kernels)
    assert any(isinstance(k, int) for k in kernels)


@pytest.mark.parametrize("family,params", [
    (FOV, {"kernels": [3, 5], "ask": "area"}),
    (FOV, {"kernels": [3, 5], "ask": "output_size"}),
    (FOV, {"kernels": [3, 5], "size": 32}),
    (FOV, {"kernels": [3, 5], "pools": [3]}),
    (FOV, {"kernels": [3, 5], "ask": "output_size", "size": 4}),
    (PARAMS, {"channels": 3, "kernels": [3], "filters": 2, "groups": "half"}),
    (PARAMS, {"channels": 3, "kernels": [3], "filters": 2, "groups": 2}),
    (PARAMS, {"channels": 3, "kernels": [[3, 5, 7]], "filters": 2}),
    (PARAMS, {"channels": 3, "kernels": [3], "filters": 2, "linear": 10}),
    (STACK, {"kernels": [3, 5], "strides": [1, 1]}),
    (STACK, {"kernels": [3, 5], "channels": 0}),
])
def test_bad_params(family, params):
    with pytest.raises(AuthoringError):
        family.solve(params)


@pytest.mark.parametrize("base", [{"strides": [2, 1], "strided_layer": "last"},
                                  {"strides": [1, 1], "draw": ["padding"]},
                                  {"strides": [1, 1], "dilations": [1, 2, 3]}])
def test_bad_sampler_options(base):
    with pytest.raises(AuthoringError):
        FOV.sample(random.Random(0), base, {"kernels": [3, 5]})
