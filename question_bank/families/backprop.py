"""Family backprop.graph: the arrow values of backpropagation on a small computational graph."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import sympy as sp

from grader.errors import AuthoringError
from grader.model import Figure, Solved
from grader.solver.graph import (
    Graph,
    GraphSolution,
    graph_from_mapping,
    graph_to_mapping,
    local_derivative,
    local_rule,
    solve_graph,
)
from question_bank.families.backprop_sample import OPTIONS, sample_graph

NAME = "backprop.graph"

# Precedence of a formatted expression: when an operand binds less tightly than its context
# requires it gets parentheses. 1 sum, 2 product, 3 unary minus, 4 power, 5 atom or call.
_Fmt = tuple[str, int]


def _wrap(item: _Fmt, need: int, tex: bool) -> str:
    text, prec = item
    if prec >= need:
        return text
    return rf"\left({text}\right)" if tex else f"({text})"


def _wrap_later(item: _Fmt, need: int, tex: bool) -> str:
    """An operand after another operand: a leading minus gets parentheses (``x*(-z)``)."""
    return _wrap(item, need, tex) if not item[0].startswith("-") else _wrap((item[0], 0), 1, tex)


def _number(value: sp.Expr, tex: bool) -> _Fmt:
    text = sp.latex(value) if tex else str(value)
    if value.is_Integer:
        return text, 5 if value >= 0 else 3
    return text, 2 if value.is_Rational and value > 0 else 1


def _call(name: str, tex_name: str, args: Sequence[_Fmt], tex: bool) -> _Fmt:
    inner = ", ".join(text for text, _ in args)
    return (rf"{tex_name}\left({inner}\right)" if tex else f"{name}({inner})"), 5


def _format_op(op: str, args: Sequence[_Fmt], param: Any, tex: bool) -> _Fmt:
    """One op applied to already formatted operands, in text or TeX."""
    times = r" \cdot " if tex else "*"
    power = (lambda base, e: f"{_wrap(base, 5, tex)}^{{{e}}}") if tex else (
        lambda base, e: f"{_wrap(base, 5, tex)}^{e}")
    if op == "add":
        rest = [_wrap_later(a, 1, tex) for a in args[1:]]
        return " + ".join([_wrap(args[0], 1, tex), *rest]), 1
    if op == "sub":
        return f"{_wrap(args[0], 1, tex)} - {_wrap_later(args[1], 2, tex)}", 1
    if op == "mul":
        rest = [_wrap_later(a, 2, tex) for a in args[1:]]
        return times.join([_wrap(args[0], 2, tex), *rest]), 2
    if op in ("div", "inv"):
        num, den = (args[0], args[1]) if op == "div" else (("1", 5), args[0])
        if tex:
            return rf"\frac{{{num[0]}}}{{{den[0]}}}", 5
        return f"{_wrap(num, 2, tex)}/{_wrap_later(den, 3, tex)}", 2
    if op == "neg":
        return f"-{_wrap(args[0], 3, tex)}", 3
    if op == "square":
        return power(args[0], "2"), 4
    if op == "pow":
        exponent = _number(param, tex)
        return power(args[0], exponent[0] if tex else _wrap(exponent, 5, tex)), 4
    if op == "scale":
        return f"{_wrap(_number(param, tex), 2, tex)}{times}{_wrap_later(args[0], 2, tex)}", 2
    if op == "addconst":
        sign = "-" if param < 0 else "+"
        return f"{_wrap(args[0], 1, tex)} {sign} {_number(abs(param), tex)[0]}", 1
    if op == "abs":
        return (rf"\left|{args[0][0]}\right|" if tex else f"|{args[0][0]}|"), 5
    if op == "exp" and tex:
        return f"e^{{{args[0][0]}}}", 4
    tex_names = {"max": r"\max", "min": r"\min", "log": r"\log", "tanh": r"\tanh",
                 "sigmoid": r"\sigma", "relu": r"\operatorname{ReLU}", "exp": r"\exp"}
    return _call(op, tex_names[op], args, tex)


def formula(graph: Graph, tex: bool = False) -> str:
    """The graph's output written as one formula, e.g. ``((x*y + max(y, z))*w)^2``."""
    done: dict[str, _Fmt] = {name: (name, 5) for name in graph.inputs}
    for node in graph.nodes:
        done[node.id] = _format_op(node.op, [done[x] for x in node.inputs], node.param, tex)
    return done[graph.output][0]


_CALLS = {"max", "min", "log", "tanh", "sigmoid", "relu", "exp", "abs"}


def _paren(value: sp.Expr) -> str:
    text = str(value)
    return text if value.is_Rational and value >= 0 and "/" not in text else f"({text})"


def _forward_lines(sol: GraphSolution) -> list[str]:
    graph = sol.graph
    lines = ["| node | computation | value |", "|---|---|---|"]
    for node in graph.nodes:
        by_name = _format_op(node.op, [(x, 5) for x in node.inputs], node.param, False)[0]
        show = str if node.op in _CALLS else _paren
        by_value = _format_op(node.op, [(show(sol.forward[x]), 5) for x in node.inputs],
                              node.param, False)[0]
        lines.append(f"| {node.id} | {by_name} = {by_value} | {sol.forward[node.id]} |")
    return lines


