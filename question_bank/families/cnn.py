"""Families cnn.stack, cnn.field_of_view and cnn.params: convolution stacks as in 2019 ex3.

``cnn.stack`` is an exercise-shared family (kernels, channels, filters for the intro); the other
two are parts solved on the shared parameters plus their own. Samplers live in cnn_sample.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from grader.errors import AuthoringError
from grader.model import Figure, Solved
from grader.solver.cnn import (
    CnnSpec,
    cnn_from_mapping,
    field_of_view_sum,
    params_sum,
    solve_cnn,
)
from question_bank.families.cnn_mistakes import fov_mistakes, params_mistakes

STACK = "cnn.stack"
FIELD_OF_VIEW = "cnn.field_of_view"
PARAMS = "cnn.params"
ASKS = ("field_of_view", "jump", "output_size")
POOL = {"type": "pool", "kernel": 2, "stride": 2}  # the pooling layer `pools` inserts

_SHARED = {"kernels", "layers", "channels", "filters"}  # what cnn.stack gives every part
_FOV_KEYS = _SHARED | {"strides", "dilations", "pools", "ask", "size", "padding",
                       "strided_layer", "draw"}  # the last two steer the sampler only
_PARAMS_KEYS = _SHARED | {"bias", "strides", "groups", "linear", "size", "padding"}
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def words(items: Sequence[Any]) -> str:
    """``[3, 5, 7]`` -> ``"3, 5 and 7"``.

    >>> words([3, 5, 7]), words([2]), words(["a", "b"])
    ('3, 5 and 7', '2', 'a and b')
    """
    texts = [str(x) for x in items]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def same_or_words(items: Sequence[Any]) -> str:
    """One value when all are equal (``"1"``), else :func:`words`."""
    return str(items[0]) if len(set(map(str, items))) == 1 else words(items)


def ordinal(index: int) -> str:
    """0-based layer index -> ``"first"``, ``"second"``, ... (``"layer 9"`` beyond eight)."""
    return _ORDINALS[index] if index < len(_ORDINALS) else f"layer {index + 1}"


def plural(count: int, noun: str) -> str:
    """``plural(1, "channel")`` -> ``"1 channel"``; ``plural(3, "filter")`` -> ``"3 filters"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def layers_text(values: Sequence[int], noun: str, default: int = 1) -> str:
    """Per-layer values in words, as the 2019 text puts strides.

    >>> layers_text([2, 1, 1], "stride")
    'the first layer has a stride of 2 and the following layers have a stride of 1'
    >>> layers_text([1, 3, 1], "stride")
    'the second layer has a stride of 3 and the other layers have a stride of 1'
    >>> layers_text([1, 1, 1], "stride"), layers_text([2, 3, 1], "stride")
    ('all layers use a stride of 1', 'the layers have strides of 2, 3 and 1')
    """
    n = len(values)
    if len(set(values)) == 1:
        return f"all layers use a {noun} of {values[0]}" if n > 1 else \
            f"the layer uses a {noun} of {values[0]}"
    counts = Counter(values)
    base = default if counts[default] == n - 1 else counts.most_common(1)[0][0]
    if counts[base] != n - 1 or (n == 2 and base != default):
        return f"the layers have {noun}s of {words(values)}"
    odd = next(i for i, v in enumerate(values) if v != base)
    rest = "the following" if odd == 0 else "the other"
    rest += " layer has" if n == 2 else " layers have"
    return f"the {ordinal(odd)} layer has a {noun} of {values[odd]} and {rest} a {noun} of {base}"


def kernel_text(kernel: int | Sequence[int]) -> str:
    """``3`` -> ``"3x3"``; ``[3, 5]`` (height, width) -> ``"3x5"``."""
    h, w = (kernel, kernel) if isinstance(kernel, int) else kernel
    return f"{h}x{w}"


def _fail(message: str, family: str, part: str | None = None) -> AuthoringError:
    return AuthoringError(message, file=f"family {family}", part=part)


