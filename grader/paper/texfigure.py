"""Computational-graph figures for LaTeX, from the same geometry as the SVG (crisp vectors).

LaTeX's own ``picture`` environment with pict2e (Bezier curves, filled polygons) rather than
TikZ or an embedded image: it prints as vectors in the paper's fonts, needs no file per figure
and no drawing program, and costs pdflatex ~5 ms per figure where the same drawing in TikZ
cost ~75 ms (measured: TikZ figures were three quarters of a 300-student roster's TeX time).
"""

from __future__ import annotations

import math
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

MAX_WIDTH_PX = 620.0  # ~16.4 cm at 0.75 pt per px: the A4 text width
HEAD = 6.0  # arrowhead length, px
# What the document preamble (paper.tex.j2) needs for these figures.
PREAMBLE = r"""\usepackage{pict2e}
\usepackage{graphicx}
\definecolor{gfwd}{HTML}{1B7A2E}\definecolor{ggrad}{HTML}{B3261E}
\definecolor{ginput}{HTML}{EEF3FB}\definecolor{gop}{HTML}{FFF7E6}
\newcommand{\glabel}[3]{\put(#1,#2){\makebox(0,0){\setlength{\fboxsep}{0.8pt}\colorbox{white}{\footnotesize#3}}}}"""

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


class _Canvas:
    """Picture-mode commands in picture coordinates (y up), from SVG pixels (y down)."""

    def __init__(self, height: float) -> None:
        self.height = height
        self.lines: list[str] = []

    def p(self, x: float, y: float) -> str:
        return f"({x:.1f},{self.height - y:.1f})"

    def xy(self, x: float, y: float) -> str:
        return f"{{{x:.1f}}}{{{self.height - y:.1f}}}"

    def add(self, line: str) -> None:
        self.lines.append(line)


def _edge(canvas: _Canvas, edge: Edge) -> None:
    (x0, y0), (cx, cy), (x1, y1) = edge.start, edge.control, edge.end
    dx, dy = x1 - cx, y1 - cy  # the curve's direction where it arrives
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    bx, by = x1 - HEAD * ux, y1 - HEAD * uy  # base of the head, where the line stops
    wing = 0.4 * HEAD
    canvas.add(rf"\qbezier{canvas.p(x0, y0)}{canvas.p(cx, cy)}{canvas.p(bx, by)}")
    canvas.add(rf"\polygon*{canvas.p(x1, y1)}{canvas.p(bx - wing * uy, by + wing * ux)}"
               rf"{canvas.p(bx + wing * uy, by - wing * ux)}")
    mx, my = edge.mid
    if edge.above:
        color = "" if edge.blank else r"\color{gfwd}"
        canvas.add(rf"\glabel{canvas.xy(mx, my - 9)}{{{color}{tex_label(edge.above)}}}")
    if edge.below:
        canvas.add(rf"\glabel{canvas.xy(mx, my + 10)}{{\color{{ggrad}}"
                   rf"{tex_label(edge.below)}}}")
    if edge.blank:
        corner = canvas.p(mx - BLANK_W / 2, my + 3 + BLANK_H)
        canvas.add(rf"\put{corner}{{\color{{white}}\rule{{{BLANK_W:g}\unitlength}}"
                   rf"{{{BLANK_H:g}\unitlength}}}}")
        canvas.add(rf"\put{corner}{{\framebox({BLANK_W:g},{BLANK_H:g}){{}}}}")


def _picture(drawing: Drawing) -> str:
    scale = min(1.0, MAX_WIDTH_PX / drawing.width)
    canvas = _Canvas(drawing.height)
    for box in drawing.boxes:
        x, y = box.center
        corner = canvas.p(x - HALF_W, y + HALF_H)
        fill = "ginput" if box.is_input else "gop"
        canvas.add(rf"\put{corner}{{\color{{{fill}}}\rule{{{2 * HALF_W:g}\unitlength}}"
                   rf"{{{2 * HALF_H:g}\unitlength}}}}")
        canvas.add(rf"\put{corner}{{\framebox({2 * HALF_W:g},{2 * HALF_H:g}){{}}}}")
        first = y - 7 * (len(box.lines) - 1)
        for i, line in enumerate(box.lines):
            text = tex_label(line)
            text = rf"\textbf{{{text}}}" if i == 0 and not box.is_input else text
            canvas.add(rf"\put{canvas.p(x, first + 14 * i)}{{\makebox(0,0){{\small {text}}}}}")
    for edge in drawing.edges:
        _edge(canvas, edge)
    body = "\n".join(canvas.lines)
    return (f"\\scalebox{{{scale:.3f}}}{{\\setlength{{\\unitlength}}{{0.75pt}}"
            f"\\linethickness{{0.6pt}}\\begin{{picture}}({drawing.width:.1f},"
            f"{drawing.height:.1f})\n{body}\n\\end{{picture}}}}")


@lru_cache(maxsize=4096)
def _cached_picture(content: str) -> str:
    return _picture(cached_drawing(content))


def graph_picture(data: Mapping[str, Any], arrow_values: Mapping[str, str] | None = None) -> str:
    """A LaTeX ``picture`` of a computational graph (needs :data:`PREAMBLE` in the document).

    Args:
        data: the graph mapping of a ``Figure(kind="graph")``.
        arrow_values: None for the student paper (arrow ids and empty boxes); the exact arrow
            values for the key (forward values above in green, gradients below in red).
    """
    return _cached_picture(content_key(data, arrow_values))
