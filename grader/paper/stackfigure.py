"""CNN layer-stack figures: a left-to-right row of layer boxes as SVG, LaTeX picture or Markdown.

A figure of kind ``cnn`` holds a DESIGN 3.2 stack mapping (``input``, ``layers``). One geometry
(:func:`_drawing`) feeds both drawn writers, as for the graph figures. Boxes show only what the
question states (kernels, and strides, dilations, filters, pooling when the mapping gives them);
the receptive field of each layer is an answer, so it comes in ``values`` (layer number -> text,
:func:`stack_fields`), which only an answer key passes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from grader.paper.texfigure import MAX_WIDTH_PX, tex_label
from grader.solver.cnn import cnn_from_mapping, solve_cnn

LINE_H, PAD, GAP, MARGIN, HEAD = 14.0, 8.0, 30.0, 10.0, 6.0  # px
KEY_H = 22.0  # room under the boxes for the key's receptive fields
FIELD_COLOR = "#b3261e"  # the key's red (figures.GRADIENT_COLOR)
_FILLS = {"input": ("#eef3fb", "ginput"), "conv": ("#fff7e6", "gop")}  # others: white
_FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


def _pair_text(value: Any) -> str:
    """``3`` -> ``"3x3"``; ``[3, 5]`` -> ``"3x5"``."""
    h, w = (value, value) if isinstance(value, int) else value
    return f"{h}x{w}"


def _number_text(value: Any) -> str:
    """A stride or dilation: ``2`` -> ``"2"``, ``[2, 1]`` (height, width) -> ``"2x1"``."""
    return str(value) if isinstance(value, int) else _pair_text(value)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _input_lines(data: Mapping[str, Any]) -> tuple[str, ...]:
    spec = data.get("input") or {}
    lines = ["input"]
    if "channels" in spec:
        lines.append(_plural(spec["channels"], "channel"))
    if "size" in spec:
        lines.append(f"size {_pair_text(spec['size'])}")
    if "features" in spec:
        lines.append(_plural(spec["features"], "feature"))
    return tuple(lines)


def _layer_lines(layer: Mapping[str, Any], conv_number: int) -> tuple[str, ...]:
    """The box text of one layer: what the question states about it, never a result."""
    kind = layer["type"]
    if kind == "linear":
        return ("fully connected", _plural(layer["units"], "unit"))
    lines = [f"conv {conv_number}" if kind == "conv" else "pool",
             f"kernel {_pair_text(layer['kernel'])}"]
    if "stride" in layer:
        lines.append(f"stride {_number_text(layer['stride'])}")
    if layer.get("dilation", 1) not in (1, [1, 1]):
        lines.append(f"dilation {_number_text(layer['dilation'])}")
    if layer.get("filters") is not None:
        lines.append(_plural(layer["filters"], "filter"))
    return tuple(lines)


def stack_boxes(data: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """(layer number, text lines) per box, left to right; the input is layer ``"0"``.

    >>> stack_boxes({"input": {"channels": 3}, "layers": [{"type": "conv", "kernel": 3,
    ...              "filters": 2}, {"type": "pool", "kernel": 2, "stride": 2}]})
    [('0', ('input', '3 channels')), ('1', ('conv 1', 'kernel 3x3', '2 filters')), \
('2', ('pool', 'kernel 2x2', 'stride 2'))]
    """
    boxes = [("0", _input_lines(data))]
    convs = 0
    for number, layer in enumerate(data["layers"], start=1):
        convs += layer["type"] == "conv"
        boxes.append((str(number), _layer_lines(layer, convs)))
    return boxes


def stack_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """The receptive field after each conv or pool layer (layer number -> ``"7"`` or ``"7x9"``),
    with the strides the mapping gives (1 where it gives none). For answer keys only."""
    solution = solve_cnn(cnn_from_mapping(data, source="figure"))
    fields = {}
    for number, (layer, result) in enumerate(zip(data["layers"], solution.layers, strict=True),
                                             start=1):
        if layer["type"] != "linear":  # a fully connected layer sees the whole input
            h, w = result.receptive_field
            fields[str(number)] = str(h) if h == w else f"{h}x{w}"
    return fields


@dataclass(frozen=True)
class _Box:
    number: str
    kind: str  # input | conv | pool | linear
    left: float
    lines: tuple[str, ...]
    field: str  # the key's receptive field label, or ""


@dataclass(frozen=True)
class _Drawing:
    boxes: tuple[_Box, ...]
    box_w: float
    box_h: float
    width: float
    height: float

    @property
    def mid_y(self) -> float:
        return MARGIN + self.box_h / 2


def _legend(data: Mapping[str, Any]) -> str:
    """What the key's fields assume: the strides drawn, or 1 where the figure draws none."""
    given = any("stride" in layer for layer in data["layers"] if layer["type"] == "conv")
    return "with these strides" if given else "at stride 1:"


