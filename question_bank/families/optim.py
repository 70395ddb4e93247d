"""Families optim.gradient_check and optim.momentum (2019 ex2d and ex2e, as computations).

Also the small helpers the drill families share (init, qlearning): exact parameters, number
texts for papers, and the resampling loop that keeps answers away from degenerate values.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp

from grader.answers.parse import expected_value
from grader.errors import AuthoringError
from grader.model import Solved
from grader.solver.graph import parse_exact
from grader.solver.optim import THETA, MomentumRun, Quadratic, gradient_check, momentum
from grader.solver.report import exact_text

GRADIENT_CHECK = "optim.gradient_check"
MOMENTUM = "optim.momentum"
MAX_ANSWER = 10**4  # larger answers are not calculator drills
MAX_DENOMINATOR = 10**6  # a rational answer needs at most ~6 decimals


# ---------------------------------------------------------------- shared helpers
def number_text(value: Any) -> str:
    """A number as a paper shows it: a decimal when it has at most 8 places, else p/q.

    >>> number_text(sp.Rational(-7, 2)), number_text(sp.Rational(1, 3)), number_text("0.10")
    ('-3.5', '1/3', '0.1')
    """
    value = parse_exact(value) if not isinstance(value, sp.Basic) else value
    if not value.is_Rational:
        return f"{exact_text(value)} ≈ {float(sp.N(value, 30)):.6g}"
    p, q = int(value.p), int(value.q)
    for places in range(9):
        if (10**places) % q == 0:
            scaled = abs(p) * (10**places // q)
            digits = str(scaled).rjust(places + 1, "0")
            text = digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"
            return ("-" if p < 0 else "") + text
    return f"{p}/{q}"


def list_text(values: Sequence[Any]) -> str:
    """``[2, -1, 0.5]`` -> ``"2, -1 and 0.5"``."""
    texts = [number_text(v) for v in values]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def check_keys(params: Mapping[str, Any], allowed: set[str], required: set[str],
               family: str) -> None:
    """Reject unknown and missing parameters, naming the family and the key."""
    where = f"family {family}"
    unknown = sorted(str(k) for k in params if k not in allowed)
    if unknown:
        raise AuthoringError(f"unknown parameter(s): {', '.join(unknown)} "
                             f"(allowed: {', '.join(sorted(allowed))})", file=where)
    missing = sorted(required - set(params))
    if missing:
        raise AuthoringError(f"missing parameter(s): {', '.join(missing)}", file=where)


def exact_param(params: Mapping[str, Any], key: str, family: str, default: Any = None
                ) -> sp.Rational:
    """``params[key]`` (or the default) as an exact rational."""
    try:
        return parse_exact(params.get(key, default))
    except ValueError as err:
        raise AuthoringError(str(err), file=f"family {family}", part=key) from None


def plausible(value: sp.Expr) -> bool:
    """A drill answer: finite, non-zero, below MAX_ANSWER, and at most ~6 decimals if rational."""
    approx = sp.N(value, 30)
    if not approx.is_finite or not approx.is_real or value == 0:
        return False
    if value.is_Rational and value.q > MAX_DENOMINATOR:
        return False
    return abs(approx) < MAX_ANSWER


def draw_until(rng: random.Random, draw: Callable[[random.Random], dict[str, Any]],
               solve: Callable[[Mapping[str, Any]], Any], ok: Callable[[Any], bool],
               fixed: Mapping[str, Any], family: str, tries: int = 500) -> dict[str, Any]:
    """Draw parameters until the solved result is ``ok``; return those not fixed by the exercise.

    The part is solved on ``{**fixed, **returned}``, so the check is made on that merge.

    Raises:
        AuthoringError: no acceptable parameters in ``tries`` draws (the base is too narrow).
    """
    for _ in range(tries):
        drawn = draw(rng)
        merged = {**drawn, **fixed}
        try:
            result = solve(merged)
        except (AuthoringError, ValueError, ArithmeticError):
            continue
        if ok(result):
            return {k: v for k, v in drawn.items() if k not in fixed}
    raise AuthoringError(f"no acceptable parameters in {tries} draws", file=f"family {family}")


def _where(err: ValueError, family: str) -> AuthoringError:
    return AuthoringError(str(err), file=f"family {family}")


# ---------------------------------------------------------------- gradient checking
def _polynomial(params: Mapping[str, Any]) -> sp.Expr:
    """J(theta) = sum c_k theta^k (coefficients highest degree first) + b*exp(theta)."""
    family = GRADIENT_CHECK
    coefficients = params.get("coefficients")
    if not isinstance(coefficients, list | tuple) or not 1 <= len(coefficients) <= 5:
        raise AuthoringError("coefficients must be a list of 1 to 5 numbers (highest degree "
                             "first)", file=f"family {family}", part="coefficients")
    degree = len(coefficients) - 1
    terms = [exact_param({"c": c}, "c", family) * THETA ** (degree - i)
             for i, c in enumerate(coefficients)]
    return sp.Add(*terms) + exact_param(params, "exp", family, 0) * sp.exp(THETA)


def function_text(function: sp.Expr) -> str:
    """``theta**3 - 2*theta`` as ``theta^3 - 2*theta``."""
    return sp.sstr(function, order="lex").replace("**", "^")


def short(value: sp.Expr, paren: bool = True) -> str:
    """A number inside a worked formula: exact decimal or fraction, else 6 digits; negatives
    in parentheses (unless ``paren`` is false: the first term of a sum)."""
    text = number_text(value) if value.is_Rational else f"{float(sp.N(value, 30)):.6g}"
    return f"({text})" if paren and text.startswith("-") else text


def _gc_solution(g: Any) -> str:
    t, e = number_text(g.theta), number_text(g.epsilon)
    plus, minus = number_text(g.theta + g.epsilon), number_text(g.theta - g.epsilon)
    derivative = function_text(sp.diff(g.function, THETA))
    n = short(g.numeric)
    a_abs, n_abs = (short(v, False) for v in (g.analytic, g.numeric))
    approx = f" (≈ {g.relative_error_float:.3g})" if g.relative_error.is_Rational else ""
    return "\n".join([
        f"J(theta) = {function_text(g.function)}, theta = {t}, epsilon = {e}.", "",
        f"- J(theta + epsilon) = J({plus}) = {number_text(g.j_plus)}",
        f"- J(theta - epsilon) = J({minus}) = {number_text(g.j_minus)}",
        f"- numeric: (J({plus}) - J({minus})) / (2*{e}) = "
        f"({short(g.j_plus, False)} - {short(g.j_minus)}) / {number_text(2 * g.epsilon)}"
        f" = **{number_text(g.numeric)}**",
        f"- analytic: J'(theta) = {derivative}, so J'({t}) = **{number_text(g.analytic)}**",
        f"- relative error: |{a_abs} - {n}| / max(|{a_abs}|, |{n_abs}|) = "
        f"**{number_text(g.relative_error)}**" + approx, "",
        "A small relative error (here of order epsilon^2) means the analytic gradient is right.",
    ]) + "\n"


def solve_gradient_check(params: Mapping[str, Any]) -> Solved:
    """Centred-difference gradient check: params {coefficients, exp?, theta, epsilon}.

    Raises:
        AuthoringError: unknown or invalid parameters, or an undefined relative error.
    """
    family = GRADIENT_CHECK
    check_keys(params, {"coefficients", "exp", "theta", "epsilon"},
               {"coefficients", "theta", "epsilon"}, family)
    function = _polynomial(params)
    theta, eps = exact_param(params, "theta", family), exact_param(params, "epsilon", family)
    try:
        g = gradient_check(function, theta, eps)
    except ValueError as err:
        raise _where(err, family) from None
    placeholders = {"function": function_text(function),
                    "function_tex": sp.latex(function, order="lex"),
                    "theta": number_text(theta), "epsilon": number_text(eps)}
    answer = {"numeric": exact_text(g.numeric), "analytic": exact_text(g.analytic),
              "relative_error": exact_text(g.relative_error)}
    return Solved(placeholders=placeholders, answer=answer, solution=_gc_solution(g))


def _draw_gradient_check(base: Mapping[str, Any]) -> Callable[[random.Random], dict]:
    with_exp = parse_exact(base.get("exp", 0)) != 0

    def draw(rng: random.Random) -> dict[str, Any]:
        drawn: dict[str, Any] = {
            "coefficients": [rng.choice([-2, -1, 1, 2]), rng.randint(-3, 3),
                             rng.randint(-4, 4), rng.randint(-5, 5)],
            "theta": rng.choice(["-2", "-1.5", "-1", "-0.5", "0.5", "1", "1.5", "2", "3"]),
            "epsilon": rng.choice(["0.1", "0.05", "0.01"]),
        }
        if with_exp:
            drawn["coefficients"][0] = rng.choice([-1, 0, 1])
            drawn["exp"] = rng.choice([-2, -1, 1, 2])
            drawn["theta"] = rng.choice(["-1", "0", "0.5", "1", "2"])
        return drawn

    return draw


def answers_ok(solved: Solved) -> bool:
    """Every value of a "values" answer (our own exact strings) is :func:`plausible`."""
    return all(plausible(expected_value(v)) for v in solved.answer.values())


def sample_gradient_check(rng: random.Random, params: Mapping[str, Any],
                          fixed: Mapping[str, Any]) -> dict[str, Any]:
    """New J, theta and epsilon (an exp term iff the base has one); all answers non-zero."""
    return draw_until(rng, _draw_gradient_check(params), solve_gradient_check, answers_ok,
                      fixed, GRADIENT_CHECK)


# ---------------------------------------------------------------- momentum
def _gradient_source(params: Mapping[str, Any], family: str) -> list | Quadratic:
    if ("gradients" in params) == ("loss" in params):
        raise AuthoringError("give either gradients (a list) or loss {a, c}",
                             file=f"family {family}")
    if "gradients" in params:
        grads = params["gradients"]
        if not isinstance(grads, list | tuple) or not grads:
            raise AuthoringError("gradients must be a non-empty list", file=f"family {family}",
                                 part="gradients")
        return [exact_param({"g": g}, "g", family) for g in grads]
    loss = params["loss"]
    if not isinstance(loss, Mapping) or set(loss) != {"a", "c"}:
        raise AuthoringError("loss must be {a, c}: f(theta) = a/2*(theta - c)^2",
                             file=f"family {family}", part="loss")
    a = exact_param(loss, "a", family)
    if a <= 0:
        raise AuthoringError("loss: a must be positive", file=f"family {family}", part="loss")
    return Quadratic(a, exact_param(loss, "c", family))


def _loss_texts(source: list | Quadratic) -> dict[str, str]:
    if not isinstance(source, Quadratic):
        return {"gradients": list_text(source), "loss": "", "loss_tex": "", "gradient_rule": ""}
    loss = source.a / 2 * (THETA - source.c) ** 2
    grad = source.a * (THETA - source.c)
    return {"gradients": "", "loss": f"f(theta) = {function_text(loss)}",
            "loss_tex": f"f(\\theta) = {sp.latex(loss)}",
            "gradient_rule": f"f'(theta) = {function_text(grad)}"}


def _step_lines(run: MomentumRun) -> list[str]:
    mu, lr = number_text(run.mu), number_text(run.learning_rate)
    lines = []
    for s in run.steps:
        k, v_before, g = s.index, short(s.v_before), short(s.gradient)
        g_text = number_text(s.gradient)
        where = f"theta{k - 1} = {number_text(s.at)}"
        if run.nesterov:
            where = (f"the look-ahead theta{k - 1} + mu*v{k - 1} = {number_text(s.theta_before)}"
                     f" + {mu}*{v_before} = {number_text(s.at)}")
        lines += [f"- step {k}: gradient at {where}: g = {g_text}",
                  f"  - v{k} = mu*v{k - 1} - lr*g = {mu}*{v_before} - {lr}*{g}"
                  f" = **{number_text(s.v)}**",
                  f"  - theta{k} = theta{k - 1} + v{k} = {number_text(s.theta_before)} + "
                  f"{short(s.v)} = **{number_text(s.theta)}**"]
    return lines


def solve_momentum(params: Mapping[str, Any]) -> Solved:
    """Momentum steps: params {theta0, v0?, mu, learning_rate, steps?, gradients | loss, nesterov?}.

    Raises:
        AuthoringError: unknown, missing or inconsistent parameters.
    """
    family = MOMENTUM
    check_keys(params, {"theta0", "v0", "mu", "learning_rate", "steps", "gradients", "loss",
                        "nesterov"}, {"theta0", "mu", "learning_rate"}, family)
    source = _gradient_source(params, family)
    nesterov = params.get("nesterov", False)
    steps = params.get("steps")
    if not isinstance(nesterov, bool) or not (steps is None or isinstance(steps, int)):
        raise AuthoringError("nesterov must be true/false and steps an integer",
                             file=f"family {family}")
    theta0, v0 = exact_param(params, "theta0", family), exact_param(params, "v0", family, 0)
    mu, lr = exact_param(params, "mu", family), exact_param(params, "learning_rate", family)
    try:
        run = momentum(theta0, mu, lr, source, steps=steps, v0=v0, nesterov=nesterov)
    except ValueError as err:
        raise _where(err, family) from None
    keys = [f"{name}{s.index}" for s in run.steps for name in ("v", "theta")]
    placeholders = {
        "theta0": number_text(theta0), "v0": number_text(v0), "mu": number_text(mu),
        "learning_rate": number_text(lr), "steps": str(len(run.steps)),
        "method": "Nesterov momentum" if nesterov else "momentum",
        "keys": ", ".join(keys[:-1]) + f" and {keys[-1]}",
        **_loss_texts(source),
    }
    answer = {}
    for s in run.steps:
        answer[f"v{s.index}"] = exact_text(s.v)
        answer[f"theta{s.index}"] = exact_text(s.theta)
    rule = "g(theta + mu*v)" if nesterov else "g(theta)"
    head = [f"Update: v = mu*v - lr*{rule}, then theta = theta + v; mu = {number_text(mu)}, "
            f"lr = {number_text(lr)}, theta0 = {number_text(theta0)}, v0 = {number_text(v0)}."]
    if isinstance(source, Quadratic):
        head.append(f"The gradient of {placeholders['loss']} is {placeholders['gradient_rule']}.")
    return Solved(placeholders=placeholders, answer=answer,
                  solution="\n".join([*head, "", *_step_lines(run)]) + "\n")


def _draw_momentum(base: Mapping[str, Any]) -> Callable[[random.Random], dict]:
    with_loss, nesterov = "loss" in base, bool(base.get("nesterov", False))
    steps = base.get("steps") or len(base.get("gradients") or [0, 0])
    moving = parse_exact(base.get("v0", 0)) != 0

    def draw(rng: random.Random) -> dict[str, Any]:
        drawn: dict[str, Any] = {
            "theta0": rng.choice(["-2", "-1.5", "-1", "-0.5", "0.5", "1", "1.5", "2", "3"]),
            "v0": rng.choice(["-0.5", "0.2", "0.5", "1"]) if moving else "0",
            "mu": rng.choice(["0.5", "0.8", "0.9"]),
            "learning_rate": rng.choice(["0.1", "0.2", "0.5"]),
            "nesterov": nesterov,
        }
        if with_loss:
            drawn["loss"] = {"a": rng.choice([1, 2, 4]), "c": rng.randint(-2, 2)}
            drawn["steps"] = steps
        else:
            drawn["gradients"] = [rng.choice(["-3", "-2", "-1.5", "-1", "-0.5", "0.5", "1",
                                              "2", "2.5", "4"]) for _ in range(steps)]
        return drawn

    return draw


def sample_momentum(rng: random.Random, params: Mapping[str, Any],
                    fixed: Mapping[str, Any]) -> dict[str, Any]:
    """New numbers with the base's shape (gradients or loss, step count, Nesterov or not)."""
    return draw_until(rng, _draw_momentum(params), solve_momentum, answers_ok, fixed, MOMENTUM)
