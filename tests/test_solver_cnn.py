"""CNN solver vs brute force: numpy convolutions, impulse dependency sets, real weight arrays."""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction

import numpy as np
import pytest

from grader.errors import AuthoringError, InputError
from grader.solver.cnn import (
    cnn_from_mapping,
    field_of_view_sum,
    load_cnn,
    params_sum,
    solve_cnn,
)
from grader.solver.report import cnn_json, cnn_text


# ---------------------------------------------------------------- a tiny numpy convolution
def _pair(v):
    return tuple(v) if isinstance(v, list | tuple) else (v, v)


def _windows(n_padded, k, s, d):
    """Start of every window that fits in the padded input (enumerated, no size formula)."""
    return list(range(0, n_padded - (k - 1) * d, s))


def conv2d(x, w, stride, pad, dil, groups=1):
    """x (C, H, W), w (F, C/groups, kh, kw) -> (F, OH, OW): cross-correlation as in CNNs."""
    c, _, _ = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    rows = _windows(xp.shape[1], kh, stride[0], dil[0])
    cols = _windows(xp.shape[2], kw, stride[1], dil[1])
    out = np.zeros((f, len(rows), len(cols)))
    fg = f // groups
    for a in range(kh):
        for b in range(kw):
            patch = xp[:, np.array(rows, dtype=int)[:, None] + a * dil[0],
                       np.array(cols, dtype=int)[None, :] + b * dil[1]]
            for g in range(groups):
                out[g * fg:(g + 1) * fg] += np.einsum(
                    "fc,chw->fhw", w[g * fg:(g + 1) * fg, :, a, b], patch[g * cg:(g + 1) * cg])
    return out


def conv2d_transpose(gout, w, in_shape, stride, pad, dil):
    """Adjoint of conv2d (groups=1): scatter each output back onto the inputs it read."""
    c, h, wd = in_shape
    f, _, kh, kw = w.shape
    gin = np.zeros((c, h + 2 * pad[0], wd + 2 * pad[1]))
    rows = np.array(_windows(gin.shape[1], kh, stride[0], dil[0]), dtype=int)
    cols = np.array(_windows(gin.shape[2], kw, stride[1], dil[1]), dtype=int)
    for a in range(kh):
        for b in range(kw):
            contrib = np.einsum("fc,fhw->chw", w[:, :, a, b], gout)
            np.add.at(gin, (slice(None), rows[:, None] + a * dil[0],
                            cols[None, :] + b * dil[1]), contrib)
    return gin[:, pad[0]:pad[0] + h, pad[1]:pad[1] + wd]


def test_transpose_is_the_adjoint():
    rng = np.random.default_rng(0)
    for _ in range(20):
        k, s, p, d = (tuple(rng.integers(1, 4, 2)) for _ in range(4))
        p = tuple(int(v) - 1 for v in p)
        x = rng.normal(size=(2, 13, 11))
        w = rng.normal(size=(3, 2, *k))
        y = conv2d(x, w, s, p, d)
        g = rng.normal(size=y.shape)
        lhs = float((y * g).sum())
        rhs = float((x * conv2d_transpose(g, w, x.shape, s, p, d)).sum())
        assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------- random stacks
def random_stack(rng: random.Random, with_channels: bool = False) -> list[dict]:
    layers = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.25:
            k = rng.choice([2, 3, [2, 3]])
            layers.append({"type": "pool", "kernel": k})
            continue
        layer = {"type": "conv", "kernel": [rng.randint(1, 4), rng.randint(1, 4)],
                 "stride": [rng.randint(1, 2), rng.randint(1, 2)],
                 "padding": [rng.randint(0, 2), rng.randint(0, 2)],
                 "dilation": [rng.randint(1, 2), rng.randint(1, 2)]}
        if with_channels:
            layer["filters"] = rng.choice([2, 4, 6])
            layer["bias"] = rng.random() < 0.5
        layers.append(layer)
    return layers


def _geometry(layer):
    k = _pair(layer["kernel"])
    return (k, _pair(layer.get("stride", k if layer["type"] == "pool" else 1)),
            _pair(layer.get("padding", 0)), _pair(layer.get("dilation", 1)))


def _ones(k):
    return np.ones((1, 1, *k))


