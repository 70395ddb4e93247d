"""Per-student feedback: each part's question, the answer, the points and why points were lost."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache

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
    override: str = ""  # the teacher's score and reason, when the rubric's score was replaced
    model_answer: str = ""  # shown when points were lost on a text part


@cache
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment of grader/report/templates (HTML autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["markdown"] = _markdown_html
    env.filters["fence"] = fence
    return env


@lru_cache(maxsize=512)
def _markdown_html(text: str) -> Markup:
    """Question text (teacher Markdown) as HTML; cached: every student sees the same questions."""
    return Markup(_markdown().render(text))


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})  # raw HTML in text is escaped


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


def _less(a: Fraction, b: Fraction) -> bool:
    """a < b; for two Fractions without Fraction's generic comparison (numbers ABC checks):
    the feedback of a class makes a few hundred comparisons per student."""
    if type(a) is Fraction and type(b) is Fraction:  # denominators are positive
        return a.numerator * b.denominator < b.numerator * a.denominator
    return a < b


_ZERO = Fraction(0)


def _lost_lines(score: PartScore) -> tuple[str, ...]:
    """What was missing and why; nothing when the part got full marks (capped criteria)."""
    if not _less(score.score, score.max):
        return ()
    missing = [(c, c.max - c.points) for c in score.criteria if _less(c.points, c.max)]
    # Alternatives (groups, "best N", capped parts) can miss more than the part lost: then
    # each line says what the criterion could have given, not what it cost.
    over = sum(gap for _, gap in missing) > score.max - score.score
    label = "up to {}" if over else "{} lost"
    return tuple(f"{c.id} ({label.format(format_points(gap))}): "
                 f"{c.feedback or 'not found in your answer'}" for c, gap in missing)


def _gained_lines(score: PartScore) -> tuple[str, ...]:
    return tuple(f"{c.id} (+{format_points(c.points)})"
                 + (f": matched \u201c{', '.join(c.matched)}\u201d" if c.matched else "")
                 for c in score.criteria if _less(_ZERO, c.points))


def _override_line(result, part: str) -> str:
    if not getattr(result, "overrides", None):  # most students: no override at all
        return ""
    override = result.override_for(part) if hasattr(result, "override_for") else None
    if override is None:
        return ""
    return (f"Score set by the teacher: {format_points(override.points)} (the rubric gave "
            f"{format_points(override.original)}). Reason: {override.reason}")


def feedback_items(result, question: Callable[[str], str],
                   model_answers: Mapping[str, str] | None = None) -> list[FeedbackItem]:
    """One item per graded part: question, answer, points, what earned and what lost points."""
    items = []
    models = model_answers or {}
    for score in result.scores:
        lost = _lost_lines(score)
        model = models.get(score.part, "") if _less(score.score, score.max) else ""
        items.append(FeedbackItem(score.part, question(score.part), answer_text(score.answer),
                                  format_points(score.score), format_points(score.max),
                                  lost, _gained_lines(score), score.notes,
                                  _override_line(result, score.part), model))
    return items


def _context(exam: Exam, result, variant: Variant | None,
             model_answers: Mapping[str, str] | None = None) -> dict:
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
        "items": feedback_items(result, question, model_answers),
    }


@cache
def _templates() -> tuple[jinja2.Template, jinja2.Template]:
    """The (Markdown, HTML) feedback templates, loaded once: get_template would check each
    file's modification time (a stat) on every call, twice per student."""
    env = environment()
    return env.get_template("feedback.md.j2"), env.get_template("feedback.html.j2")


def feedback_markdown(exam: Exam, result, variant: Variant | None = None,
                      model_answers: Mapping[str, str] | None = None) -> str:
    """Feedback for one student as Markdown (student text fenced, never interpreted)."""
    return _templates()[0].render(_context(exam, result, variant, model_answers))


def feedback_both(exam: Exam, result, variant: Variant | None = None,
                  model_answers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(Markdown, HTML) feedback for one student, sharing one context."""
    context = _context(exam, result, variant, model_answers)
    markdown, html = _templates()
    return markdown.render(context), html.render(context)
