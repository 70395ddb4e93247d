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
from tests import contract

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "question_bank" / "inf5860_2019" / "exam.yaml"
ARROWS = contract.ARROWS  # docs/contracts.md


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


def test_bad_variant_id_is_an_input_error(exam):
    with pytest.raises(InputError, match="variant id 'K7Q2U' is not valid"):
        build_variant(exam, "K7Q2U", FAMILIES)


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
    assert set(document) == {"format", "version", "exam", "fingerprint", "variants", "seed",
                             "variant_ids", "roster"}  # no clock
    assert (document["seed"], document["variant_ids"], document["roster"]) == (
        None, ["original"], {})


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


# --- random variants with fake families: shared parameters, determinism, frozen keys -----------

def _stack_sample(rng, params, fixed):
    assert fixed == {}  # a shared family draws first, from nothing
    return {"kernels": [rng.choice([1, 3, 5, 7, 9]) for _ in params["kernels"]]}


def _stack_solve(params):
    kernels = params["kernels"]
    return Solved({"kernels": ", ".join(map(str, kernels)), "depth": str(len(kernels))},
                  str(len(kernels)), "")


def _fov_sample(rng, params, fixed):
    # the part's own parameters only; the shared kernels come in `fixed`
    return {"strides": [rng.choice([1, 2]) for _ in fixed["kernels"]]}


def _fov_solve(params):
    field, jump, terms = 1, 1, []
    for k, s in zip(params["kernels"], params["strides"], strict=True):
        field += (k - 1) * jump
        terms.append(f"{jump}*({k}-1)")
        jump *= s
    return Solved({"strides": ", ".join(map(str, params["strides"]))}, str(field),
                  f"1 + {' + '.join(terms)} = {field}")


def _count_sample(rng, params, fixed):
    return {"filters": rng.randint(1, 9)}


def _count_solve(params):
    total = sum(k * k * params["filters"] for k in params["kernels"])
    return Solved({"filters": str(params["filters"])}, str(total), f"the sum is {total}")


RANDOM = {
    "fake.stack": Family("fake.stack", _stack_solve, _stack_sample),
    "fake.fov": Family("fake.fov", _fov_solve, _fov_sample),
    "fake.count": Family("fake.count", _count_solve, _count_sample),
    "fake.double": FAKE["fake.double"],  # no sample: the same in every variant
}


def random_exam_data() -> dict:
    """A small exam whose first exercise shares a layer stack between its parts."""
    part = {"points": 1, "kind": "number"}
    return {"id": "demo-random", "version": 1, "title": "T", "course": "C", "date": "2020-01-01",
            "duration": "1 hour", "aids": "none", "instructions": "Go.",
            "exercises": [
                {"id": "ex1", "title": "CNN",
                 "intro": "A {depth}-layer CNN with kernels {kernels}.",
                 "shared": {"family": "fake.stack", "params": {"kernels": [3, 5, 7]}},
                 "parts": [
                     {**part, "id": "ex1a", "family": "fake.fov", "params": {"strides": [1, 1, 1]},
                      "text": "Strides {strides}: the field of view?"},
                     {**part, "id": "ex1b", "family": "fake.fov", "params": {"strides": [2, 1, 1]},
                      "text": "Strides {strides}: the field of view?"},
                     {**part, "id": "ex1c", "family": "fake.count", "params": {"filters": 2},
                      "text": "{filters} filters each: how many weights?"},
                     {**part, "id": "ex1d", "kind": "expression", "text": "Write {x} squared.",
                      "answer": "x**2", "solution": "Multiply."}]},
                {"id": "ex2", "intro": "Literal {braces} stay: no shared family here.",
                 "parts": [{**part, "id": "ex2a", "family": "fake.double", "params": {"k": 4},
                            "text": "Double {k}."}]}]}


def random_exam():
    return exam_from_mapping(random_exam_data(), "demo-random.yaml", RANDOM)


def test_shared_block_is_loaded():
    ex1, ex2 = random_exam().exercises
    assert (ex1.shared_family, ex1.shared_params) == ("fake.stack", {"kernels": [3, 5, 7]})
    assert (ex2.shared_family, ex2.shared_params) == (None, {})


@pytest.mark.parametrize("shared, words", [
    ({"family": "fake.nope"}, "unknown family 'fake.nope'"),
    ({"params": {"kernels": [3]}}, "shared block of exercise ex1 is missing 'family'"),
    ({"family": "fake.stack", "parms": {}}, "unknown key(s) in the shared block of exercise ex1"),
    ({"family": "fake.stack", "params": [3]}, "'params' in the shared block"),
    ("fake.stack", "'shared' in exercise ex1 must be dict"),
])
def test_shared_block_errors(shared, words):
    data = random_exam_data()
    data["exercises"][0]["shared"] = shared
    with pytest.raises(AuthoringError) as info:
        exam_from_mapping(data, "demo-random.yaml", RANDOM)
    assert words in info.value.message
    assert (info.value.file, info.value.part) == ("demo-random.yaml", "ex1")


