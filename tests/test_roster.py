"""Rosters and `grader paper --variants/--roster`: parsing, distinct variants, assignment, CLI."""

from __future__ import annotations

import csv
import json

import pytest
import yaml
from click.testing import CliRunner

from grader import api, context
from grader.cli import cli
from grader.errors import InputError
from grader.keyfile import read_key
from grader.model import Family
from grader.roster import (
    MAX_DUPLICATES_IN_A_ROW,
    Student,
    assign,
    content_key,
    distinct_variants,
    parse_roster,
    read_roster,
)
from grader.variants import build_variant
from tests.test_variants_key import RANDOM, random_exam, random_exam_data

# --- reading rosters ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "student,name,course\ns1,Ada Lovelace,INF5860\ns2,Åse Ødegård,INF9860\n",
    "Student;Name;Course\r\ns1;Ada Lovelace;INF5860\r\ns2;Åse Ødegård;INF9860\r\n",
    "email\tSTUDENT\tname\tcourse\nx@y\ts1\tAda Lovelace\tINF5860\n\n\ts2\tÅse Ødegård\tINF9860\n",
])
def test_parse_roster_forms(text):
    assert parse_roster(text) == (Student("s1", "Ada Lovelace", "INF5860"),
                                  Student("s2", "Åse Ødegård", "INF9860"))


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_read_roster_with_or_without_bom(tmp_path, bom):
    path = tmp_path / "roster.csv"
    path.write_bytes(bom + "student,name\ns1,Åse\ns2\n".encode())
    assert read_roster(path) == (Student("s1", "Åse"), Student("s2"))


@pytest.mark.parametrize("text, words", [
    ("name,course\nAda,INF5860\n", "needs a 'student' column (found: name, course)"),
    ("student\ns1\ns1\n", "line 3: student 's1' is listed twice"),
    ("student,name\n,Ada\n", "line 2: the student id is blank"),
    ("student\n" + "x" * 101 + "\n", "longer than 100"),
    ("student\n\n", "lists no students"),
    ("", "needs a 'student' column"),
])
def test_parse_roster_errors(text, words):
    with pytest.raises(InputError) as info:
        parse_roster(text, "r.csv")
    assert words in info.value.message and info.value.file == "r.csv"


def test_read_roster_unreadable(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"student\n\xff\xfe\n")
    with pytest.raises(InputError, match="cannot read roster"):
        read_roster(path)
    with pytest.raises(InputError, match="cannot read roster"):
        read_roster(tmp_path / "missing.csv")


# --- distinct variants and assignment ----------------------------------------------------------


def _builder(families=RANDOM):
    exam = random_exam()
    return lambda variant_id: build_variant(exam, variant_id, families)


def test_distinct_variants_differ_in_content_and_are_deterministic():
    pool = distinct_variants(_builder(), 5, 30)
    assert len(pool.variants) == 30 and pool.warnings == ()
    assert len({content_key(v) for v in pool.variants}) == 30
    assert distinct_variants(_builder(), 5, 30) == pool
    assert distinct_variants(_builder(), 5, 10).variants == pool.variants[:10]
    assert distinct_variants(_builder(), 6, 10).variants != pool.variants[:10]


def test_too_few_distinct_variants_give_up_with_a_warning():
    def one_stack(rng, params, fixed):
        return {"kernels": [3, rng.choice([5, 7]), 7]}  # two stacks only

    families = {**RANDOM, "fake.stack": Family("fake.stack", RANDOM["fake.stack"].solve, one_stack),
                "fake.fov": Family("fake.fov", RANDOM["fake.fov"].solve),
                "fake.count": Family("fake.count", RANDOM["fake.count"].solve)}
    calls = []

    def build(variant_id):
        calls.append(variant_id)
        return _builder(families)(variant_id)

    pool = distinct_variants(build, 1, 5)
    assert len(pool.variants) == 2
    assert "only 2 distinct variants found for 5 wanted" in pool.warnings[0]
    assert len(calls) <= 2 + MAX_DUPLICATES_IN_A_ROW + 20  # bounded retries


def test_assign_in_roster_order_and_wrap_with_a_warning():
    students = [Student(f"s{i}") for i in range(5)]
    done = assign(students, ["A", "B", "C", "D", "E"])
    assert done.mapping() == {"s0": "A", "s1": "B", "s2": "C", "s3": "D", "s4": "E"}
    assert done.warnings == ()
    shared = assign(students, ["A", "B"])
    assert list(shared.mapping().values()) == ["A", "B", "A", "B", "A"]
    assert "5 students share 2 distinct variants" in shared.warnings[0]
    with pytest.raises(ValueError):
        assign(students, [])


# --- the CLI on a small exam with fake families ------------------------------------------------

