"""IMS QTI 2.1 content package (Inspera, OpenOLAT, ...): items, one test, manifest, figures.

The test has one section per part with ``<selection select="1"/>`` over the part's variants.
Numbers are ``textEntryInteraction``s scored by EXPLICIT response processing (``equal`` with
``toleranceMode``; no response-processing template, which Inspera does not read); arrows and
values one interaction per blank, each adding its own points; discussion parts an
``extendedTextInteraction`` with our rubric in a ``rubricBlock view="scorer"``. Math is
MathML in the ``m:`` namespace; figures are files in the package referenced by the items.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from lxml import etree

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
from grader.export.math import MATHML_NS, markdown_to_mathml_elements

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p1.xsd"
CP_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
TEST_FILE = "assessment-test.xml"
ITEM_DIR = "items"
FIGURE_DIR = "figures"  # inside ITEM_DIR: items reference figures/<name>
# HTML attributes QTI's XHTML subset accepts on the elements Markdown produces.
_KEEP_ATTRIBUTES = {"src", "alt", "href", "colspan", "rowspan", "class"}


def _el(parent: etree._Element | None, tag: str, text: str | None = None,
        **attrib: str) -> etree._Element:
    name = f"{{{QTI_NS}}}{tag}"
    element = etree.Element(name, attrib) if parent is None else etree.SubElement(parent, name,
                                                                                  attrib)
    if text is not None:
        element.text = text
    return element


def _copy(parent: etree._Element, source: etree._Element) -> None:
    """Copy an XHTML/MathML element under ``parent``: XHTML into the QTI namespace (keeping
    only attributes QTI allows), MathML as it is (the root declares its ``m:`` prefix)."""
    if etree.QName(source).namespace == MATHML_NS:
        element = etree.SubElement(parent, source.tag, dict(source.attrib))
    else:
        keep = {k: v for k, v in source.attrib.items() if k in _KEEP_ATTRIBUTES}
        element = _el(parent, etree.QName(source).localname, **keep)
    element.text = source.text
    for child in source:
        _copy(element, child)
    element.tail = source.tail


def _markdown(parent: etree._Element, text_md: str) -> None:
    for element in markdown_to_mathml_elements(text_md):
        _copy(parent, element)


def _declare(item: etree._Element, identifier: str, base_type: str, value: str | None,
             outcome: bool = False) -> None:
    tag = "outcomeDeclaration" if outcome else "responseDeclaration"
    declaration = _el(item, tag, identifier=identifier, cardinality="single",
                      baseType=base_type)
    if value is not None:
        _el(_el(declaration, "defaultValue" if outcome else "correctResponse"), "value", value)


def response_id(blank: Blank) -> str:
    """The response identifier of a blank (an NCName): RESPONSE, or RESPONSE_<blank id>."""
    if blank.id == "answer":
        return "RESPONSE"
    return "RESPONSE_" + re.sub(r"[^A-Za-z0-9_.-]", "_", blank.id)


def _score_condition(processing: etree._Element, blank: Blank, add: bool) -> None:
    """If the response equals the correct value (within tolerance), give the blank's points."""
    condition = _el(_el(processing, "responseCondition"), "responseIf")
    rid = response_id(blank)
    if blank.tolerance == 0:
        equal = _el(condition, "equal", toleranceMode="exact")
    else:
        tol = format_number(blank.tolerance)
        equal = _el(condition, "equal", toleranceMode="absolute", tolerance=f"{tol} {tol}",
                    includeLowerBound="true", includeUpperBound="true")
    _el(equal, "variable", identifier=rid)
    _el(equal, "correct", identifier=rid)
    setter = _el(condition, "setOutcomeValue", identifier="SCORE")
    points = _el(None, "baseValue", points_text(blank.points), baseType="float")
    if add:
        total = _el(setter, "sum")
        _el(total, "variable", identifier="SCORE")
        total.append(points)
    else:
        setter.append(points)


def _body_start(item: etree._Element, question: ExportQuestion) -> etree._Element:
    body = _el(item, "itemBody")
    _markdown(body, question.text_md)
    for figure in question.figures:
        _el(_el(body, "p"), "img", src=f"{FIGURE_DIR}/{figure.name}", alt=figure.alt)
        _markdown(body, figure.text_md)
    return body


def _numeric(item: etree._Element, question: ExportQuestion) -> None:
    blanks = question.blanks
    for blank in blanks:
        _declare(item, response_id(blank), "float", format_number(blank.value))
    _declare(item, "SCORE", "float", "0", outcome=True)
    _declare(item, "MAXSCORE", "float", points_text(question.points), outcome=True)
    body = _body_start(item, question)
    for blank in blanks:
        line = _el(body, "p", "Answer: " if blank.id == "answer" else f"{blank.id} = ")
        _el(line, "textEntryInteraction", responseIdentifier=response_id(blank),
            expectedLength="12")
    _el(body, "p", question.tag)
    processing = _el(item, "responseProcessing")
    for blank in blanks:
        _score_condition(processing, blank, add=len(blanks) > 1)


