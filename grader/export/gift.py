"""GIFT (Moodle's plain-text format): ``$CATEGORY:`` per part, then its variants.

GIFT has no embedded answers, no grader information and no files, so: numbers become
numerical questions ``{#value:tolerance}``; arrows and values become essays asking for one
``id = value`` line per blank (examgrader grades them from the response export); discussion
parts become essays without the rubric (it would not stay hidden); figures are given by
their text version only. Use Moodle XML when the LMS should grade multi-value parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from grader.export.common import BLANKS, ESSAY, NUMERIC, ExportQuestion, ExportSet, format_number
from grader.export.math import element_html, question_html
from grader.export.moodle import category_path

FILE_NAME = "questions.gift.txt"
_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    r"""Escape GIFT's control characters with a backslash; newlines become ``\n``.

    >>> gift_escape("a = {b}: \\(x\\) ~ #1")
    'a \\= \\{b\\}\\: \\\\(x\\\\) \\~ \\#1'
    """
    out = text.replace("\\", "\\\\")
    for char in _SPECIAL:
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


def _text(question: ExportQuestion, answer_lines: list[str]) -> str:
    # GIFT cannot carry the image file: each figure is given by its text version.
    text_md = "\n\n".join([question.text_md, *(f.text_md for f in question.figures)])
    return "[html]" + gift_escape(question_html(text_md, [], answer_lines, question.tag))


def _numeric(question: ExportQuestion) -> str:
    blank = question.blanks[0]
    answer = f"{format_number(blank.value)}:{format_number(blank.tolerance)}"
    return f"{_text(question, [])}{{#{answer}}}"  # numbers hold no control characters


def _blanks(question: ExportQuestion) -> str:
    ids = ", ".join(b.id for b in question.blanks)
    line = element_html("p", f"Answer with one line per value, in the form id = value ({ids}).")
    return f"{_text(question, [line])}{{}}"


def _essay(question: ExportQuestion) -> str:
    return f"{_text(question, [])}{{}}"


_WRITERS: Mapping[str, Callable[[ExportQuestion], str]] = {
    NUMERIC: _numeric, BLANKS: _blanks, ESSAY: _essay,
}


def gift_text(export: ExportSet) -> str:
    """The GIFT document: a comment, then per part its category and one question per variant."""
    lines = [f"// {export.title}: examgrader export of {export.exam_id} ({export.ident})", ""]
    for category, questions in export.groups:
        lines += [f"$CATEGORY: {category_path(export, category)}", ""]
        for question in questions:
            lines += [f"::{gift_escape(question.name)}::{_WRITERS[question.style](question)}",
                      ""]
    return "\n".join(lines)


def files(export: ExportSet) -> dict[str, bytes]:
    """The writer's output: one UTF-8 file."""
    return {FILE_NAME: gift_text(export).encode("utf-8")}
