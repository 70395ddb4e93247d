"""Families cnn.dilation_fov and cnn.dilation_min_layers: stacks of dilated k x k convs (2019 ex3d).

Both stacks use stride 1 and no pooling, so layer l adds d_l*(k-1) to the field of view; with the
dilations doubling (1, 2, 4, ...) L layers see 1 + (k-1)*(2^L - 1) pixels in each dimension.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from grader.errors import AuthoringError
from grader.model import Solved
from grader.solver.cnn import cnn_from_mapping, field_of_view_sum, solve_cnn
from question_bank.families.cnn import kernel_text, words

DILATION_FOV = "cnn.dilation_fov"
DILATION_MIN_LAYERS = "cnn.dilation_min_layers"
KERNELS = (2, 3, 5)  # 2 as in WaveNet's audio stacks
MAX_LAYERS = 30  # a target beyond 30 doubling layers is an authoring slip, not a question


def _fail(message: str, family: str, part: str | None = None) -> AuthoringError:
    return AuthoringError(message, file=f"family {family}", part=part)


def _int(params: Mapping[str, Any], key: str, minimum: int, family: str) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(f"{key} must be an integer >= {minimum}, got {value!r}", family, key)
    return value


def _check_keys(params: Mapping[str, Any], allowed: set[str], family: str) -> None:
    unknown = sorted(str(k) for k in params if k not in allowed)
    if unknown:
        raise _fail(f"unknown parameter(s): {', '.join(unknown)}", family)


def doubling(layers: int) -> list[int]:
    """``doubling(4)`` -> ``[1, 2, 4, 8]``."""
    return [2**i for i in range(layers)]


def _dilations(params: Mapping[str, Any], family: str) -> list[int]:
    if "dilations" not in params:
        return doubling(_int(params, "layers", 1, family))
    dilations = params["dilations"]
    if not isinstance(dilations, list | tuple) or not dilations or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dilations):
        raise _fail("dilations must be a non-empty list of integers >= 1", family, "dilations")
    if "layers" in params and params["layers"] != len(dilations):
        raise _fail(f"layers is {params['layers']} but {len(dilations)} dilations are given",
                    family, "layers")
    return list(dilations)


def solve_dilation_fov(params: Mapping[str, Any]) -> Solved:
    """Field of view of k x k convs with dilations (default 1, 2, 4, ...): {kernel, layers?,
    dilations?}.

    Raises:
        AuthoringError: unknown or inconsistent parameters (kernel < 2, no layers, ...).
    """
    family = DILATION_FOV
    _check_keys(params, {"kernel", "layers", "dilations"}, family)
    kernel = _int(params, "kernel", 2, family)
    dilations = _dilations(params, family)
    spec = cnn_from_mapping({"layers": [{"type": "conv", "kernel": kernel, "dilation": d}
                                        for d in dilations]}, source=f"family {family}")
    placeholders = {"kernel": kernel_text(kernel), "layers": str(len(dilations)),
                    "dilations": words(dilations)}
    solution = ("With stride 1 every layer adds d*(k-1) pixels to the field of view:\n\n"
                f"`{field_of_view_sum(spec)}`\n")
    return Solved(placeholders=placeholders, answer=str(solve_cnn(spec).receptive_field[0]),
                  solution=solution)


def solve_dilation_min_layers(params: Mapping[str, Any]) -> Solved:
    """Fewest k x k conv layers with dilations 1, 2, 4, ... whose field of view reaches the target.

    Params: kernel (>= 2), target (the field of view to reach, >= 2).

    Raises:
        AuthoringError: unknown parameters, or a target needing more than MAX_LAYERS layers.
    """
    family = DILATION_MIN_LAYERS
    _check_keys(params, {"kernel", "target"}, family)
    kernel = _int(params, "kernel", 2, family)
    target = _int(params, "target", 2, family)
    if 1 + (kernel - 1) * (2**MAX_LAYERS - 1) < target:
        raise _fail(f"target {target} needs more than {MAX_LAYERS} layers", family, "target")
    fov, lines, before = 1, [], 1
    while fov < target:
        dilation = 2 ** len(lines)
        before, fov = fov, fov + dilation * (kernel - 1)
        step = f"{dilation}*({kernel}-1)" if dilation > 1 else f"({kernel}-1)"
        lines.append(f"- layer {len(lines) + 1} (dilation {dilation}): {before} + {step} = {fov}")
    count = len(lines)
    tail = f"; {count - 1} would reach only {before}" if count > 1 else ""
    solution = ("Layer l (dilation 2^(l-1)) adds 2^(l-1)*(k-1) to the field of view:\n\n"
                + "\n".join(lines)
                + f"\n\n{count} layers reach {fov} >= {target}{tail}.\n")
    placeholders = {"kernel": kernel_text(kernel), "target": str(target),
                    "dilations": "1, 2, 4, ..."}
    return Solved(placeholders=placeholders, answer=str(count), solution=solution)


def _kernel(rng: random.Random, fixed: Mapping[str, Any], out: dict[str, Any]) -> int:
    if "kernel" in fixed:
        return fixed["kernel"]
    out["kernel"] = rng.choice(KERNELS)
    return out["kernel"]


def sample_dilation_fov(rng: random.Random, params: Mapping[str, Any],
                        fixed: Mapping[str, Any]) -> dict[str, Any]:
    """2-6 layers; doubling dilations, or a growing list (x2 or x3 per layer) when the base
    params list dilations."""
    out: dict[str, Any] = {}
    _kernel(rng, fixed, out)
    layers = rng.randint(2, 6)
    if "dilations" in params:
        dilations = [1]
        while len(dilations) < layers:
            dilations.append(dilations[-1] * rng.choice((2, 3)))
        out["dilations"] = dilations
    else:
        out["layers"] = layers
    return out


def sample_dilation_min_layers(rng: random.Random, params: Mapping[str, Any],
                               fixed: Mapping[str, Any]) -> dict[str, Any]:
    """A target field of view that 2-7 layers reach and one layer fewer does not."""
    out: dict[str, Any] = {}
    kernel = _kernel(rng, fixed, out)
    layers = rng.randint(2, 7)
    reach = [1 + (kernel - 1) * (2**n - 1) for n in (layers - 1, layers)]
    out["target"] = rng.randint(reach[0] + 1, reach[1])
    return out
