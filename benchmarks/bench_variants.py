"""Benchmark: whole-exam variants with keys, and papers, per second (issue "Randomized variants").

Run: python benchmarks/bench_variants.py [N]   (default N = 500)

Prints CPU time (time.process_time, one core) for
  1. building N random variants of the whole 2019 exam (every family sampled and solved exactly)
     and freezing them in key.json;
  2. rendering the student paper and the answer key of each variant (Markdown + HTML, figures
     included), in memory, so disk syncing does not blur the figure;
  3. the naive baseline, in the same process: the backprop answers of the same variants derived
     by symbolic differentiation of the whole expression (sympy.diff once per arrow, with the
     arrow's operand replaced by a fresh symbol) instead of one local step per arrow.
Goal of the issue: 500 papers with keys in under 10 s on one core.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sympy

from grader import bank, keyfile
from grader.paper import key_html, key_markdown, student_html, student_markdown
from grader.solver.graph import arrows_of, graph_from_mapping, solve_graph
from grader.variant_ids import variant_ids
from grader.variants import build_variant
from question_bank.families import FAMILIES


def _cpu(func):
    start = time.process_time()
    result = func()
    return result, time.process_time() - start


# The naive route writes each op as a plain SymPy expression and lets sympy.diff do the calculus.
NAIVE_OPS = {
    "add": lambda xs, p: sympy.Add(*xs), "mul": lambda xs, p: sympy.Mul(*xs),
    "max": lambda xs, p: sympy.Max(*xs), "min": lambda xs, p: sympy.Min(*xs),
    "sub": lambda xs, p: xs[0] - xs[1], "div": lambda xs, p: xs[0] / xs[1],
    "neg": lambda xs, p: -xs[0], "inv": lambda xs, p: 1 / xs[0],
    "square": lambda xs, p: xs[0] ** 2, "exp": lambda xs, p: sympy.exp(xs[0]),
    "log": lambda xs, p: sympy.log(xs[0]), "tanh": lambda xs, p: sympy.tanh(xs[0]),
    "sigmoid": lambda xs, p: 1 / (1 + sympy.exp(-xs[0])),
    "relu": lambda xs, p: sympy.Max(0, xs[0]), "abs": lambda xs, p: sympy.Abs(xs[0]),
    "scale": lambda xs, p: p * xs[0], "addconst": lambda xs, p: xs[0] + p,
    "pow": lambda xs, p: xs[0] ** p,
}


def naive_arrow_values(graph) -> dict[str, sympy.Expr]:
    """d f / d (value on each arrow) by differentiating the whole expression symbolically."""
    values = {name: sympy.Rational(v) for name, v in graph.inputs.items()}
    nodes = {n.id: n for n in graph.nodes}
    result = {}
    for arrow in arrows_of(graph):
        probe = sympy.Symbol("probe", real=True)

        def expr(name, arrow=arrow, probe=probe):
            if name in values:
                return values[name]
            node = nodes[name]
            operands = [probe if (name == arrow.target and slot == arrow.slot) else expr(src)
                        for slot, src in enumerate(node.inputs)]
            return NAIVE_OPS[node.op](operands, node.param)

        carried = expr(arrow.source)
        result[arrow.id] = sympy.diff(expr(graph.output), probe).subs(probe, carried)
    return result


def main(count: int) -> None:
    exam_path, _ = bank.resolve_exam("inf5860-2019")
    exam = bank.load_exam(exam_path, FAMILIES)
    ids = variant_ids(2024, count)

    built, t_build = _cpu(lambda: [build_variant(exam, i, FAMILIES) for i in ids])
    with tempfile.TemporaryDirectory() as tmp:
        _, t_key = _cpu(lambda: keyfile.write_key(
            Path(tmp) / "key.json", exam, built, keyfile.bank_fingerprint(exam_path, FAMILIES)))

    def render():
        return sum(len(render(exam, v)) for v in built
                   for render in (student_markdown, student_html, key_markdown, key_html))

    chars, t_papers = _cpu(render)

    graphs = [graph_from_mapping(v.part("ex1a").params) for v in built]
    sample = graphs[: max(1, count // 10)]
    _, t_ours = _cpu(lambda: [solve_graph(g).arrow_values for g in sample])
    naive, t_naive = _cpu(lambda: [naive_arrow_values(g) for g in sample])
    ours = [solve_graph(g).arrow_values for g in sample]
    agree = all(sympy.simplify(a[k] - b[k]) == 0 for a, b in zip(ours, naive, strict=True)
                for k in a)

    total = t_build + t_key + t_papers
    print(f"variants of the whole exam: {count} (ids from seed 2024)")
    print(f"  build + solve every part: {t_build:7.2f} s CPU  ({count / t_build:8.1f} variants/s)")
    print(f"  key.json:                 {t_key:7.2f} s CPU")
    print(f"  papers + keys (md, html): {t_papers:7.2f} s CPU  ({chars / 1e6:.1f} M characters)")
    print(f"  total, papers with keys:  {total:7.2f} s CPU  ({count / total:8.1f} papers/s; "
          f"goal: {count} in < {10 * count / 500:.0f} s)")
    print(f"backprop answers, {len(sample)} graphs: local chain rule {t_ours * 1e3:.1f} ms, "
          f"naive symbolic diff {t_naive * 1e3:.1f} ms  -> ratio {t_naive / t_ours:.1f}x "
          f"(answers agree: {agree})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
