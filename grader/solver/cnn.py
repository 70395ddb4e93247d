"""Convolution stacks (DESIGN 3.2): field of view, jump, start, output sizes and parameter counts.

Conventions a teacher should know:

- A ``linear`` layer is treated as a convolution whose kernel is its whole input feature map
  (stride 1, no padding): its output is 1x1 with ``units`` channels, so its field of view is the
  whole (padded) input and a stack of linear layers keeps it. A linear layer on a spatial input
  needs ``input.size``; without it the stack cannot be solved (AuthoringError).
- ``input: {features: F}`` is read as F channels of size 1x1.
- ``start`` is the centre of the first output's field, in input pixel coordinates (pixel centres
  at 0, 1, 2, ...); it is negative when padding reaches outside the image.
- Without ``input.size`` output sizes are None; without ``input.channels`` (or a conv's
  ``filters``) parameter counts from there on are None. Nothing is guessed.
- In :func:`field_of_view_sum` a dilated kernel's term ``k' - 1 = d*(k-1)`` is written
  ``d*(k-1)``, e.g. dilation 2 and kernel 3 after stride 2: ``2*2*(3-1)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from grader.errors import AuthoringError
from grader.yamlfile import load_yaml

Pair = tuple[int, int]


@dataclass(frozen=True)
class Layer:
    """One layer: ``type`` is 'conv', 'pool' or 'linear'; pairs are (height, width)."""

    type: str
    kernel: Pair = (1, 1)
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    filters: int | None = None
    bias: bool = True
    groups: int = 1
    units: int | None = None


@dataclass(frozen=True)
class CnnSpec:
    layers: tuple[Layer, ...]
    channels: int | None = None
    size: Pair | None = None
    features: int | None = None


@dataclass(frozen=True)
class LayerResult:
    """The stack up to and including one layer (fields of view and starts in input pixels)."""

    receptive_field: Pair
    jump: Pair
    start: tuple[Fraction, Fraction]
    output_size: Pair | None
    output_channels: int | None
    weights: int | None  # this layer's own parameters
    biases: int | None


@dataclass(frozen=True)
class CnnSolution:
    spec: CnnSpec
    layers: tuple[LayerResult, ...]
    receptive_field: Pair
    jump: Pair
    output_size: Pair | None
    weights: int | None  # whole stack; None when any layer's count is unknown
    biases: int | None


_LAYER_KEYS = {
    "conv": {"type", "kernel", "stride", "padding", "dilation", "filters", "bias", "groups"},
    "pool": {"type", "kernel", "stride", "padding", "dilation"},
    "linear": {"type", "units", "bias"},
}


def _fail(message: str, source: str, part: str | None = None) -> AuthoringError:
    return AuthoringError(message, file=source, part=part)


def _int(value: Any, name: str, minimum: int, source: str, part: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(f"{name} must be an integer >= {minimum}, got {value!r}", source, part)
    return value


def _pair(value: Any, name: str, minimum: int, source: str, part: str | None) -> Pair:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise _fail(f"{name} must be an int or [h, w], got {value!r}", source, part)
        return (_int(value[0], name, minimum, source, part),
                _int(value[1], name, minimum, source, part))
    n = _int(value, name, minimum, source, part)
    return (n, n)


def _keys(data: Any, allowed: set[str], what: str, source: str, part: str | None) -> None:
    if not isinstance(data, Mapping):
        raise _fail(f"{what} must be a mapping", source, part)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise _fail(f"unknown key(s) in {what}: {', '.join(unknown)}", source, part)


def _parse_layer(data: Any, index: int, source: str) -> Layer:
    part = f"layer {index}"
    kind = data.get("type") if isinstance(data, Mapping) else None
    if kind not in _LAYER_KEYS:
        raise _fail(f"type must be conv, pool or linear, got {kind!r}", source, part)
    _keys(data, _LAYER_KEYS[kind], f"a {kind} layer", source, part)
    bias = data.get("bias", True)
    if not isinstance(bias, bool):
        raise _fail(f"bias must be true or false, got {bias!r}", source, part)
    if kind == "linear":
        if "units" not in data:
            raise _fail("a linear layer needs units", source, part)
        return Layer("linear", units=_int(data["units"], "units", 1, source, part), bias=bias)
    if "kernel" not in data:
        raise _fail(f"a {kind} layer needs a kernel", source, part)
    kernel = _pair(data["kernel"], "kernel", 1, source, part)
    stride = _pair(data.get("stride", kernel if kind == "pool" else 1), "stride", 1, source, part)
    layer = Layer(kind, kernel=kernel, stride=stride,
                  padding=_pair(data.get("padding", 0), "padding", 0, source, part),
                  dilation=_pair(data.get("dilation", 1), "dilation", 1, source, part))
    if kind == "pool":
        return replace(layer, bias=False)
    filters = data.get("filters")
    return replace(layer, bias=bias, groups=_int(data.get("groups", 1), "groups", 1, source, part),
                   filters=None if filters is None else _int(filters, "filters", 1, source, part))


def _parse_input(data: Any, source: str) -> tuple[int | None, Pair | None, int | None]:
    if data is None:
        return None, None, None
    _keys(data, {"channels", "size", "features"}, "input", source, "input")
    if "features" in data:
        if "channels" in data or "size" in data:
            raise _fail("input takes features, or channels and size, not both", source, "input")
        return None, None, _int(data["features"], "features", 1, source, "input")
    channels = data.get("channels")
    size = data.get("size")
    return (None if channels is None else _int(channels, "channels", 1, source, "input"),
            None if size is None else _pair(size, "size", 1, source, "input"), None)


def cnn_from_mapping(data: Mapping, source: str = "<spec>") -> CnnSpec:
    """Validate a convolution-stack mapping (DESIGN 3.2) and build a CnnSpec.

    Raises:
        AuthoringError: naming ``source`` and the layer ("layer 2", 1-based) or "input".
    """
    _keys(data, {"input", "layers"}, "the spec", source, None)
    raw = data.get("layers")
    if not isinstance(raw, list) or not raw:
        raise _fail("layers must be a non-empty list", source)
    channels, size, features = _parse_input(data.get("input"), source)
    layers = tuple(_parse_layer(item, i, source) for i, item in enumerate(raw, start=1))
    spec = CnnSpec(layers=layers, channels=channels, size=size, features=features)
    _solve(spec, source)  # impossible stacks (output < 1, groups, ...) fail at load
    return spec


def load_cnn(path: str | Path) -> CnnSpec:
    """Read a convolution-stack YAML file.

    Raises:
        InputError: the file cannot be read or is not YAML.
        AuthoringError: the spec is invalid.
    """
    return cnn_from_mapping(load_yaml(path, "spec"), source=str(path))


@dataclass(frozen=True)
class _State:
    rf: Pair
    jump: Pair
    start: tuple[Fraction, Fraction]
    size: Pair | None
    channels: int | None


def geometry(layer: Layer, size: Pair | None) -> tuple[Pair, Pair, Pair, Pair]:
    """(kernel, stride, padding, dilation) of a layer; a linear layer as a whole-input conv."""
    if layer.type != "linear":
        return layer.kernel, layer.stride, layer.padding, layer.dilation
    if size is None:
        raise ValueError("a linear layer on a spatial input needs input.size")
    return size, (1, 1), (0, 0), (1, 1)


def _params(layer: Layer, state: _State, part: str, source: str) -> tuple[int | None, ...]:
    """(weights, biases, output channels) of one layer."""
    cin = state.channels
    if layer.type == "pool":
        return 0, 0, cin
    if layer.type == "linear":
        units = layer.units or 0
        weights = None if cin is None else cin * state.size[0] * state.size[1] * units
        return weights, units if layer.bias else 0, units
    filters, groups = layer.filters, layer.groups
    for name, count in (("input channels", cin), ("filters", filters)):
        if count is not None and count % groups:
            raise _fail(f"groups={groups} must divide the {name} ({count})", source, part)
    biases = None if filters is None else (filters if layer.bias else 0)
    if cin is None or filters is None:
        return None, biases, filters
    return layer.kernel[0] * layer.kernel[1] * (cin // groups) * filters, biases, filters


def _step(layer: Layer, state: _State, part: str, source: str) -> tuple[_State, LayerResult]:
    try:
        kernel, stride, padding, dilation = geometry(layer, state.size)
    except ValueError as err:
        raise _fail(str(err), source, part) from None
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    rf = tuple(r + (e - 1) * j for r, e, j in zip(state.rf, eff, state.jump, strict=True))
    start = tuple(s + (Fraction(e - 1, 2) - p) * j
                  for s, e, p, j in zip(state.start, eff, padding, state.jump, strict=True))
    jump = tuple(j * s for j, s in zip(state.jump, stride, strict=True))
    size = None
    if state.size is not None:
        size = tuple((n + 2 * p - e) // s + 1
                     for n, p, e, s in zip(state.size, padding, eff, stride, strict=True))
        if min(size) < 1:
            raise _fail(f"output size {size[0]}x{size[1]} < 1 (input "
                        f"{state.size[0]}x{state.size[1]}, kernel {kernel})", source, part)
    weights, biases, channels = _params(layer, state, part, source)
    new = _State(rf, jump, start, size, channels)
    return new, LayerResult(rf, jump, start, size, channels, weights, biases)


def _solve(spec: CnnSpec, source: str) -> CnnSolution:
    size, channels = spec.size, spec.channels
    if spec.features is not None:
        size, channels = (1, 1), spec.features
    state = _State((1, 1), (1, 1), (Fraction(0), Fraction(0)), size, channels)
    results = []
    for i, layer in enumerate(spec.layers, start=1):
        state, result = _step(layer, state, f"layer {i}", source)
        results.append(result)
    weights = [r.weights for r in results]
    biases = [r.biases for r in results]
    return CnnSolution(
        spec=spec,
        layers=tuple(results),
        receptive_field=state.rf,
        jump=state.jump,
        output_size=state.size,
        weights=None if None in weights else sum(weights),
        biases=None if None in biases else sum(biases),
    )


def solve_cnn(spec: CnnSpec) -> CnnSolution:
    """Field of view, jump, start, output sizes and parameters of every layer and the stack.

    Raises:
        AuthoringError: a layer's output would be smaller than 1x1, groups do not divide the
            channels, or a linear layer has no input size.
    """
    return _solve(spec, "<spec>")


def _input_sizes(spec: CnnSpec, sol: CnnSolution) -> list[Pair | None]:
    first = (1, 1) if spec.features is not None else spec.size
    return [first] + [r.output_size for r in sol.layers[:-1]]


def field_of_view_sum(spec: CnnSpec, axis: int = 0) -> str:
    """The field-of-view sum with the numbers put in, as the 2019 key writes it.

    >>> conv = Layer("conv", kernel=(3, 3))
    >>> field_of_view_sum(CnnSpec((replace(conv, stride=(2, 2)), replace(conv, kernel=(5, 5)))))
    '1 + (3-1) + 2*(5-1) = 11'

    Each layer adds ``jump*(k-1)`` (jump written only when > 1; a dilation d > 1 as ``d*(k-1)``).
    """
    sol = solve_cnn(spec)
    terms, jump = ["1"], 1
    for layer, size, result in zip(spec.layers, _input_sizes(spec, sol), sol.layers, strict=True):
        kernel, _, _, dilation = geometry(layer, size)
        factors = [str(f) for f in (jump, dilation[axis]) if f > 1]
        terms.append("*".join([*factors, f"({kernel[axis]}-1)"]))
        jump = result.jump[axis]
    return f"{' + '.join(terms)} = {sol.receptive_field[axis]}"


def params_sum(spec: CnnSpec) -> str:
    """The parameter count as a sum, e.g. ``"3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350"``.

    Conv terms are ``C_in*k_h*k_w*filters`` (``(C_in/groups)`` when grouped), linear terms
    ``C*h*w*units``, each followed by ``+ biases`` when the layer has a bias; pools add nothing.

    Raises:
        AuthoringError: the count is unknown (no input channels or filters).
    """
    sol = solve_cnn(spec)
    if sol.weights is None or sol.biases is None:
        raise AuthoringError("parameters need input channels and every conv's filters")
    terms = []
    channels = [spec.features or spec.channels] + [r.output_channels for r in sol.layers[:-1]]
    sizes = _input_sizes(spec, sol)
    for layer, cin, size, result in zip(spec.layers, channels, sizes, sol.layers, strict=True):
        if layer.type == "pool":
            continue
        if layer.type == "conv":
            cin_text = f"({cin}/{layer.groups})" if layer.groups > 1 else str(cin)
            factors = [cin_text, *map(str, layer.kernel), str(layer.filters)]
        else:
            factors = [str(cin), *(str(n) for n in size if math.prod(size) > 1), str(layer.units)]
        terms.append("*".join(factors))
        if result.biases:
            terms.append(str(result.biases))
    return f"{' + '.join(terms) or '0'} = {sol.weights + sol.biases}"
