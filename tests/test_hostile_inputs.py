"""`grader grade` against a hostile or careless class: every bad input is a clear errors.csv
row (file, student, part, problem), the rest of the batch is graded, nothing crashes or hangs,
and nothing is written outside the output folder."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import api
from grader.cli import cli, printable
from grader.ingest import detect
from grader.ingest.lms import lms_context
from grader.ingest.submissions import IngestProblem, read_submissions
from grader.model import Submission
from grader.report import outputs
from grader.report.compare import CHANGES_HEADER

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "examples" / "submissions" / "s100001.yaml"


def _read(tmp_path: Path, name: str, content: str | bytes, lms=None):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    items = list(read_submissions([path], lms))
    subs = [i for i in items if isinstance(i, Submission)]
    problems = [i for i in items if isinstance(i, IngestProblem)]
    return subs, problems


def _only_problem(tmp_path: Path, name: str, content: str | bytes) -> IngestProblem:
    subs, problems = _read(tmp_path, name, content)
    assert subs == [], subs
    assert len(problems) == 1, problems
    assert problems[0].fatal and problems[0].source == str(tmp_path / name)
    return problems[0]


def _errors(out: Path) -> list[dict[str, str]]:
    with (out / "errors.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _scores(out: Path) -> dict[str, dict[str, str]]:
    with (out / "scores.csv").open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


# --- nesting bombs: libyaml recursed in C and killed the process (SIGSEGV) --------------------

@pytest.mark.parametrize("body", [
    "[" * 60_000 + "]" * 60_000,  # flow sequences
    "{a: " * 60_000 + "1" + "}" * 60_000,  # flow mappings
    "\n    " + "- " * 1500 + "x",  # compact block sequences
], ids=["flow-sequences", "flow-mappings", "block-sequences"])
def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path, body):
    problem = _only_problem(tmp_path, "deep.yaml", "student: s1\nanswers:\n  ex2a: " + body)
    assert "nested more than 1000 levels" in problem.problem


def test_deeply_nested_json_is_a_problem_not_a_crash(tmp_path):
    text = '{"student": "s1", "answers": {"ex2a": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    assert "nested too deeply" in _only_problem(tmp_path, "deep.json", text).problem


def test_billion_laughs_aliases_stay_small(tmp_path):
    lines, previous = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'], "a0"
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = f"a{i}"
    bomb = "\n".join(lines)
    text = bomb + f"\nstudent: s1\nanswers:\n  ex2a: *{previous}\n"
    assert "unknown keys a0, a1" in _only_problem(tmp_path, "bomb.yaml", text).problem
    # Inside the answers (9^9 items if expanded): the nested lists are left out, not expanded.
    text = ("student: s1\nanswers:\n  ex2a: [a, [b, [c]]]\n"
            "  ex2b: &b [[[l, l], [l, l]], [[l, l], [l, l]]]\n  ex2c: [*b, *b, *b, *b]\n")
    subs, problems = _read(tmp_path, "bomb2.yaml", text)
    assert subs[0].answers["ex2a"] == "a\n" and subs[0].answers["ex2c"] == "\n\n\n"
    assert {p.part for p in problems} == {"ex2a", "ex2b", "ex2c"}
    assert all("left out the lists" in p.problem and not p.fatal for p in problems)


# --- encodings and bytes ----------------------------------------------------------------------

def test_lone_surrogates_in_json_are_replaced_not_a_crash(tmp_path):
    text = json.dumps({"student": "s1\ud800", "answers": {"ex2a": "dead\udfff neurons",
                                                           "ex1a": {"a1\ud800": "7"}}})
    subs, problems = _read(tmp_path, "s.json", text)
    (sub,) = subs
    assert sub.student == "s1\ufffd"
    assert sub.answers["ex2a"] == "dead\ufffd neurons"
    assert sub.answers["ex1a"] == {"a1\ufffd": "7"}
    assert len(problems) == 1 and not problems[0].fatal and "surrogate" in problems[0].problem
    for text in (sub.student, sub.answers["ex2a"]):
        text.encode("utf-8")  # what writing the outputs needs


def test_a_huge_json_integer_is_a_problem_not_a_crash(tmp_path):
    text = '{"student": "s1", "answers": {"ex3a": ' + "1" * 5000 + "}}"
    assert "not valid JSON" in _only_problem(tmp_path, "big.json", text).problem


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_files_with_a_bom_are_read(tmp_path, encoding):
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # "utf-16" writes its own BOM
    subs, problems = _read(tmp_path, "a.yaml", (bom + "student: s1\nanswers: {ex2a: 'før'}\n")
                           .encode(encoding))
    assert problems == [] and subs[0].answers == {"ex2a": "før"}
    subs, problems = _read(tmp_path, "a.csv", (bom + "student\tex2a\ns2\tfør\n").encode(encoding))
    assert problems == [] and [(s.student, s.answers) for s in subs] == [("s2", {"ex2a": "før"})]


def test_binary_file_named_yaml_is_one_clear_problem(tmp_path):
    problem = _only_problem(tmp_path, "photo.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff")
    assert "NUL bytes" in problem.problem and "Latin-1" not in problem.problem


def test_broken_utf16_is_a_problem(tmp_path):
    problem = _only_problem(tmp_path, "a.yaml", b"\xff\xfes\x00\x00\xd8")  # a lone surrogate
    assert "not valid UTF-16" in problem.problem


def test_unreadable_file_is_a_problem_and_the_rest_is_read(tmp_path, monkeypatch):
    (tmp_path / "a.yaml").write_text("student: s1\nanswers: {}\n", "utf-8")
    (tmp_path / "b.yaml").write_text("student: s2\nanswers: {}\n", "utf-8")
    real_open = Path.open

    def deny(self, *args, **kwargs):  # chmod 000 does not stop root, who runs CI
        if self.name == "a.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    items = list(read_submissions([tmp_path]))
    assert isinstance(items[0], IngestProblem) and items[0].fatal
    assert items[0].problem == "cannot read file: Permission denied"
    assert [i.student for i in items[1:]] == ["s2"]


# --- document shapes --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("a.yaml", "student: s1\nstudent: s2\nanswers: {}\n", "the key 'student' is given twice"),
    ("a.yaml", "student: s1\nanswers: {ex3a: '13', ex3a: '14'}\n", "the key 'ex3a' is given twice"),
    ("a.json", '{"student": "s1", "answers": {"ex3a": "13", "ex3a": "14"}}',
     "the key 'ex3a' is given twice"),
    ("a.yaml", "student: s1\nvariant: [K7Q2M, original]\nanswers: {}\n",
     "variant must be one value, not a list"),
    ("a.yaml", "student: s1\ncourse: [INF5860]\nanswers: {}\n", "course must be one value"),
    ("a.yaml", "student: s1\nexam: {id: x}\nanswers: {}\n",
     "exam must be one value, not a mapping"),
    ("a.yaml", "student: s1\nanswers: {[1, 2]: x}\n", "(line 2): found unhashable key"),
    ("a.yaml", "student: s1\nanswers:\n" + "".join(f"  p{i}: x\n" for i in range(1001)),
     "1001 answers: more than 1000"),
])
def test_ambiguous_documents_are_problems(tmp_path, name, content, fragment):
    assert fragment in _only_problem(tmp_path, name, content).problem


def test_yaml_errors_say_what_is_wrong(tmp_path):
    problem = _only_problem(tmp_path, "a.yaml", "student: s1\nanswers: {ex2a: 'unclosed\n")
    assert problem.problem.startswith("not valid YAML (line 3): found unexpected end of stream")


def test_control_characters_and_newlines_leave_ids(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml", 'student: "s1\\n\\t\\x1b[31m"\nanswers:\n'
                           '  "ex3a\\x07": "13"\n  ex1a: {"a1\\r": "7"}\n')
    (sub,) = subs
    assert sub.student == "s1[31m"
    assert sub.answers == {"ex3a": "13", "ex1a": {"a1": "7"}}
    assert [(p.student, p.fatal) for p in problems] == [("s1[31m", False)]
    assert "student id" in problems[0].problem


def test_a_yaml_set_reads_the_same_in_every_process(tmp_path):
    # str() of a set follows string hashes, which change per process (PYTHONHASHSEED): the
    # outputs of --jobs 2 differed from --jobs 1
    subs, problems = _read(tmp_path, "a.yaml", "student: s1\nanswers:\n  ex3b: !!set {b, c, a}\n"
                           "  ex1a: {a1: !!set {z, y}}\n")
    assert problems == []
    assert subs[0].answers == {"ex3b": "a, b, c", "ex1a": {"a1": "y, z"}}


def test_values_nested_where_one_is_expected_are_reported(tmp_path):
    subs, problems = _read(tmp_path, "a.yaml", "student: s1\nanswers:\n"
                           "  ex1a: {a1: {x: 7}, a2: [1, 2], a9: '-7'}\n")
    assert subs[0].answers["ex1a"] == {"a9": "-7"}
    assert problems[0].part == "ex1a" and not problems[0].fatal
    assert "a1, a2: a list or mapping where one value was expected" in problems[0].problem


# --- CSV --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "fragment"), [
    ("student,student,ex3a", "column(s) student more than once"),
    ("student,ex3a, ex3a", "column(s) ex3a more than once"),
    ("student,ex1a,ex1a.a1", "both the column ex1a and columns ex1a.<arrow>"),
    ("student," + ",".join(f"c{i}" for i in range(1010)), "1011 columns: more than 1004"),
])
def test_ambiguous_csv_headers_are_one_problem(tmp_path, header, fragment):
    problem = _only_problem(tmp_path, "c.csv", header + "\ns1,7,8\n")
    assert fragment in problem.problem


def test_cells_without_a_header_are_reported(tmp_path):
    subs, problems = _read(tmp_path, "c.csv", "student,,ex3a,\ns1,x,13,y\ns2,,13,\n")
    assert [s.answers for s in subs] == [{"ex3a": "13"}, {"ex3a": "13"}]
    (problem,) = problems
    assert not problem.fatal and "1 rows have cells in columns without a header" in problem.problem
    assert "column 2, column 4" in problem.problem


def test_a_long_csv_answer_is_cut_not_the_class_lost(tmp_path):
    text = "student,ex2a\ns1," + "x" * 200_000 + "\ns2,short\n"
    subs, problems = _read(tmp_path, "c.csv", text)
    assert [s.student for s in subs] == ["s1", "s2"] and len(subs[0].answers["ex2a"]) == 20_000
    assert [(p.student, p.part, p.fatal) for p in problems] == [("s1", "ex2a", False)]


def test_ragged_rows_and_student_ids_with_newlines(tmp_path):
    subs, problems = _read(tmp_path, "c.csv",
                           'student,ex3a,ex3b\ns1,13\n"s\n2",13,23,99\n,13,23\n')
    assert [s.student for s in subs] == ["s1"]
    assert [(p.student, p.problem) for p in problems] == [
        ("s2", "row has more cells than the header has columns"), ("", "no student id")]


# --- files and folders ------------------------------------------------------------------------

def test_links_pipes_and_folders_with_a_submission_suffix_are_reported(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.yaml").write_text("student: s1\nanswers: {}\n", "utf-8")
    (folder / "._ok.yaml").write_bytes(b"\x00\x05\x16\x07junk")  # macOS resource fork: skipped
    (folder / "broken.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (folder / "sub.yaml").mkdir()
    os.mkfifo(folder / "pipe.yaml")  # opening it would block the batch forever
    items = list(read_submissions([folder]))
    problems = {Path(i.source).name: i.problem for i in items if isinstance(i, IngestProblem)}
    assert problems == {"broken.yaml": "a broken symbolic link: not read",
                        "sub.yaml": "a folder inside a folder: not searched (give it as an "
                                    "argument)",
                        "pipe.yaml": "not a regular file (a pipe or a device): not read"}
    assert [i.student for i in items if isinstance(i, Submission)] == ["s1"]


def test_the_output_headers_are_the_ones_detect_knows():
    assert detect.output_name(outputs.REVIEW_HEADER) == "review.csv"
    assert detect.output_name(outputs.ERRORS_HEADER) == "errors.csv"
    assert detect.output_name(CHANGES_HEADER) == "changes.csv"
    assert detect.output_name(outputs.scores_header(["ex1a", "ex3a"])) == "scores.csv"
    assert detect.output_name(["student", "variant", "ex3a"]) == ""


def test_grading_into_the_submissions_folder_does_not_read_the_outputs(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "s1.yaml").write_text("student: s1\nanswers: {ex3a: '13'}\n", "utf-8")
    (folder / "s2.yaml").write_text("student: s2\nanswers: {ex3a: '12', ex9z: x}\n", "utf-8")
    api.grade("inf5860-2019", [folder], folder)
    assert {p.name for p in folder.glob("*.csv")} == {"scores.csv", "review.csv", "errors.csv"}
    summary = api.grade("inf5860-2019", [folder], folder)  # again: review.csv had s1's rows
    assert summary.students == 2
    scores = _scores(folder)
    assert set(scores) == {"s1", "s2"} and scores["s1"]["ex3a"] == "1"
    rows = {Path(e["file"]).name: e["problem"] for e in _errors(folder)}
    assert set(rows) == {"errors.csv", "review.csv", "scores.csv", "s2.yaml"}
    assert "this is scores.csv as grader grade writes it" in rows["scores.csv"]


# --- LMS reports ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lms():
    ctx = api.load_context("inf5860-2019")
    return lms_context(ctx.exam, api.variant_lookup(ctx))


def test_moodle_slot_zero_and_repeated_parts_are_reported(tmp_path, lms):
    rows = [["Surname", "First name", "ID number", "State", "Response 0", "Response 8",
             "Question 4", "Response 4"],
            ["A", "B", "s1\n", "Finished", "zero", "13", "Variant original · ex3a", "14"]]
    path = tmp_path / "m.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    subs, problems = _read(tmp_path, "m.csv", path.read_bytes(), lms)
    (sub,) = subs
    # slot 0 is not the last part (ex7c); slot 4 (tagged ex3a) and slot 8 (ex3a) both answer
    # ex3a: the last slot counts, and the repeat is reported
    assert sub.student == "s1" and sub.answers == {"ex3a": "13"}
    texts = [p.problem for p in problems]
    assert any("slot 0 has no variant tag" in t for t in texts)
    assert "the report has more than one answer to this part: graded the last" in texts
    assert all(p.student in ("", "s1") for p in problems)


def test_canvas_attempt_that_is_not_a_number_is_not_a_crash(tmp_path, lms):
    rows = [["name", "id", "sis_id", "section", "section_id", "submitted", "attempt",
             "2: q Variant original · ex3a", "1.0", "n correct", "n incorrect", "score"],
            ["x", "1", "s1", "S", "1", "2019", "1e999", "13", "1", "1", "0", "1"]]
    path = tmp_path / "c.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    subs, problems = _read(tmp_path, "c.csv", path.read_bytes(), lms)
    assert [(s.student, s.answers) for s in subs] == [("s1", {"ex3a": "13"})]
    assert problems == []


# --- the CLI ----------------------------------------------------------------------------------

def test_printable_escapes_what_a_terminal_would_act_on():
    assert printable("in/a.yaml, part ex2a: ok") == "in/a.yaml, part ex2a: ok"
    assert printable("a\x1b]0;owned\x07b\ud800") == "a\\x1b]0;owned\\x07b\\ud800"


def test_an_output_folder_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "out").write_text("not a folder", "utf-8")
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(GOOD), "-o",
                                      str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {tmp_path / 'out'}: ")
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert (tmp_path / "out").read_text("utf-8") == "not a folder"


def _hostile_class(folder: Path) -> None:
    folder.mkdir()
    (folder / "good.yaml").write_bytes(GOOD.read_bytes())
    files = {
        "deep.yaml": "student: deep\nanswers:\n  ex2a: " + "[" * 60_000 + "]" * 60_000,
        "deep.json": '{"student": "dj", "answers": {"ex2a": ' + "[" * 50_000 + "]" * 50_000
                     + "}}",
        "surrogate.json": '{"student": "sur\\ud800", "answers": {"ex3a": "1\\udc003",'
                          ' "ex2a\\ud800": "x"}}',
        "parts.csv": "student,ex1a,ex1a.a1\ncsv1,x,7\n",
        "dup.csv": "student,student,ex3a\nd1,d2,13\n",
        "long.csv": "student,ex2a\nlong1," + "y" * 150_000 + "\n",
        "utf16.yaml": "student: u16\nanswers: {ex3a: '13'}\n".encode("utf-16"),
        "ids.yaml": 'student: "../..\\n/x\\x1b[2J"\nanswers: {ex3a: "13"}\n',
        "expr.yaml": "student: expr\nanswers:\n  ex3a: '9**9**9**9'\n  ex3b: '1e999999'\n"
                     "  ex3c: '" + "(" * 3000 + "1" + ")" * 3000 + "'\n"
                     "  ex1a: {a1: \"__import__('os').system('touch pwned')\", a2: '"
                     + "7" * 10_000 + "'}\n",
        "types.yaml": "student: types\nanswers:\n  ex1a: 'a1=7, a2=-10.5'\n  ex3a: [13]\n"
                      "  ex3b: {a: 23}\n  ex2a: 12\n",
        "formula.csv": 'student,ex3a,ex3b,=cmd\n"=HYPERLINK(""http://x"",""y"")",@SUM(1),'
                       '"-2+cmd|\' /C calc\'!A0",x\n',
    }
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _assert_hostile_class_outputs(tmp_path: Path, out: Path) -> None:
    scores = _scores(out)
    assert set(scores) == {"s100001", "sur\ufffd", "long1", "u16", "../../x[2J", "expr",
                           "types", "'=HYPERLINK(\"http://x\",\"y\")"}  # prefixed
    assert scores["s100001"]["total"] == "38.5"
    assert scores["expr"]["total"] == "0" and scores["types"]["ex3a"] == "1"
    errors = {Path(e["file"]).name: e for e in _errors(out)}
    assert errors["deep.yaml"]["severity"] == "error" and "nested" in errors["deep.yaml"]["problem"]
    assert "nested too deeply" in errors["deep.json"]["problem"]
    assert "ex1a.<arrow>" in errors["parts.csv"]["problem"]
    assert "more than once" in errors["dup.csv"]["problem"]
    assert errors["ids.yaml"]["student"] == "../../x[2J" and errors["ids.yaml"]["severity"] == \
        "warning"
    assert not any("internal error" in e["problem"] for e in _errors(out))
    feedback = sorted(p.name for p in (out / "feedback").iterdir())
    for name in ("scores.csv", "review.csv", "errors.csv"):  # no cell a spreadsheet runs
        with (out / name).open(encoding="utf-8", newline="") as handle:
            cells = [c for row in csv.reader(handle) for c in row]
        formulas = [c for c in cells if c[:1] in ("=", "+", "-", "@")]
        assert all(c.lstrip("-+").replace(".", "", 1).isdigit() for c in formulas), formulas
        assert any(c.startswith("'=HYPERLINK") for c in cells) or name == "review.csv"
    assert len(feedback) == 16 and all(p.parent == out / "feedback"
                                       for p in (out / "feedback").iterdir())
    for name in ("scores.csv", "details.jsonl", "review.csv", "errors.csv", "report.html"):
        (out / name).read_text("utf-8")  # complete and UTF-8
    assert not list(tmp_path.rglob("pwned")) and not (tmp_path / "x").exists()


def test_a_hostile_class_is_graded_around_its_bad_files(tmp_path):
    _hostile_class(tmp_path / "in")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(tmp_path / "in"), "-o",
                                      str(out)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "\x1b" not in result.output  # the id's escape sequence is not sent to the terminal
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"graded 8 students into {out}; 4 inputs not graded, ")
    _assert_hostile_class_outputs(tmp_path, out)


def test_a_hostile_class_in_a_real_process(tmp_path):
    """The nesting bomb used to kill the process itself (SIGSEGV): a real run, bounded."""
    _hostile_class(tmp_path / "in")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GRADER_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", "from grader.cli import main; main()", "grade", "inf5860-2019",
         str(tmp_path / "in"), "-o", str(out)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert done.stdout.startswith("graded 8 students into")
    _assert_hostile_class_outputs(tmp_path, out)


# --- the feedback files of hostile ids and answers ---------------------------------------------

def test_ids_differing_in_case_and_device_names_get_files_of_their_own(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, student in enumerate(["S1", "s1", "CON", "aux", "nul.txt", "LPT9"]):
        (folder / f"{i}.yaml").write_text(f"student: '{student}'\nanswers: {{ex3a: '13'}}\n",
                                          "utf-8")
    summary = api.grade("inf5860-2019", [folder], tmp_path / "out")
    assert summary.students == 6
    names = [p.name for p in (tmp_path / "out" / "feedback").iterdir()]
    # one file each on macOS and Windows and in a zip, and none Windows cannot open
    assert len({n.casefold() for n in names}) == len(names) == 12
    assert "s1.md" in names and not any(n.startswith("S1.") for n in names)
    assert all(n.split(".")[0].casefold() not in {"con", "aux", "nul", "lpt9"} for n in names)


def test_hostile_ids_and_answers_show_literally_in_the_markdown_feedback(tmp_path):
    from markdown_it import MarkdownIt

    folder = tmp_path / "in"
    folder.mkdir()
    student = "<script>alert(1)</script> [link](x) `*bold*` ``tick``"
    (folder / "x.yaml").write_text(
        f"student: '{student}'\nvariant: original\nanswers:\n"
        "  ex1a: {a1: '7', '<img src=x onerror=alert(1)>': '1', '[l](http://e)': '2'}\n"
        "  ex2b: 'For *negative* inputs the gradient is `zero`, <b>so</b> [dead](http://e)"
        " units ```'\n"
        "  ex3a: '<script>x</script> [a](b) `*c*`'\n", "utf-8")
    api.grade("inf5860-2019", [folder], tmp_path / "out")
    (md_file,) = (tmp_path / "out" / "feedback").glob("*.md")
    markdown = md_file.read_text("utf-8")
    rendered = MarkdownIt("commonmark").render(markdown)  # raw HTML allowed, as viewers do
    outside = re.sub(r"<pre><code>.*?</code></pre>", "", rendered, flags=re.DOTALL)
    for tag in ("<script", "<img", "<a ", "<code>", "<b>"):
        assert tag not in outside, tag
    top = outside.split("<h2>")[0]
    assert "<em>" not in top and "<strong>bold" not in top
    shown = student.replace("<", "&lt;").replace(">", "&gt;")
    assert f"Student: {shown} · variant original" in outside
    assert ("unknown arrow id &lt;img src=x onerror=alert(1)&gt;, [l](http://e) (not graded)"
            in outside)
    assert "<pre><code>&lt;script&gt;x&lt;/script&gt; [a](b) `*c*`\n</code></pre>" in rendered
    html = md_file.with_suffix(".html").read_text("utf-8")
    for tag in ("<script", "<img", "<b>so"):
        assert tag not in html, tag
    assert f"Student: {shown} ·" in html
