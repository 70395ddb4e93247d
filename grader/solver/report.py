"""Text and JSON rendering of graph and convolution-stack solutions for `grader solve`."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from grader.solver.cnn import CnnSolution, LayerResult, field_of_view_sum, params_sum
from grader.solver.graph import GraphSolution


def exact_text(value: Any) -> str:
    """The exact value as a string: ``"-7/2"``, ``"exp(2)"``, ``"49"``.

    >>> exact_text(sp.Rational(-7, 2)), exact_text(sp.exp(2)), exact_text(Fraction(1, 2))
    ('-7/2', 'exp(2)', '1/2')
    """
    return str(sp.sympify(value, strict=True)) if not isinstance(value, str) else value


def float_value(value: Any) -> float:
    """A float for display and tolerance, rounded to 12 significant digits."""
    return float(f"{float(sp.N(value, 30)):.12g}")


def _entry(value: sp.Expr) -> dict[str, Any]:
    return {"exact": exact_text(value), "value": float_value(value)}


def graph_json(sol: GraphSolution) -> dict[str, Any]:
    """The `--json` document of DESIGN 3.1: forward values, arrows, gradients."""
    return {
        "forward": {name: _entry(value) for name, value in sol.forward.items()},
        "arrows": [
            {"id": a.id, "source": a.source, "target": a.target, "slot": a.slot,
             **_entry(sol.arrow_values[a.id])}
            for a in sol.arrows
        ],
        "gradients": {name: _entry(value) for name, value in sol.gradients.items()},
    }


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table with columns padded to their widest cell."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _short(value: sp.Expr) -> str:
    return f"{float(sp.N(value, 30)):.6g}"


def graph_text(sol: GraphSolution) -> str:
    """Readable report: forward values, then every arrow's value, then gradients."""
    graph = sol.graph
    forward_rows = [(name, "input", "", exact_text(v), _short(v))
                    for name, v in graph.inputs.items()]
    for node in graph.nodes:
        op = node.op if node.param is None else f"{node.op}({node.param})"
        value = sol.forward[node.id]
        forward_rows.append((node.id, op, ", ".join(node.inputs), exact_text(value), _short(value)))
    arrow_rows = [(a.id, f"{a.source} -> {a.target}", a.slot, exact_text(sol.arrow_values[a.id]),
                   _short(sol.arrow_values[a.id])) for a in sol.arrows]
    grad_rows = [(name, exact_text(v), _short(v)) for name, v in sol.gradients.items()]
    return "\n\n".join([
        "Forward values\n" + table(("node", "op", "inputs", "exact", "value"), forward_rows),
        f"Arrows (d{graph.output}/d value on the arrow)\n"
        + table(("arrow", "edge", "slot", "exact", "value"), arrow_rows),
        f"Gradients d{graph.output}/d node\n" + table(("node", "exact", "value"), grad_rows),
    ]) + "\n"


def _number(value: Fraction | int) -> int | float:
    # starts have denominator 1 or 2, so the float is exact
    value = Fraction(value)
    return int(value) if value.denominator == 1 else float(value)


def _geometry(result: LayerResult | CnnSolution) -> dict[str, Any]:
    out: dict[str, Any] = {"receptive_field": list(result.receptive_field),
                           "jump": list(result.jump)}
    if isinstance(result, LayerResult):
        out["start"] = [_number(s) for s in result.start]
    if result.output_size is not None:
        out["output_size"] = list(result.output_size)
    params = {k: v for k, v in (("weights", result.weights), ("biases", result.biases))
              if v is not None}
    if params:
        out["params"] = params
    return out


def cnn_json(sol: CnnSolution) -> dict[str, Any]:
    """The `--json` document of DESIGN 3.2: the whole stack, then per layer.

    Fields that are unknown (output sizes without an input size, parameters without channels or
    filters) are left out.
    """
    layers = []
    for layer, result in zip(sol.spec.layers, sol.layers, strict=True):
        entry = {"type": layer.type, **_geometry(result)}
        if result.output_channels is not None:
            entry["output_channels"] = result.output_channels
        layers.append(entry)
    out = _geometry(sol)
    out["start"] = layers[-1]["start"]
    if sol.weights is not None and sol.biases is not None:
        out["params"]["total"] = sol.weights + sol.biases
    out["layers"] = layers
    return out


def _pair_text(pair: Sequence[Any] | None) -> str:
    if pair is None:
        return "?"
    h, w = (exact_text(Fraction(x)) if isinstance(x, Fraction) else str(x) for x in pair)
    return h if h == w else f"{h}x{w}"


def _opt(value: int | None) -> str:
    return "?" if value is None else str(value)


def cnn_text(sol: CnnSolution) -> str:
    """Readable report: a per-layer table, then the field-of-view sum and the parameter sum."""
    rows = []
    for i, (layer, r) in enumerate(zip(sol.spec.layers, sol.layers, strict=True), start=1):
        kind = layer.type if layer.type != "linear" else f"linear({layer.units})"
        geo = "" if layer.type == "linear" else (
            f"k{_pair_text(layer.kernel)} s{_pair_text(layer.stride)} "
            f"p{_pair_text(layer.padding)} d{_pair_text(layer.dilation)}")
        rows.append((i, kind, geo, _pair_text(r.receptive_field), _pair_text(r.jump),
                     _pair_text(r.start), _pair_text(r.output_size), _opt(r.output_channels),
                     _opt(r.weights), _opt(r.biases)))
    header = ("#", "layer", "geometry", "field", "jump", "start", "out size", "channels",
              "weights", "biases")
    parts = [table(header, rows), "Field of view: " + field_of_view_sum(sol.spec, 0)]
    if sol.receptive_field[0] != sol.receptive_field[1] or _asymmetric(sol):
        parts[-1] = "Field of view (height): " + field_of_view_sum(sol.spec, 0)
        parts.append("Field of view (width): " + field_of_view_sum(sol.spec, 1))
    if sol.weights is not None and sol.biases is not None:
        parts.append("Parameters: " + params_sum(sol.spec))
    else:
        parts.append("Parameters: unknown (need input channels and every conv's filters)")
    return "\n".join(parts) + "\n"


def _asymmetric(sol: CnnSolution) -> bool:
    return any(len({*layer.kernel}) > 1 or len({*layer.stride}) > 1 or len({*layer.dilation}) > 1
               for layer in sol.spec.layers)
