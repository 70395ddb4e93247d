"""Papers to print: LaTeX sources, PDFs built with pdflatex, leak and visual checks.

These tests need TeX Live and poppler-utils. In CI (.ci/run sets EXAMGRADER_REQUIRE_TOOLS=1 after
installing them) a missing tool fails the run; on a developer machine without TeX they are skipped
with the install line, so the README's test command still works on a fresh machine.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from grader.cli import cli
from grader.errors import AuthoringError, InputError
from grader.paper import parse_formats, write_papers, write_student_papers
from grader.paper.latex import key_latex, student_latex
from grader.paper.pdf import INSTALL, ToolMissing, build_pdfs
from grader.rubric.loader import load_rubric
from grader.rubric.tolerances import tolerance_texts
from grader.variant_ids import variant_ids
from grader.variants import build_variant
from question_bank.families import FAMILIES
from tests.test_paper import SEED_RUBRIC, _variant_leaks

ALL = ("md", "html", "tex", "pdf")
STUDENTS = [("s1", "s100001", 0), ("s2", "s100002", 1), ("s3", "s100003", 0)]


def _tolerances() -> dict[str, str]:
    return dict(tolerance_texts(load_rubric(SEED_RUBRIC)))


def _need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        message = f"{program} is not installed; run: {INSTALL} poppler-utils"
        if os.environ.get("EXAMGRADER_REQUIRE_TOOLS"):
            pytest.fail(message)  # CI installed them: missing means broken
        pytest.skip(message)
    return found


@pytest.fixture(scope="module", autouse=True)
def tools():
    for program in ("pdflatex", "pdftotext", "pdftoppm"):
        _need(program)


@pytest.fixture(scope="module")
def exam():
    from grader.bank import load_exam
    from tests.test_paper import SEED

    return load_exam(SEED, FAMILIES)


@pytest.fixture(scope="module")
def variants(exam):
    return [build_variant(exam, v, FAMILIES) for v in ("original", *variant_ids(2019, 2))]


@pytest.fixture(scope="module")
def built(tmp_path_factory, exam, variants):
    """Every format for the original and two random variants, and a three-student roster."""
    out = tmp_path_factory.mktemp("papers")
    files = write_papers(out, exam, variants, ALL, _tolerances())
    by_id = {v.variant_id: v for v in variants}
    rows = [(stem, student, variants[i + 1].variant_id) for stem, student, i in STUDENTS]
    files += write_student_papers(out, exam, by_id, rows, ALL)
    return out, files


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _plain(text: str) -> str:
    """Comparable text: TeX escapes, tags and markup undone, typographic characters ASCII, and
    no whitespace at all (a PDF's line breaks and spacing differ from the source's)."""
    text = text.replace("\u2212", "-").replace("\u2019", "'").replace(r"\textminus{}", "-")
    text = text.replace(r"\textasciicircum{}", "^").replace(r"\_", "_")
    text = re.sub(r"\\text(bf|it|tt)\{|\\emph\{|<[^>]+>|[`*${}|\u2022]", "", text)
    return "".join(re.sub(r"^\s*- ", "", text).split())


def _student_texts(out: Path, variant_id: str) -> dict[str, str]:
    texts = {ext: (out / f"paper-{variant_id}.{ext}").read_text(encoding="utf-8")
             for ext in ("md", "html", "tex")}
    texts["pdf"] = pdf_text(out / f"paper-{variant_id}.pdf")
    return texts


def test_written_files(built, variants):
    out, files = built
    names = {p.relative_to(out).as_posix() for p in files}
    for variant in variants:
        for kind in ("paper", "key"):
            assert {f"{kind}-{variant.variant_id}.{ext}" for ext in ALL} <= names
    assert {"students.pdf", "students.tex", "students/s1.pdf", "students/s3.md"} <= names
    assert not list(out.glob("*.log")) and not list(out.glob("*.aux"))  # TeX ran elsewhere


@pytest.mark.parametrize("index", range(3))
def test_student_papers_leak_nothing(built, variants, index):
    """No answer value or worked-solution line in any format's text, comments or metadata."""
    out, _ = built
    variant = variants[index]
    leaks = [_plain(s) for s in _variant_leaks(variant)]
    leaks += [_plain(f"{k}: {v}") for k, v in variant.part("ex1a").answer.items()]
    key_text = _plain(pdf_text(out / f"key-{variant.variant_id}.pdf"))
    found = [s for s in leaks if s in key_text]
    assert len(found) > 0.85 * len(leaks) and len(found) > 30  # the check can see leaks
    for fmt, text in _student_texts(out, variant.variant_id).items():
        plain = _plain(text)
        assert [s for s in leaks if s in plain] == [], fmt
        assert "Solution" not in text and "Answer:" not in text and "answer key" not in \
            text.lower(), fmt
        assert variant.variant_id in text, fmt
    tex = (out / f"paper-{variant.variant_id}.tex").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)%", tex)  # no LaTeX comment at all
    assert "<!--" not in (out / f"paper-{variant.variant_id}.html").read_text(encoding="utf-8")


