"""Moodle and Canvas response reports read into submissions, and graded end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import api
from grader.cli import cli
from grader.export.common import build_export
from grader.ingest.detect import CANVAS, MOODLE, SUBMISSIONS, UNKNOWN, detect_kind
from grader.ingest.lms import lms_context
from grader.ingest.submissions import IngestProblem, read_submissions
from grader.model import Submission

DATA = Path(__file__).resolve().parent / "data" / "lms"
MOODLE_FILE = DATA / "moodle-responses.csv"
LATIN1_FILE = DATA / "moodle-responses-latin1.csv"
CANVAS_FILE = DATA / "canvas-student-analysis.csv"


@pytest.fixture(scope="module")
def ctx():
    return api.load_context("inf5860-2019")


@pytest.fixture(scope="module")
def lms(ctx):
    return lms_context(ctx.exam, api.variant_lookup(ctx))


def read(path: Path, lms) -> tuple[dict[str, Submission], list[IngestProblem]]:
    items = list(read_submissions([path], lms))
    subs = {i.student: i for i in items if isinstance(i, Submission)}
    return subs, [i for i in items if isinstance(i, IngestProblem)]


@pytest.mark.parametrize(("header", "kind"), [
    (["student", "variant", "ex3a"], SUBMISSIONS),
    (["Surname", "First name", "Email address", "State", "Grade/10.00", "Response 1"], MOODLE),
    (["First name", "ID number", "Question 1", "Response 1", "Right answer 1"], MOODLE),
    (["name", "id", "sis_id", "section", "section_id", "submitted", "12: What? Variant "
      "original · ex3a", "1.0", "n correct", "n incorrect", "score"], CANVAS),
    (["Surname", "First name", "Email address"], UNKNOWN),  # a Moodle roster, no responses
    (["name", "ex3a"], UNKNOWN),
])
def test_detect_kind(header, kind):
    assert detect_kind(header) == kind


def test_moodle_report_with_bom_crlf_and_question_text(lms):
    assert MOODLE_FILE.read_bytes().startswith(b"\xef\xbb\xbf")
    subs, problems = read(MOODLE_FILE, lms)
    assert sorted(subs) == ["s200001", "s200002", "s200003", "s200005", "sirid@uio.no"]
    perfect = subs["s200001"]
    assert perfect.variant == "original" and perfect.exam == "inf5860-2019"
    assert list(perfect.answers["ex1a"]) == [f"a{i}" for i in range(1, 10)]  # key order
    assert perfect.answers["ex1a"]["a2"] == "-21/2" and perfect.answers["ex3a"] == "13"
    assert subs["s200002"].variant == "HXYEE" and subs["s200002"].answers["ex3a"] == "21"
    # decimal commas survive; '-' (unanswered) is no answer at all
    assert subs["s200003"].answers["ex1a"]["a2"] == "-10,5"
    assert "ex3a" not in subs["s200003"].answers and "ex2c" not in subs["s200003"].answers
    # the later of two finished attempts; a formula is kept as the student's text
    assert subs["s200005"].answers["ex3a"] == "13"
    assert subs["s200005"].answers["ex2c"].startswith("=HYPERLINK")
    messages = {(p.student, p.part, p.fatal, p.problem) for p in problems}
    assert ("sirid@uio.no", "", False, "attempt state is 'In progress', not Finished: graded "
            "as it stands") in messages
    assert ("s200005", "", False, "2 attempts: graded the one on line 7") in messages
    assert not any(p.fatal for p in problems)


def test_moodle_latin1_without_question_text_maps_slots_in_paper_order(lms):
    subs, problems = read(LATIN1_FILE, lms)
    bjorn = subs["bjorno@uio.no"]
    assert bjorn.variant == "original"
    assert bjorn.answers["ex1a"]["a4"] == "-3,5"  # slot 1 = ex1a
    assert "lærer" in bjorn.answers["ex2a"]  # slot 2 = ex2a, read as Latin-1
    texts = [p.problem for p in problems]
    assert any("read as Latin-1" in t for t in texts)
    assert any("graded as variant 'original'" in t for t in texts)
    assert all(not p.fatal for p in problems)


def test_canvas_report_variants_blanks_and_attempts(lms):
    subs, problems = read(CANVAS_FILE, lms)
    assert sorted(subs) == ["3302", "s200001", "s200003"]  # sis_id, else the Canvas id
    ola = subs["s200001"]
    assert ola.answers["ex1a"]["a9"] == "-7" and ola.answers["ex3a"] == "13"
    assert ola.answers["ex2c"].startswith("Dropout randomly")
    kari = subs["3302"]  # ex1a drawn from HXYEE, the rest from the original
    assert kari.variant == "original" and kari.part_variants == {"ex1a": "HXYEE"}
    assert kari.answers["ex2c"].startswith("Dropout, in short")  # an essay's commas stay
    nils = subs["s200003"]  # attempt 2 is graded; '\,' is a decimal comma
    assert nils.answers["ex1a"]["a2"] == "-10,5" and nils.answers["ex3a"] == "23"
    texts = [p.problem for p in problems]
    assert any("question ids 105" in t for t in texts)
    assert any("2 attempts: graded the one on line 6" in t for t in texts)


def test_reports_need_the_exam_and_unknown_csv_keeps_its_message(tmp_path):
    items = list(read_submissions([MOODLE_FILE]))
    assert len(items) == 1 and items[0].fatal and "Moodle quiz responses" in items[0].problem
    other = tmp_path / "other.csv"
    other.write_text("name,ex3a\nbob,13\n", encoding="utf-8")
    assert "no 'student' column" in list(read_submissions([other]))[0].problem


def test_bad_rows_do_not_stop_the_batch(tmp_path, lms):
    path = tmp_path / "responses.csv"
    path.write_text("Surname,First name,ID number,Email address,State,Response 1\r\n"
                    "Nobody,Anon,,,Finished,part 1: 7\r\n"
                    "Nordmann,Ola,s1,,Finished,part 1: 7; part 2: 1\r\n"
                    "Overall average,,,,,\r\n", encoding="utf-8")
    subs, problems = read(path, lms)
    assert list(subs) == ["s1"]
    bad = [p for p in problems if p.fatal]
    assert len(bad) == 1 and bad[0].source == f"{path} line 2"
    assert "no student id" in bad[0].problem
    short = [p for p in problems if p.part == "ex1a"]
    assert short and "2 answers for 9 blanks" in short[0].problem


def test_too_many_untagged_slots_is_an_error(tmp_path, lms):
    path = tmp_path / "responses.csv"
    slots = range(1, 30)
    path.write_text("ID number," + ",".join(f"Response {i}" for i in slots) + "\n"
                    "s1," + ",".join("-" for _ in slots) + "\n", encoding="utf-8")
    _, problems = read(path, lms)
    assert len(problems) == 1 and "29 responses per student" in problems[0].problem


# --- round trip: questions as exported, responses as the LMS reports them, graded ---------


def _perfect(ctx, variant_id: str) -> dict[str, object]:
    """Every part's full-mark answer for a variant: key values, rubric model answers."""
    variant = api.variant_lookup(ctx)(variant_id)
    return {p.part_id: dict(p.answer) if isinstance(p.answer, dict) else
            (p.answer if p.answer is not None else ctx.rubric.parts[p.part_id].model_answer)
            for p in variant.parts}


