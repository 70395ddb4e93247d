"""Weight-initialization scales: published definitions, numpy sampling oracle, the family."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import sympy as sp

from grader.errors import AuthoringError
from grader.solver.init import SCHEMES, conv_fans, weight_scale
from question_bank.families import FAMILIES as EXTRA_FAMILIES
from question_bank.families import init
from tests.test_solver_optim import check_fixed, check_sampler

FAMILY = EXTRA_FAMILIES["init.weight_scale"]


# Fixed cases written straight from the papers, not from our table of schemes.
# Glorot & Bengio (2010), eq. 16: W ~ U[-sqrt(6)/sqrt(n_j + n_j+1), +sqrt(6)/sqrt(n_j + n_j+1)].
# He et al. (2015), eq. 10 / sec. 2.2: zero-mean Gaussian with std sqrt(2/n_l), n_l = k^2 c.
# LeCun et al. (1998), "Efficient BackProp" 4.6: std = fan_in^(-1/2).
@pytest.mark.parametrize(("scheme", "fan_in", "fan_out", "expected"), [
    ("glorot_uniform", 300, 100, sp.sqrt(6) / sp.sqrt(300 + 100)),
    ("glorot_uniform", 784, 256, sp.sqrt(6) / sp.sqrt(784 + 256)),
    ("glorot_normal", 300, 100, sp.sqrt(sp.Rational(2, 400))),
    ("he_normal", 3 * 3 * 64, None, sp.sqrt(sp.Rational(2, 576))),
    ("he_normal", 7 * 7 * 3, 64, sp.sqrt(sp.Rational(2, 147))),
    ("he_uniform", 50, None, sp.sqrt(sp.Rational(6, 50))),
    ("lecun_normal", 100, None, sp.Rational(1, 10)),
    ("lecun_uniform", 300, None, sp.Rational(1, 10)),
])
def test_published_definitions(scheme, fan_in, fan_out, expected):
    ws = weight_scale(scheme, fan_in, fan_out)
    assert sp.simplify(ws.value - expected) == 0
    assert ws.value.is_algebraic and ws.value > 0


def test_doc_values_are_exact():
    assert str(weight_scale("glorot_uniform", 300, 100).value) == "sqrt(6)/20"
    assert str(weight_scale("he_normal", 576).value) == "sqrt(2)/24"


def test_uniform_and_normal_have_the_same_variance():
    """The point of the sqrt(6) and sqrt(3): U(-a, a) has variance a^2/3."""
    for fan_in, fan_out in [(300, 100), (576, 1152), (10, 1)]:
        for base in ("glorot", "he", "lecun"):
            normal = weight_scale(f"{base}_normal", fan_in, fan_out)
            uniform = weight_scale(f"{base}_uniform", fan_in, fan_out)
            assert normal.variance == uniform.variance
            assert sp.simplify(uniform.value - sp.sqrt(3) * normal.value) == 0


def test_conv_fans():
    assert conv_fans(3, 64, 128) == (576, 1152)
    assert conv_fans((1, 5), 3) == (15, None)


@pytest.mark.parametrize(("args", "message"), [
    (("xavier", 10, 10), "unknown scheme"),
    (("glorot_normal", 10, None), "needs fan_out"),
    (("he_normal", 0, None), "positive integer"),
    (("he_normal", 2.5, None), "positive integer"),
    (("he_normal", True, None), "positive integer"),
    (("glorot_uniform", 10, -1), "positive integer"),
])
def test_errors(args, message):
    with pytest.raises(ValueError, match=message):
        weight_scale(*args)


def test_empirical_std_matches_numpy_samples():
    """200k weights drawn with numpy from the computed scale have the computed std."""
    rng = np.random.default_rng(2019)
    py = random.Random(5860)
    for _ in range(12):
        scheme = py.choice(sorted(SCHEMES))
        fan_in, fan_out = py.randint(1, 4096), py.randint(1, 4096)
        ws = weight_scale(scheme, fan_in, fan_out)
        value, std = float(ws.value), float(ws.std)
        if ws.scheme.distribution == "normal":
            w = rng.normal(0.0, value, size=200_000)
        else:
            w = rng.uniform(-value, value, size=200_000)
            assert np.abs(w).max() <= value
            assert np.abs(w).max() > 0.999 * value
        assert w.std() == pytest.approx(std, rel=0.01), scheme
        fan = fan_in + fan_out if ws.scheme.uses_fan_out else fan_in
        published = {"glorot": 2 / fan, "he": 2 / fan, "lecun": 1 / fan}[scheme.split("_")[0]]
        assert w.var() == pytest.approx(published, rel=0.02), scheme


def test_variance_keeps_the_scale_through_a_layer():
    """LeCun: with Var(w) = 1/fan_in, a linear layer keeps unit-variance inputs at unit variance."""
    rng = np.random.default_rng(0)
    for fan_in in (16, 256, 1024):
        ws = weight_scale("lecun_normal", fan_in)
        w = rng.normal(0.0, float(ws.value), size=(fan_in, 512))
        x = rng.normal(size=(400, fan_in))
        assert (x @ w).std() == pytest.approx(1.0, rel=0.05)


# ---------------------------------------------------------------- family
DENSE = {"scheme": "glorot_uniform", "fan_in": 300, "fan_out": 100}
CONV = {"scheme": "he_normal", "kernel": 3, "in_channels": 64, "out_channels": 128}


def test_family_original():
    dense = FAMILY.solve(DENSE)
    assert dense.answer == "sqrt(6)/20"
    assert dense.placeholders["layer"] == "a fully connected layer with 300 inputs and 100 outputs"
    assert dense.placeholders["quantity"].startswith("limit $a$")
    assert "sqrt(6/(300 + 100)) = sqrt(3/200) = **sqrt(6)/20**" in dense.solution
    conv = FAMILY.solve(CONV)
    assert conv.answer == "sqrt(2)/24"
    assert conv.placeholders["scheme"] == "He (Kaiming) normal"
    assert "fan_in = k*k*C_in = 3*3*64 = 576" in conv.solution
    assert math.isclose(float(sp.sqrt(2) / 24), 0.0589, rel_tol=1e-3)


@pytest.mark.parametrize(("params", "message"), [
    ({**DENSE, "bias": True}, "unknown parameter"),
    ({"fan_in": 10}, "missing parameter"),
    ({**DENSE, "scheme": "xavier"}, "unknown scheme"),
    ({**DENSE, "kernel": 3}, "not both"),
    ({"scheme": "glorot_normal", "fan_in": 10}, "needs fan_out"),
    ({"scheme": "he_normal", "kernel": 3}, "kernel and in_channels"),
    ({"scheme": "he_normal", "fan_in": "10"}, "positive integer"),
])
def test_family_errors(params, message):
    with pytest.raises(AuthoringError, match=message):
        init.solve(params)


@pytest.mark.parametrize("base", [DENSE, CONV, {"scheme": "lecun_normal", "fan_in": 100}])
def test_sampler(base):
    for params in check_sampler(FAMILY, base):
        assert params["scheme"] == base["scheme"]
        assert ("kernel" in params) == ("kernel" in base)
        assert 1e-3 < float(weight_scale(params["scheme"], *init._fans(params)[:2]).value) < 2
    check_fixed(FAMILY, base, "scheme")
