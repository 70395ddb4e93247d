"""Fast paths for the common number answers: a lone number, and plain arithmetic on numbers."""

# Both paths give EXACTLY what the general tokenizer and parser give (value, text read, notes,
# flags) or return None, and then the general path runs. They never raise: whatever is odd (an
# error, a limit reached, a name, implied multiplication) falls back, so every message and every
# limit stays the general path's own. Property tests compare the two paths on random input.
# Student text is data: numbers become int/Fraction through read_decimal, operators are applied
# by a shunting-yard loop over a fixed table. Nothing is evaluated as code.
from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import NamedTuple

from grader.answers.arith import MAX_BITS
from grader.answers.normalize import unchanged_plain
from grader.answers.tokens import MAX_DEPTH, MAX_DIGITS, MAX_EXPONENT, read_decimal
from grader.errors import AnswerError

Number = int | Fraction


class Read(NamedTuple):
    """What a fast path read: the exact value, the text shown, notes and review flags."""

    value: Fraction
    shown: str
    notes: tuple[str, ...]
    flags: tuple[str, ...]


class _Fallback(Exception):
    """Not for the fast path: let the general parser read it (and word any error)."""


# A lone number with an optional prefix ('=', '≈', '~', 'x =') and sign. The number must end in a
# digit (so no full stop is stripped), and spaces inside the prefix are single (so collapsing
# spaces changes nothing): then the general path's normalization leaves the number as written.
_LONE = re.compile(
    r"[ \t\r\n]*(?P<prefix>(?:[A-Za-z][A-Za-z0-9_]{0,9} ?)?[=≈] ?|~ ?)?"
    r"(?P<sign>[-\u2212]?)(?P<num>\.?[0-9](?:[0-9.,]*[0-9])?(?:[eE][+-]?[0-9]+)?)"
    r"(?:/(?P<den>[0-9]{1,50}))?[ \t\r\n]*"
)


def lone_number(text: str) -> Read | None:
    """Read a lone number or fraction ('13', '-0,5', '≈ 0,52', 'x = 1e-3', '-7/2') as the
    general path does.

    >>> lone_number("≈ -0,5")
    Read(value=Fraction(-1, 2), shown='-0.5', notes=("ignored '≈' before the answer", "read '0,5' \
as 0.5 (decimal comma)"), flags=())
    >>> lone_number("1 + 2") is None
    True
    """
    match = _LONE.fullmatch(text)
    if match is None or len(text) > 200:
        return None
    prefix, sign, lexeme, den = match.group("prefix", "sign", "num", "den")
    if lexeme.isdigit() and len(lexeme) <= MAX_DIGITS:
        value, canon, note, ambiguous = Fraction(int(lexeme)), lexeme, None, False
    else:
        try:
            value, canon, note, ambiguous = read_decimal(lexeme)
        except AnswerError:
            return None
    notes = (f"ignored '{prefix.rstrip()}' before the answer",) if prefix else ()
    if note:
        notes += (note,)
    if sign:
        value, canon = -value, "-" + canon
    if den:
        if den.strip("0") == "":
            return None  # division by zero: the general path words it
        value, canon = value / int(den), canon + "/" + den
    return Read(value, canon, notes, ("ambiguous",) if ambiguous else ())


def plain_arithmetic(text: str) -> Read | None:
    """Arithmetic that normalization would leave as it is ('1 + (3-1) + 2*(5-1)'), read at once.

    >>> plain_arithmetic("3*3*3*2 + 2*5*5*2")
    Read(value=Fraction(154, 1), shown='3*3*3*2 + 2*5*5*2', notes=(), flags=())
    >>> plain_arithmetic(" 1 + 2") is None  # normalizing would change it: the general path
    True
    """
    return arithmetic(text) if len(text) <= 200 and unchanged_plain(text) else None


# Tokens of plain arithmetic: a number (as the general tokenizer reads it, without exponent),
# an operator, or anything else (which sends the answer to the general path); one space may
# come before a token (the text is normalized: single spaces).
_TOKEN = re.compile(r" ?(?:(\d[\d.,]*|\.\d[\d.,]*)|([-+*/^()])|(.))")
_NUMBER = re.compile(r"\d[\d.,]*|\.\d[\d.,]*")
# Precedence of operators on the stack: '(' stops every pop, 'u-' is a prefix minus.
_PRECEDENCE = {"(": 0, "+": 1, "-": 1, "*": 2, "/": 2, "u-": 3, "^": 4}


