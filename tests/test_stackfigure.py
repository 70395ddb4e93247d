"""CNN layer-stack figures (Exercise 3): after the intro, own kernels per variant, no answers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from grader.bank import load_exam
from grader.keyfile import read_key, write_key
from grader.paper import (
    key_html,
    key_latex,
    key_markdown,
    student_html,
    student_latex,
    student_markdown,
)
from grader.paper.stackfigure import stack_fields, stack_markdown, stack_picture, stack_svg
from grader.variant_ids import variant_ids
from grader.variants import build_variant
from question_bank.families import FAMILIES
from tests.test_paper import SEED, SVG_NS

GENERIC = {"input": {"channels": 1, "size": 64}, "layers": [
    {"type": "conv", "kernel": 3, "stride": 2, "filters": 4},
    {"type": "pool", "kernel": 2, "stride": 2},
    {"type": "conv", "kernel": [3, 5], "dilation": 2},
    {"type": "linear", "units": 10}]}


@pytest.fixture(scope="module")
def exam():
    return load_exam(SEED, FAMILIES)


@pytest.fixture(scope="module")
def variants(exam):
    return [build_variant(exam, v, FAMILIES) for v in ("original", *variant_ids(2019, 4))]


def _texts(svg: str) -> list[tuple[str, str | None]]:
    root = ET.fromstring(svg)  # well-formed XML
    return [("".join(t.itertext()), t.get("fill")) for t in root.iter(f"{SVG_NS}text")]


def _stack(variant):
    (figure,) = variant.intro_figures["ex3"]
    assert figure.kind == "cnn" and not variant.intro_figures.keys() - {"ex3"}
    return figure.data


def _kernel_labels(variant) -> list[str]:
    return [f"kernel {k}x{k}" for k in variant.part("ex3a").params["kernels"]]


def test_original_stack_svg_labels_every_layer(variants):
    data = _stack(variants[0])
    student = [text for text, _ in _texts(stack_svg(data))]
    assert student == ["input", "3 channels", "conv 1", "kernel 3x3", "2 filters", "conv 2",
                       "kernel 5x5", "2 filters", "conv 3", "kernel 7x7", "2 filters"]
    key = _texts(stack_svg(data, stack_fields(data)))
    fields = [(text, fill) for text, fill in key if text.startswith("field")]
    assert fields == [("field 3", "#b3261e"), ("field 7", "#b3261e"), ("field 13", "#b3261e")]
    assert ("at stride 1:", "#b3261e") in key
    assert stack_svg(data) == stack_svg(dict(data))  # same bytes for the same content


def test_stack_with_strides_pools_dilations_and_linear_layers():
    texts = [text for text, _ in _texts(stack_svg(GENERIC))]
    assert texts == ["input", "1 channel", "size 64x64", "conv 1", "kernel 3x3", "stride 2",
                     "4 filters", "pool", "kernel 2x2", "stride 2", "conv 2", "kernel 3x5",
                     "dilation 2", "fully connected", "10 units"]
    # r = 3; pool: 3 + 1*2 = 5 (jump 4); dilated 3x5 (k' = 5 and 9): 5 + 4*4, 5 + 8*4
    assert stack_fields(GENERIC) == {"1": "3", "2": "5", "3": "21x37"}
    table = stack_markdown(GENERIC, stack_fields(GENERIC))
    assert "| layer | details | field of view (with these strides) |" in table
    assert "| conv 2 | kernel 3x5, dilation 2 | 21x37 |" in table
    assert "| fully connected | 10 units |  |" in table
    picture = stack_picture(GENERIC)
    assert picture.count(r"\framebox") == 5 and picture.count(r"\vector(1,0)") == 4


def test_key_field_of_the_last_layer_is_the_answer_to_3a(variants):
    """An independent check of the key's labels: 3a asks the stride-1 field of the whole stack."""
    for variant in variants:
        assert set(variant.part("ex3a").params["strides"]) == {1}
        fields = stack_fields(_stack(variant))
        assert fields[str(len(fields))] == variant.part("ex3a").answer


@pytest.mark.parametrize("index", range(5))
def test_papers_show_their_own_stack_and_no_answers(exam, variants, index):
    variant = variants[index]
    data = _stack(variant)
    kernels, fields = _kernel_labels(variant), stack_fields(data)
    params = variant.part("ex3c").answer
    svg_texts = [text for text, _ in _texts(stack_svg(data))]
    assert [t for t in svg_texts if t.startswith("kernel")] == kernels
    assert params not in " ".join(svg_texts)
    students = {"md": student_markdown(exam, variant), "html": student_html(exam, variant),
                "tex": student_latex(exam, variant)}
    keys = {"md": key_markdown(exam, variant), "html": key_html(exam, variant),
            "tex": key_latex(exam, variant)}
    for fmt, paper in students.items():
        exercise3 = paper[paper.index("Exercise 3"):paper.index("Exercise 4")]
        assert all(label in exercise3 for label in kernels), fmt
        assert exercise3.index(kernels[0]) < exercise3.index("ex3a"), fmt  # after the intro
        assert not re.search(r"field \d|field of view \(|at stride 1:", paper), fmt
        if fmt != "tex":  # (picture coordinates are numbers; the PDF test reads the text)
            intro = re.sub(r"<[^>]+>", " ", exercise3[:exercise3.index("ex3a")])
            assert not re.search(rf"\b{params}\b", intro), fmt
    for fmt, paper in keys.items():
        last = str(len(fields))
        assert f"field {fields[last]}" in paper or f"| {fields[last]} |" in paper, fmt


def test_random_variants_draw_different_stacks(variants):
    stacks = {json.dumps(_stack(v), sort_keys=True) for v in variants}
    assert len(stacks) == len(variants)
    for variant in variants[1:]:
        assert _stack(variant)["layers"][0]["kernel"] == variant.part("ex3b").params["kernels"][0]


def test_key_json_keeps_the_figures_and_reads_old_keys(tmp_path, exam, variants):
    path = write_key(tmp_path / "key.json", exam, variants[:3], "sha256:x")
    _, frozen = read_key(path)
    assert [frozen[v.variant_id] for v in variants[:3]] == variants[:3]
    document = json.loads(path.read_text(encoding="utf-8"))
    stored = document["variants"]["original"]["intro_figures"]["ex3"][0]
    assert stored["kind"] == "cnn" and stored["data"]["layers"][2] == {
        "type": "conv", "kernel": 7, "filters": 2}
    for body in document["variants"].values():  # a key from before intro figures
        del body["intro_figures"]
    path.write_text(json.dumps(document), encoding="utf-8")
    _, old = read_key(path)
    assert old["original"].intro_figures == {} and old["original"].parts == variants[0].parts
    assert "| layer | details |" not in key_markdown(exam, old["original"])