def _check_keys(params: Mapping[str, Any], allowed: set[str], family: str) -> None:
    unknown = sorted(str(k) for k in params if k not in allowed)
    if unknown:
        raise _fail(f"unknown parameter(s): {', '.join(unknown)}", family)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kernels(params: Mapping[str, Any], family: str, square: bool = True) -> list:
    """The kernel list: ints, or also ``[h, w]`` pairs when not ``square``."""
    kernels = params.get("kernels")

    def ok(k: Any) -> bool:
        return _is_int(k) or (not square and isinstance(k, list | tuple) and len(k) == 2
                              and all(map(_is_int, k)))

    if not isinstance(kernels, list | tuple) or not kernels or not all(map(ok, kernels)):
        shape = "integers" if square else "integers or [h, w] pairs"
        raise _fail(f"kernels must be a non-empty list of {shape}", family, "kernels")
    if "layers" in params and params["layers"] != len(kernels):
        raise _fail(f"layers is {params['layers']} but {len(kernels)} kernels are given",
                    family, "layers")
    return [k if _is_int(k) else list(k) for k in kernels]


def per_layer(params: Mapping[str, Any], key: str, count: int, default: Any,
              family: str) -> list:
    """A per-layer list from a list, a single value, or the default."""
    value = params.get(key, default)
    values = list(value) if isinstance(value, list | tuple) else [value] * count
    if len(values) != count:
        raise _fail(f"{key} has {len(values)} entries for {count} layers", family, key)
    return values


def _spec(data: dict[str, Any], family: str) -> CnnSpec:
    return cnn_from_mapping(data, source=f"family {family}")


def _filters_text(filters: list[int], conv: str = "layer") -> str:
    if len(set(filters)) == 1:
        return f"each {conv} has {plural(filters[0], 'filter')}"
    return f"the {conv}s have {words(filters)} filters respectively"


def stack_placeholders(params: Mapping[str, Any], family: str) -> dict[str, str]:
    """kernels, layers (and channels, channels_text, filters, filters_text when given)."""
    kernels = _kernels(params, family, square=False)
    out = {"kernels": words([kernel_text(k) for k in kernels]), "layers": str(len(kernels))}
    if "channels" in params:
        out["channels"] = str(params["channels"])
        out["channels_text"] = plural(params["channels"], "channel")
    if "filters" in params:
        filters = per_layer(params, "filters", len(kernels), None, family)
        out["filters"] = same_or_words(filters)
        out["filters_text"] = _filters_text(filters)
    return out


def solve_stack(params: Mapping[str, Any]) -> Solved:
    """The exercise-shared stack {kernels, layers?, channels?, filters?}: intro placeholders and
    a figure of kind ``cnn`` (the layer boxes; no answers: no strides, fields or counts).

    Raises:
        AuthoringError: unknown or inconsistent parameters.
    """
    _check_keys(params, _SHARED, STACK)
    kernels = _kernels(params, STACK)
    data: dict[str, Any] = {"layers": [{"type": "conv", "kernel": k} for k in kernels]}
    if "channels" in params:
        data["input"] = {"channels": params["channels"]}
    if "filters" in params:  # drawn in the boxes; cnn.params asks the parameter count of it
        for layer, f in zip(data["layers"], per_layer(params, "filters", len(kernels), None,
                                                      STACK), strict=True):
            layer["filters"] = f
    _spec(data, STACK)  # validates channels and filters
    # Kernels, channels and filters only: the parts differ in strides, which their texts state.
    figure = Figure("stack", "cnn", data, "The network of this exercise, input on the left; "
                    "each part gives the strides.")
    return Solved(placeholders=stack_placeholders(params, STACK), answer=None, solution="",
                  figures=(figure,))



def _check_ask(params: Mapping[str, Any], family: str) -> str:
    ask = params.get("ask", "field_of_view")
    if ask not in ASKS:
        raise _fail(f"ask must be one of {', '.join(ASKS)}, got {ask!r}", family, "ask")
    given = sorted({"size", "padding"} & set(params))
    if ask != "output_size" and given:
        raise _fail(f"{' and '.join(given)} only go with ask: output_size", family, given[0])
    if ask == "output_size" and "size" not in params:
        raise _fail("ask: output_size needs the input size", family, "size")
    return ask