def _dependency(layers, size, out_pixel):
    """Input pixels that one output pixel depends on: back-propagate a one-hot."""
    shapes = [(1, *size)]
    x = np.zeros((1, *size))
    for layer in layers:
        k, s, p, d = _geometry(layer)
        x = conv2d(x, _ones(k), s, p, d)
        shapes.append(x.shape)
    g = np.zeros(shapes[-1])
    g[0, out_pixel[0], out_pixel[1]] = 1.0
    for layer, shape in zip(reversed(layers), reversed(shapes[:-1]), strict=True):
        k, s, p, d = _geometry(layer)
        g = conv2d_transpose(g, _ones(k), shape, s, p, d)
    return g[0] > 0, shapes[-1][1:]


def test_field_of_view_jump_and_start_vs_impulse():
    for seed in range(150):
        layers = random_stack(random.Random(seed))
        size = (120, 120)
        sol = solve_cnn(cnn_from_mapping({"input": {"size": list(size)}, "layers": layers}))
        _, out_shape = _dependency(layers, size, (0, 0))
        mid = (out_shape[0] // 2, out_shape[1] // 2)
        dep, _ = _dependency(layers, size, mid)
        for axis in (0, 1):
            idx = np.nonzero(dep.any(axis=1 - axis))[0]
            lo, hi = int(idx.min()), int(idx.max())
            assert 0 < lo and hi < size[axis] - 1, "field touches the border: enlarge size"
            assert sol.receptive_field[axis] == hi - lo + 1, (seed, layers)
            centre = sol.layers[-1].start[axis] + mid[axis] * sol.jump[axis]
            assert centre == Fraction(lo + hi, 2), (seed, layers)
            assert field_of_view_sum(sol.spec, axis).endswith(f"= {hi - lo + 1}")


def _eval_sum(text: str) -> int:
    """Evaluate '1 + (3-1) + 2*(5-1)' without eval: factors '(a-b)', '(a/b)' or integers."""
    left, right = text.split(" = ")
    total = 0
    for term in left.split(" + "):
        value = 1
        for a, op, b, n in re.findall(r"\((\d+)([-/])(\d+)\)|(\d+)", term):
            if n:
                value *= int(n)
            else:
                value *= int(a) - int(b) if op == "-" else Fraction(int(a), int(b))
        total += value
    assert total == int(right)
    return total


def test_output_sizes_vs_numpy_forward():
    for seed in range(150):
        rng = random.Random(seed)
        layers = random_stack(rng)
        size = (rng.randint(3, 30), rng.randint(3, 30))
        x, shapes = np.zeros((1, *size)), []
        for layer in layers:
            k, s, p, d = _geometry(layer)
            x = conv2d(x, _ones(k), s, p, d) if min(x.shape[1:]) > 0 else x[:, :0, :0]
            shapes.append(x.shape[1:])
        spec = {"input": {"size": list(size)}, "layers": layers}
        if min(min(s) for s in shapes) < 1:
            with pytest.raises(AuthoringError):
                cnn_from_mapping(spec)
            continue
        sol = solve_cnn(cnn_from_mapping(spec))
        assert [r.output_size for r in sol.layers] == [tuple(s) for s in shapes]


def _count_by_arrays(channels, size, layers, seed):
    """Build real weight arrays layer by layer and run them; count their entries."""
    rng = np.random.default_rng(seed)
    x, total = rng.normal(size=(channels, *size)), 0
    for layer in layers:
        if layer["type"] == "linear":
            w = rng.normal(size=(layer["units"], x.size))
            b = np.zeros(layer["units"] if layer.get("bias", True) else 0)
            x = (w @ x.reshape(-1) + (b if b.size else 0)).reshape(-1, 1, 1)
            total += w.size + b.size
            continue
        k, s, p, d = _geometry(layer)
        if layer["type"] == "pool":
            x = conv2d(x, np.ones((x.shape[0], 1, *k)), s, p, d, groups=x.shape[0])
            w, b = np.zeros(0), np.zeros(0)
        else:
            groups = layer.get("groups", 1)
            w = rng.normal(size=(layer["filters"], x.shape[0] // groups, *k))
            b = np.zeros(layer["filters"] if layer.get("bias", True) else 0)
            x = conv2d(x, w, s, p, d, groups) + (b.reshape(-1, 1, 1) if b.size else 0)
        total += w.size + b.size
    return total


def test_params_vs_weight_arrays():
    tested = 0
    for seed in range(80):
        rng = random.Random(seed)
        layers = random_stack(rng, with_channels=True)
        channels = rng.choice([1, 2, 3, 4])
        for layer in layers:
            if layer["type"] == "conv" and rng.random() < 0.3 and channels % 2 == 0:
                layer["groups"] = 2
        if rng.random() < 0.5:
            layers.append({"type": "linear", "units": rng.randint(1, 9)})
        spec = {"input": {"channels": channels, "size": 40}, "layers": layers}
        try:
            sol = solve_cnn(cnn_from_mapping(spec))
        except AuthoringError:  # shrinks below 1x1; test_output_sizes_vs_numpy covers it
            continue
        tested += 1
        count = _count_by_arrays(channels, (40, 40), layers, seed)
        assert sol.weights + sol.biases == count
        assert _eval_sum(params_sum(sol.spec)) == count
    assert tested >= 50


# ---------------------------------------------------------------- the 2019 exam and real networks
def _three(strides, channels=None, filters=None):
    layers = [{"type": "conv", "kernel": k, "stride": s} for k, s in zip((3, 5, 7), strides,
                                                                          strict=True)]
    data = {"layers": layers}
    if channels:
        data["input"] = {"channels": channels}
        for layer in layers:
            layer.update(filters=filters, bias=False)
    return cnn_from_mapping(data)


def test_exam_2019():
    assert field_of_view_sum(_three((1, 1, 1))) == "1 + (3-1) + (5-1) + (7-1) = 13"
    assert field_of_view_sum(_three((2, 1, 1))) == "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23"
    spec = _three((1, 1, 1), channels=3, filters=2)
    assert params_sum(spec) == "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350"
    sol = solve_cnn(spec)
    assert (sol.weights, sol.biases, sol.output_size) == (350, 0, None)
    assert solve_cnn(_three((1, 1, 1))).weights is None  # no channels: not guessed


def test_dilation_in_the_sum():
    spec = cnn_from_mapping({"layers": [{"type": "conv", "kernel": 3, "stride": 2},
                                        {"type": "conv", "kernel": 3, "dilation": 2}]})
    assert field_of_view_sum(spec) == "1 + (3-1) + 2*2*(3-1) = 11"


VGG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16():
    layers = [{"type": "pool", "kernel": 2} if c == "M" else
              {"type": "conv", "kernel": 3, "padding": 1, "filters": c} for c in VGG]
    layers += [{"type": "linear", "units": u} for u in (4096, 4096, 1000)]
    return cnn_from_mapping({"input": {"channels": 3, "size": 224}, "layers": layers})


def alexnet():  # torchvision's AlexNet (the 6x6 adaptive pool is the identity at 224)
    convs = [(11, 4, 2, 64), (5, 1, 2, 192), (3, 1, 1, 384), (3, 1, 1, 256), (3, 1, 1, 256)]
    layers = []
    for i, (k, s, p, f) in enumerate(convs):
        layers.append({"type": "conv", "kernel": k, "stride": s, "padding": p, "filters": f})
        if i in (0, 1, 4):
            layers.append({"type": "pool", "kernel": 3, "stride": 2})
    layers += [{"type": "linear", "units": u} for u in (4096, 4096, 1000)]
    return cnn_from_mapping({"input": {"channels": 3, "size": 224}, "layers": layers})


def test_published_networks():
    vgg = solve_cnn(vgg16())
    assert vgg.weights + vgg.biases == 138_357_544
    assert vgg.layers[17].receptive_field == (212, 212)  # pool5 (Araujo et al., Distill 2019)
    assert vgg.layers[17].output_size == (7, 7)
    alex = solve_cnn(alexnet())
    assert alex.weights + alex.biases == 61_100_840
    assert alex.layers[7].receptive_field == (195, 195)  # pool5
    assert alex.layers[7].output_size == (6, 6)
    assert _eval_sum(params_sum(vgg16())) == 138_357_544


def test_resnet_like_stack_is_fast_and_consistent():
    layers = [{"type": "conv", "kernel": 7, "stride": 2, "padding": 3, "filters": 64},
              {"type": "pool", "kernel": 3, "stride": 2, "padding": 1}]
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3))):
        for b in range(blocks):
            stride = 2 if stage and b == 0 else 1
            # ResNet v1 as in the paper: the stride sits on the block's first 1x1 conv
            layers += [{"type": "conv", "kernel": 1, "stride": stride, "filters": width,
                        "bias": False},
                       {"type": "conv", "kernel": 3, "padding": 1, "filters": width,
                        "bias": False},
                       {"type": "conv", "kernel": 1, "filters": 4 * width, "bias": False}]
    sol = solve_cnn(cnn_from_mapping({"input": {"channels": 3, "size": 224}, "layers": layers}))
    assert sol.output_size == (7, 7) and sol.layers[-1].output_channels == 2048
    assert sol.receptive_field == (483, 483)  # ResNet-50 main path (Distill 2019)
    assert _eval_sum(field_of_view_sum(sol.spec)) == 483


