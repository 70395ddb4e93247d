"""Per-student feedback: each part's question, the answer, the points and why points were lost.

A page is assembled from the pieces of feedback.md.j2 / feedback.html.j2 (Jinja2 macros):
`top`, then for each graded part `head` + `body` + `tail`, then `end`. Only the student's id
and answers are their own. A part's three macros are rendered once per distinct outcome
(`content_id`), question, model answer and override, with a placeholder in place of the answer
that splits the result in two (`_part_pieces`); the student's answer, fenced or escaped, goes
in between. Rendering each student's page through one big template loop cost ~330 us per
student of the 2019 exam; see docs/grading.md (Scale) for the figures now.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import cache, lru_cache

import jinja2
from jinja2.environment import TemplateModule
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from grader.bounded import BoundedDict
from grader.content_ids import content_id
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
    env.filters["md_text"] = markdown_text
    env.filters["md_line"] = markdown_line
    return env


# Student text outside a code fence in the Markdown feedback (an id, a variant id as typed,
# the words an answer matched, notes quoting the answer) must show literally: Markdown viewers
# and LMSs render inline HTML, links, images and code spans. The HTML-significant characters
# become entities (what markupsafe.escape does for & < >; quotes need nothing outside a tag),
# the Markdown ones are backslash-escaped (CommonMark: any ASCII punctuation can be), and a
# line break, which could start a block of its own, becomes a space.
_HTML_CHARS = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LINE_TABLE = str.maketrans({**_HTML_CHARS, "\\": "\\\\", "`": "\\`", "[": "\\[", "]": "\\]",
                             "\n": " ", "\r": " "})
_TEXT_TABLE = str.maketrans({**_HTML_CHARS, "\\": "\\\\", "`": "\\`", "[": "\\[", "]": "\\]",
                             "\n": " ", "\r": " ", "*": "\\*", "_": "\\_", "~": "\\~",
                             "$": "\\$"})


def markdown_text(text: str) -> str:
    r"""A student's id or variant id for Markdown, shown literally: & < > as entities, the
    characters of links, code spans, emphasis and math backslash-escaped.

    >>> print(markdown_text("<script>[x](y) `*b*` $m$"))
    &lt;script&gt;\[x\](y) \`\*b\*\` \$m\$
    """
    return str(text).translate(_TEXT_TABLE)


def markdown_line(text: str) -> str:
    r"""A feedback list line for Markdown: it may quote the student's answer (matched words,
    notes) but also holds the rubric's text, so only what could make HTML, a link, an image or
    a code span is escaped, not '*', '_' or '$' (a rubric's `mu*v - learning_rate*gradient`,
    an answer's `3*3*3*2` stay as they were written).

    >>> print(markdown_line("matched <img src=x>, [a](b), `c`, 3*3*3*2"))
    matched &lt;img src=x&gt;, \[a\](b), \`c\`, 3*3*3*2
    """
    return str(text).translate(_LINE_TABLE)


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


_GAP_TEXT: dict[tuple[int, int], str] = BoundedDict(4096)


def _gap_text(gap: tuple[int, int]) -> str:
    text = _GAP_TEXT.get(gap)
    if text is None:
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
        self._pieces: dict[tuple, Pair] = BoundedDict(self.SIZE)

    def get(self, *args) -> Pair:
        pair = self._pieces.get(args)
        if pair is None:
            markdown, html = _layouts()
            pair = (getattr(markdown, self.macro)(*args), str(getattr(html, self.macro)(*args)))
            self._pieces[args] = pair
        return pair


_HEADS = _PieceCache("head")  # (part, score, max, question)
_TAILS = _PieceCache("tail")  # (lost lines, override line, model answer, notes)


# id(variant) -> texts
_QUESTIONS: BoundedDict = BoundedDict(1_024)


def _questions(exam: Exam, variant: Variant | None) -> Mapping[str, str]:
    """part id -> its question as the student's paper printed it (else the exam's text).

    Built once per variant object (held, so its id() is not reused meanwhile): looking a
    part up in a variant scans its parts, ~1 us a part.
    """
    def texts(variant: Variant | None) -> dict[str, str]:
        found = {p.id: p.text for p in reversed(exam.parts)}  # reversed: the first one wins
        if variant is not None:
            found.update((p.part_id, p.text) for p in reversed(variant.parts))
        return found

    return _QUESTIONS.by_identity(variant, texts)


BLANK_ANSWER = "(blank)"

# What `body` is rendered with in place of the student's answer; the page's pieces are split
# around it. NUL never comes out of the Markdown renderer, and a part whose other text happens
# to hold it anyway is rendered for the student alone (the split must find exactly one).
_SLOT = Markup("\x00answer\x00")

PartPieces = tuple[str, str, str, str]  # Markdown before, after the answer; HTML before, after
# (content id, question, model answer, override) -> pieces; ~4 MB at most (a real class
# repeats few text outcomes anyway)
_PARTS: dict[tuple, PartPieces] = BoundedDict(1_024)


def _part_pieces(score: PartScore, question: str, model_answer: str,
                 override: str) -> PartPieces | None:
    """A part's Markdown and HTML around the student's answer, made once per distinct outcome
    (the content id covers the points, criteria and notes; question, model answer and override
    are the rest of what the pieces may show). None: render this part for the student alone.

    The model answer is shown only when the part lost points.
    """
    ident = content_id(score)
    key = (ident, question, model_answer, override)
    pieces = _PARTS.get(key) if ident is not None else None
    if pieces is None:
        shown = model_answer if _less(score.score, score.max) else ""
        markdown, html = _part_pages(score, question, shown, override, _SLOT, _SLOT)
        md_before, md_slot, md_after = markdown.partition(_SLOT)
        html_before, html_slot, html_after = html.partition(_SLOT)
        if not (md_slot and html_slot) or _SLOT in md_after or _SLOT in html_after:
            return None
        pieces = (md_before, md_after, html_before, html_after)
        if ident is not None:
            _PARTS[key] = pieces
    return pieces


def _part_pages(score: PartScore, question: str, model_answer: str, override: str,
                md_answer: str, html_answer: str) -> Pair:
    """A part's section, Markdown and HTML, showing the given (fenced, escaped) answer."""
    markdown, html = _layouts()
    head = _HEADS.get(score.part, format_points(score.score), format_points(score.max),
                      question)
    tail = _TAILS.get(_lost_lines(score), override, model_answer, score.notes)
    gained = _gained_lines(score)
    return (head[0] + markdown.body(md_answer, gained) + tail[0],
            head[1] + str(html.body(html_answer, gained)) + tail[1])


# (title, variant, total, max) -> pieces
_TOPS: dict[tuple, tuple[list[str], list[str]]] = BoundedDict(4_096)


def _top_pieces(title: str, variant: str, total: str, top: str) -> tuple[list[str], list[str]]:
    """A page's top (Markdown, HTML) split around the student's id, once per distinct rest."""
    key = (title, variant, total, top)
    pieces = _TOPS.get(key)
    if pieces is None:
        if _SLOT in title or _SLOT in variant:  # could not tell it from the id: no pieces
            return [], []
        markdown, html = _layouts()
        pieces = (str(markdown.top(title, _SLOT, variant, total, top)).split(_SLOT),
                  str(html.top(title, _SLOT, variant, total, top)).split(_SLOT))
        _TOPS[key] = pieces
    return pieces


@cache
def _ends() -> Pair:
    markdown, html = _layouts()
    return markdown.end(), str(html.end())


def _pages(exam: Exam, result, variant: Variant | None,
           model_answers: Mapping[str, str] | None) -> tuple[list[str], list[str]]:
    """The (Markdown, HTML) pieces of a student's two pages, in order.

    Only the student's id and answers are their own: they are escaped (HTML) or fenced
    (Markdown) here and put between cached pieces; each part's pieces are made once per
    distinct outcome (`_part_pieces`). ~195 -> ~60 us per student of the 2019 exam (measured,
    given the parts' content ids, which the cache entry computed already), where a Jinja
    `body` per part and format was most of the cost.
    """
    total, top = format_points(result.total), format_points(result.max)
    md_top, html_top = _top_pieces(exam.title, result.variant, total, top)
    if md_top:
        md_pieces = [markdown_text(result.student).join(md_top)]
        html_pieces = [str(escape(result.student)).join(html_top)]
    else:
        markdown, html = _layouts()
        args = (exam.title, result.student, result.variant, total, top)
        md_pieces, html_pieces = [markdown.top(*args)], [str(html.top(*args))]
    models = model_answers or {}
    questions = _questions(exam, variant)
    overridden = bool(getattr(result, "overrides", None))  # most students: no override at all
    for score in result.scores:
        part = score.part
        # the model answer is shown only where points were lost; as a key it costs nothing
        model = models.get(part, "")
        override = _override_line(result, part) if overridden else ""
        answer = answer_text(score.answer) or BLANK_ANSWER
        md_answer, html_answer = fence(answer), str(escape(answer))
        pieces = _part_pieces(score, questions[part], model, override)
        if pieces is None:
            shown = model if _less(score.score, score.max) else ""
            md, html_text = _part_pages(score, questions[part], shown, override, md_answer,
                                        Markup(html_answer))  # escaped already
            md_pieces.append(md)
            html_pieces.append(html_text)
            continue
        md_before, md_after, html_before, html_after = pieces
        md_pieces += (md_before, md_answer, md_after)
        html_pieces += (html_before, html_answer, html_after)
    md_end, html_end = _ends()
    md_pieces.append(md_end)
    html_pieces.append(html_end)
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