def _fov_layers(params: Mapping[str, Any], kernels: list[int],
                family: str) -> tuple[list[dict], dict[str, list]]:
    """The layer mappings for the solver, and the per-layer values for the text."""
    n = len(kernels)
    per = {key: per_layer(params, key, n, default, family)
           for key, default in (("strides", 1), ("dilations", 1), ("padding", 0))}
    pools = params.get("pools", [])
    if not isinstance(pools, list | tuple) or not all(_is_int(i) and 1 <= i <= n for i in pools):
        raise _fail(f"pools must list layer numbers 1..{n}", family, "pools")
    per["pools"] = sorted(set(pools))
    layers = []
    for i, (k, s, d, p) in enumerate(zip(kernels, per["strides"], per["dilations"],
                                         per["padding"], strict=True), start=1):
        layers.append({"type": "conv", "kernel": k, "stride": s, "dilation": d, "padding": p})
        if i in per["pools"]:
            layers.append(dict(POOL))
    return layers, per


def pools_text(pools: Sequence[int]) -> str:
    """``[1]`` -> ``"a 2x2 max pooling layer with stride 2 after the first layer"``."""
    if not pools:
        return "no pooling layers"
    where = words([ordinal(i - 1) for i in pools])
    if len(pools) == 1:
        return f"a 2x2 max pooling layer with stride 2 after the {where} layer"
    return f"2x2 max pooling layers with stride 2 after the {where} layers"


def _size_lines(spec: CnnSpec) -> list[str]:
    """One line per layer: ``(n + 2*p - k')/s + 1 = out``, as a student would write it."""
    sol = solve_cnn(spec)
    lines, n, conv = [], spec.size[0], 0
    for layer, result in zip(spec.layers, sol.layers, strict=True):
        k, s, p, d = layer.kernel[0], layer.stride[0], layer.padding[0], layer.dilation[0]
        eff = d * (k - 1) + 1
        conv += layer.type == "conv"
        name = f"conv {conv}" if layer.type == "conv" else "pool"
        if d > 1:
            name += f" (k' = {d}*({k}-1) + 1 = {eff})"
        top = f"{n} + 2*{p} - {eff}" if p else f"{n} - {eff}"
        frac = f"({top})/{s}" if (n + 2 * p - eff) % s == 0 else f"floor(({top})/{s})"
        n = result.output_size[0]
        lines.append(f"- {name}: {frac} + 1 = {n}")
    return lines


def _fov_answer(spec: CnnSpec, ask: str) -> tuple[str, str]:
    """(answer, worked solution) for the asked quantity."""
    sol = solve_cnn(spec)
    if ask == "jump":
        factors = "*".join(str(layer.stride[0]) for layer in spec.layers)
        return str(sol.jump[0]), ("The effective stride (jump) of the output is the product of "
                                  f"the strides of all layers:\n\n`{factors} = {sol.jump[0]}`\n")
    if ask == "output_size":
        lines = "\n".join(_size_lines(spec))
        return str(sol.output_size[0]), ("Each layer maps a size n to (n + 2p - k')/s + 1, "
                                         f"with k' = d*(k-1) + 1:\n\n{lines}\n")
    return str(sol.receptive_field[0]), (
        "Each layer widens the field of view by (k-1) times the product of the strides "
        "before it (a dilation d makes that d*(k-1)):\n\n"
        f"`{field_of_view_sum(spec)}`\n")


def solve_field_of_view(params: Mapping[str, Any]) -> Solved:
    """Field of view, jump or output size of a stack of square convolutions.

    Params: kernels, strides?, dilations?, pools? (layer numbers followed by a 2x2 max pool with
    stride 2), ask? (field_of_view | jump | output_size), size and padding? (output_size only);
    layers, channels and filters (shared with cnn.stack) are accepted and unused, and so are
    strided_layer and draw (sampler options).

    Raises:
        AuthoringError: unknown or inconsistent parameters, or an output smaller than 1x1.
    """
    family = FIELD_OF_VIEW
    _check_keys(params, _FOV_KEYS, family)
    kernels = _kernels(params, family)
    ask = _check_ask(params, family)
    layers, per = _fov_layers(params, kernels, family)
    data: dict[str, Any] = {"layers": layers}
    if ask == "output_size":
        data["input"] = {"size": params["size"]}
    spec = _spec(data, family)
    answer, solution = _fov_answer(spec, ask)
    placeholders = {
        "kernels": words([kernel_text(k) for k in kernels]),
        "layers": str(len(kernels)),
        "strides": same_or_words(per["strides"]),
        "strides_text": layers_text(per["strides"], "stride"),
        "dilations": same_or_words(per["dilations"]),
        "dilations_text": layers_text(per["dilations"], "dilation"),
        "pools_text": pools_text(per["pools"]),
    }
    if ask == "output_size":
        placeholders.update(size=str(params["size"]), padding=same_or_words(per["padding"]),
                            padding_text=layers_text(per["padding"], "padding", default=0))
    return Solved(placeholders=placeholders, answer=answer, solution=solution,
                  mistakes=fov_mistakes(spec, ask, answer))


