"""Render papers and answer keys (Markdown, HTML, LaTeX, PDF) with their figures."""

from __future__ import annotations

from grader.paper.html import key_html, student_html
from grader.paper.latex import key_latex, student_latex
from grader.paper.markdown import key_markdown, student_markdown
from grader.paper.write import (
    DEFAULT_FORMATS,
    FORMATS,
    parse_formats,
    write_papers,
    write_student_papers,
)

__all__ = ["DEFAULT_FORMATS", "FORMATS", "key_html", "key_latex", "key_markdown",
           "parse_formats", "student_html", "student_latex", "student_markdown", "write_papers",
           "write_student_papers"]
