"""Geometry of a computational-graph figure, shared by the SVG (screen) and TikZ (print) writers.

The layout is computed here once, in plain numbers (SVG pixels, y down), so both writers draw
exactly the same picture and neither needs a plotting library: writing a few dozen shapes as
text takes microseconds, where drawing with matplotlib took ~0.2 s per figure (the cost that
made a 300-student roster take minutes). networkx only orders the nodes into columns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import networkx as nx

from grader.solver.graph import Arrow, Graph, arrows_of, forward_values, graph_from_mapping

X_STEP, Y_STEP = 124.0, 84.0  # px between columns and between the nodes of a column
HALF_W, HALF_H = 33.0, 20.0  # half size of a node box
STUB = 56.0  # the output's outgoing stub arrow
MARGIN = 14.0
LANE, LANE_STEP = 46.0, 22.0  # lanes for arrows that skip columns: distance from the nodes
BLANK_W, BLANK_H = 38.0, 15.0  # the empty box a student writes an arrow's value in

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A node (or input) box: centre and its text lines (first line is the name)."""

    name: str
    center: Point
    lines: tuple[str, ...]
    is_input: bool


@dataclass(frozen=True)
class Edge:
    """An arrow drawn as a quadratic Bezier (start, control, end); labels sit at ``mid``.

    ``above``: text above the arrow (the id on the student paper, the forward value in the
    key); ``below``: the gradient in the key; ``blank``: draw an empty answer box below.
    """

    id: str
    start: Point
    control: Point
    end: Point
    mid: Point
    above: str
    below: str
    blank: bool


