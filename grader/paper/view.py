"""What a paper shows, as plain data for the templates; student views never receive answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from grader.model import Exam, Figure, PartVariant, Variant
from grader.paper.figures import graph_markdown, graph_svg, inline_svg
from grader.paper.mathml import markdown_to_html
from grader.paper.stackfigure import stack_fields, stack_markdown, stack_svg

TEMPLATES = Path(__file__).parent / "templates"


def format_points(points: Fraction) -> str:
    """Points as a short decimal when exact, else a fraction.

    >>> format_points(Fraction(9, 2)), format_points(Fraction(2)), format_points(Fraction(1, 3))
    ('4.5', '2', '1/3')
    """
    if points.denominator == 1:
        return str(points.numerator)
    den = points.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den != 1:
        return str(points)
    text = f"{float(points):.6f}".rstrip("0")
    return text.rstrip(".")


def points_label(points: Fraction) -> str:
    """``"1 point"``, ``"4.5 points"``."""
    text = format_points(points)
    return f"{text} point" if points == 1 else f"{text} points"


@dataclass(frozen=True)
class Style:
    """How texts and figures become output: raw Markdown, or HTML with MathML and inline SVG."""

    text: Callable[[str], Any]
    figure: Callable[[Figure, Mapping[str, str] | None], Any]


def _markdown_figure(figure: Figure, values: Mapping[str, str] | None) -> str:
    if figure.kind == "graph":
        return graph_markdown(figure.data, values)
    if figure.kind == "cnn":
        table = stack_markdown(figure.data, values)
        return f"{table}\n\n*{figure.caption}*" if figure.caption else table
    return f"*Figure {figure.id}: {figure.caption}*"


def _html_figure(figure: Figure, values: Mapping[str, str] | None) -> Any:
    parts = []
    if figure.kind == "graph":
        parts.append(f'<div class="graph">{inline_svg(graph_svg(figure.data, values))}</div>')
        parts.append(markdown_to_html(graph_markdown(figure.data, values)))
    elif figure.kind == "cnn":  # the svg carries an aria-label; no table beside it
        parts.append(f'<div class="graph">{inline_svg(stack_svg(figure.data, values))}</div>')
    caption = escape(figure.caption)
    parts.append(f"<figcaption>{caption}</figcaption>" if figure.caption else "")
    return Markup(f"<figure>{''.join(parts)}</figure>")


def _html_text(text: str) -> Any:
    return Markup(markdown_to_html(text)) if text else ""


MARKDOWN = Style(text=lambda text: text.strip(), figure=_markdown_figure)
HTML = Style(text=_html_text, figure=_html_figure)


def _answer_markdown(part: PartVariant) -> str:
    """The exact answer as one Markdown line ('' for text parts: the solution sketch says it)."""
    if part.answer is None:
        return ""
    if isinstance(part.answer, Mapping):
        return ", ".join(f"{k} = {v}" for k, v in part.answer.items())
    return str(part.answer)


def _part_view(part: PartVariant, label: str, key: bool, style: Style,
               tolerance: str = "") -> dict[str, Any]:
    values = part.answer if key and isinstance(part.answer, Mapping) else None
    view: dict[str, Any] = {
        "id": part.part_id,
        "label": label,
        "points": points_label(part.points),
        "text": style.text(part.text),
        "figures": [style.figure(f, values) for f in part.figures],
    }
    if key:  # answers are added only here: a student view has no field that could leak them
        view["answer"] = style.text(_answer_markdown(part))
        view["solution"] = style.text(part.solution)
        view["tolerance"] = tolerance  # plain text: each template escapes it for its format
    return view


def _intro_figures(variant: Variant, exercise_id: str, key: bool, style: Style) -> list[Any]:
    """The shared family's figures; a key adds what they leave out (a CNN's receptive fields)."""
    figures = variant.intro_figures.get(exercise_id, ())
    return [style.figure(f, stack_fields(f.data) if key and f.kind == "cnn" else None)
            for f in figures]


def _totals(exam: Exam) -> dict[str, str]:
    """Total points, and the total without exercises for a restricted audience (if any)."""
    restricted = [(n, ex) for n, ex in enumerate(exam.exercises, start=1) if ex.audience]
    totals = {"total": points_label(exam.total_points), "restricted": ""}
    if restricted:
        others = sum((p.points for _, ex in restricted for p in ex.parts), Fraction(0))
        which = ", ".join(f"Exercise {n}, which is for {ex.audience}" for n, ex in restricted)
        totals["restricted"] = f"{points_label(exam.total_points - others)} without {which}"
    return totals


def paper_view(exam: Exam, variant: Variant, key: bool, style: Style,
               student: str = "", tolerances: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything a paper template needs. With ``key=False`` no answer or solution is included.

    ``student`` (a roster's student id) is printed on the cover next to the variant id.
    ``tolerances`` (keys only): part id -> how exact an answer must be, in words
    (grader.rubric.tolerances.tolerance_texts); a part without one shows none.
    """
    tolerances = tolerances if key and tolerances else {}
    exercises = []
    for number, exercise in enumerate(exam.exercises, start=1):
        parts = [variant.part(p.id) for p in exercise.parts]
        exercises.append({
            "number": number,
            "id": exercise.id,
            "title": exercise.title,
            "audience": exercise.audience,
            "intro": style.text(variant.intros.get(exercise.id, exercise.intro)),
            "figures": _intro_figures(variant, exercise.id, key, style),
            "points": points_label(sum((p.points for p in parts), Fraction(0))),
            "parts": [_part_view(p, chr(ord("a") + i), key, style,
                                 tolerances.get(source.id, ""))
                      for i, (p, source) in enumerate(zip(parts, exercise.parts, strict=True))],
        })
    return {
        "key": key,
        "exam": {
            "id": exam.id, "title": exam.title, "course": exam.course, "date": exam.date,
            "duration": exam.duration, "aids": exam.aids,
            "instructions": style.text(exam.instructions),
            "assumptions": style.text(exam.assumptions) if key else "",
        },
        "variant_id": variant.variant_id,
        "student": student,
        "exercises": exercises,
        "totals": _totals(exam),
    }


@lru_cache(maxsize=2)
def environment(html: bool) -> jinja2.Environment:
    """The template environment: autoescaping for HTML, none for Markdown."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