def test_linear_stack_from_features():
    spec = cnn_from_mapping({"input": {"features": 4096},
                             "layers": [{"type": "linear", "units": 10},
                                        {"type": "linear", "units": 3, "bias": False}]})
    sol = solve_cnn(spec)
    assert (sol.weights, sol.biases) == (4096 * 10 + 10 * 3, 10)
    assert params_sum(spec) == "4096*10 + 10 + 10*3 = 41000"


def test_json_and_text():
    doc = cnn_json(solve_cnn(_three((2, 1, 1), channels=3, filters=2)))
    json.dumps(doc)
    assert doc["receptive_field"] == [23, 23] and doc["jump"] == [2, 2]
    assert doc["params"] == {"weights": 350, "biases": 0, "total": 350}
    assert "output_size" not in doc and "output_size" not in doc["layers"][0]
    assert doc["layers"][0]["start"] == [1, 1]
    no_channels = cnn_json(solve_cnn(_three((1, 1, 1))))
    assert "params" not in no_channels
    text = cnn_text(solve_cnn(_three((2, 1, 1), channels=3, filters=2)))
    assert "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23" in text and "= 350" in text


def _c(**kw):
    return {"type": "conv", "kernel": 3, **kw}


CNN_ERRORS = [
    ("output < 1", {"input": {"size": 4}, "layers": [_c(), _c()]}, "layer 2"),
    ("groups vs channels", {"input": {"channels": 3}, "layers": [_c(filters=4, groups=2)]},
     "layer 1"),
    ("groups vs filters", {"input": {"channels": 4}, "layers": [_c(filters=3, groups=2)]},
     "layer 1"),
    ("unknown layer key", {"layers": [_c(colour=1)]}, "layer 1"),
    ("filters on pool", {"layers": [{"type": "pool", "kernel": 2, "filters": 3}]}, "layer 1"),
    ("unknown type", {"layers": [{"type": "dense", "units": 3}]}, "layer 1"),
    ("kernel 0", {"layers": [{"type": "conv", "kernel": 0}]}, "layer 1"),
    ("kernel triple", {"layers": [{"type": "conv", "kernel": [1, 2, 3]}]}, "layer 1"),
    ("missing kernel", {"layers": [{"type": "conv"}]}, "layer 1"),
    ("missing units", {"layers": [{"type": "linear"}]}, "layer 1"),
    ("bias text", {"layers": [_c(bias="yes")]}, "layer 1"),
    ("negative padding", {"layers": [_c(padding=-1)]}, "layer 1"),
    ("linear without size", {"input": {"channels": 3}, "layers": [_c(), {"type": "linear",
                                                                         "units": 2}]}, "layer 2"),
    ("features and size", {"input": {"features": 3, "size": 4}, "layers": [_c()]}, "input"),
    ("unknown input key", {"input": {"depth": 3}, "layers": [_c()]}, "input"),
    ("unknown top key", {"layers": [_c()], "name": "x"}, None),
    ("no layers", {"layers": []}, None),
]


@pytest.mark.parametrize("name,data,part", CNN_ERRORS, ids=[c[0] for c in CNN_ERRORS])
def test_errors(name, data, part):
    with pytest.raises(AuthoringError) as info:
        cnn_from_mapping(data, source="s.yaml")
    assert (info.value.file, info.value.part) == ("s.yaml", part)


def test_load_cnn(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("input: {channels: 3, size: [32, 16]}\nlayers:\n"
                    "  - {type: conv, kernel: 3, filters: 2, bias: false}\n"
                    "  - {type: pool, kernel: 2}\n")
    sol = solve_cnn(load_cnn(path))
    assert sol.output_size == (15, 7) and sol.weights == 54 and sol.jump == (2, 2)
    with pytest.raises(InputError):
        load_cnn(tmp_path / "missing.yaml")
