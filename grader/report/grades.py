"""Points formatting and grade letters (A-F) from a configurable percentage scale."""

from __future__ import annotations

from fractions import Fraction

from grader.bounded import BoundedDict
from grader.errors import InputError

# The Norwegian A-F scale as commonly recommended for percentage-scored exams (UiO/NTNU
# guidance): the lowest percentage that still earns each letter; below E is F.
DEFAULT_SCALE: tuple[tuple[str, Fraction], ...] = (
    ("A", Fraction(89)), ("B", Fraction(77)), ("C", Fraction(65)),
    ("D", Fraction(53)), ("E", Fraction(41)),
)


def format_points(value: Fraction) -> str:
    """Points as a teacher writes them: exact when the decimal terminates.

    >>> format_points(Fraction(9, 2)), format_points(Fraction(3)), format_points(Fraction(1, 3))
    ('4.5', '3', '0.333')
    """
    # A class has few distinct point values and rendering asks ~100 times per student: cached
    # by (numerator, denominator), as hashing and comparing Fractions costs more than that.
    key = (value.numerator, value.denominator)
    text = _POINTS_TEXT.get(key)
    if text is None:
        text = _POINTS_TEXT[key] = _format_points(value)
    return text


_POINTS_TEXT: dict[tuple[int, int], str] = BoundedDict(4096)


def _format_points(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        text = f"{float(value):.10f}".rstrip("0")
        return text
    return f"{float(value):.3f}"


def parse_scale(text: str) -> tuple[tuple[str, Fraction], ...]:
    """Read a scale such as "A=89,B=77,C=65,D=53,E=41" (percent needed for each letter).

    >>> parse_scale("A=90, B=80")[1]
    ('B', Fraction(80, 1))
    """
    scale = []
    for item in text.split(","):
        letter, sep, number = item.partition("=")
        try:
            threshold = Fraction(number.strip())
        except (ValueError, ZeroDivisionError):
            threshold = None
        if not sep or not letter.strip() or threshold is None or not 0 <= threshold <= 100:
            raise InputError(f"grade scale item '{item.strip()}' is not LETTER=PERCENT "
                             "(e.g. A=89,B=77,C=65,D=53,E=41)")
        scale.append((letter.strip(), threshold))
    thresholds = [t for _, t in scale]
    if thresholds != sorted(thresholds, reverse=True):
        raise InputError("grade scale thresholds must decrease from the best letter to the worst")
    return tuple(scale)


def grade_letter(total: Fraction, maximum: Fraction,
                 scale: tuple[tuple[str, Fraction], ...] = DEFAULT_SCALE) -> str:
    """The letter for total/maximum; F below the lowest threshold.

    >>> grade_letter(Fraction(45), Fraction(50)), grade_letter(Fraction(10), Fraction(50))
    ('A', 'F')
    """
    if maximum <= 0:
        return ""
    percent = total * 100 / maximum
    for letter, threshold in scale:
        if percent >= threshold:
            return letter
    return "F"