def arithmetic(text: str) -> Read | None:
    """Read one side of a normalized answer made of numbers, + - * / ^ and parentheses.

    The precedence and grouping are the general parser's: '-2^2' is -4, '2^3^2' is 512,
    '2*-3' is -6. Implied multiplication, names, '!' and '%' are left to the general path.

    >>> arithmetic("1 + (3-1) + 2*(5-1) + 2*(7-1)")
    Read(value=Fraction(23, 1), shown='1 + (3-1) + 2*(5-1) + 2*(7-1)', notes=(), flags=())
    >>> arithmetic("0,5 * 3")
    Read(value=Fraction(3, 2), shown='0.5 * 3', notes=("read '0,5' as 0.5 (decimal comma)",), \
flags=())
    >>> arithmetic("2(3)") is None
    True
    """
    try:
        value, canons, notes, ambiguous = _evaluate(text)
    except (_Fallback, AnswerError, ZeroDivisionError, OverflowError):
        return None
    value = Fraction(value) if type(value) is int else value
    # The text is tokens and single spaces, so it shows itself unless a number is rewritten.
    shown = text if canons is None else _NUMBER.sub(lambda _: next(canons), text)
    return Read(value, shown, notes, ("ambiguous",) if ambiguous else ())


def _evaluate(text: str) -> tuple[Number, Iterator[str] | None, tuple[str, ...], bool]:
    """Shunting-yard in one pass: each operator is applied as soon as its operands are known.

    Returns the value, the numbers as shown (None if all are shown as written), notes and
    whether a number is ambiguous.
    """
    values: list[Number] = []
    ops: list[str] = []
    canons: list[str] = []
    notes: list[str] = []
    ambiguous = rewritten = False
    want_operand = True
    nesting = 1  # the general parser counts a level per parenthesis, sign and power
    for num, op, other in _TOKEN.findall(text):
        if num:
            if not want_operand:
                raise _Fallback  # two numbers side by side: the general path words the error
            if num.isdigit() and len(num) <= MAX_DIGITS:
                values.append(int(num))
                canons.append(num)
            else:
                value, canon, note, flagged = read_decimal(num)
                values.append(value)
                canons.append(canon)
                rewritten = rewritten or canon != num
                if note:
                    notes.append(note)
                    ambiguous = ambiguous or flagged
            want_operand = False
        elif other or not op:
            raise _Fallback
        elif want_operand:
            if op == "(" or op == "-":
                ops.append("(" if op == "(" else "u-")
            elif op != "+":  # a prefix '+' changes nothing
                raise _Fallback
            nesting += 1
        elif op == ")":
            while ops and ops[-1] != "(":
                _apply(ops.pop(), values)
            if not ops:
                raise _Fallback
            ops.pop()
        elif op == "(":
            raise _Fallback  # implied multiplication
        else:
            right = op == "^"  # right-associative
            prec = _PRECEDENCE[op] + right
            while ops and _PRECEDENCE[ops[-1]] >= prec:
                _apply(ops.pop(), values)
            ops.append(op)
            nesting += right
            want_operand = True
    if want_operand or nesting >= MAX_DEPTH:
        raise _Fallback
    while ops:
        _apply(ops.pop(), values)
    return values[0], (iter(canons) if rewritten else None), tuple(notes), ambiguous


def _apply(op: str, values: list[Number]) -> None:
    """Apply `op` to the top of `values`, with the general path's size checks."""
    if op == "u-":
        values[-1] = -values[-1]
        return
    if op == "(":
        raise _Fallback  # never closed
    b = values.pop()
    result = _BINARY_OPS[op](values.pop(), b)
    if type(result) is int:
        if result.bit_length() > MAX_BITS:
            raise _Fallback
    elif max(result.numerator.bit_length(), result.denominator.bit_length()) > MAX_BITS:
        raise _Fallback
    values.append(result)


def _divide(a: Number, b: Number) -> Number:
    if type(a) is int and type(b) is int and b and a % b == 0:
        return a // b
    return Fraction(a) / b  # ZeroDivisionError: the general path words it


def _power(base: Number, exponent: Number) -> Number:
    """An integer power within arith.power's limits (anything else: the general path)."""
    if type(exponent) is not int:
        if exponent.denominator != 1:
            raise _Fallback
        exponent = exponent.numerator
    if abs(exponent) > MAX_EXPONENT or (base == 0 and exponent < 0):
        raise _Fallback
    num, den = (base, 1) if type(base) is int else (base.numerator, base.denominator)
    if math.log2(max(abs(num), den)) * abs(exponent) > MAX_BITS:
        raise _Fallback
    return base**exponent if exponent >= 0 else Fraction(1) / Fraction(base) ** -exponent


_BINARY_OPS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
    "^": _power,
}