def test_original_uses_base_params_with_shared_merged():
    variant = build_variant(random_exam(), "original", RANDOM)
    assert variant.intros == {"ex1": "A 3-layer CNN with kernels 3, 5, 7.",
                              "ex2": "Literal {braces} stay: no shared family here."}
    assert variant.part("ex1a").params == {"kernels": [3, 5, 7], "strides": [1, 1, 1]}
    assert [variant.part(p).answer for p in ("ex1a", "ex1b", "ex1c")] == ["13", "23", "166"]
    assert variant.part("ex1b").text == "Strides 2, 1, 1: the field of view?"


RANDOM_IDS = ["K7Q2M", "3XW9A", "00000", "ZZZZZ", "HB4T1"]


@pytest.mark.parametrize("variant_id", RANDOM_IDS)
def test_shared_params_are_consistent_across_parts(variant_id):
    variant = build_variant(random_exam(), variant_id, RANDOM)
    kernels = {tuple(variant.part(p).params["kernels"]) for p in ("ex1a", "ex1b", "ex1c")}
    assert len(kernels) == 1  # one stack for the whole exercise
    (stack,) = kernels
    assert variant.intros["ex1"] == f"A 3-layer CNN with kernels {', '.join(map(str, stack))}."
    for part_id in ("ex1a", "ex1b", "ex1c"):  # the answer is the one for the frozen params
        part = variant.part(part_id)
        solve = RANDOM["fake.fov" if part_id != "ex1c" else "fake.count"].solve
        assert part.answer == solve(part.params).answer


def test_random_variants_are_deterministic_and_differ():
    exam = random_exam()
    built = [build_variant(exam, v, RANDOM) for v in RANDOM_IDS]
    assert built == [build_variant(exam, v, RANDOM) for v in RANDOM_IDS]
    assert build_variant(exam, "k7q2m", RANDOM) == built[0]  # ids are case-insensitive
    assert built[0].variant_id == "K7Q2M"
    params = {repr([p.params for p in v.parts]) for v in built}
    assert len(params) == len(RANDOM_IDS)
    original = build_variant(exam, "original", RANDOM)
    for variant in built:
        for part_id in ("ex1d", "ex2a"):  # fixed parts, and families without sample
            assert variant.part(part_id) == original.part(part_id)
        assert variant.intros["ex2"] == original.intros["ex2"]


def test_a_part_draws_independently_of_other_exercises():
    """Each exercise and part has its own stream: removing ex2 leaves ex1's draws alone."""
    data = random_exam_data()
    del data["exercises"][1]
    smaller = exam_from_mapping(data, "demo-random.yaml", RANDOM)
    for variant_id in RANDOM_IDS:
        full = build_variant(random_exam(), variant_id, RANDOM)
        assert build_variant(smaller, variant_id, RANDOM).parts == full.parts[:4]


def test_sample_failures_name_the_variant_and_part():
    def broken(rng, params, fixed):
        raise KeyError("kernels")

    families = dict(RANDOM, **{"fake.count": Family("fake.count", _count_solve, broken)})
    exam = exam_from_mapping(random_exam_data(), "demo-random.yaml", families)
    assert build_variant(exam, "original", families).part("ex1c").answer == "166"
    with pytest.raises(AuthoringError) as info:
        build_variant(exam, "K7Q2M", families)
    assert (info.value.part, info.value.file) == ("ex1c", "demo-random.yaml")
    assert "variant K7Q2M: family fake.count cannot sample" in info.value.message


def test_families_without_sample():
    from grader.variants import families_without_sample

    assert families_without_sample(random_exam(), RANDOM) == ["fake.double"]


def test_random_key_is_byte_identical_and_regenerates(tmp_path):
    from grader.variant_ids import variant_ids

    exam = random_exam()
    ids = variant_ids(11, 6)
    roster = {"s1": ids[0], "s2": ids[3]}
    paths = []
    for name in ("a.json", "b.json"):
        built = [build_variant(exam, v, RANDOM) for v in variant_ids(11, 6)]
        paths.append(write_key(tmp_path / name, exam, built, "sha256:x", roster=roster, seed=11))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    meta, frozen = read_key(paths[0])
    assert (meta.variant_ids, meta.roster, meta.seed) == (tuple(ids), roster, 11)
    for variant_id in ids:  # regenerating from the id reproduces the frozen key
        assert build_variant(exam, variant_id, RANDOM) == frozen[variant_id]
    document = json.loads(paths[0].read_text(encoding="utf-8"))
    assert document["variants"][ids[0]]["intros"]["ex1"].startswith("A 3-layer CNN")


