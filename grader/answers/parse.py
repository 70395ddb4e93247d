"""Safe parsing of student numbers and expressions into exact SymPy values.

This module is the reading pipeline around the parser: length limits, normalization
(grader.answers.normalize), the fast paths (grader.answers.fast), 'working = answer' chains,
the real-number check and caching. The grammar itself is grader.answers.precedence; the
tokenizer is grader.answers.tokens.
"""

# Security note: student text is data, never code. Nothing here calls eval, exec, sympify,
# parse_expr, lambdify or ast.literal_eval; a hand-written tokenizer and precedence-climbing parser
# build values only through grader.answers.arith, whose operations check bounds before computing.
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from grader.answers import arith, fast
from grader.answers.normalize import (
    EXPRESSION_STEPS,
    NUMBER_STEPS,
    Step,
    normalize,
    times_ten,
)
from grader.answers.precedence import Parser
from grader.answers.tokens import tokenize
from grader.errors import AnswerError

MAX_NUMBER_LENGTH = 200
MAX_EXPRESSION_LENGTH = 500
_CACHE_SIZE = 8192
# What SymPy may raise on odd but bounded input; turned into a plain AnswerError at the boundary.
_MATH_ERRORS = (ArithmeticError, TypeError, ValueError, RecursionError, OverflowError)


@dataclass(frozen=True)
class ParsedAnswer:
    """A student's answer as read: the exact value, the text read, notes and review flags."""

    value: sympy.Expr  # exact: Rational for numbers, exact expression otherwise
    normalized: str  # the text after normalization (what was actually read)
    notes: tuple[str, ...] = ()  # plain-language notes ("read '0,5' as 0.5 (decimal comma)")
    flags: tuple[str, ...] = ()  # review flags: "ambiguous", ...


MAX_EQUALS = 4  # "working = result" chains: at most this many '=' signs


def _read(
    text: str,
    limit: int,
    steps: tuple[Step, ...],
    names: dict[str, sympy.Symbol],
    allow_percent: bool,
) -> tuple[arith.Value, str, tuple[str, ...], tuple[str, ...]]:
    """Normalize, tokenize and parse; return (value, normalized text, notes, flags).

    Working shown before the answer ('1 + (3-1) + (5-1) + (7-1) = 13') is read side by side:
    the value after the last '=' is the answer; if the working gives another value, a note
    says so and the answer is flagged "ambiguous".
    """
    if len(text) > limit:
        raise AnswerError(f"the answer is too long ({len(text)} characters; at most {limit})")
    if not text.strip():
        raise AnswerError("the answer is empty")
    clean, notes = normalize(text, steps)
    if not clean.strip():
        raise AnswerError("the answer is empty after removing what is not part of it")
    sides = clean.split("=")
    if len(sides) > MAX_EQUALS + 1:
        raise AnswerError(f"too many '=' signs (at most {MAX_EQUALS}): write the final answer")
    if not all(side.strip() for side in sides):
        raise AnswerError("nothing on one side of '=': write the answer after '='")
    parser = Parser([], names, allow_percent)
    read = [_read_side(side.strip(), parser) for side in sides]
    value, shown = read[-1]
    for other, other_shown in read[:-1]:
        if not _same(other, value):
            parser.flag(f"the working '{other_shown}' does not give {shown}; graded {shown}")
    if len(read) > 1:
        notes += (f"read the answer after the last '=': {shown}",)
    full = " = ".join(part for _, part in read)
    return value, full, notes + tuple(parser.notes), tuple(parser.flags)


def _read_side(text: str, parser: Parser) -> tuple[arith.Value, str]:
    """Parse one side of the answer with `parser` (which collects notes and flags)."""
    quick = fast.arithmetic(text)
    if quick is not None:  # plain arithmetic on numbers: the same reading, several times faster
        parser.notes.extend(quick.notes)
        if quick.flags and "ambiguous" not in parser.flags:
            parser.flags.append("ambiguous")
        return quick.value, quick.shown
    parser.tokens, parser.pos, parser.depth = tokenize(text), 0, 0
    try:
        value = parser.parse()
    except _MATH_ERRORS as exc:  # SymPy internals on odd input: report, never crash
        raise AnswerError("could not work out the value of the answer") from exc
    shown = "".join(
        (" " if i and text[t.pos - 1] == " " else "") + t.canon for i, t in enumerate(parser.tokens)
    )
    return value, shown


def _same(a: arith.Value, b: arith.Value) -> bool:
    """Exactly the same value, as far as cheap exact arithmetic can tell."""
    try:
        return a == b or arith.sub(a, b) == 0
    except (AnswerError, *_MATH_ERRORS):
        return False


def _plain_number(text: str) -> ParsedAnswer | None:
    """A lone number ('13', '-0,5', '= 13', '≈ 0,52'), read without the full pipeline.

    It gives exactly what the full pipeline gives (property tests check it), or None.
    """
    read = fast.lone_number(text)
    if read is None:
        return None
    return ParsedAnswer(arith.to_sympy(read.value), read.shown, read.notes, read.flags)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_number(text: str, allow_percent: bool) -> ParsedAnswer:
    plain = _plain_number(text)
    if plain is not None:
        return plain
    quick = fast.plain_arithmetic(text)  # '1 + (3-1) + 2*(5-1)': as _read would, but at once
    if quick is not None:
        return ParsedAnswer(arith.to_sympy(quick.value), quick.shown, quick.notes, quick.flags)
    value, shown, notes, flags = _read(text, MAX_NUMBER_LENGTH, NUMBER_STEPS, {}, allow_percent)
    expr = arith.to_sympy(value)
    if not isinstance(value, Fraction):
        _check_real(expr)
    return ParsedAnswer(expr, shown, notes, flags)


