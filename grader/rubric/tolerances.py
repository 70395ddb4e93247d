"""How exact a numeric answer must be, in words, for answer keys ("within 1 % (relative)").

The words follow grader.answers.compare.compare_number as the grading engine calls it with a
part's options: ``exact: true`` (or no tolerance at all) means exact equality; otherwise an
answer passes if ANY given tolerance accepts it, so several are joined with "or". A tolerance
of 0 accepts only the exact value, which every tolerance accepts anyway, so it is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from grader.rubric.loader import PartRubric, Rubric

NUMERIC_KINDS = ("number", "arrows", "values")  # the kinds compared with compare_number
EXACT = "exact"


def _decimal(value: Fraction) -> str:
    """A tolerance as a teacher writes it: ``0.005``, ``2``; ``1/3`` if it has no finite decimal.

    >>> _decimal(Fraction(1, 200)), _decimal(Fraction(2)), _decimal(Fraction(1, 3))
    ('0.005', '2', '1/3')
    """
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    if places == 0:
        return str(value.numerator)
    digits = str(abs(value.numerator) * 10 ** places // value.denominator).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def tolerance_text(part: PartRubric) -> str:
    """How exact an answer to ``part`` must be for credit; ``""`` for non-numeric kinds.

    >>> from grader.rubric.loader import PartRubric
    >>> tolerance_text(PartRubric("p", "number", Fraction(1), rtol=Fraction(1, 100),
    ...                           atol=Fraction(1, 200)))
    'within 1 % (relative) or within 0.005 (absolute)'
    """
    if part.kind not in NUMERIC_KINDS:
        return ""
    if part.exact:
        return EXACT
    texts = []
    if part.rtol:  # None or 0: nothing beyond exact
        texts.append(f"within {_decimal(Fraction(part.rtol) * 100)} % (relative)")
    if part.atol:
        texts.append(f"within {_decimal(Fraction(part.atol))} (absolute)")
    if part.sig_figs is not None:
        texts.append(f"to {_plural(part.sig_figs, 'significant figure')}")
    if part.decimals is not None:
        texts.append(f"to {_plural(part.decimals, 'decimal place')}")
    return " or ".join(texts) or EXACT


def tolerance_texts(rubric: Rubric | None) -> Mapping[str, str]:
    """Part id -> :func:`tolerance_text`, for the number, arrows and values parts of ``rubric``."""
    if rubric is None:
        return {}
    return {pid: tolerance_text(part) for pid, part in rubric.parts.items()
            if part.kind in NUMERIC_KINDS}
