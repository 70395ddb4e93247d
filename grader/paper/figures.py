"""Figures: computational graphs as deterministic SVG (left to right) and as Markdown tables."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import matplotlib
import networkx as nx
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from grader.solver.graph import Arrow, Graph, arrows_of, forward_values, graph_from_mapping

_X_STEP, _Y_STEP = 2.4, 1.4  # data units between layers and between nodes of a layer
_HALF_W, _HALF_H = 0.62, 0.42  # half size of a node box, data units
_INCH_PER_UNIT = 1.0
# Fixed salt, no date and text kept as text: the same graph gives the same SVG bytes.
_SVG_RC = {"svg.hashsalt": "examgrader", "svg.fonttype": "none", "font.size": 9.0}


def _layers(graph: Graph) -> dict[str, int]:
    """Layer (column) of every input and node: nodes by longest path from the inputs, inputs
    one column left of their first consumer (so a late input does not cross the picture)."""
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.inputs)
    for node in graph.nodes:
        dag.add_node(node.id)
        dag.add_edges_from((src, node.id) for src in node.inputs)
    layer = {}
    for depth, generation in enumerate(nx.topological_generations(dag)):
        layer.update(dict.fromkeys(generation, depth))
    for name in graph.inputs:
        consumers = [layer[t] for t in dag.successors(name)]
        layer[name] = max(min(consumers) - 1, 0) if consumers else 0
    return layer


def layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """Positions (data units): columns left to right, each column centred vertically."""
    layer = _layers(graph)
    order = list(graph.inputs) + [n.id for n in graph.nodes]
    columns: dict[int, list[str]] = {}
    for name in order:
        columns.setdefault(layer[name], []).append(name)
    pos = {}
    for col, names in columns.items():
        for i, name in enumerate(names):
            pos[name] = (col * _X_STEP, ((len(names) - 1) / 2 - i) * _Y_STEP)
    return pos


def _clip(center: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from ``center`` to ``toward`` leaves the node box around ``center``."""
    dx, dy = toward[0] - center[0], toward[1] - center[1]
    inf = float("inf")
    scale = min(_HALF_W / abs(dx) if dx else inf, _HALF_H / abs(dy) if dy else inf)
    return center[0] + dx * scale, center[1] + dy * scale


def _node_labels(graph: Graph, values: Mapping[str, Any] | None) -> dict[str, str]:
    labels = {}
    for name, value in graph.inputs.items():
        labels[name] = f"{name} = {value}"
    for node in graph.nodes:
        op = f"{node.op}({node.param})" if node.param is not None else node.op
        labels[node.id] = f"{node.id}\n{op}" + (f"\n= {values[node.id]}" if values else "")
    return labels


def _draw_arrow(ax: Any, arrow: Arrow, pos: Mapping, bend: float, label: str) -> None:
    start, end = pos[arrow.source], pos[arrow.target]
    a, b = _clip(start, end), _clip(end, start)
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.0,
                                 color="#333333", connectionstyle=f"arc3,rad={bend}",
                                 shrinkA=0, shrinkB=0, zorder=1))
    # label at the middle of the (possibly bent) arrow
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    mx, my = mx + bend * (b[1] - a[1]) / 2, my - bend * (b[0] - a[0]) / 2
    ax.text(mx, my, label, ha="center", va="center", fontsize=8, color="#8a1c1c", zorder=3,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})


def _bends(arrows: tuple[Arrow, ...]) -> dict[str, float]:
    """Arrows sharing source and target (``mul(z, z)``) are bent apart so both stay visible."""
    groups: dict[tuple[str, str], list[str]] = {}
    for arrow in arrows:
        groups.setdefault((arrow.source, arrow.target), []).append(arrow.id)
    bends = {}
    for ids in groups.values():
        for i, arrow_id in enumerate(ids):
            bends[arrow_id] = 0.0 if len(ids) == 1 else 0.35 * (i - (len(ids) - 1) / 2)
    return bends


def _figure(graph: Graph, arrow_values: Mapping[str, str] | None) -> MplFigure:
    pos = layout(graph)
    values = forward_values(graph) if arrow_values is not None else None
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    x0, x1 = min(xs) - _HALF_W - 0.2, max(xs) + _HALF_W + 0.2
    y0, y1 = min(ys) - _HALF_H - 0.3, max(ys) + _HALF_H + 0.3
    fig = MplFigure(figsize=((x1 - x0) * _INCH_PER_UNIT, (y1 - y0) * _INCH_PER_UNIT))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    bends = _bends(arrows_of(graph))
    for arrow in arrows_of(graph):
        label = arrow.id if arrow_values is None else f"{arrow.id}: {arrow_values[arrow.id]}"
        _draw_arrow(ax, arrow, pos, bends[arrow.id], label)
    for name, text in _node_labels(graph, values).items():
        x, y = pos[name]
        is_input = name in graph.inputs
        ax.add_patch(FancyBboxPatch((x - _HALF_W, y - _HALF_H), 2 * _HALF_W, 2 * _HALF_H,
                                    boxstyle="round,pad=0,rounding_size=0.12", zorder=2,
                                    fc="#eef3fb" if is_input else "#fff7e6", ec="#555555"))
        ax.text(x, y, text, ha="center", va="center", zorder=4, linespacing=1.3)
    return fig


def graph_svg(data: Mapping[str, Any], arrow_values: Mapping[str, str] | None = None) -> str:
    """SVG of a computational graph (DESIGN 3.1 mapping), inputs on the left.

    Args:
        data: the graph mapping of a ``Figure(kind="graph")``.
        arrow_values: None for the student paper (arrows labelled ``a1``..); the exact arrow
            values for the answer key (arrows labelled ``a5: -7/2``, nodes with their values).

    Returns:
        A standalone SVG document; the same inputs give the same bytes.
    """
    graph = graph_from_mapping(data, source="figure")
    buffer = io.StringIO()
    with matplotlib.rc_context(_SVG_RC):
        _figure(graph, arrow_values).savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone (no XML declaration, doctype, metadata or comments)."""
    body = svg[svg.index("<svg"):]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.S)
    return re.sub(r"<!--.*?-->", "", body, flags=re.S).strip()


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def graph_markdown(data: Mapping[str, Any], arrow_values: Mapping[str, str] | None = None) -> str:
    """The graph as Markdown: inputs, nodes and one table row per arrow (id, from, to).

    With ``arrow_values`` (answer key) the nodes show their forward values and the arrow
    table a value column.
    """
    graph = graph_from_mapping(data, source="figure")
    values = forward_values(graph) if arrow_values is not None else None
    inputs = ", ".join(f"${name} = {value}$" for name, value in graph.inputs.items())
    lines = [f"Inputs: {inputs}.", "", "| node | operation | inputs |"
             + (" value |" if values else ""), "|---|---|---|" + ("---|" if values else "")]
    for node in graph.nodes:
        op = f"{node.op}({node.param})" if node.param is not None else node.op
        row = f"| {node.id} | {op} | {', '.join(node.inputs)} |"
        lines.append(row + (f" {values[node.id]} |" if values else ""))
    lines += ["", f"Output: {graph.output}.", "",
              "| arrow | from | to |" + (" value |" if arrow_values is not None else ""),
              "|---|---|---|" + ("---|" if arrow_values is not None else "")]
    for arrow in arrows_of(graph):
        row = f"| {arrow.id} | {arrow.source} | {arrow.target} |"
        if arrow_values is not None:
            row += f" {_md_cell(arrow_values.get(arrow.id, '?'))} |"
        lines.append(row)
    return "\n".join(lines)