def _drawing(data: Mapping[str, Any], values: Mapping[str, str] | None) -> _Drawing:
    boxes = stack_boxes(data)
    kinds = ["input", *(layer["type"] for layer in data["layers"])]
    longest = max(len(line) for _, lines in boxes for line in lines)
    box_w = max(80.0, 7.0 * longest + 2 * PAD)
    box_h = LINE_H * max(len(lines) for _, lines in boxes) + 2 * PAD
    labels = {number: f"field {value}" for number, value in (values or {}).items()}
    if values:
        labels["0"] = _legend(data)  # under the input box
    placed = tuple(
        _Box(number, kind, MARGIN + i * (box_w + GAP), lines, labels.get(number, ""))
        for i, ((number, lines), kind) in enumerate(zip(boxes, kinds, strict=True)))
    width = 2 * MARGIN + len(placed) * box_w + (len(placed) - 1) * GAP
    height = 2 * MARGIN + box_h + (KEY_H if values else 0)
    return _Drawing(placed, box_w, box_h, width, height)


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _aria(drawing: _Drawing) -> str:
    layers = "; ".join(", ".join(box.lines + ((box.field.rstrip(":"),) if box.field else ()))
                       for box in drawing.boxes)
    return f"CNN, left to right: {layers}"


def _svg(drawing: _Drawing) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(drawing.width)}" '
           f'height="{_f(drawing.height)}" viewBox="0 0 {_f(drawing.width)} '
           f'{_f(drawing.height)}" {_FONT} role="img" aria-label={quoteattr(_aria(drawing))}>']
    w, h, y = drawing.box_w, drawing.box_h, drawing.mid_y
    for i, box in enumerate(drawing.boxes):
        fill = _FILLS.get(box.kind, ("white", ""))[0]
        out.append(f'<rect x="{_f(box.left)}" y="{_f(MARGIN)}" width="{_f(w)}" height="{_f(h)}" '
                   f'rx="6" fill="{fill}" stroke="#555"/>')
        cx, first = box.left + w / 2, y + 4 - LINE_H / 2 * (len(box.lines) - 1)
        for j, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if j == 0 else ""
            out.append(f'<text x="{_f(cx)}" y="{_f(first + LINE_H * j)}" font-size="12"'
                       f'{weight} text-anchor="middle">{escape(line)}</text>')
        if box.field:
            out.append(f'<text x="{_f(cx)}" y="{_f(MARGIN + h + 16)}" font-size="11" '
                       f'fill="{FIELD_COLOR}" text-anchor="middle">{escape(box.field)}</text>')
        if i:  # arrow from the previous box
            x0, x1 = box.left - GAP, box.left
            out.append(f'<path d="M{_f(x0)},{_f(y)} L{_f(x1 - HEAD)},{_f(y)}" stroke="#333" '
                       f'stroke-width="1.2"/><path d="M{_f(x1)},{_f(y)} L{_f(x1 - HEAD)},'
                       f'{_f(y - 3)} L{_f(x1 - HEAD)},{_f(y + 3)} z" fill="#333"/>')
    return "\n".join([*out, "</svg>"]) + "\n"


