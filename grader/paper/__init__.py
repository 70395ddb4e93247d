"""Render papers and answer keys (Markdown, HTML) with their figures."""

from __future__ import annotations

from grader.paper.html import key_html, student_html
from grader.paper.markdown import key_markdown, student_markdown
from grader.paper.write import write_papers, write_student_papers

__all__ = ["key_html", "key_markdown", "student_html", "student_markdown", "write_papers",
           "write_student_papers"]
