"""Per-student feedback: each part's question, the answer, the points and why points were lost.

A page is assembled from the pieces of feedback.md.j2 / feedback.html.j2 (Jinja2 macros):
`top`, then for each graded part `head` + `body` + `tail`, then `end`. Only `body` (the answer
and what it earned) is the student's own; a part's `head` (question and points) and `tail` (what
was missing, the model answer, notes) repeat across a class and are rendered once per distinct
content (`_PieceCache`). Rendering each student's page through one big template loop cost
~330 us per student of the 2019 exam; see docs/grading.md (Scale) for the figures now.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import cache, lru_cache

import jinja2
from jinja2.environment import TemplateModule
from markdown_it import MarkdownIt
from markupsafe import Markup

from grader.model import Exam, PartScore, RawAnswer, Variant
from grader.report.grades import format_points

QuestionLookup = Callable[[str, str], str]  # (variant id, part id) -> question text (Markdown)
Pair = tuple[str, str]  # (Markdown, HTML)


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


_BACKTICKS = re.compile(r"`+")


def fence(text: str) -> str:
    """Wrap text in a Markdown code fence longer than any backtick run inside it.

    >>> fence("a ``` b")
    '````\\na ``` b\\n````'
    """
    longest = max(map(len, _BACKTICKS.findall(text)), default=0) if "`" in text else 0
    bar = "`" * max(3, longest + 1)
    return f"{bar}\n{text}\n{bar}"


def answer_text(raw: RawAnswer | str) -> str:
    """A raw answer as one text (arrows one per line)."""
    if isinstance(raw, str):
        return raw
    return "\n".join(f"{key}: {value}" for key, value in sorted(raw.items()))


# Points are Fractions (or ints); the functions below compare and subtract them through
# numerator and denominator: Fraction's operators are generic Python code (~1.5 us each, with
# a gcd), and a student's feedback needs about a hundred of them.

def _less(a: Fraction, b: Fraction) -> bool:
    """a < b, by cross-multiplication (denominators are positive)."""
    return a.numerator * b.denominator < b.numerator * a.denominator


def _gap(low: Fraction, high: Fraction) -> tuple[int, int]:
    """high - low as (numerator, denominator), not reduced."""
    return (high.numerator * low.denominator - low.numerator * high.denominator,
            high.denominator * low.denominator)


_GAP_TEXT: dict[tuple[int, int], str] = {}


def _gap_text(gap: tuple[int, int]) -> str:
    text = _GAP_TEXT.get(gap)
    if text is None:
        if len(_GAP_TEXT) >= 4096:
            _GAP_TEXT.clear()
        text = _GAP_TEXT[gap] = format_points(Fraction(*gap))
    return text


def _lost_lines(score: PartScore) -> tuple[str, ...]:
    """What was missing and why; nothing when the part got full marks (capped criteria)."""
    if not _less(score.score, score.max):
        return ()
    missing = [(c, _gap(c.points, c.max)) for c in score.criteria if _less(c.points, c.max)]
    # Alternatives (groups, "best N", capped parts) can miss more than the part lost: then
    # each line says what the criterion could have given, not what it cost.
    missed_n, missed_d = 0, 1  # the sum of the gaps
    for _, (n, d) in missing:
        missed_n, missed_d = missed_n * d + n * missed_d, missed_d * d
    lost_n, lost_d = _gap(score.score, score.max)
    over = missed_n * lost_d > lost_n * missed_d
    label = "up to {}" if over else "{} lost"
    return tuple(f"{c.id} ({label.format(_gap_text(gap))}): "
                 f"{c.feedback or 'not found in your answer'}" for c, gap in missing)


def _gained_lines(score: PartScore) -> tuple[str, ...]:
    return tuple(f"{c.id} (+{format_points(c.points)})"
                 + (f": matched \u201c{', '.join(c.matched)}\u201d" if c.matched else "")
                 for c in score.criteria if c.points.numerator > 0)


def _override_line(result, part: str) -> str:
    if not getattr(result, "overrides", None):  # most students: no override at all
        return ""
    override = result.override_for(part) if hasattr(result, "override_for") else None
    if override is None:
        return ""
    return (f"Score set by the teacher: {format_points(override.points)} (the rubric gave "
            f"{format_points(override.original)}). Reason: {override.reason}")


@cache
def _layouts() -> tuple[TemplateModule, TemplateModule]:
    """The (Markdown, HTML) feedback templates as modules of macros, loaded once: get_template
    would check each file's modification time (a stat) on every call."""
    env = environment()
    return env.get_template("feedback.md.j2").module, env.get_template("feedback.html.j2").module


class _PieceCache:
    """Rendered (Markdown, HTML) pieces by macro and arguments; the arguments are the key.

    Only for the pieces that never show a student's own words (heads and tails), so an entry
    is shared by every student with that question and points, or with that loss, model answer
    and notes; cleared when full (a few MB at most).
    """

    SIZE = 4_096

    def __init__(self, macro: str) -> None:
        self.macro = macro
        self._pieces: dict[tuple, Pair] = {}

    def get(self, *args) -> Pair:
        pair = self._pieces.get(args)
        if pair is None:
            markdown, html = _layouts()
            pair = (getattr(markdown, self.macro)(*args), str(getattr(html, self.macro)(*args)))
            if len(self._pieces) >= self.SIZE:
                self._pieces.clear()
            self._pieces[args] = pair
        return pair


_HEADS = _PieceCache("head")  # (part, score, max, question)
_TAILS = _PieceCache("tail")  # (lost lines, override line, model answer, notes)


def _questions(exam: Exam, variant: Variant | None) -> Callable[[str], str]:
    """part id -> its question as the student's paper printed it (else the exam's text)."""
    def question(part_id: str) -> str:
        if variant is not None:
            try:
                return variant.part(part_id).text
            except KeyError:
                pass
        return exam.part(part_id).text
    return question


def _pages(exam: Exam, result, variant: Variant | None,
           model_answers: Mapping[str, str] | None) -> tuple[list[str], list[str]]:
    """The (Markdown, HTML) pieces of a student's two pages, in order."""
    markdown, html = _layouts()
    top = (exam.title, result.student, result.variant, format_points(result.total),
           format_points(result.max))
    md_pieces, html_pieces = [markdown.top(*top)], [html.top(*top)]
    models = model_answers or {}
    question = _questions(exam, variant)
    for score in result.scores:
        points = format_points(score.score)
        lost = _less(score.score, score.max)
        head = _HEADS.get(score.part, points, format_points(score.max), question(score.part))
        tail = _TAILS.get(_lost_lines(score), _override_line(result, score.part),
                          models.get(score.part, "") if lost else "", score.notes)
        answer, gained = answer_text(score.answer), _gained_lines(score)
        md_pieces += (head[0], markdown.body(answer, gained), tail[0])
        html_pieces += (head[1], html.body(answer, gained), tail[1])
    md_pieces.append(markdown.end())
    html_pieces.append(html.end())
    return md_pieces, html_pieces


def feedback_markdown(exam: Exam, result, variant: Variant | None = None,
                      model_answers: Mapping[str, str] | None = None) -> str:
    """Feedback for one student as Markdown (student text fenced, never interpreted)."""
    return "".join(_pages(exam, result, variant, model_answers)[0])


def feedback_both(exam: Exam, result, variant: Variant | None = None,
                  model_answers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(Markdown, HTML) feedback for one student."""
    markdown, html = _pages(exam, result, variant, model_answers)
    return "".join(markdown), "".join(html)
