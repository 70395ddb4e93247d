"""Markdown to HTML with $math$ and $$math$$ turned into MathML, so papers need no network."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin


def latex_to_mathml(latex: str, display: bool = False) -> str:
    """MathML for one formula; LaTeX that latex2mathml cannot read is shown as escaped code.

    >>> latex_to_mathml("x^2").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
    """
    try:
        return convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - latex2mathml raises many types; showing the source is safe
        return f"<code>{html.escape(latex)}</code>"


def _render_math(content: str, options: dict[str, Any]) -> str:
    return latex_to_mathml(content.strip(), bool(options.get("display_mode")))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False: raw HTML written in an exam text is escaped, never passed through.
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    dollarmath_plugin(md, renderer=_render_math, allow_digits=False, allow_labels=False)
    return md


@lru_cache(maxsize=16384)  # the same texts recur in every variant and paper
def markdown_to_html(text: str) -> str:
    """Render Markdown (CommonMark + tables + dollar math) to an HTML fragment.

    >>> markdown_to_html("**bold** and $x$").startswith("<p><strong>bold</strong> and <span")
    True
    """
    return _parser().render(text)
