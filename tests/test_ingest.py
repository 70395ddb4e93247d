"""Reading submissions: formats, encodings, and bad input as a problem, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.ingest.submissions import IngestProblem, read_submissions
from grader.model import Submission


def _read(tmp_path: Path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    items = list(read_submissions([path]))
    subs = [i for i in items if isinstance(i, Submission)]
    problems = [i for i in items if isinstance(i, IngestProblem)]
    return subs, problems


def test_yaml_keeps_every_scalar_as_typed(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml", (
        "student: 007\nvariant: original\nanswers:\n"
        "  ex2a: no\n  ex3a: 0,5\n  ex3b: 1.0e+3\n  ex3c: 13\n  ex2b:\n"
        "  ex1a: {a1: '-0,2', a2: 0.39}\n"))
    assert problems == []
    (sub,) = subs
    assert sub.student == "007"  # not the integer 7
    assert sub.answers["ex2a"] == "no"  # not False
    assert sub.answers["ex3a"] == "0,5"
    assert sub.answers["ex3b"] == "1.0e+3"
    assert sub.answers["ex3c"] == "13"
    assert "ex2b" not in sub.answers  # blank
    assert sub.answers["ex1a"] == {"a1": "-0,2", "a2": "0.39"}


def test_json_submission(tmp_path):
    subs, problems = _read(tmp_path, "a.json",
                           '{"student": "s1", "variant": "original", "answers": {"ex3a": 13}}')
    assert problems == [] and subs[0].answers == {"ex3a": "13"}


def test_missing_variant_means_original(tmp_path):
    subs, _ = _read(tmp_path, "a.yaml", "student: s1\nanswers: {ex3a: '13'}\n")
    assert subs[0].variant == "original"


def test_csv_rows_with_arrow_columns_bom_and_crlf(tmp_path):
    text = ("student,variant,ex1a.a1,ex1a.a2,ex3a\r\n"
            's1,original,7,"-10,5",13\r\n'
            "s2,original,,,\r\n")
    subs, problems = _read(tmp_path, "class.csv", "\ufeff" + text)
    assert problems == []
    assert [s.student for s in subs] == ["s1", "s2"]
    assert subs[0].answers == {"ex1a": {"a1": "7", "a2": "-10,5"}, "ex3a": "13"}
    assert subs[1].answers == {}
    assert subs[0].source.endswith("class.csv row 2")


def test_semicolon_csv_from_a_norwegian_spreadsheet(tmp_path):
    subs, problems = _read(tmp_path, "c.csv", "student;variant;ex3a\ns1;original;0,5\n")
    assert problems == [] and subs[0].answers == {"ex3a": "0,5"}


def test_latin1_is_read_with_a_warning(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml",
                           "student: s1\nanswers: {ex2a: 'f\u00f8r'}\n".encode("latin-1"))
    assert subs[0].answers["ex2a"] == "f\u00f8r"
    assert len(problems) == 1 and not problems[0].fatal and "Latin-1" in problems[0].problem


def test_csv_is_streamed_in_latin1_and_with_old_mac_line_ends(tmp_path):
    latin = "student;variant;ex2a\ns1;original;f\u00f8r\ns2;original;\"a \"\"q\"\" b\"\n"
    subs, problems = _read(tmp_path, "l.csv", latin.encode("latin-1"))
    assert [s.answers["ex2a"] for s in subs] == ["f\u00f8r", 'a "q" b']
    assert len(problems) == 1 and "Latin-1" in problems[0].problem and not problems[0].fatal
    subs, problems = _read(tmp_path, "r.csv", b"student,ex3a\rs1,13\rs2,12\r")
    assert problems == [] and [s.source[-5:] for s in subs] == ["row 2", "row 3"]


def test_a_csv_that_breaks_late_yields_one_problem_and_no_rows(tmp_path):
    # a cell over MAX_CSV_FIELD (1,000,000 characters) is a broken file, not an answer
    text = "student,variant,ex2a\ns1,original,ok\ns2,original," + "x" * 1_000_100 + "\n"
    subs, problems = _read(tmp_path, "big.csv", text)
    assert subs == [] and len(problems) == 1
    assert "CSV cannot be read: field larger than field limit" in problems[0].problem


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("a.yaml", "student: s1\nanswers: {ex2a: 'unclosed\n", "not valid YAML (line"),
    ("a.json", '{"student": "s1", ', "not valid JSON"),
    ("a.yaml", "- just\n- a list\n", "expected a mapping"),
    ("a.yaml", "answers: {ex3a: '13'}\n", "no student id"),
    ("a.yaml", "student: s1\nanswer: {}\n", "unknown keys answer"),
    ("a.yaml", "student: s1\nanswers: [1, 2]\n", "answers must be a mapping"),
    ("a.csv", "name,ex3a\nbob,13\n", "no 'student' column"),
    ("a.csv", "student,ex3a\ns1,13,14\n", "more cells than the header"),
    ("a.yaml", "student: s1\nanswers: !!python/object/apply:os.system ['ls']\n",
     "not valid YAML"),
])
def test_bad_files_become_problems(tmp_path, name, content, fragment):
    subs, problems = _read(tmp_path, name, content)
    assert subs == []
    assert len(problems) == 1 and problems[0].fatal
    assert fragment in problems[0].problem
    assert problems[0].source.startswith(str(tmp_path))


def test_missing_path_and_folder_listing(tmp_path):
    (tmp_path / "b.yaml").write_text("student: b\n", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"student": "a"}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    items = list(read_submissions([tmp_path, tmp_path / "nope.yaml"]))
    assert isinstance(items[0], IngestProblem) and "no such file" in items[0].problem
    assert [i.student for i in items[1:]] == ["a", "b"]


def test_huge_answer_is_cut_and_reported(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml", "student: s1\nanswers: {ex2a: '" +
                           "word " * 10_000 + "'}\n")
    assert len(subs[0].answers["ex2a"]) == 20_000
    assert problems[0].part == "ex2a" and not problems[0].fatal


def test_unquoted_decimal_comma_in_a_flow_mapping_is_reported(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml", "student: s1\nanswers:\n  ex1a: {a1: -0,2, a2: 1}\n")
    assert subs[0].answers["ex1a"] == {"a1": "-0", "a2": "1"}
    assert problems[0].part == "ex1a" and "decimal comma" in problems[0].problem


def test_control_characters_never_reach_the_outputs(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml",
                           'student: "s\\x001"\nanswers: {ex2a: "dead\\x00 \\x1b[31mneurons"}\n')
    assert subs[0].student == "s1"
    assert subs[0].answers["ex2a"] == "dead [31mneurons"
    by_part = {p.part: p for p in problems}
    assert "control characters" in by_part["ex2a"].problem and not by_part["ex2a"].fatal
    assert "student id" in by_part[""].problem and not by_part[""].fatal  # the id was cleaned