def _picture(drawing: _Drawing) -> str:
    """The same drawing as a LaTeX ``picture`` (y up; colours from texfigure.PREAMBLE)."""
    w, h, top = drawing.box_w, drawing.box_h, drawing.height
    y = top - drawing.mid_y

    def at(x: float, y_down: float) -> str:
        return f"({x:.1f},{top - y_down:.1f})"

    out = []
    for i, box in enumerate(drawing.boxes):
        corner = at(box.left, MARGIN + h)
        fill = _FILLS.get(box.kind, ("", "white"))[1]
        out.append(rf"\put{corner}{{\color{{{fill}}}\rule{{{w:g}\unitlength}}{{{h:g}\unitlength}}}}")
        out.append(rf"\put{corner}{{\framebox({w:g},{h:g}){{}}}}")
        cx, first = box.left + w / 2, drawing.mid_y - LINE_H / 2 * (len(box.lines) - 1)
        for j, line in enumerate(box.lines):
            text = rf"\textbf{{{tex_label(line)}}}" if j == 0 else tex_label(line)
            out.append(rf"\put{at(cx, first + LINE_H * j)}{{\makebox(0,0){{\small {text}}}}}")
        if box.field:
            out.append(rf"\put{at(cx, MARGIN + h + 12)}{{\makebox(0,0){{\small\color{{ggrad}}"
                       rf"{tex_label(box.field)}}}}}")
        if i:
            out.append(rf"\put({box.left - GAP:.1f},{y:.1f}){{\vector(1,0){{{GAP:g}}}}}")
    scale = min(1.0, MAX_WIDTH_PX / drawing.width)
    body = "\n".join(out)
    return (f"\\scalebox{{{scale:.3f}}}{{\\setlength{{\\unitlength}}{{0.75pt}}"
            f"\\linethickness{{0.6pt}}\\begin{{picture}}({drawing.width:.1f},"
            f"{drawing.height:.1f})\n{body}\n\\end{{picture}}}}")


def _key(data: Mapping[str, Any], values: Mapping[str, str] | None) -> str:
    return json.dumps([data, values], sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=1024)
def _cached(content: str, writer: str) -> str:
    data, values = json.loads(content)
    drawing = _drawing(data, values)
    return _svg(drawing) if writer == "svg" else _picture(drawing)


def stack_svg(data: Mapping[str, Any], values: Mapping[str, str] | None = None) -> str:
    """SVG of a CNN stack: one box per layer, left to right, joined by arrows.

    Args:
        data: the stack mapping of a ``Figure(kind="cnn")`` (DESIGN 3.2).
        values: None on student papers; :func:`stack_fields` on keys (the receptive field of
            each layer, in red under its box).
    """
    return _cached(_key(data, values), "svg")


def stack_picture(data: Mapping[str, Any], values: Mapping[str, str] | None = None) -> str:
    """The :func:`stack_svg` drawing as a LaTeX ``picture`` (needs texfigure.PREAMBLE)."""
    return _cached(_key(data, values), "tex")


def stack_markdown(data: Mapping[str, Any], values: Mapping[str, str] | None = None) -> str:
    """The stack as a Markdown table, one row per box (a field-of-view column on keys)."""
    legend = _legend(data).removesuffix(":")
    header = "| layer | details |" + (f" field of view ({legend}) |" if values is not None
                                      else "")
    rows = [header, "|---|---|" + ("---|" if values is not None else "")]
    for number, lines in stack_boxes(data):
        row = f"| {lines[0]} | {', '.join(lines[1:])} |"
        rows.append(row + (f" {values.get(number, '')} |" if values is not None else ""))
    return "\n".join(rows)
