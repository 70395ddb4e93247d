"""Fast paths for the common number answers: a lone number, and plain arithmetic on numbers."""

# Both paths give EXACTLY what the general tokenizer and parser give (value, text read, notes,
# flags) or return None, and then the general path runs. They never raise: whatever is odd (an
# error, a limit reached, a name, implied multiplication) falls back, so every message and every
# limit stays the general path's own. Property tests compare the two paths on random input.
# Student text is data: numbers become int/Fraction through read_decimal, operators are applied
# by a shunting-yard loop over a fixed table. Nothing is evaluated as code.
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import NamedTuple

from grader.answers.arith import MAX_BITS
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
    r"(?P<sign>[-\u2212]?)(?P<num>\.?[0-9](?:[0-9.,]*[0-9])?(?:[eE][+-]?[0-9]+)?)[ \t\r\n]*"
)


def lone_number(text: str) -> Read | None:
    """Read a lone number ('13', '-0,5', '≈ 0,52', 'x = 1e-3') as the general path does.

    >>> lone_number("≈ -0,5")
    Read(value=Fraction(-1, 2), shown='-0.5', notes=("ignored '≈' before the answer", "read '0,5' \
as 0.5 (decimal comma)"), flags=())
    >>> lone_number("1 + 2") is None
    True
    """
    match = _LONE.fullmatch(text)
    if match is None or len(text) > 200:
        return None
    prefix, sign, lexeme = match.group("prefix", "sign", "num")
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
    return Read(value, canon, notes, ("ambiguous",) if ambiguous else ())


# Tokens of plain arithmetic: a number (as the general tokenizer reads it, without exponent),
# an operator, spaces, or anything else (which sends the answer to the general path).
_TOKEN = re.compile(r"(\d[\d.,]*|\.\d[\d.,]*)|([-+*/^()])|( +)|(.)")
_BINARY = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}  # precedence; prefix signs are 3
_SIGN = {"+": "u+", "-": "u-"}


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
        tokens, shown, notes, ambiguous = _scan(text)
        value = _evaluate(tokens)
    except (_Fallback, AnswerError, ZeroDivisionError, OverflowError):
        return None
    value = Fraction(value) if type(value) is int else value
    return Read(value, shown, notes, ("ambiguous",) if ambiguous else ())


def _scan(text: str) -> tuple[list, str, tuple[str, ...], bool]:
    """Tokens (numbers as int/Fraction, operators as str), the text shown, notes, ambiguity."""
    tokens: list[Number | str] = []
    shown: list[str] = []
    notes: list[str] = []
    ambiguous = False
    opens = signs = 0
    for num, op, space, _other in _TOKEN.findall(text):
        if num:
            if num.isdigit() and len(num) <= MAX_DIGITS:
                tokens.append(int(num))
                shown.append(num)
                continue
            value, canon, note, flagged = read_decimal(num)
            tokens.append(value)
            shown.append(canon)
            if note:
                notes.append(note)
                ambiguous = ambiguous or flagged
        elif op:
            if op in "+-" and (not tokens or type(tokens[-1]) is str and tokens[-1] != ")"):
                op = _SIGN[op]
                signs += 1
            opens += op == "(" or op == "^"
            tokens.append(op)
            shown.append(op[-1])
        elif space:
            if shown:
                shown.append(" ")
        else:
            raise _Fallback
    # The general parser counts one level per parenthesis, sign and power: stay well inside.
    if opens + signs + 1 >= MAX_DEPTH or len(tokens) > 150:
        raise _Fallback
    return tokens, "".join(shown), tuple(notes), ambiguous


def _evaluate(tokens: list[Number | str]) -> Number:
    """Shunting-yard over the tokens; applies each operator as soon as its operands are known."""
    values: list[Number] = []
    ops: list[str] = []
    want_operand = True
    for tok in tokens:
        if type(tok) is not str:
            if not want_operand:
                raise _Fallback  # two numbers side by side: the general path words the error
            values.append(tok)
            want_operand = False
        elif tok == "(" or tok[0] == "u":
            if not want_operand:
                raise _Fallback  # implied multiplication
            ops.append(tok)
        elif tok == ")":
            if want_operand:
                raise _Fallback
            while ops and ops[-1] != "(":
                _apply(ops.pop(), values)
            if not ops:
                raise _Fallback
            ops.pop()
        else:
            if want_operand:
                raise _Fallback
            prec = _BINARY[tok]
            while ops and ops[-1] != "(" and _precedence(ops[-1]) >= prec + (tok == "^"):
                _apply(ops.pop(), values)
            ops.append(tok)
            want_operand = True
    if want_operand:
        raise _Fallback
    while ops:
        _apply(ops.pop(), values)
    return values[0]


def _precedence(op: str) -> int:
    return 3 if op[0] == "u" else _BINARY[op]


def _apply(op: str, values: list[Number]) -> None:
    """Apply `op` to the top of `values`, with the general path's size checks."""
    if op == "(":
        raise _Fallback  # never closed
    if op[0] == "u":
        if op == "u-":
            values[-1] = -values[-1]
        return
    b = values.pop()
    a = values.pop()
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "/":
        if type(a) is int and type(b) is int and b and a % b == 0:
            result = a // b
        else:
            result = Fraction(a) / b
    else:
        result = _power(a, b)
    if type(result) is int:
        if result.bit_length() > MAX_BITS:
            raise _Fallback
    elif max(result.numerator.bit_length(), result.denominator.bit_length()) > MAX_BITS:
        raise _Fallback
    values.append(result)


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
