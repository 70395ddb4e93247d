"""Samplers of cnn.stack, cnn.field_of_view and cnn.params: new stacks from a seeded rng.

Each follows the Family.sample contract: ``sample(rng, params, fixed)`` returns the part's own new
parameters (JSON-safe); the part is solved on ``{**fixed, **returned}``. What ``fixed`` holds
(the exercise's shared stack) is never redrawn, except that a grouped cnn.params part draws its
own channels and filters (groups must divide them).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from grader.errors import AuthoringError
from question_bank.families.cnn import FIELD_OF_VIEW, POOL

KERNEL_SETS = ((3, 5, 7), (1, 3, 5, 7))  # odd sizes; 1x1 only in half of the stacks
CHANNELS = (1, 3, 4)
UNITS = (10, 16, 32, 64, 100, 128)
DRAWS = ("dilations", "pools")


def _fail(message: str, family: str, part: str) -> AuthoringError:
    return AuthoringError(message, file=f"family {family}", part=part)


def draw_kernels(rng: random.Random) -> list[int]:
    """2-4 odd square kernels (1-7 or 3-7), non-decreasing or mixed; never all 1x1.

    The last kernel is never 1x1: after a strided layer only 1x1 kernels would leave the field
    of view unchanged, so a student who forgets the stride would still be right.
    """
    n = rng.randint(2, 4)
    sizes = rng.choice(KERNEL_SETS)
    kernels = [1] * n
    while max(kernels) == 1 or kernels.count(1) > 1 or kernels[-1] == 1:
        kernels = [rng.choice(sizes) for _ in range(n)]
    if rng.random() < 0.5:
        kernels.sort()
    return kernels


def draw_filters(rng: random.Random, layers: int) -> int | list[int]:
    """One filter count for every layer, or one per layer (2-8)."""
    if rng.random() < 0.5:
        return rng.randint(2, 8)
    return [rng.randint(2, 8) for _ in range(layers)]


def sample_stack(rng: random.Random, params: Mapping[str, Any],
                 fixed: Mapping[str, Any]) -> dict[str, Any]:
    """A new shared stack: kernels, and channels/filters/layers when the base params have them."""
    kernels = draw_kernels(rng)
    out: dict[str, Any] = {"kernels": kernels}
    if "layers" in params:
        out["layers"] = len(kernels)
    if "channels" in params:
        out["channels"] = rng.choice(CHANNELS)
    if "filters" in params:
        out["filters"] = draw_filters(rng, len(kernels))
    return out


def _kernels(rng: random.Random, fixed: Mapping[str, Any], out: dict[str, Any]) -> list:
    """The shared kernels, or new ones (then returned as the part's own)."""
    if "kernels" in fixed:
        return list(fixed["kernels"])
    out["kernels"] = draw_kernels(rng)
    return out["kernels"]


def _draw_strides(rng: random.Random, params: Mapping[str, Any], n: int) -> list[int]:
    """All 1 when the base is all 1; else one strided layer (stride 2 or 3), the others 1."""
    base = params.get("strides", 1)
    if all(s == 1 for s in (base if isinstance(base, list | tuple) else [base])):
        return [1] * n
    where = params.get("strided_layer", "first")
    if where not in ("first", "any"):
        raise _fail(f"strided_layer must be first or any, got {where!r}", FIELD_OF_VIEW,
                    "strided_layer")
    # a stride on the last layer leaves the field of view unchanged: a trick question
    last = n - 1 if params.get("ask", "field_of_view") == "field_of_view" and n > 1 else n
    strides = [1] * n
    strides[0 if where == "first" else rng.randrange(last)] = rng.choice((2, 3))
    return strides


def _carry(params: Mapping[str, Any], key: str, n: int) -> Any:
    """A base per-layer value kept as it is; a list must fit the (possibly new) layer count."""
    value = params[key]
    if not isinstance(value, list | tuple) or len(value) == n:
        return value
    if len(set(value)) == 1:
        return [value[0]] * n
    raise _fail(f"{key} lists {len(value)} layers but the stack has {n}; "
                f"add {key} to draw", FIELD_OF_VIEW, key)


def _draw_size(rng: random.Random, kernels: list[int], drawn: Mapping[str, Any]) -> dict:
    """Input size and paddings such that every layer divides exactly and the output is 2-8.

    Walks back from the output: a layer with output o reads n = (o-1)*s + k' - 2p pixels.
    """
    n = len(kernels)
    strides, dilations = drawn["strides"], drawn.get("dilations", [1] * n)
    dilations = dilations if isinstance(dilations, list) else [dilations] * n
    pools = drawn.get("pools", [])
    effs = [d * (k - 1) + 1 for k, d in zip(kernels, dilations, strict=True)]
    padding = [rng.choice((0, (e - 1) // 2)) for e in effs]
    size = rng.randint(2, 8)
    for i in reversed(range(n)):
        if i + 1 in pools:
            size = (size - 1) * POOL["stride"] + POOL["kernel"]
        size = (size - 1) * strides[i] + effs[i] - 2 * padding[i]
    return {"size": size, "padding": padding[0] if len(set(padding)) == 1 else padding}


def sample_field_of_view(rng: random.Random, params: Mapping[str, Any],
                         fixed: Mapping[str, Any]) -> dict[str, Any]:
    """New strides (and dilations, pools, size and padding as the base params ask).

    Base params that steer it: strides (all 1 stays all 1), strided_layer (first | any),
    draw (a list of dilations and/or pools to add), ask (kept; output_size draws size and
    padding).
    """
    out: dict[str, Any] = {}
    kernels = _kernels(rng, fixed, out)
    n = len(kernels)
    draw = params.get("draw", [])
    if not isinstance(draw, list | tuple) or not set(draw) <= set(DRAWS):
        raise _fail(f"draw must list some of {', '.join(DRAWS)}", FIELD_OF_VIEW, "draw")
    if "ask" in params:
        out["ask"] = params["ask"]
    out["strides"] = _draw_strides(rng, params, n)
    if "dilations" in draw:
        dilations = [1] * n
        while max(dilations) == 1:
            dilations = [rng.choice((1, 1, 2, 3)) for _ in range(n)]
        out["dilations"] = dilations
    elif "dilations" in params:
        out["dilations"] = _carry(params, "dilations", n)
    if "pools" in draw:
        out["pools"] = [rng.randint(1, max(1, n - 1))]
    elif "pools" in params:
        out["pools"] = [i for i in params["pools"] if i <= n]
    if params.get("ask") == "output_size":
        out.update(_draw_size(rng, kernels, out))
    return out


def _draw_param_kernels(rng: random.Random) -> list:
    """2-4 kernels, about a third of them rectangular [h, w] (h != w)."""
    kernels = draw_kernels(rng)
    for i in range(len(kernels)):
        if rng.random() < 0.3:
            h, w = rng.sample((1, 3, 5, 7), 2)
            kernels[i] = [h, w]
    return kernels


def _draw_groups(rng: random.Random, groups: Any, n: int) -> dict[str, Any]:
    """groups with channels and filters it divides ('depthwise': multiples of the input)."""
    if groups == "depthwise":
        channels = rng.choice((3, 4))
        filters, cin = [], channels
        for _ in range(n):
            cin *= rng.choice((1, 2))  # depth multiplier
            filters.append(cin)
        return {"groups": "depthwise", "channels": channels, "filters": filters}
    g = rng.choice((2, 4))
    return {"groups": g, "channels": g * rng.choice((1, 2)),
            "filters": [g * rng.randint(1, 4) for _ in range(n)]}


def _draw_linear(rng: random.Random, base: Any, kernels: list) -> dict[str, Any]:
    """As many fully connected layers as the base, and an input size leaving a 1-4 pixel map."""
    count = len(base) if isinstance(base, list | tuple) else 1
    units = [rng.choice(UNITS) for _ in range(count)]
    final = rng.randint(1, 4)
    h, w = (final + sum((k if isinstance(k, int) else k[axis]) - 1 for k in kernels)
            for axis in (0, 1))
    return {"linear": units if isinstance(base, list | tuple) else units[0],
            "size": h if h == w else [h, w]}


def sample_params(rng: random.Random, params: Mapping[str, Any],
                  fixed: Mapping[str, Any]) -> dict[str, Any]:
    """New bias, and kernels/channels/filters unless shared; groups and linear if the base has them.

    Strides and padding of the base are not carried over: the count does not depend on them,
    and the input size drawn for fully connected layers assumes stride 1 and no padding.
    """
    out: dict[str, Any] = {}
    if "kernels" in fixed:
        kernels = list(fixed["kernels"])
    else:
        kernels = out["kernels"] = _draw_param_kernels(rng)
    n = len(kernels)
    out["bias"] = rng.random() < 0.5
    if params.get("groups", 1) != 1:
        out.update(_draw_groups(rng, params["groups"], n))
    else:
        if "channels" not in fixed:
            out["channels"] = rng.choice(CHANNELS)
        if "filters" not in fixed:
            out["filters"] = draw_filters(rng, n)
    if "linear" in params:
        out.update(_draw_linear(rng, params["linear"], kernels))
    if "layers" in params and "kernels" in out:
        out["layers"] = n
    return out
