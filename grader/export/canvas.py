"""Canvas (Classic Quizzes) QTI 1.2 zip: imsmanifest.xml, one assessment, figure files.

Each part is a question group (a ``section`` with ``selection_number`` 1 and Canvas'
``points_per_item``) holding the part's variants. Numbers are ``numerical_question``s with an
exact answer and a margin; arrows and values are ``fill_in_multiple_blanks_question``s: Canvas
grades those blanks by TEXT, so every blank lists the spellings that are right (the exact
decimal, the fraction, each rounding within the rubric's tolerance, with decimal point or
comma) and examgrader's own regrade from the response export stays the authority. Discussion
parts are ``essay_question``s with our rubric in the general (neutral) feedback: Canvas has no
marker-only field, so hide feedback from students until the exam is marked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from lxml import etree

from grader.answers.compare import _order
from grader.export.common import (
    BLANKS,
    ESSAY,
    NUMERIC,
    Blank,
    ExportQuestion,
    ExportSet,
    format_number,
    points_text,
    stable_id,
)
from grader.export.math import element_html, question_html
from grader.export.moodle import guide_html
from grader.rubric.mistakes import decimal_text, round_to

QTI12_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
FIGURE_DIR = "figures"
MAX_SPELLINGS = 16


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{QTI12_NS}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _mattext(parent: etree._Element, text: str, html: bool = True) -> None:
    _sub(_sub(parent, "material"), "mattext", text, texttype="text/html" if html else
         "text/plain")


def _metadata(item: etree._Element, fields: Mapping[str, str]) -> None:
    metadata = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        field = _sub(metadata, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _item(section: etree._Element, question: ExportQuestion, qtype: str,
          answer_lines: list[str]) -> tuple[etree._Element, etree._Element]:
    """The item with its metadata and question text; returns (item, presentation)."""
    item = _sub(section, "item", ident=question.ident, title=question.name)
    _metadata(item, {"question_type": qtype, "points_possible": points_text(question.points),
                     "assessment_question_identifierref": stable_id("a", question.ident)})
    presentation = _sub(item, "presentation")
    figures = [(f"{FIGURE_DIR}/{f.name}", f.alt, f.text_md) for f in question.figures]
    _mattext(presentation, question_html(question.text_md, figures, answer_lines,
                                         question.tag))
    return item, presentation


def _processing(item: etree._Element) -> etree._Element:
    processing = _sub(item, "resprocessing")
    _sub(_sub(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE",
         vartype="Decimal")
    return processing


def _numerical(section: etree._Element, question: ExportQuestion) -> None:
    blank = question.blanks[0]
    item, presentation = _item(section, question, "numerical_question", [])
    response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
    _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    condition = _sub(_processing(item), "respcondition", **{"continue": "No"})
    either = _sub(_sub(condition, "conditionvar"), "or")
    _sub(either, "varequal", format_number(blank.value), respident="response1")
    margin = _sub(either, "and")  # Canvas reads or(varequal, and(gte, lte)) as exact + margin
    low, high = blank.bounds()  # exact: 0.5236 -/+ 0.005 is 0.5186 and 0.5286, not ...01
    _sub(margin, "vargte", format_number(float(low)), respident="response1")
    _sub(margin, "varlte", format_number(float(high)), respident="response1")
    _sub(condition, "setvar", "100", action="Set", varname="SCORE")


def spellings(blank: Blank) -> list[str]:
    """The texts Canvas should accept for a blank, most natural first: only texts the grader
    accepts (checked exactly against the blank's bounds).

    The 12-digit decimal and the key's exact form, then the value rounded to 0-4 decimals and
    to 1-8 significant figures (half away from zero; no trailing zeros), each also with a
    decimal comma.

    >>> from fractions import Fraction
    >>> spellings(Blank("a5", "-7/2", -3.5, 0.035, Fraction(1, 2)))
    ['-3.5', '-7/2', '-3.50', '-3.500', '-3.5000', '-3,5', '-3,50', '-3,500', '-3,5000']
    >>> forms = spellings(Blank("x", "12345.678", 12345.678, 50.0, Fraction(1)))  # sig_figs 3
    >>> forms[:4], "12300" in forms, "12000" in forms
    (['12345.678', '12346', '12345.7', '12345.68'], True, False)
    """
    exact = format_number(blank.value)
    forms = [exact, blank.exact.replace(" ", "")]
    low, high = blank.bounds()
    center = (low + high) / 2
    roundings = [_fixed(round_to(center, -places), places) for places in range(0, 5)]
    if center:
        order = _order(center)
        roundings += [decimal_text(round_to(center, order - figures + 1))
                      for figures in range(1, 9)]
    forms += [text for text in roundings if low <= Fraction(text) <= high]
    forms += [f.replace(".", ",") for f in forms if "." in f]
    seen: list[str] = []
    for form in forms:
        form = "0" if form in ("-0", "-0.0") else form
        if form not in seen:
            seen.append(form)
    return seen[:MAX_SPELLINGS]


def _fixed(value: Fraction, places: int) -> str:
    """A multiple of 10**-places written with exactly ``places`` decimals ('-3.50')."""
    scaled = abs(value) * 10**places
    digits = str(scaled.numerator // scaled.denominator).rjust(places + 1, "0")
    text = digits if not places else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if value < 0 else "") + text


def _blanks(section: etree._Element, question: ExportQuestion) -> None:
    lines = [element_html("p", f"{b.id} = [{b.id}]") for b in question.blanks]
    item, presentation = _item(section, question, "fill_in_multiple_blanks_question", lines)
    share = format_number(100 / len(question.blanks))  # Canvas weighs blanks equally
    conditions = []
    for blank in question.blanks:
        response = _sub(presentation, "response_lid", ident=f"response_{blank.id}")
        _mattext(response, blank.id, html=False)
        choices = _sub(response, "render_choice")
        for text in spellings(blank):
            label = stable_id("b", question.ident, blank.id, text)
            _mattext(_sub(choices, "response_label", ident=label), text, html=False)
            conditions.append((blank.id, label))
    processing = _processing(item)
    for blank_id, label in conditions:
        condition = _sub(processing, "respcondition")
        _sub(_sub(condition, "conditionvar"), "varequal", label,
             respident=f"response_{blank_id}")
        _sub(condition, "setvar", share, action="Add", varname="SCORE")


def _essay(section: etree._Element, question: ExportQuestion) -> None:
    item, presentation = _item(section, question, "essay_question", [])
    response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
    _sub(_sub(response, "render_fib"), "response_label", ident="answer1", rshuffle="No")
    condition = _sub(_processing(item), "respcondition", **{"continue": "No"})
    _sub(_sub(condition, "conditionvar"), "other")
    _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    feedback = _sub(item, "itemfeedback", ident="general_fb")
    guide = guide_html(question.guide, question.points) if question.guide else ""
    _mattext(_sub(feedback, "flow_mat"), guide)


_WRITERS: Mapping[str, Callable[[etree._Element, ExportQuestion], None]] = {
    NUMERIC: _numerical, BLANKS: _blanks, ESSAY: _essay,
}


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def assessment_xml(export: ExportSet) -> bytes:
    """The questestinterop document: per part a question group picking one variant."""
    root = etree.Element(f"{{{QTI12_NS}}}questestinterop", nsmap={None: QTI12_NS,
                                                                   "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation",
             f"{QTI12_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd")
    assessment = _sub(root, "assessment", ident=export.ident, title=export.title)
    field = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(field, "fieldlabel", "cc_maxattempts")
    _sub(field, "fieldentry", "1")
    top = _sub(assessment, "section", ident="root_section")
    for category, questions in export.groups:
        group = _sub(top, "section", ident=stable_id("g", category), title=category)
        selection = _sub(_sub(group, "selection_ordering"), "selection")
        _sub(selection, "selection_number", "1")
        _sub(_sub(selection, "selection_extension"), "points_per_item",
             points_text(questions[0].points))
        for question in questions:
            _WRITERS[question.style](group, question)
    return _bytes(root)


def manifest_xml(export: ExportSet, figure_names: list[str]) -> bytes:
    """An IMS CP manifest naming the QTI 1.2 assessment (and the figures it shows)."""
    root = etree.Element(f"{{{CP_NS}}}manifest", identifier=stable_id("m", export.ident),
                         nsmap={None: CP_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation",
             f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd")
    metadata = etree.SubElement(root, f"{{{CP_NS}}}metadata")
    etree.SubElement(metadata, f"{{{CP_NS}}}schema").text = "IMS Content"
    etree.SubElement(metadata, f"{{{CP_NS}}}schemaversion").text = "1.1.3"
    etree.SubElement(root, f"{{{CP_NS}}}organizations")
    resources = etree.SubElement(root, f"{{{CP_NS}}}resources")
    href = f"{export.ident}.xml"
    resource = etree.SubElement(resources, f"{{{CP_NS}}}resource", identifier=export.ident,
                                type="imsqti_xmlv1p2", href=href)
    for path in [href, *(f"{FIGURE_DIR}/{name}" for name in figure_names)]:
        etree.SubElement(resource, f"{{{CP_NS}}}file", href=path)
    return _bytes(root)


def files(export: ExportSet) -> dict[str, bytes]:
    """Every file of the zip: manifest, assessment and figures."""
    figures = {f.name: f.data for q in export.questions for f in q.figures}
    return {"imsmanifest.xml": manifest_xml(export, sorted(figures)),
            f"{export.ident}.xml": assessment_xml(export),
            **{f"{FIGURE_DIR}/{name}": data for name, data in figures.items()}}
