"""Student papers and answer keys as Markdown (math kept as $...$)."""

from __future__ import annotations

from collections.abc import Mapping

from grader.model import Exam, Variant
from grader.paper.view import MARKDOWN, environment, paper_view


def _render(exam: Exam, variant: Variant, key: bool, student: str = "",
            tolerances: Mapping[str, str] | None = None) -> str:
    text = environment(html=False).get_template("paper.md.j2").render(
        paper_view(exam, variant, key, MARKDOWN, student, tolerances))
    return _squeeze_blank_lines(text)


def _squeeze_blank_lines(text: str) -> str:
    """At most one blank line between blocks (inside code fences lines are kept as they are)."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and not line.strip():
            if lines and lines[-1]:
                lines.append("")
            continue
        lines.append(line if fenced else line.rstrip())
    return "\n".join(lines).rstrip() + "\n"


def student_markdown(exam: Exam, variant: Variant, student: str = "") -> str:
    """The student paper: cover (variant id, and ``student`` if given), instructions, exercises
    and points; no answers or solutions."""
    return _render(exam, variant, key=False, student=student)


def key_markdown(exam: Exam, variant: Variant,
                 tolerances: Mapping[str, str] | None = None) -> str:
    """The answer key: the paper plus every part's exact answer and worked solution, and totals.

    ``tolerances``: part id -> how exact an answer must be (shown under the part's answer).
    """
    return _render(exam, variant, key=True, tolerances=tolerances)
