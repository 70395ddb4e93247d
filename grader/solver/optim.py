"""Exact optimisation drills: gradient checking by centred differences, momentum and Nesterov."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from grader.solver.graph import parse_exact

THETA = sp.Symbol("theta")
Number = Any  # an int, an exact string ("0.01", "1/2") or a SymPy Rational: see parse_exact


def exact_number(value: Number) -> sp.Rational:
    """:func:`parse_exact`, also accepting SymPy rationals.

    >>> exact_number(sp.Rational(1, 2)), exact_number("0.01")
    (1/2, 1/100)
    """
    return value if isinstance(value, sp.Rational) else parse_exact(value)


def exact_sign(value: sp.Expr) -> int:
    """Sign (-1, 0, 1) of a real constant, exactly for rationals, at 60 digits otherwise.

    >>> exact_sign(sp.Rational(-1, 3)), exact_sign(sp.exp(1) - 2), exact_sign(sp.Integer(0))
    (-1, 1, 0)

    Raises:
        ValueError: the value is not real, or agrees with 0 in every digit checked.
    """
    value = sp.sympify(value, strict=True)  # strict: never parses a string as code
    if value.is_Rational:
        return int(sp.sign(value))
    approx = sp.N(value, 60)
    if not approx.is_real or not approx.is_finite:
        raise ValueError(f"{value} is not a finite real number")
    if abs(approx) < sp.Float("1e-50", 60):
        raise ValueError(f"cannot decide the sign of {value}")
    return 1 if approx > 0 else -1


def exact_abs(value: sp.Expr) -> sp.Expr:
    """|value| as an exact expression without Abs (the sign decided by :func:`exact_sign`)."""
    return -value if exact_sign(value) < 0 else value


@dataclass(frozen=True)
class GradientCheck:
    """Centred-difference check of dJ/dtheta at one point, every quantity exact."""

    function: sp.Expr  # J(theta)
    theta: sp.Rational
    epsilon: sp.Rational
    j_plus: sp.Expr  # J(theta + epsilon)
    j_minus: sp.Expr  # J(theta - epsilon)
    numeric: sp.Expr  # (J(theta + eps) - J(theta - eps)) / (2 eps)
    analytic: sp.Expr  # J'(theta)
    relative_error: sp.Expr  # |analytic - numeric| / max(|analytic|, |numeric|)

    @property
    def relative_error_float(self) -> float:
        return float(sp.N(self.relative_error, 30))


def gradient_check(function: sp.Expr, theta: Number, epsilon: Number,
                   symbol: sp.Symbol = THETA) -> GradientCheck:
    """Numeric (centred difference) and analytic derivative of J at theta, and their relative error.

    >>> g = gradient_check(THETA**3 - 2*THETA, 1, "0.1")
    >>> g.numeric, g.analytic, g.relative_error
    (101/100, 1, 1/101)

    Raises:
        ValueError: epsilon is not positive, J has another free symbol, J is not finite
            around theta, or both derivatives are 0 (the relative error is undefined).
    """
    theta, epsilon = exact_number(theta), exact_number(epsilon)
    function = sp.sympify(function, strict=True)  # strict: never parses a string as code
    if epsilon <= 0:
        raise ValueError(f"epsilon must be positive, not {epsilon}")
    if function.free_symbols - {symbol}:
        raise ValueError(f"J may only depend on {symbol}, not {function.free_symbols}")
    j_plus = function.subs(symbol, theta + epsilon)
    j_minus = function.subs(symbol, theta - epsilon)
    numeric = sp.expand((j_plus - j_minus) / (2 * epsilon))
    analytic = sp.expand(sp.diff(function, symbol).subs(symbol, theta))
    for name, value in (("J(theta+eps)", j_plus), ("J(theta-eps)", j_minus),
                        ("J'(theta)", analytic)):
        if not sp.N(value, 30).is_finite:
            raise ValueError(f"{name} is not finite")
    diff = analytic - numeric
    if analytic == 0 and numeric == 0:
        raise ValueError("both derivatives are 0: the relative error is undefined")
    if diff.is_Rational and diff == 0:
        error = sp.Integer(0)
    else:
        larger = max(exact_abs(analytic), exact_abs(numeric), key=lambda v: sp.N(v, 60))
        error = exact_abs(diff) / larger
        error = error if error.is_Rational else sp.together(error)
    return GradientCheck(function, theta, epsilon, j_plus, j_minus, numeric, analytic, error)


@dataclass(frozen=True)
class Quadratic:
    """The loss f(theta) = a/2 * (theta - c)^2, whose gradient a*(theta - c) depends on theta."""

    a: sp.Rational
    c: sp.Rational

    def __call__(self, theta: sp.Rational) -> sp.Rational:
        return self.a * (theta - self.c)

    def loss(self, theta: sp.Rational) -> sp.Rational:
        return self.a / 2 * (theta - self.c) ** 2


@dataclass(frozen=True)
class MomentumStep:
    """One update: v = mu*v - lr*g(at); theta = theta + v."""

    index: int  # 1-based
    theta_before: sp.Rational
    v_before: sp.Rational
    at: sp.Rational  # where the gradient is taken: theta, or theta + mu*v (Nesterov)
    gradient: sp.Rational
    v: sp.Rational
    theta: sp.Rational


@dataclass(frozen=True)
class MomentumRun:
    theta0: sp.Rational
    v0: sp.Rational
    mu: sp.Rational
    learning_rate: sp.Rational
    nesterov: bool
    steps: tuple[MomentumStep, ...]


def momentum(theta0: Number, mu: Number, learning_rate: Number,
             gradient: Sequence[Number] | Callable[[sp.Rational], sp.Rational],
             steps: int | None = None, v0: Number = 0, nesterov: bool = False) -> MomentumRun:
    """Gradient descent with (optionally Nesterov) momentum, exactly, step by step.

    Classical: ``v = mu*v - lr*g(theta); theta += v``. Nesterov (Sutskever et al. 2013):
    the gradient is taken at the look-ahead point ``theta + mu*v`` instead.

    Args:
        theta0: the start; mu: the momentum coefficient; learning_rate: the step size.
        gradient: the gradients of the steps (a list), or a function of theta (e.g. a
            :class:`Quadratic`); Nesterov needs a function.
        steps: how many steps (a list gives its length).
        v0: the start velocity.

    >>> [(s.v, s.theta) for s in momentum(1, "0.9", "0.1", [2, 1]).steps]
    [(-1/5, 4/5), (-7/25, 13/25)]

    Raises:
        ValueError: bad numbers, a step count that does not match, or Nesterov with a list.
    """
    theta, v = exact_number(theta0), exact_number(v0)
    mu, lr = exact_number(mu), exact_number(learning_rate)
    if not callable(gradient):
        grads = [exact_number(g) for g in gradient]
        if nesterov:
            raise ValueError("Nesterov momentum needs the gradient as a function of theta")
        if steps is not None and steps != len(grads):
            raise ValueError(f"{steps} steps but {len(grads)} gradients")
        steps = len(grads)
    if steps is None or steps < 1:
        raise ValueError("at least one step is needed")
    done = []
    for i in range(steps):
        at = theta + mu * v if nesterov else theta
        g = sp.Rational(gradient(at)) if callable(gradient) else grads[i]
        new_v = mu * v - lr * g
        done.append(MomentumStep(i + 1, theta, v, at, g, new_v, theta + new_v))
        theta, v = theta + new_v, new_v
    return MomentumRun(exact_number(theta0), exact_number(v0), mu, lr, nesterov, tuple(done))
