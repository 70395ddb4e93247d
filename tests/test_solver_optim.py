"""Gradient checking and momentum: exact solvers vs float and mpmath oracles; their families;
the drills exam (question_bank/inf5860_drills)."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from grader import bank
from grader.answers.parse import expected_value
from grader.errors import AuthoringError
from grader.model import Family, Solved
from grader.solver.optim import THETA, Quadratic, gradient_check, momentum
from grader.variants import fill_placeholders
from question_bank.families import FAMILIES as EXTRA_FAMILIES
from question_bank.families import optim

DRILLS = Path(bank.BANK_ROOT) / "inf5860_drills" / "exam.yaml"


# ---------------------------------------------------------------- shared family checks
def check_sampler(family: Family, base: Mapping, seeds: int = 60) -> list[dict]:
    """Deterministic, JSON-safe, solvable, and every answer a plausible drill value."""
    drawn = []
    for seed in range(seeds):
        params = family.sample(random.Random(seed), base, {})
        assert params == family.sample(random.Random(seed), base, {}), seed
        assert json.loads(json.dumps(params)) == params, seed
        solved = family.solve(params)
        assert isinstance(solved, Solved)
        values = solved.answer.values() if isinstance(solved.answer, Mapping) else [solved.answer]
        for text in values:
            value = complex(sp.N(expected_value(text), 30))
            assert value.imag == 0 and math.isfinite(value.real), (seed, text)
            assert 0 < abs(value.real) < 1e4, (seed, params, text)
        assert set(family.solve(base).placeholders) == set(solved.placeholders)
        drawn.append(params)
    assert len({json.dumps(p, sort_keys=True) for p in drawn}) > seeds // 2  # really random
    return drawn


def check_fixed(family: Family, base: Mapping, key: str) -> None:
    """A parameter the exercise already drew is not drawn again (nor returned)."""
    fixed = {key: base[key]}
    for seed in range(10):
        params = family.sample(random.Random(seed), base, fixed)
        assert key not in params
        family.solve({**fixed, **params})


# ---------------------------------------------------------------- gradient checking
def test_gradient_check_seed_example():
    g = gradient_check(THETA**3 - 2 * THETA, 1, "0.1")
    assert (g.j_plus, g.j_minus) == (sp.Rational(-869, 1000), sp.Rational(-1071, 1000))
    assert (g.numeric, g.analytic, g.relative_error) == (sp.Rational(101, 100), 1,
                                                         sp.Rational(1, 101))


@pytest.mark.parametrize(("function", "theta", "eps", "message"), [
    (THETA**3, 1, 0, "positive"),
    (THETA**3, 1, "-0.1", "positive"),
    (THETA**3 + sp.Symbol("x"), 1, "0.1", "only depend"),
    (THETA**2, 0, "0.1", "both derivatives are 0"),
])
def test_gradient_check_errors(function, theta, eps, message):
    with pytest.raises(ValueError, match=message):
        gradient_check(function, theta, eps)


def _random_function(rng: random.Random) -> tuple[sp.Expr, list[int], int]:
    coefficients = [rng.randint(-3, 3) for _ in range(rng.randint(2, 5))]
    b = rng.choice([0, 0, -1, 1, 2])
    degree = len(coefficients) - 1
    expr = sum(c * THETA ** (degree - i) for i, c in enumerate(coefficients)) + b * sp.exp(THETA)
    return expr, coefficients, b


def test_gradient_check_vs_float_and_mpmath():
    mpmath.mp.dps = 40
    checked = 0
    for seed in range(200):
        rng = random.Random(seed)
        expr, coefficients, b = _random_function(rng)
        theta, eps = sp.Rational(rng.randint(-20, 20), 10), rng.choice(["0.1", "0.01", "0.001"])

        def j(t, exp=math.exp, coefficients=coefficients, b=b):
            return sum(c * t ** (len(coefficients) - 1 - i)
                       for i, c in enumerate(coefficients)) + b * exp(t)

        try:
            g = gradient_check(expr, theta, eps)
        except ValueError:
            assert expr.diff(THETA).subs(THETA, theta) == 0
            continue
        t, e = float(theta), float(eps)
        numeric = (j(t + e) - j(t - e)) / (2 * e)
        assert float(g.numeric) == pytest.approx(numeric, rel=1e-9, abs=1e-9)
        exact_derivative = mpmath.diff(lambda x: j(x, exp=mpmath.exp), mpmath.mpf(theta.p) /
                                       theta.q)
        assert float(g.analytic) == pytest.approx(float(exact_derivative), rel=1e-12, abs=1e-12)
        a, n = float(g.analytic), float(sp.N(g.numeric, 30))
        if max(abs(a), abs(n)) > 1e-6:
            assert g.relative_error_float == pytest.approx(abs(a - n) / max(abs(a), abs(n)),
                                                           rel=1e-6, abs=1e-12)
            checked += 1
        assert g.relative_error_float >= 0
    assert checked > 150


def test_gradient_check_error_is_order_eps_squared():
    """For a cubic the centred difference is off by exactly c3*eps^2."""
    for eps in ("0.1", "0.01", "0.001"):
        g = gradient_check(2 * THETA**3 + THETA, 1, eps)
        assert g.numeric - g.analytic == 2 * sp.Rational(eps) ** 2


# ---------------------------------------------------------------- momentum
def float_momentum(theta, v, mu, lr, grad, steps, nesterov=False):
    out = []
    for _ in range(steps):
        g = grad(theta + mu * v) if nesterov else grad(theta)
        v = mu * v - lr * g
        theta = theta + v
        out.append((v, theta))
    return out


def test_momentum_seed_example():
    run = momentum(1, "0.9", "0.1", [2, 1])
    assert [(s.v, s.theta) for s in run.steps] == [(sp.Rational(-1, 5), sp.Rational(4, 5)),
                                                   (sp.Rational(-7, 25), sp.Rational(13, 25))]


def test_momentum_errors():
    with pytest.raises(ValueError, match="Nesterov"):
        momentum(1, "0.9", "0.1", [1, 2], nesterov=True)
    with pytest.raises(ValueError, match="3 steps"):
        momentum(1, "0.9", "0.1", [1, 2], steps=3)
    with pytest.raises(ValueError, match="at least one"):
        momentum(1, "0.9", "0.1", Quadratic(sp.Integer(1), sp.Integer(0)))


@pytest.mark.parametrize("kind", ["list", "quadratic", "nesterov"])
def test_momentum_vs_float_loop(kind):
    for seed in range(150):
        rng = random.Random(seed)
        theta0, v0 = sp.Rational(rng.randint(-30, 30), 10), sp.Rational(rng.randint(-5, 5), 10)
        mu, lr = sp.Rational(rng.randint(0, 99), 100), sp.Rational(rng.randint(1, 50), 100)
        steps = rng.randint(1, 6)
        if kind == "list":
            grads = [sp.Rational(rng.randint(-40, 40), 10) for _ in range(steps)]
            run = momentum(theta0, mu, lr, grads, v0=v0)
            floats = iter(float(g) for g in grads)
            expected = float_momentum(float(theta0), float(v0), float(mu), float(lr),
                                      lambda _t, it=floats: next(it), steps)
        else:
            a, c = sp.Rational(rng.randint(1, 40), 10), sp.Rational(rng.randint(-20, 20), 10)
            run = momentum(theta0, mu, lr, Quadratic(a, c), steps=steps, v0=v0,
                           nesterov=kind == "nesterov")
            expected = float_momentum(float(theta0), float(v0), float(mu), float(lr),
                                      lambda t, a=float(a), c=float(c): a * (t - c), steps,
                                      nesterov=kind == "nesterov")
        assert len(run.steps) == steps
        for step, (v, theta) in zip(run.steps, expected, strict=True):
            assert float(step.v) == pytest.approx(v, rel=1e-9, abs=1e-9)
            assert float(step.theta) == pytest.approx(theta, rel=1e-9, abs=1e-9)


def test_nesterov_differs_from_classical_after_the_first_step():
    loss = Quadratic(sp.Integer(2), sp.Integer(0))
    classical = momentum(2, "0.9", "0.1", loss, steps=2)
    nesterov = momentum(2, "0.9", "0.1", loss, steps=2, nesterov=True)
    assert classical.steps[0] == nesterov.steps[0]  # v0 = 0: same look-ahead
    assert nesterov.steps[1].at == sp.Rational(8, 5) + sp.Rational(9, 10) * sp.Rational(-2, 5)
    assert classical.steps[1].theta != nesterov.steps[1].theta


# ---------------------------------------------------------------- families
GC_BASE = {"coefficients": [1, 0, -2, 0], "theta": 1, "epsilon": "0.1"}
GC_EXP = {"coefficients": [1, 0, 0], "exp": 1, "theta": 0, "epsilon": "0.1"}
MOM_LIST = {"theta0": 1, "v0": 0, "mu": "0.9", "learning_rate": "0.1", "gradients": [2, 1]}
MOM_NESTEROV = {"theta0": 2, "mu": "0.9", "learning_rate": "0.1", "loss": {"a": 2, "c": 0},
                "steps": 2, "nesterov": True}


def test_gradient_check_family_original():
    solved = EXTRA_FAMILIES["optim.gradient_check"].solve(GC_BASE)
    assert solved.answer == {"numeric": "101/100", "analytic": "1", "relative_error": "1/101"}
    assert solved.placeholders == {"function": "theta^3 - 2*theta",
                                   "function_tex": r"\theta^{3} - 2 \theta",
                                   "theta": "1", "epsilon": "0.1"}
    assert "(J(1.1) - J(0.9)) / (2*0.1) = (-0.869 - (-1.071)) / 0.2 = **1.01**" in solved.solution
    assert "J'(theta) = 3*theta^2 - 2, so J'(1) = **1**" in solved.solution


def test_momentum_family_original():
    solved = EXTRA_FAMILIES["optim.momentum"].solve(MOM_LIST)
    assert solved.answer == {"v1": "-1/5", "theta1": "4/5", "v2": "-7/25", "theta2": "13/25"}
    assert solved.placeholders["gradients"] == "2 and 1"
    assert "v2 = mu*v1 - lr*g = 0.9*(-0.2) - 0.1*1 = **-0.28**" in solved.solution
    nesterov = EXTRA_FAMILIES["optim.momentum"].solve(MOM_NESTEROV)
    assert nesterov.placeholders["method"] == "Nesterov momentum"
    assert "theta1 + mu*v1 = 1.6 + 0.9*(-0.4) = 1.24: g = 2.48" in nesterov.solution
    assert nesterov.answer["theta2"] == "124/125"


@pytest.mark.parametrize(("params", "message"), [
    ({**GC_BASE, "delta": 1}, "unknown parameter"),
    ({"theta": 1, "epsilon": "0.1"}, "missing parameter"),
    ({**GC_BASE, "epsilon": "abc"}, "not a number"),
    ({**GC_BASE, "coefficients": []}, "coefficients"),
    ({"coefficients": [1, 0, 0], "theta": 0, "epsilon": "0.1"}, "both derivatives"),
])
def test_gradient_check_family_errors(params, message):
    with pytest.raises(AuthoringError, match=message) as info:
        optim.solve_gradient_check(params)
    assert "optim.gradient_check" in info.value.file


@pytest.mark.parametrize(("params", "message"), [
    ({**MOM_LIST, "loss": {"a": 1, "c": 0}}, "either gradients"),
    ({**MOM_NESTEROV, "loss": {"a": 0, "c": 0}}, "positive"),
    ({**MOM_NESTEROV, "loss": {"a": 1}}, "loss must be"),
    ({**MOM_LIST, "nesterov": True}, "Nesterov"),
    ({**MOM_LIST, "nesterov": "yes"}, "true/false"),
])
def test_momentum_family_errors(params, message):
    with pytest.raises(AuthoringError, match=message):
        optim.solve_momentum(params)


@pytest.mark.parametrize("base", [GC_BASE, GC_EXP])
def test_gradient_check_sampler(base):
    for params in check_sampler(EXTRA_FAMILIES["optim.gradient_check"], base):
        assert ("exp" in params) == ("exp" in base)
    check_fixed(EXTRA_FAMILIES["optim.gradient_check"], base, "epsilon")


@pytest.mark.parametrize("base", [MOM_LIST, MOM_NESTEROV, {**MOM_LIST, "v0": "0.5"}])
def test_momentum_sampler(base):
    for params in check_sampler(EXTRA_FAMILIES["optim.momentum"], base):
        assert ("loss" in params) == ("loss" in base)
        assert params["nesterov"] == base.get("nesterov", False)
        assert (params["v0"] != "0") == (base.get("v0", 0) != 0)
    check_fixed(EXTRA_FAMILIES["optim.momentum"], base, "mu")


# ---------------------------------------------------------------- the drills exam
DRILL_FAMILIES = {"optim.gradient_check", "optim.momentum", "init.weight_scale", "rl.q_update"}


def _drills(monkeypatch):
    return bank.load_exam(DRILLS, EXTRA_FAMILIES)


def test_drills_exam_loads_and_fills(monkeypatch):
    exam = _drills(monkeypatch)
    assert exam.id == "inf5860-drills"
    assert {p.family for p in exam.parts} == DRILL_FAMILIES
    for part in exam.parts:
        family = EXTRA_FAMILIES[part.family]
        for seed in [None, *range(5)]:
            params = part.params if seed is None else {
                **part.params, **family.sample(random.Random(seed), part.params, {})}
            solved = family.solve(params)
            text = fill_placeholders(part.text, solved.placeholders, part.id)
            assert text.strip() and solved.solution.strip(), part.id
            assert isinstance(solved.answer, dict) == (part.kind == "values"), part.id
            for value in (solved.answer.values() if isinstance(solved.answer, dict)
                          else [solved.answer]):
                if "/" in value or "sqrt" in value:
                    assert value not in text, (part.id, value)  # papers carry no answers


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "theta**2", "1/2"])
def test_solver_helpers_never_parse_a_string(text):
    """The solver's sympify calls are strict: a string (whoever wrote it) is refused, not run."""
    from grader.solver.optim import exact_sign
    from grader.solver.report import exact_text

    with pytest.raises(sp.SympifyError):
        exact_sign(text)
    with pytest.raises(sp.SympifyError):
        gradient_check(text, 1, sp.Rational(1, 100))
    assert exact_text(text) == text  # shown as written, never converted
