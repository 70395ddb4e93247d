"""Canvas QTI 1.2 zip: valid against the QTI 1.2 DTD and IMS CP; scoring equals the key."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from grader.export import canvas
from grader.export.package import zip_bytes
from tests.test_export_support import (
    HOSTILE,
    as_float,
    context,
    export_file,
    export_set,
    hostile_set,
    html_text,
    key_answer,
    unzip,
    validate,
)

IDS = ("original", "K7Q2M")
NS = {"c": canvas.QTI12_NS, "cp": canvas.CP_NS}


@pytest.fixture(scope="module")
def package() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(export_file("canvas", ids=IDS))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def assessment(package) -> etree._Element:
    return etree.fromstring(package[f"{export_set(ids=IDS).ident}.xml"])


def _item(root: etree._Element, name: str) -> etree._Element:
    found = [i for i in root.iterfind(".//c:item", NS) if i.get("title") == name]
    assert len(found) == 1, name
    return found[0]


def _meta(item: etree._Element, label: str) -> str:
    for field in item.iterfind(".//c:qtimetadatafield", NS):
        if field.findtext("c:fieldlabel", namespaces=NS) == label:
            return field.findtext("c:fieldentry", namespaces=NS)
    raise AssertionError(label)


def test_every_file_validates(tmp_path):
    validate(unzip(export_file("canvas", ids=IDS), tmp_path))


def test_question_groups_pick_one_variant(assessment, package):
    groups = assessment.findall("c:assessment/c:section/c:section", NS)
    assert [g.get("title") for g in groups] == [f"inf5860-2019 {p.id}"
                                                for p in context().exam.parts]
    for group, part in zip(groups, context().exam.parts, strict=True):
        assert group.findtext(".//c:selection_number", namespaces=NS) == "1"
        assert float(group.findtext(".//c:points_per_item", namespaces=NS)) == part.points
        assert len(group.findall("c:item", NS)) == len(IDS)
    manifest = etree.fromstring(package["imsmanifest.xml"])
    listed = {f.get("href") for f in manifest.iterfind(".//cp:file", NS)}
    assert listed == set(package) - {"imsmanifest.xml"}


def test_ex3b_original_numerical_exact_23(assessment):
    item = _item(assessment, "inf5860-2019 ex3b original")
    assert _meta(item, "question_type") == "numerical_question"
    assert _meta(item, "points_possible") == "1"
    condition = item.find(".//c:respcondition/c:conditionvar/c:or", NS)
    assert condition.findtext("c:varequal", namespaces=NS) == "23" == key_answer("ex3b")
    assert condition.findtext("c:and/c:vargte", namespaces=NS) == "23"  # margin 0
    assert condition.findtext("c:and/c:varlte", namespaces=NS) == "23"
    text = html_text(item.findtext(".//c:presentation/c:material/c:mattext", namespaces=NS))
    assert text.rstrip().endswith("Variant original · ex3b")


@pytest.mark.parametrize("variant", IDS)
def test_ex1a_blanks_accept_the_key_values(assessment, variant):
    item = _item(assessment, f"inf5860-2019 ex1a {variant}")
    assert _meta(item, "question_type") == "fill_in_multiple_blanks_question"
    key = key_answer("ex1a", variant=variant)
    responses = item.findall(".//c:response_lid", NS)
    assert [r.get("ident") for r in responses] == [f"response_{a}" for a in key]
    text = item.findtext(".//c:presentation/c:material/c:mattext", namespaces=NS)
    for response in responses:
        arrow = response.get("ident").removeprefix("response_")
        assert f"[{arrow}]" in text
        accepted = [float(t.replace(",", ".")) for t in response.itertext()
                    if t.strip() and t.strip() != arrow and "/" not in t]
        assert accepted and accepted[0] == pytest.approx(as_float(key[arrow]))
        expected = as_float(key[arrow])
        for value in accepted:  # every spelling is within the rubric's 1 %
            assert abs(value - expected) <= 0.01 * abs(expected) + 1e-12
    shares = [float(s.text) for s in item.iterfind(".//c:setvar", NS)]
    assert shares == pytest.approx([100 / 9] * len(shares))


def test_essay_rubric_in_general_feedback(assessment):
    item = _item(assessment, "inf5860-2019 ex2c original")
    assert _meta(item, "question_type") == "essay_question"
    feedback = item.findtext(".//c:itemfeedback[@ident='general_fb']//c:mattext", namespaces=NS)
    assert "random-drop (1)" in html_text(feedback)


def test_hostile_text_arrives_intact(tmp_path):
    export = hostile_set()
    files = canvas.files(export)
    validate(unzip(zip_bytes(files), tmp_path))
    root = etree.fromstring(files[f"{export.ident}.xml"])
    for item in root.iterfind(".//c:item", NS):
        shown = html_text(item.findtext(".//c:presentation/c:material/c:mattext",
                                        namespaces=NS))
        assert HOSTILE in shown and "\\(x < 0 \\& y > 1\\)" in shown


@pytest.mark.parametrize(("exam", "name", "golden_name"), [
    ("inf5860-2019", "inf5860-2019 ex3b original", "numerical"),
    ("inf5860-drills", "inf5860-drills d2a original", "blanks"),
    ("inf5860-2019", "inf5860-2019 ex2c original", "essay"),
])
def test_goldens(golden, exam, name, golden_name):
    with zipfile.ZipFile(io.BytesIO(export_file("canvas", exam))) as archive:
        root = etree.fromstring(archive.read(f"{export_set(exam).ident}.xml"))
    text = etree.tostring(_item(root, name), encoding="unicode")
    golden(f"export/canvas-{golden_name}.xml", text + "\n")
