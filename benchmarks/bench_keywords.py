"""Throughput of keyword grading on the 2019 rubric's discussion (text) parts.

Run: python benchmarks/bench_keywords.py [N]   (default N = 20000)

Answers are built from the rubric's model answers and the example class's answers: sentences
are shuffled, recombined and lightly perturbed (a typo, a negation, filler), so most answers are
distinct, as a real class's are. Figures are CPU time (time.process_time) on one core:

- ours: the rubric loaded once, each answer read once by the part's Matcher and scored;
- naive: the same engine, but the part's patterns compiled and its Matcher built per answer
  (what a grader that does not cache its rubric would do), on fewer answers and scaled.

Each figure is the best of 3 runs (the machine is shared; other processes only slow it down).
Figures: README.md's benchmark table and docs/keyword-grading.md (Speed).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled
from grader.model import PartVariant  # noqa: E402
from grader.rubric import load_rubric, rubric_from_mapping, score_part  # noqa: E402

FILLER = ("I think", "basically", "in other words", "as we saw in the lecture", "this means that")


def corpus(rubric, seed: int) -> dict[str, list[str]]:
    """Part id -> a pool of sentences (model answer + example class answers)."""
    pools: dict[str, list[str]] = {}
    for pid, pr in rubric.parts.items():
        if pr.kind == "text":
            pools[pid] = [s.strip() for s in pr.model_answer.split(".") if s.strip()]
    for path in sorted((ROOT / "examples" / "submissions").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for pid, text in (data.get("answers") or {}).items():
            if pid in pools and isinstance(text, str):
                pools[pid].extend(s.strip() for s in text.split(".") if s.strip())
    return pools


def answers(pools: dict[str, list[str]], count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (part id, answer) pairs, mostly distinct."""
    rng = random.Random(seed)
    parts = sorted(pools)
    out = []
    for _ in range(count):
        pid = rng.choice(parts)
        sentences = rng.sample(pools[pid], k=min(len(pools[pid]), rng.randint(1, 3)))
        text = ". ".join(sentences) + "."
        roll = rng.random()
        if roll < 0.2:
            text = f"{rng.choice(FILLER)}, {text[0].lower()}{text[1:]}"
        elif roll < 0.3:
            words = text.split()
            i = rng.randrange(len(words))
            if len(words[i]) > 5:
                words[i] = words[i][:2] + words[i][3] + words[i][2] + words[i][4:]
            text = " ".join(words)
        elif roll < 0.35:
            text = "It is not true that " + text[0].lower() + text[1:]
        out.append((pid, text + f" ({rng.randint(0, 99)})"))
    return out


def ours(rubric, work: list[tuple[str, str]]) -> float:
    total = 0.0
    for pid, text in work:
        pr = rubric.parts[pid]
        variant = PartVariant(pid, "text", pr.points, "", {}, None, "")
        total += float(score_part(rubric, pr, variant, text).score)
    return total


def naive(data: dict, work: list[tuple[str, str]]) -> float:
    """Compile the part's rubric (patterns and Matcher) for every answer."""
    total = 0.0
    for pid, text in work:
        one = rubric_from_mapping({"version": 1, "synonyms": data.get("synonyms", {}),
                                   "parts": {pid: data["parts"][pid]}})
        pr = one.parts[pid]
        variant = PartVariant(pid, "text", pr.points, "", {}, None, "")
        total += float(score_part(one, pr, variant, text).score)
    return total


def cpu_rate(run, arg, work, repeat: int = 3) -> tuple[float, float]:
    """Answers per CPU second, the best of `repeat` runs (other processes only slow it down)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        checksum = run(arg, work)
        best = min(best, time.process_time() - start)
    return len(work) / max(best, 1e-9), checksum


def main(n: int = 20_000) -> None:
    path = ROOT / "rubrics" / "inf5860_2019.yaml"
    rubric = load_rubric(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pools = corpus(rubric, 0)
    work = answers(pools, n, seed=1)
    distinct = len({t for _, t in work})
    ours(rubric, work[:500])  # warm the word caches as a class's first answers do
    rate, _ = cpu_rate(ours, rubric, work)
    base_n = max(n // 100, 100)
    base, _ = cpu_rate(naive, data, work[:base_n])
    print(f"text parts: {len(pools)}, answers: {n} ({distinct} distinct)")
    print(f"ours : {rate:10,.0f} answers/s (CPU, one core)")
    print(f"naive: {base:10,.0f} answers/s (rubric compiled per answer, {base_n} answers)")
    print(f"ratio: {rate / base:10.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
