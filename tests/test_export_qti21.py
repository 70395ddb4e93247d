"""QTI 2.1 package: every file validates against the official XSDs; scoring equals the key."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from grader.export import qti21
from grader.export.package import zip_bytes
from tests.test_export_support import (
    HOSTILE,
    as_float,
    context,
    export_file,
    hostile_set,
    key_answer,
    unzip,
    validate,
)

IDS = ("original", "K7Q2M")
NS = {"q": qti21.QTI_NS, "cp": qti21.CP_NS, "m": qti21.MATHML_NS}


@pytest.fixture(scope="module")
def package() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(export_file("qti21", ids=IDS))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _item(package: dict[str, bytes], name: str) -> etree._Element:
    for path, data in package.items():
        if path.startswith("items/") and path.endswith(".xml"):
            root = etree.fromstring(data)
            if root.get("title") == name:
                return root
    raise AssertionError(f"no item {name}")


def test_every_file_validates(tmp_path):
    files = unzip(export_file("qti21", ids=IDS), tmp_path)
    validate(files)


def test_test_has_one_section_per_part_selecting_one(package):
    test = etree.fromstring(package[qti21.TEST_FILE])
    sections = test.findall(".//q:assessmentSection", NS)
    assert [s.get("title") for s in sections] == [f"inf5860-2019 {p.id}"
                                                  for p in context().exam.parts]
    for section in sections:
        assert section.find("q:selection", NS).get("select") == "1"
        refs = section.findall("q:assessmentItemRef", NS)
        assert len(refs) == len(IDS)
        for ref in refs:
            assert ref.get("href") in package


def test_manifest_lists_every_file(package):
    manifest = etree.fromstring(package["imsmanifest.xml"])
    listed = {f.get("href") for f in manifest.iterfind(".//cp:file", NS)}
    assert listed == set(package) - {"imsmanifest.xml"}
    kinds = [r.get("type") for r in manifest.iterfind(".//cp:resource", NS)]
    assert kinds.count("imsqti_test_xmlv2p1") == 1
    assert kinds.count("imsqti_item_xmlv2p1") == len(IDS) * len(context().exam.parts)


def _conditions(item: etree._Element) -> dict[str, tuple[etree._Element, float]]:
    out = {}
    for condition in item.iterfind("q:responseProcessing/q:responseCondition/q:responseIf", NS):
        equal = condition.find("q:equal", NS)
        rid = equal.find("q:variable", NS).get("identifier")
        points = float(condition.find(".//q:baseValue", NS).text)
        out[rid] = (equal, points)
    return out


def test_ex3b_original_exact_23(package):
    item = _item(package, "inf5860-2019 ex3b original")
    correct = item.find("q:responseDeclaration/q:correctResponse/q:value", NS).text
    assert correct == "23" == key_answer("ex3b")
    equal, points = _conditions(item)["RESPONSE"]
    assert equal.get("toleranceMode") == "exact" and points == 1
    assert item.find("q:itemBody//q:textEntryInteraction", NS) is not None
    last = item.find("q:itemBody", NS)[-1]
    assert "".join(last.itertext()) == "Variant original · ex3b"


@pytest.mark.parametrize("variant", IDS)
def test_ex1a_per_arrow_points_and_tolerances(package, variant):
    item = _item(package, f"inf5860-2019 ex1a {variant}")
    key = key_answer("ex1a", variant=variant)
    conditions = _conditions(item)
    assert list(conditions) == [f"RESPONSE_{a}" for a in key]
    for arrow, exact in key.items():
        rid = f"RESPONSE_{arrow}"
        declared = item.find(f"q:responseDeclaration[@identifier='{rid}']", NS)
        assert float(declared.find(".//q:value", NS).text) == pytest.approx(as_float(exact))
        equal, points = conditions[rid]
        assert points == 0.5
        if as_float(exact) == 0:  # 1% of 0 is 0: the grader wants exactly 0 too
            assert equal.get("toleranceMode") == "exact"
        else:
            assert equal.get("toleranceMode") == "absolute"
            low, high = map(float, equal.get("tolerance").split())
            assert low == high == pytest.approx(0.01 * abs(as_float(exact)))
        setter = equal.getparent().find("q:setOutcomeValue/q:sum/q:variable", NS)
        assert setter.get("identifier") == "SCORE"  # points add up per arrow
    maxscore = item.find("q:outcomeDeclaration[@identifier='MAXSCORE']//q:value", NS)
    assert maxscore.text == "4.5"
    image = item.find(".//q:img", NS)
    assert f"items/{image.get('src')}" in package  # the figure file is in the package


def test_essay_has_scorer_rubric_and_math_is_mathml(package):
    item = _item(package, "inf5860-2019 ex2c original")
    block = item.find(".//q:rubricBlock", NS)
    assert block.get("view") == "scorer"
    assert "random-drop (1)" in "".join(block.itertext())
    assert item.find(".//q:extendedTextInteraction", NS) is not None
    formula = _item(package, "inf5860-2019 ex1a original").find(".//m:math", NS)
    assert formula is not None and formula.prefix == "m"


def test_hostile_text_arrives_intact(tmp_path):
    export = hostile_set()
    files = qti21.files(export)
    written = unzip(zip_bytes(files), tmp_path)
    validate(written)
    for question in export.questions:
        body = etree.fromstring(files[qti21.item_path(question)]).find("q:itemBody", NS)
        shown = "".join(body.itertext())
        assert HOSTILE in shown
        math = body.find(".//m:math", NS)
        assert {"<", "&", ">"} <= set("".join(math.itertext()))


def test_same_input_same_bytes():
    assert export_file("qti21", ids=IDS) == qti21_again()


def qti21_again() -> bytes:
    from grader.export.package import export_bytes
    from tests.test_export_support import export_set

    export_set.cache_clear()
    return export_bytes(export_set(ids=IDS), "qti21")


@pytest.mark.parametrize(("exam", "name", "golden_name"), [
    ("inf5860-2019", "inf5860-2019 ex3b original", "numeric"),
    ("inf5860-drills", "inf5860-drills d2a original", "blanks"),
    ("inf5860-2019", "inf5860-2019 ex2c original", "essay"),
])
def test_goldens(golden, exam, name, golden_name):
    with zipfile.ZipFile(io.BytesIO(export_file("qti21", exam))) as archive:
        items = {n: archive.read(n) for n in archive.namelist() if n.startswith("items/")}
    item = _item(items, name)
    golden(f"export/qti21-{golden_name}.xml", etree.tostring(item, encoding="unicode") + "\n")
