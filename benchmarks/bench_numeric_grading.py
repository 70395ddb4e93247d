"""Numeric grading throughput: parse + compare of distinct answers, against a naive baseline.

Run: python benchmarks/bench_numeric_grading.py [N]   (default N = 100000)

Every answer is distinct and the parse cache is cleared first, so no figure relies on cache
hits (a class of 300 students writes 300 different numbers). The mix is what students write to
number parts: plain decimals with a dot or a decimal comma, negative numbers, fractions,
scientific notation, short arithmetic from the answer key ("1 + (3-1) + 2*(5-1) + 2*(7-1)"),
and prefixes ("= 13", "≈ 0,52", "x = 13"). Each answer is compared with its expected value
as a rubric does: exactly, or within a relative tolerance of 1 %.

Times are CPU times of this process (time.process_time), since the machine is shared. The
baseline is the naive grader this package replaces: `sympy.sympify(text.replace(',', '.'))`
then the same comparison in SymPy (it evaluates student text as code, so it is unsafe as well
as slow); it runs on a subset of the same answers and its rate is per answer, so the ratio is
fair. The answers it cannot read (prefixes, '≈', Unicode) count as wrong, not as errors.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
from grader.answers import compare_number, parse_number  # noqa: E402
from grader.answers.parse import clear_cache  # noqa: E402

Case = tuple[str, sympy.Expr, bool]  # (answer text, expected value, graded exactly?)


def _decimal(rng: random.Random, comma: bool) -> tuple[str, Fraction]:
    places = rng.randint(1, 4)
    n = rng.randint(-(10**6), 10**6)
    value = Fraction(n, 10**places)
    digits = str(abs(n)).rjust(places + 1, "0")
    text = digits[:-places] + ("," if comma else ".") + digits[-places:]
    return ("-" if n < 0 else "") + text, value


def _one(rng: random.Random) -> tuple[str, Fraction]:
    """One answer and its exact value, from the mix described in the module docstring."""
    a, b, c, d = (rng.randint(1, 999) for _ in range(4))
    kind = rng.randrange(12)
    if kind in (0, 1):
        return _decimal(rng, comma=False)
    if kind in (2, 3):
        return _decimal(rng, comma=True)
    if kind == 4:
        return f"{-a * 1000 - d}", Fraction(-a * 1000 - d)
    if kind == 5:
        return f"-{a}/{b}", Fraction(-a, b)
    if kind == 6:
        e = rng.randint(-9, 9)
        return f"{a}.{b}e{e}", (a + Fraction(b, 10 ** len(str(b)))) * Fraction(10) ** e
    if kind == 7:
        text = f"1 + ({a}-1) + 2*({b}-1) + 2*({c}-1)"
        return text, Fraction(1 + (a - 1) + 2 * (b - 1) + 2 * (c - 1))
    if kind == 8:
        return f"{a}*3*3*2 + 2*{b}*5*2", Fraction(a * 18 + b * 20)
    if kind == 9:
        return f"= {a * 1000 + b}", Fraction(a * 1000 + b)
    if kind == 10:
        text, value = _decimal(rng, comma=True)
        return f"≈ {text}", value
    return f"{a}*10^-{b % 7}", Fraction(a, 10 ** (b % 7))


def cases(count: int, seed: int) -> list[Case]:
    """`count` distinct answers; half graded exactly, half with rtol 1 % (some answers off)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Case] = []
    while len(out) < count:
        text, value = _one(rng)
        if text in seen:
            continue
        seen.add(text)
        if rng.random() < 0.2:  # a wrong answer now and then
            value += 1
        expected = sympy.Rational(value.numerator, value.denominator)
        out.append((text, expected, rng.random() < 0.5))
    return out


def ours(batch: list[Case]) -> int:
    ok = 0
    for text, expected, exact in batch:
        parsed = parse_number(text)
        if exact:
            ok += bool(compare_number(parsed.value, expected, exact=True).ok)
        else:
            ok += bool(compare_number(parsed.value, expected, rtol=0.01).ok)
    return ok


def baseline(batch: list[Case]) -> int:
    ok = 0
    rtol = sympy.Rational(1, 100)
    for text, expected, exact in batch:
        try:
            got = sympy.sympify(text.replace(",", "."))  # unsafe: evaluates student text as code
        except (sympy.SympifyError, SyntaxError, TypeError):
            continue
        if exact:
            ok += bool(got == expected)
        else:
            ok += bool(abs(got - expected) <= rtol * abs(expected))
    return ok


def rate(run: Callable[[list[Case]], int], batch: list[Case]) -> tuple[float, int]:
    """Answers per CPU second, and how many were graded right."""
    start = time.process_time()
    right = run(batch)
    return len(batch) / (time.process_time() - start), right


def main(n: int = 100_000) -> None:
    batch = cases(n, seed=1)
    clear_cache()
    mine, right = rate(ours, batch)
    subset = batch[: max(n // 50, 500)]
    clear_cache()
    sympy.core.cache.clear_cache()
    base, base_right = rate(baseline, subset)
    print(f"parse+compare, {n:,} distinct answers (no cache hits): {mine:12,.0f} answers/s (CPU)")
    print(f"  graded right: {right:,} of {n:,}")
    print(f"baseline sympify + compare, {len(subset):,} answers:     {base:12,.0f} answers/s (CPU)")
    print(f"  graded right: {base_right:,} of {len(subset):,}")
    print(f"ratio: {mine / base:.1f}x the baseline")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
