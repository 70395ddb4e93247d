"""Write every variant's student paper and answer key (Markdown and HTML), atomically."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


STUDENT_DIR = "students"


def write_student_papers(out_dir: str | Path, exam: Exam, variants: Mapping[str, Variant],
                         students: Iterable[tuple[str, str, str]]) -> list[Path]:
    """Write ``students/<stem>.md|html``: each student's paper, their id and variant on the cover.

    Args:
        out_dir: the output folder.
        exam: the exam.
        variants: variant id -> Variant.
        students: (file stem, student id, variant id) per student; the caller makes the stems
            safe file names (distinct, also on case-insensitive file systems).

    Returns:
        The files written, in order.
    """
    folder = Path(out_dir) / STUDENT_DIR
    written = []
    for stem, student, variant_id in students:
        variant = variants[variant_id]
        written.append(write_text_atomic(folder / f"{stem}.md",
                                         student_markdown(exam, variant, student)))
        written.append(write_text_atomic(folder / f"{stem}.html",
                                         student_html(exam, variant, student)))
    return written