def _check_real(expr: sympy.Expr) -> None:
    """Reject a number that is not real (sqrt(-1)) or cannot be evaluated."""
    try:
        real = expr.is_extended_real
        if real is None:
            re_part, im_part = expr.evalf(30).as_real_imag()
            real = im_part == 0 and re_part.is_number
    except _MATH_ERRORS as exc:
        raise AnswerError("could not work out the value of the answer") from exc
    if not real:
        raise AnswerError("the answer is not a real number")


def parse_number(text: str, *, allow_percent: bool = False) -> ParsedAnswer:
    """Read a number answer exactly: arithmetic and functions of numbers are allowed.

    What is read, each with a note where it matters: a decimal point or a decimal comma; spaces,
    or '.'/',' beside the other mark, as thousands separators; scientific notation (1e-3,
    3x10^-2, 3·10⁻²); Unicode minus, dashes, ×, ÷, superscripts, full-width digits; a leading
    'answer:', '=', 'x =', '≈', '~' or 'approx'; one trailing full stop; one trailing unit from
    normalize.UNITS ('13 pixels', '13 px': field-of-view answers carry units). A lone separator
    followed by exactly three digits ('1,000', '1.000') is read as a decimal mark (the
    Norwegian reading of ',' and the calculator reading of '.') and flagged "ambiguous".
    Rejected: other words, '=' inside the answer, '2 3' (two numbers), factorials, and '%'
    unless allow_percent.

    Args:
        text: the student's answer.
        allow_percent: read '50 %' as 1/2 (otherwise a percent sign is an error).

    Raises:
        AnswerError: the answer cannot be read; the message is meant for the student.

    >>> parse_number("-1,5").value
    -3/2
    >>> parse_number("1 + (3-1) + (5-1) + (7-1)").value
    13
    >>> parse_number("3·10⁻²").value
    3/100
    >>> parse_number("3..5")
    Traceback (most recent call last):
    grader.errors.AnswerError: could not read '3..5' as a number: two decimal points in a row
    """
    return _parse_number(text, bool(allow_percent))


_SYMBOLS_CACHE: dict[str, sympy.Symbol] = {}


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol used for a variable name (real-valued, as in every exam question)."""
    if name not in _SYMBOLS_CACHE:
        _SYMBOLS_CACHE[name] = sympy.Symbol(name, real=True)
    return _SYMBOLS_CACHE[name]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_expression(text: str, symbols: frozenset[str]) -> ParsedAnswer:
    names = {n: symbol(n) for n in symbols}
    steps = EXPRESSION_STEPS
    if not symbols & {"x", "X"}:
        steps = (*steps, times_ten)
    value, shown, notes, flags = _read(text, MAX_EXPRESSION_LENGTH, steps, names, False)
    return ParsedAnswer(arith.to_sympy(value), shown, notes, flags)


def parse_expression(text: str, *, symbols: Iterable[str] = ()) -> ParsedAnswer:
    """Read an expression in the variables `symbols` (real symbols; e and pi are constants).

    Raises:
        AnswerError: the answer cannot be read or uses an unknown name.
        ValueError: a symbol name given by the caller is not an identifier.

    >>> parse_expression("2x(x+1)", symbols=["x"]).value
    2*x*(x + 1)
    >>> parse_expression("(a+b)(a−b)", symbols="ab").value
    (a - b)*(a + b)
    """
    names = frozenset(symbols)
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise ValueError(f"symbol names must be identifiers: {bad}")
    return _parse_expression(text, names)


def expected_value(text: str) -> sympy.Expr:
    """Read a TRUSTED exact answer from the bank or key ('23', '-7/2', 'exp(2)', 'x^2+1').

    Every name that is not a function or constant is taken as a variable.

    Raises:
        ValueError: the text cannot be read.

    >>> expected_value("-7/2"), expected_value("exp(2)"), expected_value("2*w**2")
    (-7/2, exp(2), 2*w**2)
    """
    if isinstance(text, str):
        return _expected_value(text)
    return _expected_value.__wrapped__(text)


# Cached: a batch compares every student's arrows with the same few key values; the value is
# an immutable SymPy expression (a failure, ValueError, is not cached and is raised again).
@functools.lru_cache(maxsize=_CACHE_SIZE)
def _expected_value(text: str) -> sympy.Expr:
    try:
        clean, _ = normalize(str(text), EXPRESSION_STEPS)
        names = {
            t.text
            for t in tokenize(clean)
            if t.kind == "name"
            and t.text.lower() not in arith.FUNCTIONS
            and t.text.lower() not in arith.CONSTANTS
        }
        return parse_expression(str(text), symbols=names).value
    except AnswerError as exc:
        raise ValueError(f"cannot read the expected answer {text!r}: {exc.message}") from None


def clear_cache() -> None:
    """Forget cached parses (tests that count calls need fresh parsing)."""
    _parse_number.cache_clear()
    _parse_expression.cache_clear()
    _expected_value.cache_clear()
