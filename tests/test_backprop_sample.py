"""backprop.graph sampling: deterministic, valid, constrained graphs, checked by oracles.

The oracles below do not use the solver or the sampler: a plain-float forward/backward pass
and mpmath central differences of the output with respect to every input.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from grader.errors import AuthoringError
from grader.solver.graph import graph_from_mapping
from question_bank.families import FAMILIES, backprop, backprop_sample
from tests import contract
from tests.graph_oracle import TEST_OPS

ORIGINAL = contract.GRAPH
ALLOW = {"zero_arrows": "allow_max_gate"}
SMALL_INPUTS = {Fraction(n) for n in range(-5, 6) if n} | {Fraction(n, 2) for n in (-5, -3, -1,
                                                                                   1, 3, 5)}


# ---------------------------------------------------------------- independent oracles
ORACLE = TEST_OPS  # op: (forward(xs, p, m), d/d xs[i](xs, p, m, i))


def _num(value, m):
    q = Fraction(value)
    return q.numerator / q.denominator if m is math else mpmath.mpf(q.numerator) / q.denominator


def _forward(data, inputs, m):
    vals = dict(inputs)
    for node in data["nodes"]:
        p = _num(node["param"], m) if "param" in node else None
        vals[node["id"]] = ORACLE[node["op"]][0]([vals[x] for x in node["inputs"]], p, m)
    return vals


def _backward(data):
    """Plain-float reverse mode: forward values, arrow values (a1..aN order), gradients."""
    vals = _forward(data, {k: _num(v, math) for k, v in data["inputs"].items()}, math)
    grads = dict.fromkeys(vals, 0.0)
    grads[data["output"]] = 1.0
    slots = [(node, i) for node in data["nodes"] for i in range(len(node["inputs"]))]
    arrows = [0.0] * len(slots)
    for index in reversed(range(len(slots))):
        node, i = slots[index]
        p = _num(node["param"], math) if "param" in node else None
        local = ORACLE[node["op"]][1]([vals[x] for x in node["inputs"]], p, math, i)
        arrows[index] = grads[node["id"]] * local
        grads[node["inputs"][i]] += arrows[index]
    return vals, arrows, grads


def _finite_difference(data, name):
    with mpmath.workdps(50):
        base = {k: _num(v, mpmath) for k, v in data["inputs"].items()}
        h = mpmath.mpf("1e-20")
        up = _forward(data, {**base, name: base[name] + h}, mpmath)[data["output"]]
        down = _forward(data, {**base, name: base[name] - h}, mpmath)[data["output"]]
        return float((up - down) / (2 * h))


def _exact(text):
    """An answer string from solve() (our own output, not student text) as a SymPy number."""
    try:
        return sp.Rational(text)
    except (TypeError, ValueError):
        return sp.sympify(text)


# ---------------------------------------------------------------- the full check of one graph
def _check_structure(data, arrows):
    assert json.loads(json.dumps(data)) == data  # JSON-safe
    graph = graph_from_mapping(data)
    assert sum(len(n.inputs) for n in graph.nodes) == arrows
    assert graph.output == graph.nodes[-1].id == "f"
    assert len(graph.nodes) <= max(2, 2 * arrows // 3)
    assert all(len(n.inputs) <= 3 for n in graph.nodes)
    assert all(len(n.id) == 1 and n.id.isalpha() for n in graph.nodes)
    assert set(graph.inputs) <= set("xyzwvu")
    values = [Fraction(str(v)) for v in graph.inputs.values()]
    assert set(values) <= SMALL_INPUTS
    assert sum(v.denominator != 1 for v in values) <= 1 and len(set(values)) == len(values)
    # every input and node reaches the output
    reach, todo = {graph.output}, [graph.output]
    operands = {n.id: n.inputs for n in graph.nodes}
    while todo:
        for x in operands.get(todo.pop(), ()):
            if x not in reach:
                reach.add(x)
                todo.append(x)
    assert reach == set(graph.inputs) | set(operands)
    uses = Counter(x for n in graph.nodes for x in n.inputs)
    assert any(uses[name] >= 2 for name in graph.inputs)  # some gradient sums two arrows
    return graph


def _check_values(data, allow_gate=False):
    vals, arrows, grads = _backward(data)
    for node in data["nodes"]:
        xs = sorted(vals[x] for x in node["inputs"])
        if node["op"] in ("max", "min"):
            assert xs[-1] - xs[-2] >= 1 - 1e-9 if node["op"] == "max" else xs[1] - xs[0] >= 1
        if node["op"] in ("relu", "abs"):
            assert abs(xs[0]) >= 1
        assert 1e-9 < abs(vals[node["id"]]) <= 200
    assert all(abs(g) <= 200 + 1e-9 for g in grads.values())
    answer = backprop.solve(data).answer
    assert list(answer) == [f"a{i}" for i in range(1, len(arrows) + 1)]
    zeros = []
    for (arrow_id, text), oracle in zip(answer.items(), arrows, strict=True):
        exact = _exact(text)
        assert float(exact) == pytest.approx(oracle, rel=1e-9, abs=1e-12), arrow_id
        assert abs(float(exact)) <= 200
        if exact.is_Rational:
            assert exact.q <= 8, (arrow_id, text)
        if exact == 0:
            zeros.append(int(arrow_id[1:]) - 1)
    slots = [(node, i) for node in data["nodes"] for i in range(len(node["inputs"]))]
    assert len(zeros) <= (1 if allow_gate else 0)
    assert len({abs(float(_exact(t))) for t in answer.values()}) >= min(3, len(arrows) - 1)
    for index in zeros:  # the only zero allowed: the loser of a max/min gate
        assert slots[index][0]["op"] in ("max", "min")
    # d output / d input by central differences = the sum of that input's arrows
    for name in data["inputs"]:
        summed = sum(float(_exact(answer[f"a{k + 1}"])) for k, (node, i) in enumerate(slots)
                     if node["inputs"][i] == name)
        assert _finite_difference(data, name) == pytest.approx(summed, rel=1e-9, abs=1e-12)
    return len(zeros)


def _sample(seed, **options):
    return backprop.sample(random.Random(seed), {**ORIGINAL, **options}, {})


# ---------------------------------------------------------------- tests
def test_same_seed_same_graph_and_pure():
    state = random.getstate()
    for seed in range(20):
        assert _sample(seed) == _sample(seed)
    assert random.getstate() == state  # the global generator is never touched
    assert ORIGINAL["inputs"]["w"] == "1/2" and len(ORIGINAL["nodes"]) == 5
    rng = random.Random(3)
    first, second = backprop.sample(rng, ORIGINAL, {}), backprop.sample(rng, ORIGINAL, {})
    assert first != second  # a shared generator moves on


def test_registered_sampler():
    family = FAMILIES["backprop.graph"]
    assert family.sample is backprop.sample
    assert family.sample(random.Random(1), ORIGINAL) == _sample(1)  # fixed defaults to {}


def test_solve_ignores_sampling_options():
    with_options = {**ORIGINAL, "arrows": 9, "ops": ["add", "mul"], **ALLOW}
    assert backprop.solve(with_options) == backprop.solve(ORIGINAL)


@pytest.mark.parametrize("seed", range(100))
def test_default_graph(seed):
    data = _sample(seed)
    _check_structure(data, 9)
    ops = {n["op"] for n in data["nodes"]}
    assert not ops & {"max", "min"} and ops & {"mul", "square"} and len(ops) >= 3
    _check_values(data)


@pytest.mark.slow
def test_default_graphs_many_seeds():
    for seed in range(100, 650):
        data = _sample(seed)
        _check_structure(data, 9)
        _check_values(data)


@pytest.mark.parametrize("options,arrows", [
    ({"arrows": 6}, 6),
    ({"arrows": 12}, 12),
    ({"arrows": 3}, 3),
    ({"arrows": 20}, 20),
    ({"ops": ["add", "mul", "sub", "square"]}, 9),
    ({"ops": ["add", "mul", "exp", "tanh", "sigmoid", "log"]}, 9),
    ({"ops": ["div", "inv", "sub", "pow", "scale"]}, 9),
    (ALLOW, 9),
])
def test_options(options, arrows):
    pool = set(options.get("ops", backprop_sample.DEFAULT_OPS + ("max", "min")))
    for seed in range(15):
        data = _sample(seed, **options)
        _check_structure(data, arrows)
        assert {n["op"] for n in data["nodes"]} <= pool
        _check_values(data, allow_gate="zero_arrows" in options)


@pytest.mark.slow
@pytest.mark.parametrize("options,arrows,seeds", [
    ({"arrows": 6}, 6, 300), ({"arrows": 12}, 12, 300), ({"arrows": 20}, 20, 300),
    (ALLOW, 9, 300), ({"ops": ["div", "inv", "sub", "pow", "scale"]}, 9, 300),
    ({"ops": ["add", "mul", "exp", "tanh", "sigmoid", "log"]}, 9, 80),  # SymPy is slow here
])
def test_options_many_seeds(options, arrows, seeds):
    for seed in range(100, 100 + seeds):
        data = _sample(seed, **options)
        _check_structure(data, arrows)
        _check_values(data, allow_gate="zero_arrows" in options)


def test_arrow_count_follows_the_base_graph():
    base = {"inputs": {"x": 1, "y": 2}, "nodes": [
        {"id": "q", "op": "mul", "inputs": ["x", "y"]},
        {"id": "r", "op": "add", "inputs": ["q", "x"]},
        {"id": "f", "op": "mul", "inputs": ["r", "y"]}], "output": "f"}
    for seed in range(10):
        data = backprop.sample(random.Random(seed), base, {})
        assert sum(len(n["inputs"]) for n in data["nodes"]) == 6


def test_transcendental_answers_stay_exact():
    texts = " ".join(v for seed in range(20) for v in backprop.solve(
        _sample(seed, ops=["add", "mul", "exp", "tanh"])).answer.values())
    assert "exp(" in texts or "tanh(" in texts


def test_max_gate_allowed():
    gates = zeros = 0
    for seed in range(60):
        data = _sample(seed, **ALLOW)
        ops = [n["op"] for n in data["nodes"]]
        assert ops.count("max") + ops.count("min") <= 1
        gates += "max" in ops or "min" in ops
        zeros += _check_values(data, allow_gate=True)
    assert gates >= 20 and zeros == gates  # every gate's loser carries the one 0


def test_variety():
    graphs = [_sample(seed) for seed in range(200)]
    ops = Counter(n["op"] for g in graphs for n in g["nodes"])
    assert set(ops) == set(backprop_sample.DEFAULT_OPS)
    assert min(ops[op] for op in ("add", "mul", "sub", "square")) >= 40
    assert len({json.dumps(g, sort_keys=True) for g in graphs}) == 200
    assert {len(g["inputs"]) for g in graphs} >= {2, 3, 4}
    assert len({len(g["nodes"]) for g in graphs}) >= 3
    halves = sum(isinstance(v, str) for g in graphs for v in g["inputs"].values())
    assert 20 <= halves <= 150


def test_fallback_is_deterministic_and_valid(monkeypatch):
    monkeypatch.setattr(backprop_sample, "SHAPE_ATTEMPTS", 0)
    graphs = [_sample(seed) for seed in range(3)]
    assert graphs[0] == graphs[1] == graphs[2]
    _check_structure(graphs[0], 9)
    _check_values(graphs[0])


@pytest.mark.parametrize("options,message", [
    ({"arrows": 2}, "arrows must be"),
    ({"arrows": 21}, "arrows must be"),
    ({"arrows": "9"}, "arrows must be"),
    ({"arrows": True}, "arrows must be"),
    ({"ops": "add"}, "non-empty list"),
    ({"ops": []}, "non-empty list"),
    ({"ops": ["add", "cube"]}, "unknown op"),
    ({"ops": ["add", ["mul"]]}, "unknown op"),
    ({"ops": ["add", "max"]}, "allow_max_gate"),
    ({"ops": ["neg", "square"]}, "two or more inputs"),
    ({"zero_arrows": "yes"}, "zero_arrows must be"),
    ({"ops": ["sub"], "arrows": 3}, "meets the constraints"),  # odd count of binary slots
])
def test_bad_options(options, message):
    with pytest.raises(AuthoringError, match=message) as info:
        _sample(0, **options)
    assert "backprop.graph" in info.value.file
