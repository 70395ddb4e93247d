"""Tokenizer for student answers: numbers (decimal comma aware), names and operators."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

from grader.errors import AnswerError

MAX_DIGITS = 50  # digits in one written number
MAX_EXPONENT = 1000  # |n| in 1e<n> and in integer powers of numbers
MAX_DEPTH = 20  # nesting of parentheses (also checked by the parser for signs and powers)
MAX_TOKENS = 300

# Functions that take several arguments: a comma inside their parentheses separates arguments.
MULTI_ARG = frozenset({"max", "min"})

_NUMBER = r"(?:\d[\d.,]*|\.\d[\d.,]*)(?:[eE][+-]?\d+)?"
_NUMBER_NO_COMMA = r"(?:\d[\d.]*|\.\d[\d.]*)(?:[eE][+-]?\d+)?"
_REST = r"|(?P<name>[^\W\d]\w*)|(?P<op>[-+*/^(),!%]))"
_SCAN = re.compile(f" *(?:(?P<num>{_NUMBER}){_REST}")  # spaces before a token are skipped
# '12,5', '1.5e-3': at most one separator and a short power of ten (the common cases)
_SIMPLE = re.compile(r"([0-9]+)(?:([.,])([0-9]+))?(?:[eE]([+-]?[0-9]{1,3}))?")
_SCAN_ARGS = re.compile(f" *(?:(?P<num>{_NUMBER_NO_COMMA}){_REST}")  # in max(...), min(...)


class Token(NamedTuple):  # a NamedTuple: frozen dataclasses are slow to build, and this is hot
    """One token: kind is 'num', 'name' or 'op'; canon is how it is shown in `normalized`."""

    kind: str
    text: str
    pos: int
    value: Fraction | None = None
    canon: str = ""
    note: str | None = None  # numbers: how the separators were read
    ambiguous: bool = False


class Decimal(NamedTuple):
    """A number as read from its digits, with what a reviewer should know about it."""

    value: Fraction
    canon: str
    note: str | None = None
    ambiguous: bool = False


def _fail(lexeme: str, why: str) -> AnswerError:
    return AnswerError(f"could not read '{lexeme}' as a number: {why}")


def _thousands_ok(groups: list[str]) -> bool:
    """First group 1-3 digits not starting with 0, the others exactly 3 digits."""
    first, rest = groups[0], groups[1:]
    return 1 <= len(first) <= 3 and first[0] != "0" and all(len(g) == 3 for g in rest)


def _split_mantissa(lexeme: str, mantissa: str) -> tuple[str, str, str | None]:
    """Return (integer digits, fraction digits, separator kind read as decimal mark)."""
    if re.search(r"[.,]{2}", mantissa):
        raise _fail(lexeme, "two decimal points in a row")
    if mantissa.endswith(".") and mantissa.count(".") == 1:
        mantissa = mantissa[:-1]  # "2." is 2, as on a calculator
    if mantissa[-1] in ".,":
        raise _fail(lexeme, f"it ends with '{mantissa[-1]}'")
    seps = [c for c in mantissa if c in ".,"]
    if not seps:
        return mantissa, "", None
    kinds = set(seps)
    if len(kinds) == 2:
        dec = seps[-1]
        thou = "," if dec == "." else "."
        head, _, frac = mantissa.rpartition(dec)
        if seps.count(dec) > 1 or not _thousands_ok(head.split(thou)):
            raise _fail(lexeme, "mixed '.' and ',' that are not thousands separators")
        return head.replace(thou, ""), frac, dec + thou
    sep = seps[0]
    groups = mantissa.split(sep)
    if len(groups) == 2:
        return groups[0], groups[1], sep
    if _thousands_ok(groups):
        return "".join(groups), "", "thousands" + sep
    what = "more than one decimal comma" if sep == "," else "more than one decimal point"
    raise _fail(lexeme, what)


def read_decimal(lexeme: str) -> Decimal:
    """Read a written number exactly: decimal point or comma, thousands, scientific notation.

    Raises:
        AnswerError: the digits cannot be read as one number.

    >>> read_decimal("0,5").value, read_decimal("0,5").note
    (Fraction(1, 2), "read '0,5' as 0.5 (decimal comma)")
    >>> read_decimal("1e-3").value
    Fraction(1, 1000)
    >>> read_decimal("2.5E+2").value
    Fraction(250, 1)
    >>> d = read_decimal("1,000"); (d.value, d.ambiguous)
    (Fraction(1, 1), True)
    >>> read_decimal("1.234,5").value
    Fraction(2469, 2)
    >>> read_decimal("1,5,3")
    Traceback (most recent call last):
    grader.errors.AnswerError: could not read '1,5,3' as a number: more than one decimal comma
    """
    if lexeme.isdigit() and len(lexeme) <= MAX_DIGITS:  # the common case, fast
        return Decimal(Fraction(int(lexeme)), lexeme)
    simple = _SIMPLE.fullmatch(lexeme)
    if simple is not None and len(lexeme) <= MAX_DIGITS:  # what follows, in one step
        head, sep, frac, exp_text = simple.groups(default="")
        exponent = int(exp_text or "0") - len(frac)
        digits = int(head + frac)
        if exponent >= 0:
            value = Fraction(digits * 10**exponent)
        else:
            value = Fraction(digits, 10**-exponent)
        canon = head + ("." + frac if frac else "") + ("e" + exp_text if exp_text else "")
        return Decimal(value, canon, *_describe(lexeme, canon, head, frac, sep or None))
    mantissa, _, exp_text = lexeme.replace("E", "e").partition("e")
    head, frac, kind = _split_mantissa(lexeme, mantissa)
    head = head or "0"
    if len(head.lstrip("0")) + len(frac) > MAX_DIGITS:
        raise _fail(lexeme, f"more than {MAX_DIGITS} digits")
    exponent = 0
    if exp_text:
        digits = exp_text.lstrip("+-").lstrip("0")
        if len(digits) > 4 or int(digits or "0") > MAX_EXPONENT:
            raise _fail(lexeme, f"the power of ten is larger than {MAX_EXPONENT}")
        exponent = int(exp_text)
    value = Fraction(int(head + frac), 10 ** len(frac)) * Fraction(10) ** exponent
    canon = head + ("." + frac if frac else "") + ("e" + exp_text if exp_text else "")
    return Decimal(value, canon, *_describe(lexeme, canon, head, frac, kind))


def _describe(
    lexeme: str, canon: str, head: str, frac: str, kind: str | None
) -> tuple[str | None, bool]:
    """The note and ambiguity flag for how the separators in `lexeme` were read."""
    if kind is None:
        return None, False
    if kind.startswith("thousands"):
        return f"read '{lexeme}' as {canon} (thousands separators)", False
    if len(kind) == 2:
        return f"read '{lexeme}' as {canon} ('{kind[1]}' as thousands separator)", False
    if len(frac) == 3 and _thousands_ok([head]):
        other = head + frac
        mark = "decimal comma" if kind == "," else "decimal point"
        return (
            f"read '{lexeme}' as {canon} ({mark}); it could also mean {other} "
            f"with '{kind}' as thousands separator",
            True,
        )
    if kind == ",":
        return f"read '{lexeme}' as {canon} (decimal comma)", False
    return None, False


def tokenize(text: str) -> list[Token]:
    """Split normalized text into tokens; commas separate arguments only inside max(...)/min(...).

    Raises:
        AnswerError: an unknown character, a bad number, unbalanced or too deep parentheses.

    >>> [t.canon for t in tokenize("2x+max(0,5)")]
    ['2', 'x', '+', 'max', '(', '0', ',', '5', ')']
    >>> [t.canon for t in tokenize("-1,5*3")]
    ['-', '1.5', '*', '3']
    """
    tokens: list[Token] = []
    stack: list[bool] = []  # per open '(': does a comma separate arguments here?
    pos, end = 0, len(text.rstrip(" "))
    while pos < end:
        match = (_SCAN_ARGS if stack and stack[-1] else _SCAN).match(text, pos)
        if match is None:
            bad = len(text) - len(text[pos:].lstrip(" "))
            raise AnswerError(f"could not read the character '{text[bad]}' (position {bad + 1})")
        kind = match.lastgroup
        lexeme, pos = match.group(kind), match.start(kind)
        if kind == "num":
            dec = read_decimal(lexeme)
            tokens.append(Token("num", lexeme, pos, dec.value, dec.canon, dec.note, dec.ambiguous))
        elif kind == "name":
            tokens.append(Token("name", lexeme, pos, canon=lexeme))
        elif kind == "op":
            _track_parens(lexeme, tokens, stack)
            tokens.append(Token("op", lexeme, pos, canon=lexeme))
        if len(tokens) > MAX_TOKENS:
            raise AnswerError(f"the answer is too long (more than {MAX_TOKENS} symbols)")
        pos = match.end()
    if stack:
        raise AnswerError("a '(' is never closed")
    return tokens


def _track_parens(op: str, tokens: list[Token], stack: list[bool]) -> None:
    """Keep the stack of open parentheses (True where commas separate arguments)."""
    if op == "(":
        prev = tokens[-1] if tokens else None
        stack.append(prev is not None and prev.kind == "name" and prev.text.lower() in MULTI_ARG)
        if len(stack) > MAX_DEPTH:
            raise AnswerError(f"the answer is nested too deeply (more than {MAX_DEPTH} levels)")
    elif op == ")":
        if not stack:
            raise AnswerError("a ')' has no matching '('")
        stack.pop()