def _arrow_lines(sol: GraphSolution) -> list[str]:
    out = sol.graph.output
    nodes = {node.id: node for node in sol.graph.nodes}
    lines = []
    for arrow in reversed(sol.arrows):
        node = nodes[arrow.target]
        operands = [sol.forward[x] for x in node.inputs]
        local = local_derivative(node, operands, arrow.slot)
        local = local if local.is_Rational else sp.together(local)
        rule = local_rule(node, arrow.slot)
        rule = f"({rule})" if " " in rule else rule
        grad = sol.gradients[node.id]
        slot = f" (slot {arrow.slot + 1})" if node.inputs.count(arrow.source) > 1 else ""
        steps = [f"{rule} * {_paren(grad)}"]
        if rule != str(local):
            steps.append(f"{_paren(local)} * {_paren(grad)}")
        steps.append(str(sol.arrow_values[arrow.id]))
        lines.append(f"- {arrow.id} ({arrow.source} -> {arrow.target}){slot}: "
                     f"d{node.id}/d{arrow.source} * d{out}/d{node.id} = " + " = ".join(steps))
    return lines


def _sum_lines(sol: GraphSolution) -> list[str]:
    """Gradients of values with several outgoing arrows: the sum of those arrows."""
    lines = []
    for name in [*sol.graph.inputs, *(n.id for n in sol.graph.nodes)]:
        outgoing = [a for a in sol.arrows if a.source == name]
        if len(outgoing) > 1:
            ids = " + ".join(a.id for a in outgoing)
            values = " + ".join(_paren(sol.arrow_values[a.id]) for a in outgoing)
            lines.append(f"- d{sol.graph.output}/d{name} = {ids} = {values} = "
                         f"{sol.gradients[name]}")
    return lines


def worked_solution(sol: GraphSolution) -> str:
    """Markdown: forward values, then each arrow's value with the local rule used."""
    out = sol.graph.output
    parts = ["**Forward pass**", "", *_forward_lines(sol), "",
             f"**Backward pass** (start with d{out}/d{out} = 1; each arrow carries "
             "local derivative times the gradient arriving at its target)", "",
             *_arrow_lines(sol)]
    sums = _sum_lines(sol)
    if sums:
        parts += ["", "A value used more than once gets the sum of its arrows:", "", *sums]
    return "\n".join(parts) + "\n"


def graph_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The graph mapping of a part's params, without the sampling options (arrows, ops, ...)."""
    return {key: value for key, value in params.items() if key not in OPTIONS}


def sample(rng: random.Random, params: Mapping[str, Any],
           fixed: Mapping[str, Any] = MappingProxyType({})) -> dict[str, Any]:
    """Draw a new graph mapping like the part's base graph ``params`` (Family.sample).

    The new graph has as many arrows as the base graph (or ``params["arrows"]``), ops from
    ``params["ops"]`` (default: add mul sub square scale addconst neg relu abs), small inputs,
    no ties or kinks, and no zero arrow unless ``zero_arrows: allow_max_gate`` (then max/min
    join the pool and the loser of one gate may carry the only 0). ``fixed`` is unused: the
    graph shares nothing with other parts.

    Raises:
        AuthoringError: the sampling options are malformed or cannot be met.
    """
    del fixed  # part of the Family.sample signature
    try:
        return sample_graph(rng, params)
    except AuthoringError as err:
        err.file = err.file or f"family {NAME}"
        raise


def solve(params: Mapping[str, Any]) -> Solved:
    """Solve one graph (params: a graph mapping, DESIGN 3.1; sampling options are ignored).

    Raises:
        AuthoringError: the graph is invalid or not differentiable at its inputs.
    """
    source = f"family {NAME}"
    graph = graph_from_mapping(graph_params(params), source=source)
    try:
        sol = solve_graph(graph)
    except AuthoringError as err:  # the solver knows the node, not the file
        err.file = err.file or source
        raise
    function = formula(graph)
    placeholders = {
        "function": f"{graph.output} = {function}",
        "function_tex": f"{graph.output} = {formula(graph, tex=True)}",
        "inputs": ", ".join(f"{k} = {v}" for k, v in graph.inputs.items()),
        "output": graph.output,
        "arrows": f"a1-a{len(sol.arrows)}",
    }
    figure = Figure(id="ex-graph", kind="graph", data=graph_to_mapping(graph),
                    caption=f"Computational graph of {graph.output} = {function}; "
                    f"the arrows are labelled a1 to a{len(sol.arrows)}.")
    return Solved(
        placeholders=placeholders,
        answer={a.id: str(sol.arrow_values[a.id]) for a in sol.arrows},
        solution=worked_solution(sol),
        figures=(figure,),
    )