@dataclass(frozen=True)
class Drawing:
    """Everything a writer draws, in pixels with y pointing down."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    key: bool


def _columns(graph: Graph) -> dict[int, list[str]]:
    """Nodes by longest path from the inputs; an input one column left of its first consumer
    (so a late input does not cross the picture); each column ordered by the mean row of its
    predecessors (one barycentre sweep: fewer crossings, still deterministic)."""
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
    columns: dict[int, list[str]] = {}
    for name in [*graph.inputs, *(n.id for n in graph.nodes)]:
        columns.setdefault(layer[name], []).append(name)
    row: dict[str, float] = {}
    for col in sorted(columns):
        names = columns[col]
        for i, name in enumerate(names):
            preds = [row[p] for p in dag.predecessors(name) if p in row]
            row[name] = sum(preds) / len(preds) if preds else float(i)
        names.sort(key=lambda n: row[n])
        row.update((n, float(i) - (len(names) - 1) / 2) for i, n in enumerate(names))
    return columns


def _clip(center: Point, toward: Point) -> Point:
    """Where the segment from ``center`` to ``toward`` leaves the node box around ``center``."""
    dx, dy = toward[0] - center[0], toward[1] - center[1]
    inf = float("inf")
    scale = min(HALF_W / abs(dx) if dx else inf, HALF_H / abs(dy) if dy else inf)
    return center[0] + dx * scale, center[1] + dy * scale


def _bends(arrows: tuple[Arrow, ...]) -> dict[str, float]:
    """Arrows sharing source and target (``mul(z, z)``) are bent apart so both stay visible."""
    groups: dict[tuple[str, str], list[str]] = {}
    for arrow in arrows:
        groups.setdefault((arrow.source, arrow.target), []).append(arrow.id)
    bends = {}
    for ids in groups.values():
        for i, arrow_id in enumerate(ids):
            bends[arrow_id] = 0.0 if len(ids) == 1 else 0.5 * (i - (len(ids) - 1) / 2)
    return bends


def _edge(arrow_id: str, a: Point, b: Point, bend: float, above: str, below: str,
          blank: bool) -> Edge:
    control = ((a[0] + b[0]) / 2 + bend * (b[1] - a[1]), (a[1] + b[1]) / 2 - bend * (b[0] - a[0]))
    mid = (0.25 * a[0] + 0.5 * control[0] + 0.25 * b[0],
           0.25 * a[1] + 0.5 * control[1] + 0.25 * b[1])
    return Edge(arrow_id, a, control, b, mid, above, below, blank)


def _box_lines(graph: Graph) -> dict[str, tuple[str, ...]]:
    lines: dict[str, tuple[str, ...]] = {n: (f"{n} = {v}",) for n, v in graph.inputs.items()}
    for node in graph.nodes:
        op = f"{node.op}({node.param})" if node.param is not None else node.op
        lines[node.id] = (node.id, op)
    return lines


def _long_edge_controls(graph: Graph, col: Mapping[str, int], pos: Mapping[str, Point],
                        top: float, bottom: float) -> dict[str, Point]:
    """Control points of arrows that skip a column: they arc through a lane above or below
    every node (alternately, staggered) instead of crossing the boxes in between."""
    controls, used = {}, {True: 0, False: 0}
    for arrow in arrows_of(graph):
        if col[arrow.target] - col[arrow.source] <= 1:
            continue
        upper = used[True] <= used[False]
        lane = top - LANE_STEP * used[upper] if upper else bottom + LANE_STEP * used[upper]
        used[upper] += 1
        a, b = pos[arrow.source], pos[arrow.target]
        # the curve's midpoint (where its labels sit) is on the lane
        controls[arrow.id] = ((a[0] + b[0]) / 2, 2 * lane - (a[1] + b[1]) / 2)
    return controls


def _arrow_edges(graph: Graph, pos: Mapping[str, Point], controls: Mapping[str, Point],
                 arrow_values: Mapping[str, str] | None) -> list[Edge]:
    key = arrow_values is not None
    values = forward_values(graph) if key else {}
    bends, edges = _bends(arrows_of(graph)), []
    for arrow in arrows_of(graph):
        start, end = pos[arrow.source], pos[arrow.target]
        above = str(values[arrow.source]) if key else arrow.id
        below = f"{arrow.id}: {arrow_values[arrow.id]}" if key else ""
        if arrow.id in controls:
            control = controls[arrow.id]
            a, b = _clip(start, control), _clip(end, control)
            mid = (0.25 * a[0] + 0.5 * control[0] + 0.25 * b[0],
                   0.25 * a[1] + 0.5 * control[1] + 0.25 * b[1])
            edges.append(Edge(arrow.id, a, control, b, mid, above, below, not key))
        else:
            edges.append(_edge(arrow.id, _clip(start, end), _clip(end, start),
                               bends[arrow.id], above, below, blank=not key))
    out = pos[graph.output]
    stub_from = (out[0] + HALF_W, out[1])
    edges.append(_edge("", stub_from, (stub_from[0] + STUB, out[1]), 0.0,
                       str(values[graph.output]) if key else "", "1" if key else "", False))
    return edges


def drawing(graph: Graph, arrow_values: Mapping[str, str] | None = None) -> Drawing:
    """Lay out ``graph`` left to right.

    Args:
        graph: the graph.
        arrow_values: None for the student paper (each arrow: its id above, an empty box
            below); the exact arrow values for the key (forward value above, ``a5: -7/2``
            below, as in the CS231n notes).
    """
    columns = _columns(graph)
    col = {name: c for c, names in columns.items() for name in names}
    long = sum(1 for a in arrows_of(graph) if col[a.target] - col[a.source] > 1)
    lanes_up, lanes_down = (long + 1) // 2, long // 2
    top = MARGIN + 20 + (LANE + LANE_STEP * max(lanes_up - 1, 0) if lanes_up else 0)
    tallest = max(len(names) for names in columns.values())
    pos = {name: (MARGIN + HALF_W + c * X_STEP,
                  top + ((tallest - 1) / 2 + i - (len(names) - 1) / 2) * Y_STEP)
           for c, names in columns.items() for i, name in enumerate(names)}
    bottom = top + (tallest - 1) * Y_STEP
    controls = _long_edge_controls(graph, col, pos, top - LANE, bottom + LANE)
    edges = _arrow_edges(graph, pos, controls, arrow_values)
    boxes = tuple(Box(name, pos[name], lines, name in graph.inputs)
                  for name, lines in _box_lines(graph).items())
    width = max(x for x, _ in pos.values()) + HALF_W + STUB + 2 * MARGIN
    below = LANE + LANE_STEP * max(lanes_down - 1, 0) + 14 if lanes_down else 20
    return Drawing(width, bottom + below + MARGIN, boxes, tuple(edges), arrow_values is not None)


def content_key(data: Mapping[str, Any], arrow_values: Mapping[str, str] | None) -> str:
    """A canonical string for a figure's content (what the drawing caches are keyed on)."""
    return json.dumps([data, None if arrow_values is None else dict(arrow_values)],
                      sort_keys=True, default=str)


@lru_cache(maxsize=4096)
def cached_drawing(content: str) -> Drawing:
    """:func:`drawing` of a :func:`content_key` (the same graph is laid out once per run)."""
    data, values = json.loads(content)
    return drawing(graph_from_mapping(data, source="figure"), values)
