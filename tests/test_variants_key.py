"""Variants (original parameters, filled texts, exact answers), key.json and atomic writes."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from grader import atomic
from grader.atomic import write_bytes_atomic, write_text_atomic
from grader.bank import exam_from_mapping, load_exam
from grader.errors import AuthoringError, InputError
from grader.keyfile import bank_fingerprint, fingerprint_warning, read_key, write_key
from grader.model import Family, Figure, Solved
from grader.variants import build_variant, fill_placeholders, plain, variant_seed
from question_bank.families import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "question_bank" / "inf5860_2019" / "exam.yaml"
ARROWS = {"a1": "7", "a2": "-21/2", "a3": "0", "a4": "-7/2", "a5": "-7/2", "a6": "-7/2",
          "a7": "-7/2", "a8": "49", "a9": "-7"}  # docs/contracts.md


@pytest.fixture(scope="module")
def exam():
    return load_exam(SEED, FAMILIES)


@pytest.fixture(scope="module")
def original(exam):
    return build_variant(exam, "original", FAMILIES)


def test_original_answers(original):
    assert original.part("ex3a").answer == "13"
    assert original.part("ex3b").answer == "23"
    assert original.part("ex3c").answer == "350"
    assert original.part("ex1a").answer == ARROWS
    assert (original.exam_id, original.exam_version) == ("inf5860-2019", 1)


def test_original_worked_sums(original):
    assert "1 + (3-1) + (5-1) + (7-1) = 13" in original.part("ex3a").solution
    assert "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23" in original.part("ex3b").solution
    assert "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350" in original.part("ex3c").solution


def test_original_texts_and_figures(exam, original):
    ex1a = original.part("ex1a")
    assert "{" not in ex1a.text.replace(r"\left", "").replace("{2}", "")
    assert "x = 3, y = -2, z = -1, w = 1/2" in ex1a.text
    assert [f.kind for f in ex1a.figures] == ["graph"]
    assert ex1a.figures[0].data["output"] == "f" and ex1a.points == Fraction(9, 2)
    assert ex1a.params == exam.part("ex1a").params
    for part in exam.parts:
        if part.family is None:
            frozen = original.part(part.id)
            assert (frozen.text, frozen.answer, frozen.solution) == (
                part.text, part.answer, part.solution)
    assert [p.part_id for p in original.parts] == [p.id for p in exam.parts]


def test_build_is_deterministic(exam, original):
    assert build_variant(exam, "original", FAMILIES) == original


def test_random_variant_ids_not_yet(exam):
    with pytest.raises(InputError) as info:
        build_variant(exam, "K7Q2M", FAMILIES)
    assert str(info.value) == ("variant 'K7Q2M' is not known for exam inf5860-2019 "
                               "(only 'original' until randomized variants land)")


def test_variant_seed_is_stable():
    seed = variant_seed("inf5860-2019", 1, "K7Q2M")
    assert seed == variant_seed("inf5860-2019", 1, "K7Q2M")
    assert seed != variant_seed("inf5860-2019", 2, "K7Q2M")
    assert seed != variant_seed("inf5860-2019", 1, "K7Q2N")
    assert 0 <= seed < 2**64


# --- a fake registry: the loader and builder do not depend on the real families ---------------

def _fake_solve(params):
    k = params["k"]
    return Solved(placeholders={"k": str(k)}, answer=str(2 * k), solution=f"2*{k} = {2 * k}",
                  figures=(Figure("g", "table", {"rows": (1, Fraction(1, 2))}),))


def _failing_solve(params):
    raise ValueError("k must be odd")


def _refusing_solve(params):
    raise AuthoringError("kernels must be positive", file="family fake", part="kernels")


FAKE = {"fake.double": Family("fake.double", _fake_solve),
        "fake.fail": Family("fake.fail", _failing_solve),
        "fake.refuse": Family("fake.refuse", _refusing_solve)}


def _fake_exam(text="Double {k}.", family="fake.double"):
    data = {"id": "demo", "version": 1, "title": "T", "course": "C", "date": "2020-01-01",
            "duration": "1 hour", "aids": "none", "instructions": "Go.",
            "exercises": [{"id": "ex1", "parts": [
                {"id": "ex1a", "points": "3/2", "kind": "number", "text": text,
                 "family": family, "params": {"k": 4}, "solution": "Author's note."},
                {"id": "ex1b", "points": 1, "kind": "expression", "text": "Set {x}",
                 "answer": "x**2", "solution": "Because."}]}]}
    return exam_from_mapping(data, "demo.yaml", FAKE)


def test_fake_family_variant():
    variant = build_variant(_fake_exam(), "original", FAKE)
    a, b = variant.parts
    assert (a.text, a.answer, a.points) == ("Double 4.", "8", Fraction(3, 2))
    assert a.solution == "2*4 = 8\n\nAuthor's note."  # the author's note follows the family's
    assert a.figures[0].data == {"rows": [1, "1/2"]}  # frozen as JSON-ready data
    assert (b.text, b.answer, b.solution) == ("Set {x}", "x**2", "Because.")  # fixed: verbatim


@pytest.mark.parametrize("text, family, words", [
    ("Double {n}.", "fake.double", "uses {n} but the family gives no such value (it gives: k)"),
    ("Double {k.real}.", "fake.double", "must be a plain name"),
    ("Double {k[0]}.", "fake.double", "must be a plain name"),
    ("Double {k.", "fake.double", "unbalanced braces"),
    ("Double {k}.", "fake.fail", "cannot solve these params: ValueError('k must be odd')"),
    ("Double {k}.", "fake.refuse", "family fake.refuse: kernels: kernels must be positive"),
])
def test_variant_authoring_errors(text, family, words):
    with pytest.raises(AuthoringError) as info:
        build_variant(_fake_exam(text, family), "original", FAKE)
    assert words in info.value.message
    assert (info.value.file, info.value.part) == ("demo.yaml", "ex1a")


def test_unknown_family_at_build_time():
    exam = _fake_exam()
    with pytest.raises(AuthoringError, match="unknown family 'fake.double'"):
        build_variant(exam, "original", {})


def test_fill_placeholders_escapes():
    filled = fill_placeholders(r"$\frac{{a}}{{b}}$ = {v}", {"v": "1/2"}, "p")
    assert filled == r"$\frac{a}{b}$ = 1/2"


def test_plain():
    assert plain({"a": (1, Fraction(2, 3)), 3: None}) == {"a": [1, "2/3"], "3": None}


# --- key.json -----------------------------------------------------------------------------------

def test_key_round_trip_and_bytes(tmp_path, exam, original):
    fingerprint = bank_fingerprint(SEED, FAMILIES)
    first, second = tmp_path / "a" / "key.json", tmp_path / "key.json"
    write_key(first, exam, [original], fingerprint)
    write_key(second, exam, [original], fingerprint)
    assert first.read_bytes() == second.read_bytes()
    meta, variants = read_key(first)
    assert (meta.exam_id, meta.exam_version, meta.fingerprint) == ("inf5860-2019", 1, fingerprint)
    assert variants == {"original": original}
    document = json.loads(first.read_text(encoding="utf-8"))
    assert document["version"] == 1 and document["exam"] == {"id": "inf5860-2019", "version": 1}
    ex1a = document["variants"]["original"]["parts"][0]
    assert ex1a["points"] == "9/2" and ex1a["answer"] == ARROWS and ex1a["kind"] == "arrows"
    assert set(document) == {"format", "version", "exam", "fingerprint", "variants"}  # no clock


def test_key_fake_variant_round_trip(tmp_path):
    exam = _fake_exam()
    variant = build_variant(exam, "original", FAKE)
    write_key(tmp_path / "k.json", exam, [variant], "sha256:x")
    assert read_key(tmp_path / "k.json")[1]["original"] == variant


def test_key_reads_decimal_points(tmp_path, exam, original):
    path = tmp_path / "key.json"
    write_key(path, exam, [original], "sha256:x")
    path.write_text(path.read_text(encoding="utf-8").replace('"9/2"', '"4.5"'), encoding="utf-8")
    assert read_key(path)[1]["original"].part("ex1a").points == Fraction(9, 2)


@pytest.mark.parametrize("content, words", [
    ("{not json", "not a valid key"),
    ('{"format": "other"}', "not an examgrader key"),
    ('{"format": "examgrader-key", "version": 2}', "version 2 is not supported"),
    ('{"format": "examgrader-key", "version": 1, "exam": {"id": "e", "version": 1}, '
     '"fingerprint": "f", "variants": {"original": {"parts": [{"id": "p"}]}}}',
     "part p: 'figures' is missing"),
])
def test_bad_keys(tmp_path, content, words):
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="key") as info:
        read_key(path)
    assert words in info.value.message and info.value.file == str(path)


def test_fingerprint(tmp_path):
    current = bank_fingerprint(SEED, FAMILIES)
    assert current.startswith("sha256:") and current == bank_fingerprint(SEED, FAMILIES)
    copy = tmp_path / "exam.yaml"
    copy.write_bytes(SEED.read_bytes())
    assert bank_fingerprint(copy, FAMILIES) == current  # paths are not hashed
    copy.write_bytes(SEED.read_bytes() + b"\n# edited\n")
    assert bank_fingerprint(copy, FAMILIES) != current
    other = dict(FAMILIES, **{"cnn.params": Family("cnn.params", _fake_solve)})
    assert bank_fingerprint(SEED, other) != current  # a family's source is hashed too
    unused = dict(FAMILIES, **{"fake.double": FAKE["fake.double"]})
    assert bank_fingerprint(SEED, unused) == current  # families the exam does not use are not


def test_fingerprint_of_a_broken_exam(tmp_path):
    path = tmp_path / "exam.yaml"
    for content in ("[1, 2]\n", "exercises: [ex1]\n", "exercises: {a: [unclosed\n"):
        path.write_text(content, encoding="utf-8")
        assert bank_fingerprint(path, FAMILIES).startswith("sha256:")
    with pytest.raises(InputError, match="cannot read exam"):
        bank_fingerprint(tmp_path / "missing.yaml", FAMILIES)


def test_fingerprint_warning(tmp_path, exam, original):
    path = tmp_path / "key.json"
    write_key(path, exam, [original], "sha256:" + "0" * 64)
    meta, _ = read_key(path)
    assert fingerprint_warning(meta, meta.fingerprint) is None
    warning = fingerprint_warning(meta, bank_fingerprint(SEED, FAMILIES))
    assert "different version of the question bank" in warning and "inf5860-2019" in warning


# --- atomic writes ------------------------------------------------------------------------------

def test_atomic_write_creates_and_replaces(tmp_path):
    target = tmp_path / "deep" / "er" / "out.txt"
    write_text_atomic(target, "first\n")
    write_text_atomic(target, "second ✓\n")
    assert target.read_text(encoding="utf-8") == "second ✓\n"
    assert os.listdir(target.parent) == ["out.txt"]  # no temporary file left behind
    assert target.stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    write_bytes_atomic(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_seed_exam_yaml_parses_as_plain_yaml():
    # the bank file stays readable by any YAML tool (no custom tags)
    assert yaml.safe_load(SEED.read_text(encoding="utf-8"))["id"] == "inf5860-2019"
