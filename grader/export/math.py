"""Exam Markdown to the HTML LMSs render: math as \\( \\) TeX (MathJax) or as MathML elements."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from lxml import etree
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from grader.paper.mathml import markdown_to_html

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def _tex_math(content: str, options: dict[str, Any]) -> str:
    # Escaped once for HTML: "x < 0" arrives as "\(x &lt; 0\)", which MathJax reads as x < 0.
    opening, closing = ("\\[", "\\]") if options.get("display_mode") else ("\\(", "\\)")
    return f"{opening}{html.escape(content.strip(), quote=False)}{closing}"


@lru_cache(maxsize=1)
def _tex_parser() -> MarkdownIt:
    # html=False: raw HTML in an exam text is escaped, never passed through (as for papers).
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    dollarmath_plugin(md, renderer=_tex_math, allow_digits=False, allow_labels=False)
    return md


def markdown_to_tex_html(text_md: str) -> str:
    """An HTML fragment with math between ``\\( \\)`` (inline) or ``\\[ \\]`` (display).

    Moodle and Canvas render these delimiters with MathJax.

    >>> markdown_to_tex_html("If $x < 0$ & y")
    '<p>If <span class="math inline">\\\\(x &lt; 0\\\\)</span> &amp; y</p>\\n'
    """
    return _tex_parser().render(text_md)


def html_fragment_elements(fragment_html: str) -> list[etree._Element]:
    """Parse an XHTML fragment (markdown-it output) into elements in no namespace.

    MathML stays in its namespace. Text before the first element is wrapped in a ``<p>``.

    Raises:
        ValueError: the fragment is not well-formed XML.
    """
    try:
        wrapper = etree.fromstring(f"<div>{fragment_html}</div>",
                                   etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as err:
        raise ValueError(f"not well-formed: {err}") from None
    children = list(wrapper)
    if wrapper.text and wrapper.text.strip():
        paragraph = etree.Element("p")
        paragraph.text = wrapper.text.strip()
        children.insert(0, paragraph)
    return children


def markdown_to_mathml_elements(text_md: str) -> list[etree._Element]:
    """Exam Markdown as XHTML elements with MathML math (for QTI 2.1 item bodies).

    >>> [e.tag for e in markdown_to_mathml_elements("Let $x$ be")]
    ['p']
    """
    return html_fragment_elements(markdown_to_html(text_md))


def element_html(tag: str, text: str = "", **attrib: str) -> str:
    """One HTML element with escaped text and attributes (serialized by lxml).

    >>> element_html("p", "x < 0 & y > 1")
    '<p>x &lt; 0 &amp; y &gt; 1</p>'
    """
    element = etree.Element(tag, attrib)
    element.text = text or None
    return etree.tostring(element, method="html", encoding="unicode")


def escape_braces(html_text: str) -> str:
    """Braces as character references, so a Moodle cloze parser sees only its own ``{...}``.

    Browsers (and MathJax, which reads the page's text) show them as ``{`` and ``}``.

    >>> escape_braces("\\\\(\\\\frac{1}{2}\\\\)")
    '\\\\(\\\\frac&#123;1&#125;&#123;2&#125;\\\\)'
    """
    return html_text.replace("{", "&#123;").replace("}", "&#125;")


def question_html(text_md: str, figures: list[tuple[str, str, str]], answer_lines: list[str],
                  tag: str, *, cloze_safe: bool = False) -> str:
    """A question's HTML for Moodle, Canvas and GIFT: text, figures, answer lines, tag line.

    Args:
        text_md: the question's Markdown (math between dollars).
        figures: (src, alt, text version as Markdown) per figure.
        answer_lines: HTML paragraphs the writer adds after the text (cloze blanks, ...).
        tag: the variant tag, always the last line.
        cloze_safe: escape the braces of text and figures (Moodle cloze questions).
    """
    body = [markdown_to_tex_html(text_md)]
    for src, alt, figure_md in figures:
        image = etree.Element("img", {"src": src, "alt": alt})
        paragraph = etree.Element("p")
        paragraph.append(image)
        body.append(etree.tostring(paragraph, method="html", encoding="unicode"))
        if figure_md:
            body.append(markdown_to_tex_html(figure_md))
    text_html = "".join(body)
    if cloze_safe:
        text_html = escape_braces(text_html)
    return text_html + "".join(answer_lines) + element_html("p", tag)
