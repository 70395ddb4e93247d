"""Plots for report.html as inline SVG text (matplotlib, no network, byte-identical reruns).

matplotlib because it is the well-kept standard for static plots and writes SVG itself; the SVG
goes inline in the page, so report.html opens offline with no script and no CDN.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

from grader.report.stats import ClassSummary

_STYLE = {
    "svg.hashsalt": "examgrader",  # fixed ids inside the SVG: reruns give the same bytes
    "svg.fonttype": "none",  # text as <text>, not glyph paths: smaller and searchable
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _svg(figure) -> str:
    """A figure as SVG markup without the XML prolog or the creation date."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = re.sub(r"^.*?(?=<svg)", "", text, flags=re.S)  # drop <?xml ...> and DOCTYPE
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def _figure(width: float = 6.4, height: float = 2.6):
    """A figure and its axes, without pyplot (no global backend or figure registry)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots()


def _style():
    from matplotlib import rc_context

    return rc_context(_STYLE)


def totals_histogram(summary: ClassSummary, thresholds: Sequence[tuple[str, float]]) -> str:
    """Distribution of totals (percent of each student's maximum), grade thresholds marked."""
    with _style():
        figure, axes = _figure()
        axes.hist(summary.percent, bins=range(0, 105, 5), color="#4a7ebb", edgecolor="white")
        for letter, threshold in thresholds:
            axes.axvline(threshold, color="#999", linewidth=0.8, linestyle="--")
            axes.text(threshold + 0.5, 1, letter, transform=axes.get_xaxis_transform(),
                      va="top", fontsize=8, color="#555")
        axes.set_xlim(0, 100)
        axes.set_xlabel("total, % of maximum")
        axes.set_ylabel("students")
        return _svg(figure)


def part_means(summary: ClassSummary) -> str:
    """Mean score per part as a share of its maximum (the part's difficulty), with its max."""
    items = summary.items
    with _style():
        figure, axes = _figure()
        values = [0 if math.isnan(i.difficulty) else i.difficulty for i in items]
        axes.bar([i.part for i in items], values, color="#4a7ebb")
        axes.set_ylim(0, 1)
        axes.set_ylabel("mean / max")
        axes.tick_params(axis="x", rotation=60)
        return _svg(figure)


def difficulty_discrimination(summary: ClassSummary) -> str:
    """Each part as a point: difficulty (mean/max) against discrimination (item-rest r)."""
    items = [i for i in summary.items
             if not math.isnan(i.difficulty) and not math.isnan(i.discrimination)]
    with _style():
        figure, axes = _figure(6.4, 3.2)
        axes.scatter([i.difficulty for i in items], [i.discrimination for i in items],
                     color="#4a7ebb", s=14)
        for item in items:
            axes.annotate(item.part, (item.difficulty, item.discrimination), fontsize=7,
                          xytext=(3, 2), textcoords="offset points")
        axes.axhline(0.2, color="#c33", linewidth=0.8, linestyle="--")  # common rule of thumb
        axes.set_xlim(-0.02, 1.02)
        axes.set_ylim(min([-0.2, *[i.discrimination for i in items]]) - 0.05, 1.02)
        axes.set_xlabel("difficulty (mean / max; 1 = everyone full marks)")
        axes.set_ylabel("discrimination (item-rest r)")
        return _svg(figure)
