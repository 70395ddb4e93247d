"""Gradebook imports for Canvas and Moodle from scores.csv, and `grader export-grades`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.errors import InputError
from grader.export import gradebook as gb

ROOT = Path(__file__).resolve().parents[1]
MAP_FILE = ROOT / "tests" / "data" / "lms" / "map.csv"
SCORES = ("student,variant,ex1a,ex7a,total,max,grade\n"
          "s200001,original,4.5,,30,32.5,A\n"
          "s200003,HXYEE,1.5,2,10.5,38.5,F\n"
          "'=cmd|x,original,0,,0,32.5,F\n")


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture
def scores() -> gb.Scores:
    return gb.parse_scores(SCORES)


@pytest.fixture
def mapping() -> dict[str, dict[str, str]]:
    return gb.parse_map(MAP_FILE.read_text(encoding="utf-8"), str(MAP_FILE))


def test_parse_scores_reads_parts_and_undoes_the_formula_guard(scores):
    assert scores.part_ids == ("ex1a", "ex7a")
    assert [r.student for r in scores.rows] == ["s200001", "s200003", "=cmd|x"]
    assert scores.rows[1].parts == {"ex1a": "1.5", "ex7a": "2"} and scores.rows[1].max == "38.5"


@pytest.mark.parametrize(("text", "message"), [
    ("name,total\nx,1\n", "not a scores.csv"),
    ("student,variant,ex1a,total,max,grade\ns1,original,1,1\n", "line 2 has 4 cells"),
])
def test_parse_scores_rejects_other_files(text, message):
    with pytest.raises(InputError, match=message):
        gb.parse_scores(text)


def test_parse_map_accepts_lms_header_spellings(mapping):
    assert mapping["s200002"] == {"name": "Hansen, Kari", "email": "karih@uio.no",
                                  "canvas_id": "3302", "sis_user_id": "",
                                  "sis_login_id": "karih", "section": "INF5860"}
    assert gb.lookup(mapping, "3302") is mapping["s200002"]  # a Canvas id from a report
    assert gb.lookup(mapping, "s999") is None


@pytest.mark.parametrize(("text", "message"), [
    ("email\na@b.no\n", "needs a 'student' column"),
    ("student,name\ns1,Ada\n", "at least one of email"),
    ("student,email\ns1,a@b.no\ns1,c@d.no\n", "line 3: student 's1' is listed twice"),
])
def test_parse_map_errors(text, message):
    with pytest.raises(InputError, match=message):
        gb.parse_map(text, "map.csv")


def test_canvas_gradebook_without_map(scores):
    book = gb.canvas_gradebook(scores, "INF5860 exam (4711)", parts=True,
                               part_max={"ex1a": "4.5", "ex7a": "2"})
    table = rows(book.text)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "INF5860 exam (4711)", "INF5860 exam (4711) ex1a",
                        "INF5860 exam (4711) ex7a"]
    assert table[1] == ["    Points Possible", "", "", "", "", "38.5", "4.5", "2"]
    assert table[2] == ["", "", "s200001", "", "", "30", "4.5", ""]
    assert table[4][2] == "'=cmd|x"  # spreadsheet-safe
    assert book.text.endswith("\r\n") and book.students == 3
    assert any("different maximum points (32.5, 38.5" in w for w in book.warnings)


def test_canvas_gradebook_with_map(scores, mapping):
    book = gb.canvas_gradebook(scores, "Exam", mapping=mapping)
    table = rows(book.text)
    assert table[2] == ["Nordmann, Ola", "3301", "s200001", "olan", "INF5860", "30"]
    assert table[3][:3] == ["Berg, Nils", "3303", "s200003"] and len(table) == 4
    assert "student =cmd|x is not in the map: left out of the gradebook" in book.warnings


def test_moodle_gradebook_identifiers(scores, mapping):
    plain = rows(gb.moodle_gradebook(scores, "Exam").text)
    assert plain[:2] == [["idnumber", "Exam"], ["s200001", "30"]]
    book = gb.moodle_gradebook(scores, "Exam", mapping=mapping, parts=True)
    assert rows(book.text)[:2] == [["email", "Exam", "Exam ex1a", "Exam ex7a"],
                                   ["olan@uio.no", "30", "4.5", ""]]
    no_id = gb.moodle_gradebook(scores, "Exam", mapping=mapping, id_field="username")
    assert no_id.students == 0
    assert "student s200001 has no username in the map: left out" in no_id.warnings
    with pytest.raises(InputError, match="unknown Moodle identifier"):
        gb.moodle_gradebook(scores, "Exam", id_field="login")


def test_plain_gradebook_adds_the_map_ids(scores, mapping):
    table = rows(gb.plain_gradebook(scores, mapping=mapping).text)
    assert table[0][:4] == ["student", "name", "email", "canvas_id"]
    assert table[0][-5:] == ["ex1a", "ex7a", "total", "max", "grade"]
    assert table[1][:3] == ["s200001", "Nordmann, Ola", "olan@uio.no"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results")
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(ROOT / "examples" /
                                      "submissions"), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_cli_export_grades_canvas_and_moodle(graded, tmp_path):
    runner = CliRunner()
    out = tmp_path / "canvas.csv"
    result = runner.invoke(cli, ["export-grades", str(graded), "--to", "canvas", "-o", str(out),
                                 "--parts"], catch_exceptions=False)
    assert result.exit_code == 3  # a warning: INF5860 and INF9860 have different maxima
    assert f"wrote {out} (canvas, 8 students)" in result.output
    table = rows(out.read_text(encoding="utf-8"))
    assert table[1][5:8] == ["38.5", "4.5", "1"]  # total, then ex1a and ex2a from details
    assert table[2][2] == "s100001" and table[2][5] == "38.5"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canvas.csv"]  # no temp files left
    moodle = tmp_path / "moodle.csv"
    result = runner.invoke(cli, ["export-grades", str(graded / "scores.csv"), "--to", "moodle",
                                 "-o", str(moodle), "--assignment", "Eksamen"])
    assert rows(moodle.read_text(encoding="utf-8"))[0] == ["idnumber", "Eksamen"]


def test_cli_export_grades_needs_scores(tmp_path):
    result = CliRunner().invoke(cli, ["export-grades", str(tmp_path), "--to", "csv",
                                      "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "no scores.csv here" in result.output and str(tmp_path) in result.output