def test_key_rejects_a_roster_with_unknown_variants(tmp_path):
    exam = random_exam()
    built = [build_variant(exam, "K7Q2M", RANDOM)]
    with pytest.raises(ValueError, match="not in the key"):
        write_key(tmp_path / "k.json", exam, built, "sha256:x", roster={"s1": "3XW9A"})


def test_key_without_roster_and_ids_still_reads(tmp_path):
    """Keys written before variant_ids, roster, seed and intros existed stay readable."""
    exam = random_exam()
    variant = build_variant(exam, "original", RANDOM)
    path = write_key(tmp_path / "old.json", exam, [variant], "sha256:x")
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("variant_ids", "roster", "seed"):
        del document[key]
    del document["variants"]["original"]["intros"]
    path.write_text(json.dumps(document), encoding="utf-8")
    meta, frozen = read_key(path)
    assert (meta.variant_ids, meta.roster, meta.seed) == (("original",), {}, None)
    assert frozen["original"].parts == variant.parts and frozen["original"].intros == {}


@pytest.mark.parametrize("change, words", [
    ({"variant_ids": ["original", "K7Q2M"]}, "'variant_ids' does not list"),
    ({"variant_ids": "original"}, "'variant_ids' is missing or has the wrong type"),
    ({"roster": {"s1": "K7Q2M"}}, "'roster' assigns a variant that is not in the key"),
    ({"seed": "x"}, "'seed' is missing or has the wrong type"),
])
def test_bad_assignment_in_key(tmp_path, change, words):
    exam = random_exam()
    path = write_key(tmp_path / "k.json", exam, [build_variant(exam, "original", RANDOM)], "f")
    document = {**json.loads(path.read_text(encoding="utf-8")), **change}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_key(path)
    assert words in info.value.message


def test_bank_random_variants_regenerate_from_their_key(tmp_path, exam):
    """The seed exam with its real families: key.json for random ids == rebuilding each id."""
    from grader.variant_ids import variant_ids

    ids = variant_ids(2019, 5)
    built = [build_variant(exam, v, FAMILIES) for v in ids]
    path = write_key(tmp_path / "key.json", exam, built, bank_fingerprint(SEED, FAMILIES),
                     seed=2019)
    meta, frozen = read_key(path)
    assert meta.variant_ids == tuple(ids)
    for variant_id in ids:
        assert build_variant(exam, variant_id, FAMILIES) == frozen[variant_id]
    kernels = {tuple(frozen[v].part("ex3a").params["kernels"]) for v in ids}
    assert len(kernels) > 1 and all(  # shared per variant, drawn anew for each
        frozen[v].part(p).params["kernels"] == frozen[v].part("ex3a").params["kernels"]
        for v in ids for p in ("ex3b", "ex3c"))


def test_fingerprint_covers_shared_families_and_samplers(tmp_path):
    path = tmp_path / "exam.yaml"
    path.write_text(yaml.safe_dump(random_exam_data()), encoding="utf-8")
    current = bank_fingerprint(path, RANDOM)
    other_stack = Family("fake.stack", json.loads, _stack_sample)  # solve from elsewhere...
    assert bank_fingerprint(path, {**RANDOM, "fake.stack": other_stack}) != current
    # ...and a sampler in another module than its solve is hashed too
    moved = Family("fake.count", _count_solve, yaml.safe_load)
    assert bank_fingerprint(path, {**RANDOM, "fake.count": moved}) != current


def test_intro_placeholder_errors_name_the_exercise():
    data = random_exam_data()
    data["exercises"][0]["intro"] = "Kernels {kernel_sizes}."
    exam = exam_from_mapping(data, "demo-random.yaml", RANDOM)
    with pytest.raises(AuthoringError) as info:
        build_variant(exam, "K7Q2M", RANDOM)
    assert (info.value.part, info.value.file) == ("ex1", "demo-random.yaml")
    assert "uses {kernel_sizes} but the family gives no such value" in info.value.message


def test_fingerprint_covers_a_family_helper_module(tmp_path):
    """A sampler or mistake helper beside the family module changes variants: it must count."""
    import importlib.util

    folder = tmp_path / "fam"
    folder.mkdir()
    (folder / "helper.py").write_text("FACTOR = 2\n", encoding="utf-8")
    (folder / "family.py").write_text("def solve(params):\n    return None\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("fam_family", folder / "family.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exam = tmp_path / "exam.yaml"
    exam.write_text("exercises:\n  - parts:\n      - {family: t.fam}\n", encoding="utf-8")
    families = {"t.fam": Family("t.fam", module.solve)}
    before = bank_fingerprint(exam, families)
    (folder / "helper.py").write_text("FACTOR = 3\n", encoding="utf-8")
    assert bank_fingerprint(exam, families) != before
