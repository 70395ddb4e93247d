"""Family init.weight_scale: the std or uniform limit of Glorot, He or LeCun initialization (2f)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import sympy as sp

from grader.answers.parse import expected_value
from grader.errors import AuthoringError
from grader.model import Solved
from grader.solver.init import SCHEMES, WeightScale, conv_fans, weight_scale
from grader.solver.report import exact_text
from question_bank.families.optim import check_keys, draw_until

NAME = "init.weight_scale"
_DENSE_KEYS = {"fan_in", "fan_out"}
_CONV_KEYS = {"kernel", "in_channels", "out_channels"}


def _int(params: Mapping[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise AuthoringError(f"{key} must be a positive integer, not {value!r}",
                             file=f"family {NAME}", part=key)
    return value


def _fans(params: Mapping[str, Any]) -> tuple[int, int | None, str]:
    """fan_in, fan_out and how the layer is described on the paper."""
    conv = bool(_CONV_KEYS & set(params))
    if conv and _DENSE_KEYS & set(params):
        raise AuthoringError("give fan_in/fan_out (a dense layer) or kernel/in_channels/"
                             "out_channels (a conv layer), not both", file=f"family {NAME}")
    if not conv:
        if "fan_in" not in params:
            raise AuthoringError("missing parameter: fan_in", file=f"family {NAME}")
        fan_in, fan_out = _int(params, "fan_in"), _int(params, "fan_out")
        outputs = "" if fan_out is None else f" and {fan_out} outputs"
        return fan_in, fan_out, f"a fully connected layer with {fan_in} inputs{outputs}"
    kernel, c_in, c_out = (_int(params, k) for k in ("kernel", "in_channels", "out_channels"))
    if kernel is None or c_in is None:
        raise AuthoringError("a conv layer needs kernel and in_channels", file=f"family {NAME}")
    fan_in, fan_out = conv_fans(kernel, c_in, c_out)
    filters = "" if c_out is None else f" and {c_out} filters"
    return fan_in, fan_out, (f"a {kernel}x{kernel} convolution layer with {c_in} input "
                             f"channels{filters}")


def _quantity(ws: WeightScale) -> str:
    if ws.scheme.distribution == "normal":
        return "standard deviation"
    return "limit $a$ of the uniform distribution $U(-a, a)$"


_WHY = {
    "glorot": "Glorot uses Var(w) = 2/(fan_in + fan_out), a compromise between keeping the "
              "forward signal (fan_in) and the backward gradient (fan_out) at the same scale",
    "he": "He uses Var(w) = 2/fan_in: the 2 makes up for ReLU zeroing half of its inputs",
    "lecun": "LeCun uses Var(w) = 1/fan_in, for activations such as tanh that are linear near 0",
}


def _solution(ws: WeightScale, params: Mapping[str, Any]) -> str:
    rule = ws.scheme
    lines = []
    if "kernel" in params:
        k, c_in = params["kernel"], params["in_channels"]
        lines.append(f"- fan_in = k*k*C_in = {k}*{k}*{c_in} = {ws.fan_in}")
        if ws.fan_out is not None:
            lines.append(f"- fan_out = k*k*C_out = {k}*{k}*{params['out_channels']} = "
                         f"{ws.fan_out}")
    else:
        lines.append(f"- fan_in = {ws.fan_in}" + ("" if ws.fan_out is None
                                                    else f", fan_out = {ws.fan_out}"))
    fan = "(fan_in + fan_out)" if rule.uses_fan_out else "fan_in"
    numbers = f"({ws.fan_in} + {ws.fan_out})" if rule.uses_fan_out else str(ws.fan_in)
    name = "std" if rule.distribution == "normal" else "a"
    value = exact_text(ws.value)
    lines.append(f"- {name} = sqrt({rule.numerator}/{fan}) = sqrt({rule.numerator}/{numbers}) = "
                 f"sqrt({exact_text(sp.Rational(rule.numerator, ws.fan))}) = **{value}** "
                 f"≈ {float(sp.N(ws.value, 30)):.4g}")
    if rule.distribution == "uniform":
        normal = rule.label.rsplit(" ", 1)[0] + " normal"
        lines.append(f"- U(-a, a) has variance a^2/3 = {exact_text(ws.variance)}, so its std is "
                     f"{exact_text(ws.std)}, as for {normal}")
    why = ("Each output sums fan_in weighted inputs, so Var(output) = fan_in * Var(w) * "
           f"Var(input) grows or vanishes with the layer size unless Var(w) ~ 1/fan. "
           f"{_WHY[rule.name.split('_')[0]]} ({rule.reference}).")
    return f"{rule.label} initialization:\n\n" + "\n".join(lines) + f"\n\n{why}\n"


def solve(params: Mapping[str, Any]) -> Solved:
    """Weight scale: params {scheme, fan_in, fan_out?} or {scheme, kernel, in_channels,
    out_channels?}; Glorot schemes need the fan-out.

    Raises:
        AuthoringError: unknown, missing or inconsistent parameters.
    """
    check_keys(params, {"scheme", *_DENSE_KEYS, *_CONV_KEYS}, {"scheme"}, NAME)
    scheme = params["scheme"]
    if scheme not in SCHEMES:
        raise AuthoringError(f"unknown scheme {scheme!r} (known: {', '.join(SCHEMES)})",
                             file=f"family {NAME}", part="scheme")
    fan_in, fan_out, layer = _fans(params)
    try:
        ws = weight_scale(scheme, fan_in, fan_out)
    except ValueError as err:
        raise AuthoringError(str(err), file=f"family {NAME}") from None
    placeholders = {
        "scheme": SCHEMES[scheme].label,
        "distribution": SCHEMES[scheme].distribution,
        "quantity": _quantity(ws),
        "layer": layer,
        "fan_in": str(fan_in),
        "fan_out": "" if fan_out is None else str(fan_out),
        **{k: str(params.get(k, "")) for k in sorted(_CONV_KEYS)},
    }
    return Solved(placeholders=placeholders, answer=exact_text(ws.value),
                  solution=_solution(ws, params))


_FANS = [64, 100, 120, 128, 200, 256, 300, 400, 500, 512, 784, 1000, 1024]
_CHANNELS = [1, 3, 8, 16, 32, 64, 128, 256]


def sample(rng: random.Random, params: Mapping[str, Any], fixed: Mapping[str, Any]
           ) -> dict[str, Any]:
    """New layer sizes, same scheme and layer type (dense or conv) as the base."""
    conv = bool(_CONV_KEYS & set(params))
    scheme = params.get("scheme")

    def draw(r: random.Random) -> dict[str, Any]:
        drawn: dict[str, Any] = {"scheme": scheme or r.choice(sorted(SCHEMES))}
        if conv:
            drawn.update(kernel=r.choice([1, 3, 5, 7]), in_channels=r.choice(_CHANNELS),
                         out_channels=r.choice(_CHANNELS[1:]))
        else:
            drawn.update(fan_in=r.choice(_FANS), fan_out=r.choice(_FANS))
        return drawn

    def ok(solved: Solved) -> bool:
        value = float(sp.N(expected_value(solved.answer), 30))
        return 1e-3 < value < 2

    return draw_until(rng, draw, solve, ok, fixed, NAME)