def _guide_block(body: etree._Element, question: ExportQuestion) -> None:
    guide = question.guide
    if guide is None:
        return
    block = _el(body, "rubricBlock", view="scorer")
    _el(block, "h4", "Model answer")
    _markdown(block, guide.model_answer_md or "-")
    if guide.criteria:
        _el(block, "h4", f"Criteria (at most {points_text(question.points)} points)")
        items = _el(block, "ul")
        for cid, points, what in guide.criteria:
            _el(items, "li", f"{cid} ({points_text(points)}): {what}")
    if guide.rule_md:
        _el(block, "p", guide.rule_md)
    if guide.solution_md:
        _el(block, "h4", "Solution sketch")
        _markdown(block, guide.solution_md)


def _essay(item: etree._Element, question: ExportQuestion) -> None:
    _declare(item, "RESPONSE", "string", None)
    _declare(item, "SCORE", "float", "0", outcome=True)
    _declare(item, "MAXSCORE", "float", points_text(question.points), outcome=True)
    body = _body_start(item, question)
    _guide_block(body, question)
    _el(body, "extendedTextInteraction", responseIdentifier="RESPONSE", expectedLines="10")
    _el(body, "p", question.tag)


_WRITERS: Mapping[str, Callable[[etree._Element, ExportQuestion], None]] = {
    NUMERIC: _numeric, BLANKS: _numeric, ESSAY: _essay,
}


def _root(tag: str, namespace: str, schema: str, **attrib: str) -> etree._Element:
    nsmap = {None: namespace, "xsi": XSI_NS}
    if namespace == QTI_NS:
        nsmap["m"] = MATHML_NS
    root = etree.Element(f"{{{namespace}}}{tag}", attrib, nsmap=nsmap)
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{namespace} {schema}")
    return root


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def item_xml(question: ExportQuestion) -> bytes:
    """One assessmentItem (identifier = the question's stable id, title = its name)."""
    item = _root("assessmentItem", QTI_NS, QTI_XSD, identifier=question.ident,
                 title=question.name, adaptive="false", timeDependent="false")
    _WRITERS[question.style](item, question)
    return _bytes(item)


def item_path(question: ExportQuestion) -> str:
    return f"{ITEM_DIR}/{question.ident}.xml"


def test_xml(export: ExportSet) -> bytes:
    """The assessmentTest: one section per part drawing one of its variants."""
    test = _root("assessmentTest", QTI_NS, QTI_XSD, identifier=export.ident, title=export.title)
    _declare(test, "SCORE", "float", "0", outcome=True)
    part = _el(test, "testPart", identifier="P1", navigationMode="nonlinear",
               submissionMode="simultaneous")
    for category, questions in export.groups:
        section = _el(part, "assessmentSection", identifier=stable_id("s", category),
                      title=category, visible="true")
        _el(section, "selection", select="1")
        for question in questions:
            _el(section, "assessmentItemRef", identifier=question.ident,
                href=item_path(question))
    total = _el(_el(_el(test, "outcomeProcessing"), "setOutcomeValue", identifier="SCORE"),
                "sum")
    _el(total, "testVariables", variableIdentifier="SCORE")
    return _bytes(test)


def manifest_xml(export: ExportSet) -> bytes:
    """imsmanifest.xml: the test and every item as resources, with their figure files."""
    manifest = _root("manifest", CP_NS, CP_XSD, identifier=stable_id("m", export.ident))
    metadata = etree.SubElement(manifest, f"{{{CP_NS}}}metadata")
    etree.SubElement(metadata, f"{{{CP_NS}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(metadata, f"{{{CP_NS}}}schemaversion").text = "1.0.0"
    etree.SubElement(manifest, f"{{{CP_NS}}}organizations")
    resources = etree.SubElement(manifest, f"{{{CP_NS}}}resources")

    def resource(identifier: str, kind: str, href: str, extra: list[str]) -> etree._Element:
        node = etree.SubElement(resources, f"{{{CP_NS}}}resource", identifier=identifier,
                                type=kind, href=href)
        for path in [href, *extra]:
            etree.SubElement(node, f"{{{CP_NS}}}file", href=path)
        return node

    test = resource(export.ident, "imsqti_test_xmlv2p1", TEST_FILE, [])
    for question in export.questions:
        etree.SubElement(test, f"{{{CP_NS}}}dependency", identifierref=question.ident)
    for question in export.questions:
        resource(question.ident, "imsqti_item_xmlv2p1", item_path(question),
                 [f"{ITEM_DIR}/{FIGURE_DIR}/{f.name}" for f in question.figures])
    return _bytes(manifest)


def files(export: ExportSet) -> dict[str, bytes]:
    """Every file of the content package: manifest, test, items and figures."""
    out = {"imsmanifest.xml": manifest_xml(export), TEST_FILE: test_xml(export)}
    for question in export.questions:
        out[item_path(question)] = item_xml(question)
        for figure in question.figures:
            out[f"{ITEM_DIR}/{FIGURE_DIR}/{figure.name}"] = figure.data
    return out
