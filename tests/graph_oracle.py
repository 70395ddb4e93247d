"""Independent oracle for graph tests: every op's forward value and per-slot derivative, written
over a math module (math for floats, mpmath for high precision), not taken from the solver."""

from __future__ import annotations

import math


def _sig(x, m):
    return 1 / (1 + m.exp(-x))


TEST_OPS = {
    "add": (lambda xs, p, m: sum(xs), lambda xs, p, m, i: 1),
    "mul": (lambda xs, p, m: math.prod(xs), lambda xs, p, m, i: math.prod(xs[:i] + xs[i + 1:])),
    "max": (lambda xs, p, m: max(xs), lambda xs, p, m, i: float(xs[i] == max(xs))),
    "min": (lambda xs, p, m: min(xs), lambda xs, p, m, i: float(xs[i] == min(xs))),
    "sub": (lambda xs, p, m: xs[0] - xs[1], lambda xs, p, m, i: (1, -1)[i]),
    "div": (lambda xs, p, m: xs[0] / xs[1],
            lambda xs, p, m, i: (1 / xs[1], -xs[0] / xs[1] ** 2)[i]),
    "neg": (lambda xs, p, m: -xs[0], lambda xs, p, m, i: -1),
    "inv": (lambda xs, p, m: 1 / xs[0], lambda xs, p, m, i: -1 / xs[0] ** 2),
    "square": (lambda xs, p, m: xs[0] * xs[0], lambda xs, p, m, i: 2 * xs[0]),
    "exp": (lambda xs, p, m: m.exp(xs[0]), lambda xs, p, m, i: m.exp(xs[0])),
    "log": (lambda xs, p, m: m.log(xs[0]), lambda xs, p, m, i: 1 / xs[0]),
    "sigmoid": (lambda xs, p, m: _sig(xs[0], m),
                lambda xs, p, m, i: _sig(xs[0], m) * (1 - _sig(xs[0], m))),
    "tanh": (lambda xs, p, m: m.tanh(xs[0]), lambda xs, p, m, i: 1 - m.tanh(xs[0]) ** 2),
    "relu": (lambda xs, p, m: max(xs[0], 0), lambda xs, p, m, i: float(xs[0] > 0)),
    "abs": (lambda xs, p, m: abs(xs[0]), lambda xs, p, m, i: 1.0 if xs[0] > 0 else -1.0),
    "scale": (lambda xs, p, m: p * xs[0], lambda xs, p, m, i: p),
    "addconst": (lambda xs, p, m: xs[0] + p, lambda xs, p, m, i: 1),
    "pow": (lambda xs, p, m: xs[0] ** p, lambda xs, p, m, i: p * xs[0] ** (p - 1)),
}
