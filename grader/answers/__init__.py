"""Safe reading of student answers (numbers, expressions) and comparison with the key."""

from __future__ import annotations

from grader.answers.compare import Comparison, compare_expression, compare_number
from grader.answers.parse import ParsedAnswer, expected_value, parse_expression, parse_number

__all__ = [
    "Comparison",
    "ParsedAnswer",
    "compare_expression",
    "compare_number",
    "expected_value",
    "parse_expression",
    "parse_number",
]
