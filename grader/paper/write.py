"""Write every variant's student paper and answer key (Markdown and HTML), atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader.atomic import write_text_atomic
from grader.model import Exam, Variant
from grader.paper.html import key_html, student_html
from grader.paper.markdown import key_markdown, student_markdown

_RENDERERS = (
    ("paper-{}.md", student_markdown),
    ("paper-{}.html", student_html),
    ("key-{}.md", key_markdown),
    ("key-{}.html", key_html),
)


def write_papers(out_dir: str | Path, exam: Exam, variants: Iterable[Variant]) -> list[Path]:
    """Write ``paper-<variant>.md|html`` and ``key-<variant>.md|html`` for every variant.

    Variant ids are ``original`` or Crockford base32 codes, so they are safe in file names.

    Returns:
        The files written, in order.
    """
    out = Path(out_dir)
    written = []
    for variant in variants:
        for pattern, render in _RENDERERS:
            written.append(write_text_atomic(out / pattern.format(variant.variant_id),
                                             render(exam, variant)))
    return written
