"""Rubric language: YAML loader, keyword pattern matcher and the scoring engine (DESIGN 3.4)."""

from __future__ import annotations

from grader.rubric.engine import score_part
from grader.rubric.loader import (
    Criterion,
    Mistake,
    PartRubric,
    Rubric,
    load_rubric,
    rubric_from_mapping,
)
from grader.rubric.matcher import Hit, Matcher, search
from grader.rubric.patterns import Pattern, PatternError, compile_pattern

__all__ = [
    "Criterion",
    "Hit",
    "Matcher",
    "Mistake",
    "PartRubric",
    "Pattern",
    "PatternError",
    "Rubric",
    "compile_pattern",
    "load_rubric",
    "rubric_from_mapping",
    "score_part",
    "search",
]
