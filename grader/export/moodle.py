"""Moodle XML: one category per part holding its variants, for "random question from category".

Numbers become ``numerical`` questions (tolerance 0 when exact), arrows and values one
``cloze`` question with a ``{w:NUMERICAL:=value:tolerance}`` blank each, discussion parts
``essay`` questions whose ``graderinfo`` carries our rubric. Math is ``\\( \\)`` TeX (Moodle's
MathJax filter); figures are embedded base64 files referenced as ``@@PLUGINFILE@@/name``.
Layout follows Moodle's own reader and writer (question/format/xml/format.php).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from fractions import Fraction

from lxml import etree

from grader.export.common import (
    BLANKS,
    ESSAY,
    NUMERIC,
    ExportQuestion,
    ExportSet,
    Guide,
    format_number,
    points_text,
)
from grader.export.math import element_html, markdown_to_tex_html, question_html

FILE_NAME = "moodle.xml"
PLUGINFILE = "@@PLUGINFILE@@/"


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _text_field(parent: etree._Element, tag: str, text: str, html: bool = True
                ) -> etree._Element:
    """``<tag format="html"><text>...</text></tag>``: lxml escapes the HTML once, as it must."""
    field = _sub(parent, tag, format="html") if html else _sub(parent, tag)
    _sub(field, "text", text)
    return field


def cloze_weights(points: list[Fraction]) -> list[int]:
    """Whole-number blank weights in the ratio of the blanks' points (cloze needs integers).

    The quiz slot's mark sets the question's total (e.g. 4.5); the ratio is what counts.

    >>> cloze_weights([Fraction(1, 2)] * 3), cloze_weights([Fraction(1), Fraction(2)])
    ([1, 1, 1], [1, 2])
    """
    scale = math.lcm(*(p.denominator for p in points))
    weights = [int(p * scale) for p in points]
    common = math.gcd(*weights) or 1
    return [max(w // common, 1) for w in weights]


def _question_text(question: ExportQuestion, answer_lines: list[str], cloze: bool = False
                   ) -> str:
    figures = [(PLUGINFILE + f.name, f.alt, f.text_md) for f in question.figures]
    return question_html(question.text_md, figures, answer_lines, question.tag,
                         cloze_safe=cloze)


def _head(root: etree._Element, question: ExportQuestion, qtype: str,
          text_html: str) -> etree._Element:
    element = _sub(root, "question", type=qtype)
    _sub(_sub(element, "name"), "text", question.name)
    text = _text_field(element, "questiontext", text_html)
    for figure in question.figures:
        _sub(text, "file", base64.b64encode(figure.data).decode("ascii"), name=figure.name,
             path="/", encoding="base64")
    _text_field(element, "generalfeedback", "")
    _sub(element, "defaultgrade", points_text(question.points))
    _sub(element, "penalty", "0")
    _sub(element, "hidden", "0")
    _sub(element, "idnumber", question.ident)
    return element


def _numerical(root: etree._Element, question: ExportQuestion) -> None:
    blank = question.blanks[0]
    element = _head(root, question, "numerical", _question_text(question, []))
    answer = _sub(element, "answer", fraction="100", format="moodle_auto_format")
    _sub(answer, "text", format_number(blank.value))
    _text_field(answer, "feedback", "")
    _sub(answer, "tolerance", format_number(blank.tolerance))
    for tag, value in (("unitgradingtype", "0"), ("unitpenalty", "0.1"), ("showunits", "3"),
                       ("unitsleft", "0")):
        _sub(element, tag, value)


def cloze_blank(weight: int, value: float, tol: float) -> str:
    """One embedded numerical answer.

    >>> cloze_blank(1, 7.0, 0.07)
    '{1:NUMERICAL:=7:0.07}'
    """
    return f"{{{weight}:NUMERICAL:={format_number(value)}:{format_number(tol)}}}"


def _cloze(root: etree._Element, question: ExportQuestion) -> None:
    weights = cloze_weights([b.points for b in question.blanks])
    lines = [element_html("p", f"{b.id} = {cloze_blank(w, b.value, b.tolerance)}")
             for b, w in zip(question.blanks, weights, strict=True)]
    element = _head(root, question, "cloze", _question_text(question, lines, cloze=True))
    element.find("defaultgrade").text = str(sum(weights))


def guide_html(guide: Guide, points: Fraction) -> str:
    """The marker's guide as HTML: model answer, criteria with points, rule, solution."""
    parts = [element_html("h4", "Model answer"), markdown_to_tex_html(guide.model_answer_md)]
    if guide.criteria:
        parts.append(element_html("h4", f"Criteria (the part gives at most "
                                        f"{points_text(points)} points)"))
        items = etree.Element("ul")
        for cid, criterion_points, what in guide.criteria:
            _sub(items, "li", f"{cid} ({points_text(criterion_points)}): {what}")
        parts.append(etree.tostring(items, method="html", encoding="unicode"))
    if guide.rule_md:
        parts.append(element_html("p", guide.rule_md))
    if guide.solution_md:
        parts += [element_html("h4", "Solution sketch"), markdown_to_tex_html(guide.solution_md)]
    return "".join(parts)


def _essay(root: etree._Element, question: ExportQuestion) -> None:
    element = _head(root, question, "essay", _question_text(question, []))
    for tag, value in (("responseformat", "editor"), ("responserequired", "1"),
                       ("responsefieldlines", "10"), ("attachments", "0"),
                       ("attachmentsrequired", "0")):
        _sub(element, tag, value)
    guide = question.guide
    _text_field(element, "graderinfo", guide_html(guide, question.points) if guide else "")
    _text_field(element, "responsetemplate", "")


_WRITERS: Mapping[str, Callable[[etree._Element, ExportQuestion], None]] = {
    NUMERIC: _numerical, BLANKS: _cloze, ESSAY: _essay,
}


def category_path(export: ExportSet, category: str) -> str:
    """Where a part's category goes in the course's question bank."""
    return f"$course$/top/{export.exam_id}/{category}"


def moodle_xml(export: ExportSet) -> bytes:
    """The Moodle XML document (UTF-8 bytes): per part a category, then its variants."""
    root = etree.Element("quiz")
    for category, questions in export.groups:
        head = _sub(root, "question", type="category")
        _sub(_sub(head, "category"), "text", category_path(export, category))
        _text_field(head, "info", f"Variants of {category}: the quiz draws one per student.")
        for question in questions:
            _WRITERS[question.style](root, question)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def files(export: ExportSet) -> dict[str, bytes]:
    """The writer's output: one file."""
    return {FILE_NAME: moodle_xml(export)}
