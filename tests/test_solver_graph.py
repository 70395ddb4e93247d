"""Backprop solver: contract values, independent float/mpmath oracles, bookkeeping and errors."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import AuthoringError, InputError
from grader.solver.graph import (
    arrows_of,
    forward_values,
    graph_from_mapping,
    graph_to_mapping,
    load_graph,
    solve_graph,
)
from grader.solver.report import graph_json, graph_text
from tests import contract
from tests.graph_oracle import TEST_OPS

CONTRACT = contract.GRAPH
CONTRACT_ARROWS = {
    "a1": ("x", "q", "7"), "a2": ("y", "q", "-21/2"), "a3": ("y", "r", "0"),
    "a4": ("z", "r", "-7/2"), "a5": ("q", "s", "-7/2"), "a6": ("r", "s", "-7/2"),
    "a7": ("s", "t", "-7/2"), "a8": ("w", "t", "49"), "a9": ("t", "f", "-7"),
}


def test_contract_graph_arrows():
    sol = solve_graph(graph_from_mapping(CONTRACT))
    assert sol.forward["f"] == sp.Rational(49, 4)
    got = {a.id: (a.source, a.target, str(sol.arrow_values[a.id])) for a in sol.arrows}
    assert got == CONTRACT_ARROWS


def test_contract_graph_json_and_text():
    doc = graph_json(solve_graph(graph_from_mapping(CONTRACT)))
    json.dumps(doc)  # plain JSON
    assert doc["forward"]["t"] == {"exact": "-7/2", "value": -3.5}
    assert doc["arrows"][7] == {"id": "a8", "source": "w", "target": "t", "slot": 1,
                                "exact": "49", "value": 49.0}
    assert doc["gradients"]["y"]["exact"] == "-21/2"
    text = graph_text(solve_graph(graph_from_mapping(CONTRACT)))
    assert "a8" in text and "w -> t" in text and "49/4" in text


def test_round_trip_and_exact_inputs():
    data = {"inputs": {"a": 0.1, "b": "0.25", "c": "-3/4", "d": 7},
            "nodes": [{"id": "p", "op": "pow", "inputs": ["b"], "param": "1/2"},
                      {"id": "e", "op": "exp", "inputs": ["d"]},
                      {"id": "o", "op": "add", "inputs": ["a", "c", "p", "e"]}],
            "output": "o"}
    graph = graph_from_mapping(data)
    assert graph.inputs == {"a": sp.Rational(1, 10), "b": sp.Rational(1, 4),
                            "c": sp.Rational(-3, 4), "d": 7}
    assert graph_from_mapping(graph_to_mapping(graph)) == graph
    json.dumps(graph_to_mapping(graph))
    values = forward_values(graph)
    assert values["p"] == sp.Rational(1, 2)
    assert str(values["e"]) == "exp(7)"


def test_square_of_shared_operand_has_two_arrows():
    data = {"inputs": {"z": 3, "w": -2},
            "nodes": [{"id": "m", "op": "mul", "inputs": ["z", "z"]},
                      {"id": "n", "op": "mul", "inputs": ["m", "z", "w"]}],
            "output": "n"}
    sol = solve_graph(graph_from_mapping(data))
    assert [(a.id, a.source, a.target, a.slot) for a in sol.arrows] == [
        ("a1", "z", "m", 0), ("a2", "z", "m", 1),
        ("a3", "m", "n", 0), ("a4", "z", "n", 1), ("a5", "w", "n", 2)]
    # n = z^3 w: dn/dz = 3 z^2 w = -54, spread over three arrows
    assert [sol.arrow_values[f"a{i}"] for i in range(1, 6)] == [-18, -18, -6, -18, 27]
    assert sol.gradients["z"] == -54


def test_exp_stays_exact():
    data = {"inputs": {"x": 2}, "nodes": [{"id": "e", "op": "exp", "inputs": ["x"]}],
            "output": "e"}
    sol = solve_graph(graph_from_mapping(data))
    assert sol.forward["e"] == sp.exp(2) and sol.arrow_values["a1"] == sp.exp(2)


# ---------------------------------------------------------------- independent oracles
ARITY = {"add": 0, "mul": 0, "max": 0, "min": 0, "sub": 2, "div": 2}
PARAMS = {"scale": ["-3/2", "2", "1/3"], "addconst": ["-1", "5/2"], "pow": ["2", "3", "1/2", "-1"]}


def _forward(data, inputs, m):
    vals = dict(inputs)
    for node in data["nodes"]:
        p = Fraction(node["param"]) if "param" in node else None
        p = p if p is None or m is math else mpmath.mpf(p.numerator) / p.denominator
        vals[node["id"]] = TEST_OPS[node["op"]][0]([vals[x] for x in node["inputs"]], p, m)
    return vals


def _float_backward(data):
    """Plain-float reverse mode: arrow values in a1..aN order."""
    inputs = {k: float(Fraction(v)) for k, v in data["inputs"].items()}
    vals = _forward(data, inputs, math)
    grads = {k: 0.0 for k in vals}
    grads[data["output"]] = 1.0
    slots = [(node, i) for node in data["nodes"] for i in range(len(node["inputs"]))]
    arrows = [0.0] * len(slots)
    for index in reversed(range(len(slots))):
        node, i = slots[index]
        p = float(Fraction(node["param"])) if "param" in node else None
        local = TEST_OPS[node["op"]][1]([vals[x] for x in node["inputs"]], p, math, i)
        arrows[index] = grads[node["id"]] * local
        grads[node["inputs"][i]] += arrows[index]
    return vals, arrows, grads


def _safe(data) -> bool:
    """No kinks, ties or domain edges within 0.05 of the values; no overflow."""
    try:
        vals = _forward(data, {k: float(Fraction(v)) for k, v in data["inputs"].items()}, math)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return False
    if any(isinstance(v, complex) or not math.isfinite(v) or abs(v) > 1e6 for v in vals.values()):
        return False
    for node in data["nodes"]:
        xs = sorted(vals[x] for x in node["inputs"])
        op = node["op"]
        if op in ("max", "min") and any(b - a < 0.05 for a, b in zip(xs, xs[1:], strict=False)):
            return False
        if op in ("relu", "abs", "inv", "log", "pow") and abs(xs[0]) < 0.05:
            return False
        if op == "div" and abs(vals[node["inputs"][1]]) < 0.05:
            return False
        if op in ("log", "pow") and xs[0] < 0:
            return False
    return True


def random_graph(rng: random.Random) -> dict:
    """A random valid graph avoiding kinks and ties (retries until safe)."""
    while True:
        names = [f"i{k}" for k in range(rng.randint(1, 4))]
        inputs = {n: f"{rng.randint(-12, 12)}/{rng.randint(1, 4)}" for n in names}
        nodes = []
        for k in range(rng.randint(1, 7)):
            op = rng.choice(sorted(TEST_OPS))
            arity = ARITY.get(op, 1) or rng.randint(2, 3)
            node = {"id": f"n{k}", "op": op, "inputs": [rng.choice(names) for _ in range(arity)]}
            if op in PARAMS:
                node["param"] = rng.choice(PARAMS[op])
            nodes.append(node)
            names.append(node["id"])
        data = {"inputs": inputs, "nodes": nodes, "output": names[-1]}
        if _safe(data):
            return data


def _check_against_oracles(data):
    sol = solve_graph(graph_from_mapping(data))
    vals, arrows, grads = _float_backward(data)
    for name, value in vals.items():
        assert float(sp.N(sol.forward[name], 20)) == pytest.approx(value, rel=1e-9, abs=1e-12)
    for arrow, value in zip(sol.arrows, arrows, strict=True):
        got = float(sp.N(sol.arrow_values[arrow.id], 20))
        assert got == pytest.approx(value, rel=1e-8, abs=1e-10), arrow
    # high-precision central differences, input by input
    with mpmath.workdps(60):
        h = mpmath.mpf("1e-25")
        base = {k: mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator
                for k, v in data["inputs"].items()}
        for name in data["inputs"]:
            up = _forward(data, {**base, name: base[name] + h}, mpmath)[data["output"]]
            down = _forward(data, {**base, name: base[name] - h}, mpmath)[data["output"]]
            fd = (up - down) / (2 * h)
            exact = sp.N(sol.gradients[name], 40)
            assert abs(fd - mpmath.mpf(str(exact))) <= mpmath.mpf("1e-20") * (1 + abs(fd)), name


def test_random_graphs_against_float_and_finite_differences():
    for seed in range(120):
        _check_against_oracles(random_graph(random.Random(seed)))


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1000, max_value=10**9))
def test_random_graphs_property(seed):
    _check_against_oracles(random_graph(random.Random(seed)))


def test_node_gradient_is_sum_of_outgoing_arrows():
    for seed in range(40):
        sol = solve_graph(graph_from_mapping(random_graph(random.Random(seed))))
        for name, grad in sol.gradients.items():
            outgoing = [sol.arrow_values[a.id] for a in sol.arrows if a.source == name]
            expected = 1 if name == sol.graph.output else sp.Add(*outgoing)
            assert sp.simplify(grad - expected) == 0


def test_arrow_ids_follow_node_then_slot_order():
    graph = graph_from_mapping(random_graph(random.Random(7)))
    expected = [(i, n.id) for n in graph.nodes for i in range(len(n.inputs))]
    arrows = arrows_of(graph)
    assert [(a.slot, a.target) for a in arrows] == expected
    assert [a.id for a in arrows] == [f"a{k}" for k in range(1, len(expected) + 1)]


# ---------------------------------------------------------------- errors
def _g(nodes, inputs=None, output="o", **extra):
    return {"inputs": inputs or {"x": 2, "y": 3}, "nodes": nodes, "output": output, **extra}


def _n(node_id, op, *inputs, **kw):
    return {"id": node_id, "op": op, "inputs": list(inputs), **kw}


LOAD_ERRORS = [
    ("unknown op", _g([_n("o", "cube", "x")]), "o"),
    ("sub arity", _g([_n("o", "sub", "x", "y", "x")]), "o"),
    ("add arity", _g([_n("o", "add", "x")]), "o"),
    ("neg arity", _g([_n("o", "neg", "x", "y")]), "o"),
    ("unknown id", _g([_n("o", "add", "x", "nope")]), "o"),
    ("duplicate node", _g([_n("o", "neg", "x"), _n("o", "neg", "y")]), "o"),
    ("node named like input", _g([_n("x", "neg", "y"), _n("o", "neg", "x")]), "x"),
    ("used before defined", _g([_n("o", "add", "x", "p"), _n("p", "neg", "y")]), "o"),
    ("output missing", {"inputs": {"x": 1}, "nodes": [_n("o", "neg", "x")]}, None),
    ("output unknown", _g([_n("o", "neg", "x")], output="zz"), "zz"),
    ("unknown top key", _g([_n("o", "neg", "x")], title="t"), None),
    ("unknown node key", _g([_n("o", "neg", "x", colour="red")]), "o"),
    ("text input", _g([_n("o", "neg", "x")], inputs={"x": "abc"}), "x"),
    ("bool input", _g([_n("o", "neg", "x")], inputs={"x": True}), "x"),
    ("null input", _g([_n("o", "neg", "x")], inputs={"x": None}), "x"),
    ("nan input", _g([_n("o", "neg", "x")], inputs={"x": float("nan")}), "x"),
    ("zero denominator", _g([_n("o", "neg", "x")], inputs={"x": "1/0"}), "x"),
    ("missing param", _g([_n("o", "scale", "x")]), "o"),
    ("param on add", _g([_n("o", "add", "x", "y", param=2)]), "o"),
    ("text param", _g([_n("o", "pow", "x", param="two")]), "o"),
    ("no nodes", _g([]), None),
    ("inputs not a list", _g([_n("o", "neg", "x") | {"inputs": "x"}]), "o"),
]


@pytest.mark.parametrize("name,data,part", LOAD_ERRORS, ids=[c[0] for c in LOAD_ERRORS])
def test_load_errors(name, data, part):
    with pytest.raises(AuthoringError) as info:
        graph_from_mapping(data, source="g.yaml")
    assert info.value.file == "g.yaml"
    assert info.value.part == part


SOLVE_ERRORS = [
    ("relu at 0", [_n("z", "sub", "x", "x"), _n("o", "relu", "z")]),
    ("abs at 0", [_n("z", "sub", "y", "y"), _n("o", "abs", "z")]),
    ("log of 0", [_n("z", "sub", "x", "x"), _n("o", "log", "z")]),
    ("log of negative", [_n("z", "neg", "x"), _n("o", "log", "z")]),
    ("division by zero", [_n("z", "sub", "x", "x"), _n("o", "div", "y", "z")]),
    ("inv of 0", [_n("z", "sub", "x", "x"), _n("o", "inv", "z")]),
    ("max tie", [_n("z", "addconst", "x", param=1), _n("o", "max", "z", "y")]),
    ("min tie", [_n("z", "addconst", "x", param=1), _n("o", "min", "z", "y")]),
    ("pow of negative", [_n("z", "neg", "x"), _n("o", "pow", "z", param="1/2")]),
    ("pow at 0", [_n("z", "sub", "x", "x"), _n("o", "pow", "z", param=-1)]),
]


@pytest.mark.parametrize("name,nodes", SOLVE_ERRORS, ids=[c[0] for c in SOLVE_ERRORS])
def test_solve_errors_name_the_node(name, nodes):
    graph = graph_from_mapping(_g(nodes))
    with pytest.raises(AuthoringError) as info:
        solve_graph(graph)
    assert info.value.part == "o"


def test_tie_in_max_is_not_an_error_for_forward_values():
    graph = graph_from_mapping(_g([_n("z", "addconst", "x", param=1), _n("o", "max", "z", "y")]))
    assert forward_values(graph)["o"] == 3


def test_load_graph(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("inputs: {x: -2, y: 0.5}\nnodes:\n  - {id: o, op: mul, inputs: [x, y]}\n"
                    "output: o\n")
    sol = solve_graph(load_graph(path))
    assert sol.forward["o"] == -1 and sol.arrow_values == {"a1": sp.Rational(1, 2), "a2": -2}
    with pytest.raises(InputError):
        load_graph(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("inputs: [unclosed\n")
    with pytest.raises(InputError):
        load_graph(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(AuthoringError) as info:
        load_graph(tmp_path / "list.yaml")
    assert info.value.file == str(tmp_path / "list.yaml")