def test_key_pdfs_state_tolerances(built, variants):
    """The rubric's tolerances are on every key PDF, next to the answers, never on a paper."""
    out, _ = built
    for variant in variants:
        key = _plain(pdf_text(out / f"key-{variant.variant_id}.pdf"))
        assert key.count(_plain("Tolerance: within 1 % (relative)")) == 1  # ex1a
        assert key.count(_plain("Tolerance: exact")) == 3  # ex3a-c
        for fmt, text in _student_texts(out, variant.variant_id).items():
            assert "Tolerance" not in text, fmt


def test_pdf_metadata_carries_no_answers(built, variants):
    out, files = built
    for path in [p for p in files if p.suffix == ".pdf"]:
        reader = PdfReader(path)
        meta = dict(reader.metadata or {})
        assert set(meta) <= {"/Title", "/Producer", "/Creator"}, path
        assert reader.xmp_metadata is None
        if path.name.startswith(("paper-", "students")) or path.parent.name == "students":
            words = " ".join(str(v) for v in meta.values()).lower()
            assert "key" not in words and ":" in str(meta.get("/Title", ":"))
    for variant in variants:
        title = PdfReader(out / f"paper-{variant.variant_id}.pdf").metadata["/Title"]
        assert title.endswith(f"variant {variant.variant_id}")


def _ink(png: bytes) -> float:
    """Share of pixels that are not white."""
    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[240:]) / (image.width * image.height)


def _pages_as_png(path: Path) -> list[bytes]:
    folder = path.parent / f"png-{path.stem}"
    folder.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(folder / "p")], check=True)
    return [p.read_bytes() for p in sorted(folder.glob("p-*.png"))]


@pytest.mark.parametrize("name, pages", [("paper-original.pdf", 9), ("key-original.pdf", 8)])
def test_pages_are_drawn_and_numbered(built, name, pages):
    path = built[0] / name
    images = _pages_as_png(path)
    assert len(images) == len(PdfReader(path).pages) == pages
    for number, png in enumerate(images, start=1):
        assert 0.003 < _ink(png) < 0.5, f"page {number} looks blank or black"
        text = pdf_text(path, number)
        assert "original" in text and f"Page {number} of {pages}" in text
        assert ("Candidate number" in text) == name.startswith("paper")
    cover = pdf_text(path, 1)
    for field in ("2019-06-08", "4 hours", "Calculator", "INF 5860 / INF 9860"):
        assert field in cover
    figure_page = pdf_text(path, 2)
    assert "a9" in figure_page and "mul" in figure_page and "Exercise 1" in figure_page


def test_inf9860_exercise_is_marked(built):
    text = pdf_text(built[0] / "paper-original.pdf")
    assert "Exercise 7 (INF9860 only)" in text and "This exercise is for INF9860 only." in text
    assert "4.5 points" in text and "ex3c" in text


def test_key_figure_shows_forward_values_and_gradients(built):
    text = _plain(pdf_text(built[0] / "key-original.pdf", 2))
    for label in ("a1: 7", "a2: -21/2", "a8: 49", "a9: -7", "49/4"):
        assert _plain(label) in text