RUBRIC = {"version": 1, "parts": {
    "ex1a": {"kind": "number", "points": 1}, "ex1b": {"kind": "number", "points": 1},
    "ex1c": {"kind": "number", "points": 1}, "ex1d": {"kind": "expression", "points": 1},
    "ex2a": {"kind": "number", "points": 1}}}


@pytest.fixture
def exam_file(tmp_path, monkeypatch):
    monkeypatch.setattr(context, "default_families", lambda: RANDOM)
    folder = tmp_path / "demo_random"
    folder.mkdir()
    (folder / "exam.yaml").write_text(yaml.safe_dump(random_exam_data()), encoding="utf-8")
    (folder / "rubric.yaml").write_text(yaml.safe_dump(RUBRIC), encoding="utf-8")
    return folder / "exam.yaml"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_cli_variants(exam_file, tmp_path):
    out = tmp_path / "out"
    result = run("paper", exam_file, "-o", out, "--variants", 3, "--seed", 7)
    assert result.exit_code == 0, result.output
    meta, frozen = read_key(out / "key.json")
    assert len(meta.variant_ids) == 3 and meta.seed == 7 and meta.roster == {}
    assert f"variants from seed 7: {', '.join(meta.variant_ids)}" in result.output
    exam = random_exam()
    for variant_id in meta.variant_ids:
        assert (out / f"paper-{variant_id}.md").is_file()
        key_md = (out / f"key-{variant_id}.md").read_text(encoding="utf-8")
        assert f"| Variant | {variant_id} |" in key_md and "**Solution:**" in key_md
        assert build_variant(exam, variant_id, RANDOM).parts == frozen[variant_id].parts
    assert not (out / "paper-original.md").exists()
    again = tmp_path / "again"
    run("paper", exam_file, "-o", again, "--variants", 3, "--seed", 7)
    assert (again / "key.json").read_bytes() == (out / "key.json").read_bytes()
    other = tmp_path / "other"
    run("paper", exam_file, "-o", other, "--variants", 3, "--seed", 8)
    assert read_key(other / "key.json")[0].variant_ids != meta.variant_ids


def test_cli_roster(exam_file, tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_bytes("\ufeffstudent,name,course\ns1,Ada,INF5860\n../evil,=HYPERLINK(1),x\n"
                       "s3,Åse,INF9860\n".encode())
    out = tmp_path / "out"
    result = run("paper", exam_file, "-o", out, "--roster", roster, "--seed", 3)
    assert result.exit_code == 0, result.output
    assert "assigned 3 students to 3 variants" in result.output
    meta, frozen = read_key(out / "key.json")
    assert set(meta.roster) == {"s1", "../evil", "s3"}
    assert len(set(meta.roster.values())) == 3 and set(meta.roster.values()) == set(frozen)
    with (out / "roster-assignment.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["student"] for r in rows] == ["s1", "../evil", "s3"]
    assert rows[1]["name"] == "'=HYPERLINK(1)"  # no formulas reach a spreadsheet
    for row in rows:
        assert row["variant"] == meta.roster[row["student"]]
        paper = (out / f"{row['paper']}.md").read_text(encoding="utf-8")
        assert f"| Variant | {row['variant']} |" in paper
        assert f"| Student | {row['student']} |" in paper
        assert "**Answer:**" not in paper and "Solution" not in paper
    assert rows[1]["paper"].startswith("students/evil-")  # sanitized, still distinct
    assert sorted(p.name for p in (out / "students").iterdir()) == sorted(
        f"{r['paper'].split('/')[1]}.{ext}" for r in rows for ext in ("md", "html"))
    again = tmp_path / "again"
    run("paper", exam_file, "-o", again, "--roster", roster, "--seed", 3)
    for name in ("key.json", "roster-assignment.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes()


def test_cli_roster_outnumbering_variants_warns(exam_file, tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("student\n" + "".join(f"s{i}\n" for i in range(4)), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["paper", str(exam_file), "-o", str(out), "--roster",
                                      str(roster), "--variants", "2"])
    assert result.exit_code == 0, result.output
    assert "warning: 4 students share 2 distinct variants" in result.output
    meta, _ = read_key(out / "key.json")
    assert meta.seed == api.DEFAULT_SEED and len(set(meta.roster.values())) == 2
    document = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert document["roster"] == meta.roster


def test_cli_bad_roster_is_a_clear_error(exam_file, tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("name\nAda\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["paper", str(exam_file), "-o", str(tmp_path / "o"),
                                      "--roster", str(roster)])
    assert result.exit_code == 1 and "needs a 'student' column" in result.output
    assert "Traceback" not in result.output


def test_cli_without_variants_writes_the_original(exam_file, tmp_path):
    result = run("paper", exam_file, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    meta, frozen = read_key(tmp_path / "out" / "key.json")
    assert meta.variant_ids == ("original",) and meta.seed is None and list(frozen) == ["original"]
