"""Normalization of answer text: a pipeline of small text-to-text steps, each with its note.

Each step has the signature ``step(text) -> (text, note or None)`` and may raise AnswerError.
The drivers below run a tuple of steps in order (the shape of sympy_parser's transformations).
Order matters: control characters go first (nothing else should see them); superscripts must be
read before NFKC, which would turn 'x²' into 'x2'; symbol mapping comes after NFKC so that
full-width and compatibility forms are already plain; prefixes and units are stripped last, on
text whose spaces are collapsed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from grader.errors import AnswerError

Step = Callable[[str], tuple[str, str | None]]

_SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
    "⁹": "9", "⁻": "-", "⁺": "+",
}  # fmt: skip
_SUPER_RUN = re.compile("[" + "".join(_SUPERSCRIPTS) + "]+")

_SYMBOLS = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash, often typed as minus
    "\u2014": "-",  # em dash
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u00d7": "*",  # multiplication sign
    "\u00b7": "*",  # middle dot
    "\u22c5": "*",  # dot operator
    "\u2219": "*",  # bullet operator
    "\u00f7": "/",  # division sign
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "\u03c0": "pi",
    "\u221a": "√",  # kept: read by sqrt_sign
}

_TABLE = str.maketrans(_SYMBOLS)

# Units a number answer may carry (field of view in pixels, parameter counts, ...).
UNITS = frozenset(
    {"px", "pixel", "pixels", "parameters", "params", "weights", "units", "neurons", "steps"}
)


def reject_control_chars(text: str) -> tuple[str, str | None]:
    """Reject control characters (NUL, escape, ...); tabs and newlines become spaces.

    Invisible format characters (zero-width space, byte-order mark, soft hyphen) are dropped.

    >>> reject_control_chars("1\\t2\\u200b3")
    ('1 23', 'removed invisible characters')
    >>> reject_control_chars("1\\x00")
    Traceback (most recent call last):
    grader.errors.AnswerError: the answer contains a control character (U+0000)
    """
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            raise AnswerError(f"the answer contains a control character (U+{ord(ch):04X})")
        if cat != "Cf":
            out.append(ch)
    kept = "".join(out)
    return kept, ("removed invisible characters" if len(kept) != len(text) else None)


def superscripts(text: str) -> tuple[str, str | None]:
    """Read superscript digits as powers: 'x²' is x^2 and '10⁻³' is 10^(-3).

    >>> superscripts("x²+10⁻³")
    ('x^2+10^(-3)', None)
    """

    def power(m: re.Match[str]) -> str:
        digits = "".join(_SUPERSCRIPTS[c] for c in m.group())
        return "^" + (digits if digits.isdigit() and len(digits) == 1 else f"({digits})")

    return _SUPER_RUN.sub(power, text), None


def nfkc(text: str) -> tuple[str, str | None]:
    """Unicode NFKC: full-width digits, non-breaking and thin spaces become plain ones.

    >>> nfkc("１２\\u00a0０００")
    ('12 000', 'read full-width or compatibility characters as plain ones')
    >>> nfkc("12 000")
    ('12 000', None)
    """
    out = unicodedata.normalize("NFKC", text)
    changed = [a for a, b in zip(text, out, strict=False) if a != b and not a.isspace()]
    note = "read full-width or compatibility characters as plain ones" if changed else None
    return out, note


def map_symbols(text: str) -> tuple[str, str | None]:
    """Map Unicode operators to ASCII, '**' to '^', and collapse spaces.

    >>> map_symbols("3 × 10^−2  ÷ 4")
    ('3 * 10^-2 / 4', None)
    >>> map_symbols("–1.5")
    ('-1.5', "read '–' (dash) as a minus sign")
    >>> map_symbols("2**3")
    ('2^3', None)
    """
    note = "read '–' (dash) as a minus sign" if "\u2013" in text or "\u2014" in text else None
    text = text.translate(_TABLE).replace("**", "^")
    return " ".join(text.split()), note


def sqrt_sign(text: str) -> tuple[str, str | None]:
    """Read '√' as sqrt: '√2' is sqrt(2), '√(x+1)' is sqrt(x+1).

    >>> sqrt_sign("√2 + √(x+1) + 3√x")
    ('sqrt(2) + sqrt(x+1) + 3sqrt(x)', None)
    """
    text = re.sub(r"√\s*(\d[\d.,]*|[^\W\d]\w*)", r"sqrt(\1)", text)
    return text.replace("√", "sqrt"), None


def strip_prefix(text: str) -> tuple[str, str | None]:
    """Drop 'answer:', '=', 'x =', '≈', '~', 'approx' in front of the answer.

    >>> strip_prefix("x = 13")
    ('13', "ignored 'x =' before the answer")
    >>> strip_prefix("≈ 0.52")
    ('0.52', "ignored '≈' before the answer")
    >>> strip_prefix("Answer: approx. 0,52")
    ('0,52', "ignored 'Answer: approx.' before the answer")
    >>> strip_prefix("13")
    ('13', None)
    """
    pattern = (
        r"^\s*(?:(?:answer|svar|ans)\s*:?\s*)?"
        r"(?:[^\W\d]\w{0,9}\s*(?==|≈))?"
        r"(?:=|≈|~|approx(?:imately)?\.?|ca\.|circa)?\s*"
    )
    match = re.match(pattern, text, flags=re.IGNORECASE)
    if match is None or not match.group().strip() or match.end() == len(text):
        return text, None
    return text[match.end() :], f"ignored '{match.group().strip()}' before the answer"


def strip_period(text: str) -> tuple[str, str | None]:
    """Drop one full stop that ends a sentence: '13.' is 13.

    >>> strip_period("13 px.")
    ('13 px', None)
    """
    return (text[:-1].rstrip() if text.endswith(".") else text), None


def times_ten(text: str) -> tuple[str, str | None]:
    """Read 'x' or 'X' between a number and 10^ as multiplication: '3x10^-2' is 3*10^-2.

    Only for number answers (where no variable x exists), so it is unambiguous.

    >>> times_ten("3x10^-2")
    ('3*10^-2', None)
    >>> times_ten("3 X 10^5")
    ('3*10^5', None)
    """
    return re.sub(r"(\d)\s*[xX]\s*(10\s*\^)", r"\1*\2", text), None


def space_thousands(text: str) -> tuple[str, str | None]:
    """Join digit groups separated by spaces as thousands: '10 000' is 10000.

    Only groups of exactly three digits join, so '2 3' stays two numbers (an error later).

    >>> space_thousands("1 234,5 + 10 000")
    ('1234,5 + 10000', "read '1 234' as 1234 and '10 000' as 10000 (space as thousands separator)")
    >>> space_thousands("2 3")
    ('2 3', None)
    """
    found = _SPACE_GROUPS.findall(text)
    if not found:
        return text, None
    out = _SPACE_GROUPS.sub(lambda m: m.group().replace(" ", ""), text)
    parts = [f"'{f}' as {f.replace(' ', '')}" for f in found]
    return out, "read " + " and ".join(parts) + " (space as thousands separator)"


_SPACE_GROUPS = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?: \d{3})+(?![\d])")


def strip_unit(text: str) -> tuple[str, str | None]:
    """Drop one trailing unit word from UNITS: '13 pixels' is 13.

    >>> strip_unit("13 pixels")
    ('13', "ignored the unit 'pixels'")
    >>> strip_unit("13 apples")
    ('13 apples', None)
    """
    head, _, last = text.rpartition(" ")
    if head and last.lower() in UNITS:
        return head.rstrip(), f"ignored the unit '{last}'"
    return text, None


# Number answers; expressions use EXPRESSION_STEPS (no units, and 'x' may be a variable).
NUMBER_STEPS: tuple[Step, ...] = (
    reject_control_chars,
    superscripts,
    nfkc,
    map_symbols,
    sqrt_sign,
    strip_prefix,
    strip_period,
    strip_unit,
    times_ten,
    space_thousands,
)
# The same pipeline without the number-only steps: an expression has no unit, and its 'x' may
# be a variable rather than "times ten".
EXPRESSION_STEPS: tuple[Step, ...] = tuple(
    step for step in NUMBER_STEPS if step not in (strip_unit, times_ten))


# Plain ASCII arithmetic (digits, separators, operators, '=', spaces) is left unchanged by every
# step except these, so normalize() runs only them on such text: most answers, at a fraction of
# the cost.
_PLAIN = re.compile(r"[0-9.,+\-*/^() =]*")
_PLAIN_STEPS = frozenset({map_symbols, strip_prefix, strip_period, space_thousands})


_PLAIN_NO_EQUALS = re.compile(r"[0-9.,+\-*/^()]+(?: [0-9.,+\-*/^()]+)*")


@functools.lru_cache(maxsize=16)
def _plain_steps(steps: tuple[Step, ...], equals: bool) -> tuple[Step, ...]:
    # Without '=', plain text has no prefix to strip.
    return tuple(s for s in steps if s in _PLAIN_STEPS and (equals or s is not strip_prefix))


def unchanged_plain(text: str) -> bool:
    """Is `text` plain ASCII arithmetic that every step leaves unchanged, without notes?

    Such text needs no normalizing (single spaces, no '**', no final '.', no digit groups).

    >>> unchanged_plain("1 + (3-1)"), unchanged_plain("1  + 2"), unchanged_plain("10 000")
    (True, False, False)
    """
    return (
        _PLAIN_NO_EQUALS.fullmatch(text) is not None
        and "**" not in text
        and text[-1] != "."
        and _SPACE_GROUPS.search(text) is None
    )


def normalize(
    text: str, steps: tuple[Step, ...] = NUMBER_STEPS, *, shortcut: bool = True
) -> tuple[str, tuple[str, ...]]:
    """Run `steps` in order; return the text and the notes of the steps that said something.

    With `shortcut`, plain ASCII arithmetic runs only the steps that can change it.

    >>> normalize("= −0,5")
    ('-0,5', ("ignored '=' before the answer",))
    >>> normalize("1 + 2.")
    ('1 + 2', ())
    """
    if shortcut and _PLAIN.fullmatch(text):
        steps = _plain_steps(steps, "=" in text)
    notes: list[str] = []
    for step in steps:
        text, note = step(text)
        if note:
            notes.append(note)
    return text, tuple(notes)