@pytest.mark.parametrize("index", range(3))
def test_cnn_stack_figure_in_the_pdfs(built, variants, index):
    """Exercise 3's layer boxes: the variant's own kernels; receptive fields on the key only."""
    from grader.paper.stackfigure import stack_fields

    variant = variants[index]
    (figure,) = variant.intro_figures["ex3"]
    kernels = [f"kernel {k}x{k}" for k in variant.part("ex3a").params["kernels"]]
    student = pdf_text(built[0] / f"paper-{variant.variant_id}.pdf")
    key = pdf_text(built[0] / f"key-{variant.variant_id}.pdf")
    convs = [f"conv {n}" for n in range(1, len(kernels) + 1)]
    for text in (student, key):
        section = text[text.index("Exercise 3"):]
        assert all(label in section[:section.index("ex3a")] for label in kernels + convs)
    assert "field" not in re.sub(r"field-of-view", "", student).replace("field of view", "")
    fields = stack_fields(figure.data)
    assert all(f"field {value}" in key for value in fields.values())


def test_roster_pdfs(built, variants):
    out, _ = built
    combined = PdfReader(out / "students.pdf")
    total = 0
    for stem, student, index in STUDENTS:
        path = out / "students" / f"{stem}.pdf"
        count = len(PdfReader(path).pages)
        total += count + count % 2  # each paper padded to an even count for duplex printing
        first = pdf_text(path, 1)
        assert student in first and variants[index + 1].variant_id in first
        for number in range(1, count + 1):
            assert variants[index + 1].variant_id in pdf_text(path, number)
    assert len(combined.pages) == total
    assert all(_ink(png) > 0.003 for png in _pages_as_png(out / "students" / "s2.pdf"))


def test_tex_goldens(exam, variants, golden):
    golden("inf5860_2019-paper-original.tex", student_latex(exam, variants[0]))
    golden("inf5860_2019-key-original.tex", key_latex(exam, variants[0], _tolerances()))


def test_tex_error_names_the_file_and_first_error(tmp_path):
    source = "\\documentclass{article}\n\\begin{document}\n\\nosuchmacro\n\\end{document}\n"
    with pytest.raises(AuthoringError) as err:
        build_pdfs({"broken": (source, 1)}, tmp_path)
    message = str(err.value)
    assert "broken.tex:3: Undefined control sequence" in message
    assert (tmp_path / "broken.log").is_file() and (tmp_path / "broken.tex").is_file()


def test_tex_cannot_read_files_outside_its_folder(tmp_path):
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRET", encoding="utf-8")
    source = f"\\documentclass{{article}}\\begin{{document}}\\input{{{secret}}}\\end{{document}}\n"
    with pytest.raises(AuthoringError, match="not found"):
        build_pdfs({"reader": (source, 1)}, tmp_path / "keep")


def test_missing_tex_says_what_to_install(monkeypatch, tmp_path):
    from grader import api

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match="apt-get install"):
        api.make_papers("inf5860-2019", tmp_path, formats=["pdf"])
    assert not any(tmp_path.iterdir())  # checked before anything is written
    result = CliRunner().invoke(cli, ["paper", "inf5860-2019", "-o", str(tmp_path),
                                      "--format", "pdf"])
    assert result.exit_code == 4 and "texlive-latex-base" in result.output


def test_cli_format(tmp_path):
    result = CliRunner().invoke(cli, ["paper", "inf5860-2019", "-o", str(tmp_path), "--format",
                                      "pdf"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "key-original.pdf", "key-original.tex", "key.json", "paper-original.pdf",
        "paper-original.tex"]
    bad = CliRunner().invoke(cli, ["paper", "inf5860-2019", "-o", str(tmp_path), "--format",
                                   "docx"])
    assert bad.exit_code == 1 and "unknown format docx" in bad.output


def test_parse_formats():
    assert parse_formats("all") == ALL and parse_formats("HTML") == ("html",)
    with pytest.raises(InputError):
        parse_formats(",")
