"""Throughput of parsing + comparing numeric answers, against a naive sympify baseline.

Run: python benchmarks/bench_answers.py [N]   (default N = 100000)

Three figures are printed (CPU time of this process; see also bench_numeric_grading.py):
- cold: every answer distinct (no cache hit), the worst case;
- realistic: answers drawn from a class-sized pool, so the parse cache hits repeated answers
  (students of one exam give the same few answers to a part);
- baseline: `sympy.sympify(text.replace(',', '.'))` + equality, the UNSAFE way this package
  replaces (it evaluates student text as code), on fewer answers and scaled.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
from grader.answers import compare_number, parse_number  # noqa: E402
from grader.answers.parse import clear_cache  # noqa: E402

TEMPLATES = (
    "0,{a}",
    "-{a}.{b}",
    "1 + ({a}-1) + 2*({b}-1)",
    "{a}/{c}",
    "{a}",
    "-{a},{b}",
    "{a} + {b}*{c}",
)


def answers(count: int, seed: int, pool: int | None = None) -> list[str]:
    """`count` answers from TEMPLATES; with `pool`, drawn from that many distinct answers."""
    rng = random.Random(seed)

    def one() -> str:
        template = rng.choice(TEMPLATES)
        return template.format(a=rng.randint(1, 999), b=rng.randint(0, 99), c=rng.randint(1, 99))

    if pool is None:
        return [one() for _ in range(count)]
    distinct = [one() for _ in range(pool)]
    return [rng.choice(distinct) for _ in range(count)]


def ours(texts: list[str]) -> int:
    expected = sympy.Rational(7, 2)
    ok = 0
    for text in texts:
        ok += bool(compare_number(parse_number(text).value, expected).ok)
    return ok


def baseline(texts: list[str]) -> int:
    expected = sympy.Rational(7, 2)
    ok = 0
    for text in texts:
        ok += bool(sympy.sympify(text.replace(",", ".")) == expected)  # unsafe: evaluates code
    return ok


def rate(run: Callable[[list[str]], int], texts: list[str]) -> float:
    start = time.process_time()  # CPU time: the machine is shared
    run(texts)
    return len(texts) / (time.process_time() - start)


def main(n: int = 100_000) -> None:
    clear_cache()
    cold = rate(ours, answers(n, seed=1))
    clear_cache()
    warm = rate(ours, answers(n, seed=2, pool=2_000))
    base_n = max(n // 50, 200)
    base = rate(baseline, answers(base_n, seed=3))
    rows = [
        ("parse+compare, all distinct (cold cache)", cold, f"{n:,} answers"),
        ("parse+compare, pool of 2,000 (cached)", warm, f"{n:,} answers"),
        ("baseline sympify + ==", base, f"{base_n:,} answers, scaled"),
    ]
    for label, value, size in rows:
        print(f"{label:42} {value:12,.0f} answers/s  ({size})")
    print(f"ratio cold / baseline: {cold / base:.1f}x; cached / baseline: {warm / base:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
