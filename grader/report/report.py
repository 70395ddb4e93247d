"""report.html: the teacher's class report (statistics, inline SVG plots), offline-ready."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from markupsafe import Markup

from grader.model import Exam
from grader.report import plots
from grader.report.feedback import environment
from grader.report.grades import format_points
from grader.report.stats import ClassSummary, fmt, grade_counts

TOP_FLAGGED = 8  # parts listed under "flagged most"


def report_html(exam: Exam, summary: ClassSummary, scale: Sequence[tuple[str, Fraction]], *,
                errors: int = 0, warnings: int = 0) -> str:
    """The class report as one standalone HTML page (no script, no external resource)."""
    thresholds = [(letter, float(t)) for letter, t in scale]
    figures = {  # our own SVG (matplotlib escapes its text); nothing from students is in it
        "totals": Markup(plots.totals_histogram(summary, thresholds)),
        "means": Markup(plots.part_means(summary)),
        "scatter": Markup(plots.difficulty_discrimination(summary)),
    }
    flagged = [(part, n, _reasons(summary, part)) for part, n in summary.flagged[:TOP_FLAGGED]]
    context = {
        "exam": exam, "s": summary, "plots": figures, "fmt": fmt,
        "grades": grade_counts(summary, [letter for letter, _ in scale]),
        "scale": [(letter, format_points(t)) for letter, t in scale],
        "flagged": flagged, "errors": errors, "warnings": warnings,
        "overrides": sum(i.overridden for i in summary.items),
    }
    return environment().get_template("report.html.j2").render(context)


def _reasons(summary: ClassSummary, part: str) -> str:
    counts = [(key.partition(":")[2], n) for key, n in summary.flag_counts.items()
              if key.partition(":")[0] == part]
    return ", ".join(f"{flag} {n}" for flag, n in sorted(counts, key=lambda x: (-x[1], x[0])))
