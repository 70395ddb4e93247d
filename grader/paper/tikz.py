"""Computational-graph figures as TikZ, from the same geometry as the SVG (crisp vector print).

TikZ rather than an embedded PDF/PNG: pdflatex draws it as vectors with the paper's own fonts,
it needs no file per figure and no drawing program at paper time, and writing it is a string
join (microseconds per figure).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

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

MAX_WIDTH_PX = 600.0  # ~15.9 cm at 0.75 pt per px: fits an A4 text width
# Colours the preamble (paper.tex.j2) must define, with the node fills.
PREAMBLE = r"""\usetikzlibrary{arrows.meta}
\definecolor{gfwd}{HTML}{1B7A2E}\definecolor{ggrad}{HTML}{B3261E}
\definecolor{ginput}{HTML}{EEF3FB}\definecolor{gop}{HTML}{FFF7E6}"""

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
            "~": r"\textasciitilde{}", "-": r"\textminus{}", "<": r"\textless{}",
            ">": r"\textgreater{}"}


def tex_label(text: str) -> str:
    r"""Plain text for TeX, special characters escaped; a minus sign prints as a minus.

    >>> tex_label("a5: -7/2")
    'a5: \\textminus{}7/2'
    """
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def _p(point: tuple[float, float]) -> str:
    return f"({point[0]:.1f},{point[1]:.1f})"


def _tikz_edge(edge: Edge) -> list[str]:
    (x0, y0), (cx, cy), (x1, y1) = edge.start, edge.control, edge.end
    # a quadratic Bezier as the cubic TikZ draws: controls 2/3 of the way to the control point
    c1 = (x0 + 2 * (cx - x0) / 3, y0 + 2 * (cy - y0) / 3)
    c2 = (x1 + 2 * (cx - x1) / 3, y1 + 2 * (cy - y1) / 3)
    out = [rf"\draw[-{{Stealth[length=5pt]}},semithick] {_p(edge.start)} .. controls "
           rf"{_p(c1)} and {_p(c2)} .. {_p(edge.end)};"]
    mx, my = edge.mid
    label = r"\node[fill=white,inner sep=1pt,font=\footnotesize{color}] at {at} {{{text}}};"
    if edge.above:
        color = "" if edge.blank else r",text=gfwd"
        out.append(label.format(color=color, at=_p((mx, my - 9)), text=tex_label(edge.above)))
    if edge.below:
        out.append(label.format(color=r",text=ggrad", at=_p((mx, my + 10)),
                                text=tex_label(edge.below)))
    if edge.blank:
        out.append(rf"\draw[fill=white,draw=black!70] {_p((mx - BLANK_W / 2, my + 3))} "
                   rf"rectangle {_p((mx + BLANK_W / 2, my + 3 + BLANK_H))};")
    return out


def _tikz(drawing: Drawing) -> str:
    scale = min(1.0, MAX_WIDTH_PX / drawing.width)
    out = [rf"\begin{{tikzpicture}}[x=0.75pt,y=-0.75pt,scale={scale:.3f},"
           r"every node/.style={transform shape}]"]
    for box in drawing.boxes:
        x, y = box.center
        fill = "ginput" if box.is_input else "gop"
        out.append(rf"\draw[rounded corners=4pt,fill={fill},draw=black!65] "
                   rf"{_p((x - HALF_W, y - HALF_H))} rectangle {_p((x + HALF_W, y + HALF_H))};")
        first = y - 7 * (len(box.lines) - 1)
        for i, line in enumerate(box.lines):
            text = tex_label(line)
            text = rf"\textbf{{{text}}}" if i == 0 and not box.is_input else text
            out.append(rf"\node[font=\small,inner sep=0pt] at {_p((x, first + 14 * i))} "
                       rf"{{{text}}};")
    for edge in drawing.edges:
        out += _tikz_edge(edge)
    return "\n".join([*out, r"\end{tikzpicture}"])


@lru_cache(maxsize=4096)
def _cached_tikz(content: str) -> str:
    return _tikz(cached_drawing(content))


def graph_tikz(data: Mapping[str, Any], arrow_values: Mapping[str, str] | None = None) -> str:
    """A ``tikzpicture`` of a computational graph (needs :data:`PREAMBLE` in the document).

    Args:
        data: the graph mapping of a ``Figure(kind="graph")``.
        arrow_values: None for the student paper (arrow ids and empty boxes); the exact arrow
            values for the key (forward values above in green, gradients below in red).
    """
    return _cached_tikz(content_key(data, arrow_values))
