"""Question families: the 2019 parameters give the 2019 answers and worked sums."""

from __future__ import annotations

import random

import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from grader.errors import AuthoringError
from grader.model import Family, Solved
from grader.solver.graph import forward_values, graph_from_mapping
from question_bank.families import FAMILIES
from question_bank.families.backprop import formula
from tests import contract
from tests.test_solver_graph import random_graph

ORIGINAL_GRAPH = contract.GRAPH


def test_registry():
    assert set(FAMILIES) == {
        "backprop.graph", "cnn.stack", "cnn.field_of_view", "cnn.params", "cnn.dilation_fov",
        "cnn.dilation_min_layers", "optim.gradient_check", "optim.momentum", "init.weight_scale",
        "rl.q_update"}
    for name, family in FAMILIES.items():
        assert isinstance(family, Family) and family.name == name
        assert family.sample is not None, f"{name} cannot draw variants"


def test_backprop_original():
    solved = FAMILIES["backprop.graph"].solve(ORIGINAL_GRAPH)
    assert isinstance(solved, Solved)
    assert solved.answer == {"a1": "7", "a2": "-21/2", "a3": "0", "a4": "-7/2", "a5": "-7/2",
                             "a6": "-7/2", "a7": "-7/2", "a8": "49", "a9": "-7"}
    assert solved.placeholders["function"] == "f = ((x*y + max(y, z))*w)^2"
    assert solved.placeholders["inputs"] == "x = 3, y = -2, z = -1, w = 1/2"
    assert "a8 (w -> t): dt/dw * df/dt = s * (-7)" in solved.solution
    assert "= 49\n" in solved.solution
    assert "| t | s*w = (-7)*(1/2) | -7/2 |" in solved.solution
    assert "df/dy = a2 + a3" in solved.solution
    (figure,) = solved.figures
    assert (figure.id, figure.kind) == ("ex-graph", "graph")
    assert figure.data["inputs"]["w"] == "1/2" and len(figure.data["nodes"]) == 5


def test_backprop_is_pure():
    first = FAMILIES["backprop.graph"].solve(ORIGINAL_GRAPH)
    assert FAMILIES["backprop.graph"].solve(ORIGINAL_GRAPH) == first
    assert ORIGINAL_GRAPH["inputs"]["w"] == "1/2"  # params untouched


def test_formula_evaluates_to_the_output():
    """The printed formula, read back by SymPy (our own text, not a student's), gives f."""
    for seed in range(30):
        graph = graph_from_mapping(random_graph(random.Random(seed)))
        text = formula(graph).replace("^", "**")
        if "|" in text:
            continue  # abs bars are not Python syntax
        local = {"max": sp.Max, "min": sp.Min, "sigmoid": lambda v: 1 / (1 + sp.exp(-v)),
                 "relu": lambda v: sp.Max(v, 0)}
        local.update({name: sp.Symbol(name) for name in graph.inputs})
        expr = parse_expr(text, local_dict=local)
        value = expr.subs({sp.Symbol(k): v for k, v in graph.inputs.items()})
        expected = forward_values(graph)[graph.output]
        assert abs(complex(sp.N(value - expected, 30))) < 1e-20, (seed, text)


def test_backprop_bad_graph():
    bad = {**ORIGINAL_GRAPH, "nodes": [{"id": "f", "op": "cube", "inputs": ["x"]}]}
    with pytest.raises(AuthoringError) as info:
        FAMILIES["backprop.graph"].solve(bad)
    assert info.value.part == "f" and "backprop.graph" in info.value.file


@pytest.mark.parametrize("strides,answer,worked", [
    ([1, 1, 1], "13", "1 + (3-1) + (5-1) + (7-1) = 13"),
    ([2, 1, 1], "23", "1 + (3-1) + 2*(5-1) + 2*(7-1) = 23"),
])
def test_field_of_view_original(strides, answer, worked):
    solved = FAMILIES["cnn.field_of_view"].solve(
        {"layers": 3, "kernels": [3, 5, 7], "strides": strides})
    assert solved.answer == answer
    assert worked in solved.solution
    assert solved.placeholders["kernels"] == "3x3, 5x5 and 7x7"
    assert solved.placeholders["layers"] == "3"


def test_field_of_view_brute_force_1d():
    """Answer vs the span of input pixels reached by walking every kernel tap back."""
    rng = random.Random(5)
    for _ in range(50):
        n = rng.randint(1, 4)
        kernels = [rng.randint(1, 7) for _ in range(n)]
        strides = [rng.randint(1, 3) for _ in range(n)]
        dilations = [rng.randint(1, 3) for _ in range(n)]
        reach = {0}
        for k, s, d in reversed(list(zip(kernels, strides, dilations, strict=True))):
            reach = {p * s + t * d for p in reach for t in range(k)}
        solved = FAMILIES["cnn.field_of_view"].solve(
            {"kernels": kernels, "strides": strides, "dilations": dilations})
        assert solved.answer == str(max(reach) - min(reach) + 1)


def test_params_original():
    solved = FAMILIES["cnn.params"].solve(
        {"channels": 3, "kernels": [3, 5, 7], "filters": 2, "bias": False})
    assert solved.answer == "350"
    assert "3*3*3*2 + 2*5*5*2 + 2*7*7*2 = 350" in solved.solution
    assert solved.placeholders["channels"] == "3"
    assert solved.placeholders["filters"] == "2"
    listed = FAMILIES["cnn.params"].solve(
        {"channels": 3, "kernels": [3, 5, 7], "filters": [2, 2, 2], "bias": False})
    assert listed.answer == "350"


def test_params_with_bias_by_hand():
    solved = FAMILIES["cnn.params"].solve({"channels": 1, "kernels": [3, 3], "filters": [4, 8]})
    assert solved.answer == str(1 * 9 * 4 + 4 + 4 * 9 * 8 + 8)
    assert solved.placeholders["filters"] == "4 and 8"


@pytest.mark.parametrize("family,params", [
    ("cnn.field_of_view", {"kernels": [3, 5], "strides": [1]}),
    ("cnn.field_of_view", {"kernels": [3, 5], "layers": 3}),
    ("cnn.field_of_view", {"kernels": [3, 5], "padding": 1}),
    ("cnn.field_of_view", {"kernels": []}),
    ("cnn.params", {"kernels": [3], "filters": 2}),
    ("cnn.params", {"channels": 3, "kernels": [3], "filters": 2, "bias": "no"}),
])
def test_bad_family_params(family, params):
    with pytest.raises(AuthoringError):
        FAMILIES[family].solve(params)
