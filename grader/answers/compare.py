"""Comparison of a parsed answer with the expected exact value: exact first, then tolerances.

The public face of answer comparison; the work is split by job:

- grader.answers.exact: the Comparison outcome, exact values, exact equality of numbers;
- grader.answers.tolerance: compare_number and its tolerances (rtol, atol, sig_figs, decimals);
- grader.answers.equivalence: compare_expression (expansion, random points, simplification);
- grader.answers.display: show, how values are written in notes.

Everything other code imports from here stays importable from here, including the private
helpers that grader.export and grader.rubric reuse on purpose (the grader's own margins).
"""

from __future__ import annotations

from grader.answers.display import show
from grader.answers.equivalence import compare_expression
from grader.answers.exact import DIGITS, Comparison
from grader.answers.exact import _numeric as _numeric
from grader.answers.tolerance import _absolute as _absolute
from grader.answers.tolerance import _order as _order
from grader.answers.tolerance import compare_number

__all__ = ["DIGITS", "Comparison", "compare_expression", "compare_number", "show"]
