"""Class statistics for report.html: totals, per-part difficulty and discrimination, alpha.

The batch keeps one small row of floats per student (a part's score, NaN where the part does
not count for that student), so statistics cost ~8 bytes per answer, whatever the answers were.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.grading import StudentResult


@dataclass(frozen=True)
class StatRow:
    """What the statistics need of one student (small, cheap to send between processes)."""

    scores: tuple[float, ...]  # per exam part, NaN where it does not count
    flags: tuple[tuple[str, str], ...]
    blanks: tuple[str, ...]
    overrides: tuple[str, ...]
    total: float
    max: float


def stat_row(result: StudentResult, parts: Sequence[str]) -> StatRow:
    """The statistics row of one student's result."""
    by_part = {s.part: float(s.score) for s in result.scores}
    return StatRow(tuple(by_part.get(p, math.nan) for p in parts),
                   tuple((s.part, f) for s in result.scores for f in s.flags),
                   tuple(s.part for s in result.scores if "blank" in s.notes),
                   tuple(o.part for o in result.overrides),
                   float(result.total), float(result.max))


@dataclass
class ClassStats:
    """Accumulates per-student scores; `summary()` computes the statistics at the end."""

    parts: tuple[str, ...]
    maxima: tuple[float, ...]
    flat: array = field(default_factory=lambda: array("d"))  # one row per student
    totals: array = field(default_factory=lambda: array("d"))  # total, max, total, max...
    grades: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)  # (part, flag) -> count
    blanks: Counter = field(default_factory=Counter)
    overrides: Counter = field(default_factory=Counter)

    def add(self, row: StatRow, grade: str) -> None:
        """Record one graded student (see :func:`stat_row`)."""
        self.flat.extend(row.scores)
        for part, flag in row.flags:
            self.flags[part, flag] += 1
        self.blanks.update(row.blanks)
        self.overrides.update(row.overrides)
        self.totals.extend((row.total, row.max))
        self.grades[grade] += 1

    def summary(self) -> ClassSummary:
        """The statistics of every student added so far."""
        matrix = np.frombuffer(self.flat, dtype=float).reshape(-1, len(self.parts))
        pairs = np.frombuffer(self.totals, dtype=float).reshape(-1, 2)
        totals, maxima = pairs[:, 0].copy(), pairs[:, 1].copy()
        percent = np.divide(totals * 100, maxima, out=np.zeros_like(totals), where=maxima > 0)
        items = tuple(self._item(i, matrix) for i in range(len(self.parts)))
        flagged = sorted(((sum(n for (p, _), n in self.flags.items() if p == part), part)
                          for part in self.parts), key=lambda x: (-x[0], x[1]))
        return ClassSummary(
            students=len(self.totals) // 2, percent=tuple(float(x) for x in percent),
            mean_percent=_mean(percent), median_percent=_median(percent),
            sd_percent=_sd(percent), items=items, alpha=cronbach_alpha(matrix),
            alpha_parts=tuple(p for p, ok in zip(self.parts, _complete(matrix), strict=True)
                              if ok),
            grades=dict(self.grades), flagged=tuple((p, n) for n, p in flagged if n),
            flag_counts={f"{p}:{f}": n for (p, f), n in sorted(self.flags.items())})

    def _item(self, i: int, matrix: np.ndarray) -> ItemStats:
        column = matrix[:, i] if len(matrix) else np.zeros(0)
        took = ~np.isnan(column)
        scores = column[took]
        rest = np.nansum(matrix[took], axis=1) - scores if len(scores) else scores
        mean = _mean(scores)
        part, maximum = self.parts[i], self.maxima[i]
        return ItemStats(part, maximum, int(took.sum()), mean,
                         mean / maximum if maximum and not math.isnan(mean) else math.nan,
                         correlation(scores, rest), self.blanks[part],
                         sum(n for (p, _), n in self.flags.items() if p == part),
                         self.overrides[part])


@dataclass(frozen=True)
class ItemStats:
    part: str
    max: float
    n: int  # students graded on this part
    mean: float
    difficulty: float  # mean / max: 1 is easy, 0 is hard
    discrimination: float  # item-rest correlation (NaN when a column is constant)
    blank: int
    flagged: int
    overridden: int


@dataclass(frozen=True)
class ClassSummary:
    students: int
    percent: tuple[float, ...]  # every student's total as a percentage of their maximum
    mean_percent: float
    median_percent: float
    sd_percent: float
    items: tuple[ItemStats, ...]
    alpha: float
    alpha_parts: tuple[str, ...]  # the parts every student was graded on (alpha uses these)
    grades: dict[str, int]
    flagged: tuple[tuple[str, int], ...]  # parts by number of review flags, most first
    flag_counts: dict[str, int]


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else math.nan


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if len(x) else math.nan


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else math.nan


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation, NaN when either side is constant or there are < 3 values.

    >>> round(correlation(np.array([0., 1, 2]), np.array([1., 3, 5])), 6)
    1.0
    """
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def _complete(matrix: np.ndarray) -> np.ndarray:
    if not len(matrix):
        return np.zeros(matrix.shape[1], dtype=bool)
    return ~np.isnan(matrix).any(axis=0)


def cronbach_alpha(matrix: np.ndarray) -> float:
    """Cronbach's alpha over the parts every student was graded on (NaN if undefined).

    alpha = k/(k-1) * (1 - sum of part variances / variance of the totals).

    >>> round(cronbach_alpha(np.array([[1., 1], [2, 2], [3, 3]])), 6)
    1.0
    """
    columns = matrix[:, _complete(matrix)] if len(matrix) else matrix
    k = columns.shape[1]
    if k < 2 or len(columns) < 2:
        return math.nan
    total_var = np.var(columns.sum(axis=1), ddof=1)
    if total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1 - np.var(columns, axis=0, ddof=1).sum() / total_var))


def fmt(value: float, digits: int = 2) -> str:
    """A statistic for display: fixed digits, '–' when undefined."""
    return "\u2013" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def grade_counts(summary: ClassSummary, letters: Sequence[str]) -> list[tuple[str, int]]:
    """(letter, count) for every letter of the scale and F, best first."""
    return [(letter, summary.grades.get(letter, 0)) for letter in (*letters, "F")]