def _params_layers(params: Mapping[str, Any], kernels: list, family: str) -> list[dict]:
    """Conv layers (with groups resolved per layer), then any fully connected layers."""
    n = len(kernels)
    filters = per_layer(params, "filters", n, None, family)
    strides = per_layer(params, "strides", n, 1, family)
    padding = per_layer(params, "padding", n, 0, family)
    bias, groups = params.get("bias", True), params.get("groups", 1)
    if groups != "depthwise" and not (_is_int(groups) and groups >= 1):
        raise _fail(f"groups must be an integer >= 1 or 'depthwise', got {groups!r}",
                    family, "groups")
    layers, cin = [], params["channels"]
    for k, f, s, p in zip(kernels, filters, strides, padding, strict=True):
        layers.append({"type": "conv", "kernel": k, "stride": s, "padding": p, "filters": f,
                       "bias": bias, "groups": cin if groups == "depthwise" else groups})
        cin = f
    units = params.get("linear", [])
    units = list(units) if isinstance(units, list | tuple) else [units]
    return layers + [{"type": "linear", "units": u, "bias": bias} for u in units]


def _groups_text(groups: Any) -> str:
    if groups == "depthwise":
        return "every convolution is depthwise (one group per input channel)"
    return "the convolutions are not grouped" if groups == 1 else \
        f"every convolution has {groups} groups"


def _linear_text(units: list[int]) -> str:
    if not units:
        return "no fully connected layers"
    if len(units) == 1:
        return f"one fully connected layer with {units[0]} units after the last convolution"
    return f"fully connected layers with {words(units)} units after the last convolution"


def solve_params(params: Mapping[str, Any]) -> Solved:
    """Parameter count of a conv stack, optionally followed by fully connected layers.

    Params: channels, kernels (ints, or [h, w] pairs), filters (one or per layer), bias?
    (default true), strides?, padding?, groups? (an int, or 'depthwise': groups = the layer's
    input channels), linear? (units of fully connected layers after the convs; needs size),
    size? (input height and width), layers?.

    Raises:
        AuthoringError: unknown or inconsistent parameters (groups not dividing channels, ...).
    """
    family = PARAMS
    _check_keys(params, _PARAMS_KEYS, family)
    kernels = _kernels(params, family, square=False)
    if "channels" not in params or "filters" not in params:
        raise _fail("channels and filters are required", family)
    layers = _params_layers(params, kernels, family)
    data: dict[str, Any] = {"input": {"channels": params["channels"]}, "layers": layers}
    if "size" in params:
        data["input"]["size"] = params["size"]
    spec = _spec(data, family)
    sol = solve_cnn(spec)
    bias = params.get("bias", True)
    units = [layer["units"] for layer in layers if layer["type"] == "linear"]
    filters = per_layer(params, "filters", len(kernels), None, family)
    placeholders = {
        **stack_placeholders({"kernels": kernels, "channels": params["channels"]}, family),
        "filters": same_or_words(filters),
        "filters_text": _filters_text(filters, "convolutional layer" if units else "layer"),
        "strides": same_or_words(per_layer(params, "strides", len(kernels), 1, family)),
        "bias": "with bias" if bias else "without bias",
        "bias_text": "Including biases" if bias else "Excluding biases",
        "groups_text": _groups_text(params.get("groups", 1)),
        "linear_text": _linear_text(units),
    }
    if spec.size is not None:
        placeholders["size"] = f"{spec.size[0]}x{spec.size[1]}"
    solution = ("A conv layer has (input channels / groups)*(kernel height)*(kernel width)*"
                "(filters) weights, a fully connected layer (inputs)*(units)"
                + (", each plus one bias per output" if bias else " (no biases)") + ":\n\n"
                f"`{params_sum(spec)}`\n")
    return Solved(placeholders=placeholders, answer=str(sol.weights + sol.biases),
                  solution=solution, mistakes=params_mistakes(data, f"family {family}"))
