"""Common mistakes of cnn.field_of_view and cnn.params, computed for each variant.

Each function returns ``Solved.mistakes``: mistake id -> the exact value a student who makes
that mistake writes (docs/mistakes.md). A mistake whose value equals the right answer for
the variant is left out: it cannot be told apart from a right answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from grader.solver.cnn import CnnSolution, CnnSpec, cnn_from_mapping, solve_cnn


def _quantity(sol: CnnSolution, ask: str) -> int:
    if ask == "jump":
        return sol.jump[0]
    if ask == "output_size":
        return sol.output_size[0]
    return sol.receptive_field[0]


def _without(values: Mapping[str, int], answer: str) -> dict[str, str]:
    """The mistakes as exact strings, without those equal to the answer."""
    return {k: str(v) for k, v in values.items() if str(v) != answer}


def fov_mistakes(spec: CnnSpec, ask: str, answer: str) -> dict[str, str]:
    """Mistakes of a field of view (or jump, output size) question.

    - ``stride-forgotten``: every stride taken as 1 (pooling layers' too), any ``ask``;
    - field of view only, with r = 1 + sum (k'_l - 1) * J_(l-1) (J: product of the strides
      before layer l, k' the dilated kernel):
      ``kernel-sum``: the kernels added instead of k - 1, without the leading 1
      (sum k'_l * J_(l-1); 3 + 5 + 7 = 15 for the 2019 stack);
      ``own-stride``: a layer's own stride scales its own kernel (J_l instead of J_(l-1));
      ``off-by-one``: the leading 1 forgotten (r - 1).

    >>> spec = cnn_from_mapping({"layers": [{"type": "conv", "kernel": k, "stride": s}
    ...                                     for k, s in ((3, 2), (5, 1), (7, 1))]})
    >>> fov_mistakes(spec, "field_of_view", "23")
    {'stride-forgotten': '13', 'kernel-sum': '27', 'own-stride': '25', 'off-by-one': '22'}
    """
    flat = dataclasses.replace(spec, layers=tuple(dataclasses.replace(layer, stride=(1, 1))
                                                  for layer in spec.layers))
    values = {"stride-forgotten": _quantity(solve_cnn(flat), ask)}
    if ask == "field_of_view":
        sol = solve_cnn(spec)
        before, kernel_sum, own = 1, 0, 1
        for layer, result in zip(spec.layers, sol.layers, strict=True):
            eff = layer.dilation[0] * (layer.kernel[0] - 1) + 1
            kernel_sum += eff * before
            own += (eff - 1) * result.jump[0]
            before = result.jump[0]
        values.update({"kernel-sum": kernel_sum, "own-stride": own,
                       "off-by-one": sol.receptive_field[0] - 1})
    return _without(values, answer)


def _channels_everywhere(layers: list[dict[str, Any]], channels: int,
                         sol: CnnSolution) -> int | None:
    """The count when every conv layer is taken to see the input's channels; None when the
    input's channels do not split into a layer's groups (the mistake then has no value)."""
    total = 0
    for layer, result in zip(layers, sol.layers, strict=True):
        if layer["type"] != "conv":
            total += result.weights + result.biases
            continue
        groups = layer.get("groups", 1)
        if channels % groups:
            return None
        kernel = layer["kernel"]
        h, w = (kernel, kernel) if isinstance(kernel, int) else kernel
        total += channels // groups * h * w * layer["filters"]
        total += layer["filters"] if layer.get("bias", True) else 0
    return total


def params_mistakes(data: Mapping[str, Any], source: str) -> dict[str, str]:
    """Mistakes of a parameter count of the stack ``data`` (DESIGN 3.2 mapping, every layer
    with an explicit ``bias``).

    - ``channels-everywhere``: the input's channels used as every conv layer's input channels;
    - ``biases-counted`` (biases were excluded) or ``biases-forgotten`` (they were included):
      the count with the opposite of what was asked.

    >>> data = {"input": {"channels": 3}, "layers": [
    ...     {"type": "conv", "kernel": k, "filters": 2, "bias": False} for k in (3, 5, 7)]}
    >>> params_mistakes(data, "doctest")
    {'channels-everywhere': '498', 'biases-counted': '356'}
    """
    sol = solve_cnn(cnn_from_mapping(data, source=source))
    answer = str(sol.weights + sol.biases)
    layers = list(data["layers"])
    bias = all(layer.get("bias", True) for layer in layers)
    flipped = {**data, "layers": [{**layer, "bias": not bias} for layer in layers]}
    other = solve_cnn(cnn_from_mapping(flipped, source=source))
    values = {"biases-forgotten" if bias else "biases-counted": other.weights + other.biases}
    everywhere = _channels_everywhere(layers, data["input"]["channels"], sol)
    if everywhere is not None:
        values = {"channels-everywhere": everywhere, **values}
    return _without(values, answer)
