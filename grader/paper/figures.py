"""Figures: computational graphs as deterministic SVG (left to right) and as Markdown tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from grader.paper.graphlayout import (
    BLANK_H,
    BLANK_W,
    HALF_H,
    HALF_W,
    Drawing,
    Edge,
    cached_drawing,
    content_key,
)
from grader.solver.graph import arrows_of, forward_values, graph_from_mapping

FORWARD_COLOR, GRADIENT_COLOR = "#1b7a2e", "#b3261e"  # green above, red below (CS231n notes)
_FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


def _f(value: float) -> str:
    """A coordinate with at most one decimal (short, stable SVG)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(x: float, y: float, text: str, color: str, size: int = 11) -> str:
    """Text on a white background (so a crossing line does not strike it through)."""
    width = 0.62 * size * len(text) + 4
    return (f'<rect x="{_f(x - width / 2)}" y="{_f(y - size * 0.8)}" width="{_f(width)}" '
            f'height="{_f(size * 1.1)}" fill="white"/>'
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" fill="{color}" '
            f'text-anchor="middle">{escape(text)}</text>')


def _svg_edge(edge: Edge) -> list[str]:
    (x0, y0), (cx, cy), (x1, y1) = edge.start, edge.control, edge.end
    out = [f'<path d="M{_f(x0)},{_f(y0)} Q{_f(cx)},{_f(cy)} {_f(x1)},{_f(y1)}" fill="none" '
           'stroke="#333" stroke-width="1.2" marker-end="url(#head)"/>']
    mx, my = edge.mid
    if edge.above:
        color = "#333" if edge.blank else FORWARD_COLOR
        out.append(_label(mx, my - 5, edge.above, color))
    if edge.below:
        out.append(_label(mx, my + 14, edge.below, GRADIENT_COLOR))
    if edge.blank:
        out.append(f'<rect x="{_f(mx - BLANK_W / 2)}" y="{_f(my + 3)}" width="{_f(BLANK_W)}" '
                   f'height="{_f(BLANK_H)}" fill="white" stroke="#555" stroke-width="0.8"/>')
    return out


def _svg(drawing: Drawing) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(drawing.width)}" '
           f'height="{_f(drawing.height)}" viewBox="0 0 {_f(drawing.width)} '
           f'{_f(drawing.height)}" {_FONT}>',
           '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'fill="#333"/></marker></defs>']
    for box in drawing.boxes:
        x, y = box.center
        fill = "#eef3fb" if box.is_input else "#fff7e6"
        out.append(f'<rect x="{_f(x - HALF_W)}" y="{_f(y - HALF_H)}" width="{_f(2 * HALF_W)}" '
                   f'height="{_f(2 * HALF_H)}" rx="6" fill="{fill}" stroke="#555"/>')
        first = y + 4 - 7 * (len(box.lines) - 1)
        for i, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if i == 0 and not box.is_input else ""
            out.append(f'<text x="{_f(x)}" y="{_f(first + 14 * i)}" font-size="12"{weight} '
                       f'text-anchor="middle">{escape(line)}</text>')
    for edge in drawing.edges:
        out += _svg_edge(edge)
    return "\n".join([*out, "</svg>"]) + "\n"


@lru_cache(maxsize=4096)
def _cached_svg(content: str) -> str:
    return _svg(cached_drawing(content))


def graph_svg(data: Mapping[str, Any], arrow_values: Mapping[str, str] | None = None) -> str:
    """SVG of a computational graph (DESIGN 3.1 mapping), inputs on the left.

    Args:
        data: the graph mapping of a ``Figure(kind="graph")``.
        arrow_values: None for the student paper (each arrow: its id and an empty box to
            write in); the exact arrow values for the answer key (forward value above each
            arrow in green, ``a5: -7/2`` below in red).

    Returns:
        An ``<svg>`` element; the same inputs give the same bytes (cached per content).
    """
    return _cached_svg(content_key(data, arrow_values))


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
