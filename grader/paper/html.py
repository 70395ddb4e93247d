"""Student papers and answer keys as self-contained HTML (MathML, inline SVG, embedded CSS)."""

from __future__ import annotations

from collections.abc import Mapping

from grader.model import Exam, Variant
from grader.paper.view import HTML, environment, paper_view


def _render(exam: Exam, variant: Variant, key: bool, student: str = "",
            tolerances: Mapping[str, str] | None = None) -> str:
    return environment(html=True).get_template("paper.html.j2").render(
        paper_view(exam, variant, key, HTML, student, tolerances))


def student_html(exam: Exam, variant: Variant, student: str = "") -> str:
    """The student paper as one HTML file needing no network; no answers, no solutions.

    ``student`` (a roster's student id) is printed on the cover next to the variant id.
    """
    return _render(exam, variant, key=False, student=student)


def key_html(exam: Exam, variant: Variant, tolerances: Mapping[str, str] | None = None) -> str:
    """The answer key as one HTML file: the paper plus answers, worked solutions and totals.

    ``tolerances``: part id -> how exact an answer must be (shown under the part's answer).
    """
    return _render(exam, variant, key=True, tolerances=tolerances)
