"""Per-student feedback: each part's question, the answer, the points and why points were lost."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from grader.model import Exam, PartScore, RawAnswer, Variant
from grader.report.grades import format_points

QuestionLookup = Callable[[str, str], str]  # (variant id, part id) -> question text (Markdown)


@dataclass(frozen=True)
class FeedbackItem:
    part: str
    question: str
    answer: str
    score: str
    max: str
    lost: tuple[str, ...]  # one line per lost point: the missing concept and why
    gained: tuple[str, ...]  # what earned points (criteria met, with the words that matched)
    notes: tuple[str, ...]


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    markdown = MarkdownIt("commonmark", {"html": False})  # raw HTML in text is escaped
    env.filters["markdown"] = lambda text: Markup(markdown.render(text))
    env.filters["fence"] = fence
    return env


def fence(text: str) -> str:
    """Wrap text in a Markdown code fence longer than any backtick run inside it.

    >>> fence("a ``` b")
    '````\\na ``` b\\n````'
    """
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    bar = "`" * max(3, longest + 1)
    return f"{bar}\n{text}\n{bar}"


def answer_text(raw: RawAnswer | str) -> str:
    """A raw answer as one text (arrows one per line)."""
    if isinstance(raw, str):
        return raw
    return "\n".join(f"{key}: {value}" for key, value in sorted(raw.items()))


def feedback_items(score_list: tuple[PartScore, ...], question: Callable[[str], str],
                   ) -> list[FeedbackItem]:
    items = []
    for score in score_list:
        lost = tuple(f"{c.id} ({format_points(c.max - c.points)} lost): {c.feedback}".rstrip(": ")
                     for c in score.criteria if c.points < c.max)
        gained = tuple(
            f"{c.id} (+{format_points(c.points)})"
            + (f": matched \u201c{', '.join(c.matched)}\u201d" if c.matched else "")
            for c in score.criteria if c.points > 0)
        items.append(FeedbackItem(score.part, question(score.part), answer_text(score.answer),
                                  format_points(score.score), format_points(score.max),
                                  lost, gained, score.notes))
    return items


def _context(exam: Exam, result, variant: Variant | None) -> dict:
    def question(part_id: str) -> str:
        if variant is not None:
            try:
                return variant.part(part_id).text
            except KeyError:
                pass
        return exam.part(part_id).text

    return {
        "exam": exam,
        "student": result.student,
        "variant": result.variant,
        "total": format_points(result.total),
        "max": format_points(result.max),
        "items": feedback_items(result.scores, question),
    }


def feedback_markdown(exam: Exam, result, variant: Variant | None = None) -> str:
    """Feedback for one student as Markdown (student text fenced, never interpreted)."""
    return _environment().get_template("feedback.md.j2").render(_context(exam, result, variant))


def feedback_html(exam: Exam, result, variant: Variant | None = None) -> str:
    """Feedback for one student as a standalone HTML page (all student text escaped)."""
    return _environment().get_template("feedback.html.j2").render(_context(exam, result, variant))
