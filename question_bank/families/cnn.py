"""Families cnn.field_of_view and cnn.params: a stack of square convolutions, as in 2019 ex3."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.errors import AuthoringError
from grader.model import Solved
from grader.solver.cnn import CnnSpec, cnn_from_mapping, field_of_view_sum, params_sum, solve_cnn

FIELD_OF_VIEW = "cnn.field_of_view"
PARAMS = "cnn.params"


def words(items: Sequence[Any]) -> str:
    """``[3, 5, 7]`` -> ``"3, 5 and 7"``.

    >>> words([3, 5, 7]), words([2]), words(["a", "b"])
    ('3, 5 and 7', '2', 'a and b')
    """
    texts = [str(x) for x in items]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def same_or_words(items: Sequence[Any]) -> str:
    """One value when all are equal (``"1"``), else :func:`words`."""
    return str(items[0]) if len(set(items)) == 1 else words(items)


def _per_layer(params: Mapping[str, Any], key: str, count: int, default: Any, family: str) -> list:
    """A per-layer list from a list, a single value, or the default."""
    value = params.get(key, default)
    values = list(value) if isinstance(value, list | tuple) else [value] * count
    if len(values) != count:
        raise AuthoringError(f"{key} has {len(values)} entries for {count} layers",
                             file=f"family {family}", part=key)
    return values


def _kernels(params: Mapping[str, Any], allowed: set[str], family: str) -> list[int]:
    where = f"family {family}"
    unknown = sorted(str(k) for k in params if k not in allowed)
    if unknown:
        raise AuthoringError(f"unknown parameter(s): {', '.join(unknown)}", file=where)
    kernels = params.get("kernels")
    if not isinstance(kernels, list | tuple) or not kernels or not all(
            isinstance(k, int) and not isinstance(k, bool) for k in kernels):
        raise AuthoringError("kernels must be a non-empty list of integers", file=where,
                             part="kernels")
    if "layers" in params and params["layers"] != len(kernels):
        raise AuthoringError(f"layers is {params['layers']} but {len(kernels)} kernels are given",
                             file=where, part="layers")
    return list(kernels)


def _spec(layers: list[dict], family: str, channels: Any = None) -> CnnSpec:
    data: dict[str, Any] = {"layers": layers}
    if channels is not None:
        data["input"] = {"channels": channels}
    return cnn_from_mapping(data, source=f"family {family}")


def _common_placeholders(kernels: list[int], strides: list[int]) -> dict[str, str]:
    return {
        "layers": str(len(kernels)),
        "kernels": words([f"{k}x{k}" for k in kernels]),
        "strides": same_or_words(strides),
    }


def solve_field_of_view(params: Mapping[str, Any]) -> Solved:
    """Field of view of a conv stack: params {kernels, strides?, dilations?, layers?}.

    Raises:
        AuthoringError: unknown or inconsistent parameters.
    """
    family = FIELD_OF_VIEW
    kernels = _kernels(params, {"kernels", "strides", "dilations", "layers"}, family)
    strides = _per_layer(params, "strides", len(kernels), 1, family)
    dilations = _per_layer(params, "dilations", len(kernels), 1, family)
    layers = [{"type": "conv", "kernel": k, "stride": s, "dilation": d}
              for k, s, d in zip(kernels, strides, dilations, strict=True)]
    spec = _spec(layers, family)
    total = field_of_view_sum(spec)
    placeholders = {**_common_placeholders(kernels, strides), "dilations": same_or_words(dilations)}
    solution = ("Each layer widens the field of view by (k-1) times the product of the strides "
                "before it (a dilation d makes that d*(k-1)):\n\n"
                f"`r = {total}`\n")
    return Solved(placeholders=placeholders, answer=str(solve_cnn(spec).receptive_field[0]),
                  solution=solution)


def solve_params(params: Mapping[str, Any]) -> Solved:
    """Parameter count of a conv stack: params {channels, kernels, filters, bias?, strides?}.

    Raises:
        AuthoringError: unknown or inconsistent parameters.
    """
    family = PARAMS
    kernels = _kernels(params, {"channels", "kernels", "filters", "bias", "strides", "layers"},
                       family)
    if "channels" not in params or "filters" not in params:
        raise AuthoringError("channels and filters are required", file=f"family {family}")
    filters = _per_layer(params, "filters", len(kernels), None, family)
    strides = _per_layer(params, "strides", len(kernels), 1, family)
    bias = params.get("bias", True)
    layers = [{"type": "conv", "kernel": k, "stride": s, "filters": f, "bias": bias}
              for k, s, f in zip(kernels, strides, filters, strict=True)]
    spec = _spec(layers, family, channels=params["channels"])
    sol = solve_cnn(spec)
    placeholders = {
        **_common_placeholders(kernels, strides),
        "channels": str(params["channels"]),
        "filters": same_or_words(filters),
        "bias": "with bias" if bias else "without bias",
    }
    solution = ("A conv layer has (input channels)*(kernel height)*(kernel width)*(filters) "
                "weights" + (", plus one bias per filter" if bias else " (no biases)") + ":\n\n"
                f"`{params_sum(spec)}`\n")
    return Solved(placeholders=placeholders, answer=str(sol.weights + sol.biases),
                  solution=solution)
