"""Student papers and answer keys as LaTeX documents (one paper, or many in one document)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2

from grader.model import Exam, Figure, Variant
from grader.paper.stackfigure import stack_picture
from grader.paper.texfigure import PREAMBLE, graph_picture
from grader.paper.texmarkdown import escape_tex, markdown_to_latex
from grader.paper.view import TEMPLATES, Style, paper_view


class Tex(str):
    """A string that is LaTeX already (the template prints it as it is; plain str is escaped)."""

    __slots__ = ()


def _finalize(value: Any) -> Any:
    if isinstance(value, Tex) or not isinstance(value, str):
        return value
    return escape_tex(value)


def _latex_text(text: str) -> Tex:
    return Tex(markdown_to_latex(text)) if text.strip() else Tex("")


def _latex_figure(figure: Figure, values: Mapping[str, str] | None) -> Tex:
    drawers = {"graph": graph_picture, "cnn": stack_picture}
    body = drawers[figure.kind](figure.data, values) if figure.kind in drawers else ""
    caption = rf"\par{{\small\itshape {escape_tex(figure.caption)}}}" if figure.caption else ""
    return Tex(f"\\begin{{center}}\n{body}{caption}\n\\end{{center}}")


LATEX = Style(text=_latex_text, figure=_latex_figure)

# Room for an answer on the student paper, by part kind (cm); text parts grow with points.
_SPACE_CM = {"number": 2.0, "expression": 2.5, "arrows": 2.5, "choice": 1.5, "values": 3.0}


def answer_space(kind: str, points: float) -> str:
    """Height of the answer box of a part, e.g. ``"6.5cm"``.

    >>> answer_space("text", 2), answer_space("number", 1)
    ('4.5cm', '2cm')
    """
    cm = _SPACE_CM.get(kind, 1.5 + 1.5 * min(points, 3))
    return f"{cm:g}cm"


@dataclass(frozen=True)
class PaperSpec:
    """One paper of a document: the variant and, on a roster's paper, the student id."""

    variant: Variant
    student: str = ""


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # \VAR{..} and \BLOCK{..}: Jinja's default delimiters clash with TeX's braces and %.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, finalize=_finalize,
        block_start_string=r"\BLOCK{", block_end_string="}", variable_start_string=r"\VAR{",
        variable_end_string="}", comment_start_string=r"\#{", comment_end_string="}",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)


def _pdf_title(exam: Exam, key: bool, variant_id: str) -> str:
    """Document title for the PDF info (letters, digits and simple punctuation only)."""
    title = f"{exam.course}: {exam.title}" + (" (answer key)" if key else "")
    title += f", variant {variant_id}" if variant_id else ""
    return re.sub(r"[^A-Za-z0-9 .,:/-]", "", title)


def _paper(exam: Exam, spec: PaperSpec, key: bool,
           tolerances: Mapping[str, str] | None) -> dict[str, Any]:
    view = paper_view(exam, spec.variant, key, LATEX, spec.student, tolerances)
    by_id = {p.id: p for p in exam.parts}
    for exercise in view["exercises"]:
        for part in exercise["parts"]:
            source = by_id[part["id"]]
            part["space"] = answer_space(source.kind, float(source.points))
    return view


def latex_document(exam: Exam, papers: Sequence[PaperSpec], key: bool = False,
                   duplex: bool = False, tolerances: Mapping[str, str] | None = None) -> str:
    """One LaTeX document holding ``papers`` in order, each starting on a new page.

    Every page shows the variant id and (student papers) a candidate-number box; page numbers
    restart per paper ("Page 2 of 6"). The document writes ``<jobname>.pages`` with each
    paper's first and last physical page, so a batch can be split into one PDF per paper.

    Args:
        exam: the exam.
        papers: the papers, in order.
        key: answer keys (answers and worked solutions) instead of student papers.
        duplex: pad every paper to an even page count (for two-sided printing of a batch).
        tolerances: keys only: part id -> how exact an answer must be, shown under the answer.
    """
    views = [_paper(exam, spec, key, tolerances) for spec in papers]
    single = papers[0].variant.variant_id if len(papers) == 1 else ""
    return _environment().get_template("paper.tex.j2").render(
        papers=views, key=key, duplex=duplex, figure_preamble=Tex(PREAMBLE),
        pdf_title=Tex(_pdf_title(exam, key, single)),
        exam={"course": exam.course, "title": exam.title, "date": exam.date,
              "duration": exam.duration, "aids": exam.aids})


def student_latex(exam: Exam, variant: Variant, student: str = "") -> str:
    """The student paper as a LaTeX document: no answers, no solutions."""
    return latex_document(exam, [PaperSpec(variant, student)])


def key_latex(exam: Exam, variant: Variant, tolerances: Mapping[str, str] | None = None) -> str:
    """The answer key as a LaTeX document: the paper plus answers and worked solutions.

    ``tolerances``: part id -> how exact an answer must be (shown under the part's answer).
    """
    return latex_document(exam, [PaperSpec(variant)], key=True, tolerances=tolerances)