def _moodle_response(answer: object) -> str:
    if isinstance(answer, dict):
        return "; ".join(f"part {i}: {v}" for i, v in enumerate(answer.values(), start=1))
    return str(answer) if answer not in (None, "") else "-"


def _moodle_file(path: Path, questions, students) -> None:
    """A responses report: per student, slot N shows the question drawn for part N."""
    slots = range(1, len(questions) + 1)
    header = ["Surname", "First name", "ID number", "Email address", "State", "Started on",
              "Completed", "Time taken", "Grade/38.50"]
    header += [f"{c} {n}" for n in slots for c in ("Question", "Response")]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for student, drawn in students.items():
        row = ["Student", student, student, f"{student}@uio.no", "Finished", "", "", "", ""]
        for question, answer in drawn:
            row += [f"{question.text_md}\n{question.tag}", _moodle_response(answer)]
        writer.writerow(row)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def _canvas_file(path: Path, export, students) -> None:
    """A student analysis report: a column pair per question the class was given."""
    columns = [q for q in export.questions]
    header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted"]
    for number, question in enumerate(columns, start=100):
        header += [f"{number}: {question.text_md} {question.tag}", str(float(question.points))]
    header += ["n correct", "n incorrect", "score"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for student, drawn in students.items():
        got = {q.ident: a for q, a in drawn}
        row = [student, "1", student, "INF5860", "7", "", "2019-06-08 13:00:00 +0200"]
        for question in columns:
            if question.ident not in got:
                row += ["", ""]
                continue
            answer = got[question.ident]
            text = (",".join(v.replace(",", "\\,") for v in answer.values())
                    if isinstance(answer, dict) else str(answer or ""))
            row += [text, "0.0"]
        writer.writerow(row + ["0", "0", "0"])
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def round_trip(ctx, tmp_path_factory):
    """Questions exported for the original and one random variant, and four students."""
    folder = tmp_path_factory.mktemp("lms")
    result = CliRunner().invoke(cli, ["paper", "inf5860-2019", "--variants", "1",
                                      "-o", str(folder / "papers")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    random_id = json.loads((folder / "papers" / "key.json").read_text())["variant_ids"][0]
    lookup = api.variant_lookup(ctx)
    export = build_export(ctx.exam, [lookup("original"), lookup(random_id)], ctx.rubric)
    by_variant = {v: {q.part_id: q for q in export.questions if q.variant_id == v}
                  for v in ("original", random_id)}
    original, drawn = _perfect(ctx, "original"), _perfect(ctx, random_id)
    decimal_commas = {"a1": "7", "a2": "-10,5", "a3": "0", "a4": "-3,5", "a5": "-3,5",
                      "a6": "-3,5", "a7": "-3,5", "a8": "49", "a9": "-7"}
    comma = dict(original, ex1a=decimal_commas, ex3a=None)  # ex3a left unanswered

    def sitting(answers, variant_of=lambda part: "original"):
        return [(by_variant[variant_of(p.id)][p.id], answers[p.id]) for p in ctx.exam.parts]

    students = {
        "perfect": sitting(original),
        "random": sitting(drawn, lambda part: random_id),
        "mixed": sitting({**original, "ex1a": drawn["ex1a"]},
                         lambda part: random_id if part == "ex1a" else "original"),
        "comma": sitting(comma),
    }
    return folder, export, students, random_id


def _grade(folder: Path, report: Path) -> tuple[dict[str, dict[str, str]], list[dict]]:
    out = folder / f"out-{report.stem}"
    result = CliRunner().invoke(cli, ["grade", "inf5860-2019", str(report), "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with (out / "scores.csv").open(encoding="utf-8", newline="") as handle:
        scores = {row["student"]: row for row in csv.DictReader(handle)}
    details = [json.loads(line) for line in (out / "details.jsonl").read_text().splitlines()]
    return scores, details


@pytest.mark.parametrize("lms_name", ["moodle", "canvas"])
def test_round_trip_grades_lms_responses(round_trip, lms_name):
    folder, export, students, random_id = round_trip
    report = folder / f"{lms_name}.csv"
    if lms_name == "moodle":
        _moodle_file(report, [q for q, _ in students["perfect"]], students)
    else:
        _canvas_file(report, export, students)
    scores, details = _grade(folder, report)
    assert scores["perfect"]["total"] == scores["perfect"]["max"] == "38.5"
    assert scores["random"]["variant"] == random_id and scores["random"]["total"] == "38.5"
    assert scores["mixed"]["total"] == "38.5"  # ex1a graded against the random variant's key
    # and its feedback quotes each part's question from the variant that part was drawn from
    feedback = (folder / f"out-{report.stem}" / "feedback" / "mixed.md").read_text("utf-8")
    lookup = api.variant_lookup(api.load_context("inf5860-2019"))
    drawn, original = lookup(random_id), lookup("original")
    assert drawn.part("ex1a").text != original.part("ex1a").text
    assert drawn.part("ex1a").text in feedback and original.part("ex1a").text not in feedback
    assert original.part("ex3b").text in feedback  # the parts seen in the original stay so
    comma = scores["comma"]
    assert comma["ex1a"] == "4.5" and comma["ex3a"] == "0"
    blank = next(d for d in details if d["student"] == "comma" and d["part"] == "ex3a")
    assert blank["score"] == 0 and "blank" in blank["notes"]
