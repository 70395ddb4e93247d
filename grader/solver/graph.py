"""Exact backpropagation on a computational graph (DESIGN 3.1), with one arrow per operand slot."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from grader.errors import AuthoringError
from grader.yamlfile import load_yaml


@dataclass(frozen=True)
class Node:
    """One operation: ``id = op(*inputs)`` (``param`` for scale, addconst and pow)."""

    id: str
    op: str
    inputs: tuple[str, ...]
    param: sp.Rational | None = None


@dataclass(frozen=True)
class Graph:
    """Exact input values, nodes in topological order and the output node id."""

    inputs: Mapping[str, sp.Rational]
    nodes: tuple[Node, ...]
    output: str


@dataclass(frozen=True)
class Arrow:
    """One operand slot: the value ``source`` carries into slot ``slot`` of ``target``."""

    id: str
    source: str
    target: str
    slot: int


@dataclass(frozen=True)
class GraphSolution:
    """Forward values, arrow values and gradients of a solved graph, all exact."""

    graph: Graph
    forward: Mapping[str, sp.Expr]  # every input and node
    arrows: tuple[Arrow, ...]
    arrow_values: Mapping[str, sp.Expr]  # by arrow id
    gradients: Mapping[str, sp.Expr]  # d output / d (every input and node)


class _Undefined(Exception):
    """An op is evaluated where it (or its derivative) is undefined; becomes an AuthoringError."""


def _sign(value: sp.Expr) -> int:
    """Exact sign (-1, 0, 1) of a real constant; high precision when SymPy cannot tell."""
    if value.is_zero:
        return 0
    if value.is_positive:
        return 1
    if value.is_negative:
        return -1
    approx = sp.N(value, 60)
    if not approx.is_real:
        raise _Undefined(f"value {value} is not real")
    if abs(approx) < sp.Float("1e-50", 60):  # equal in every digit we can check: treat as a tie
        return 0
    return 1 if approx > 0 else -1


def _nonzero(x: sp.Expr, what: str) -> sp.Expr:
    if _sign(x) == 0:
        raise _Undefined(what)
    return x


def _positive(x: sp.Expr, what: str) -> sp.Expr:
    if _sign(x) <= 0:
        raise _Undefined(what)
    return x


def _winner(xs: Sequence[sp.Expr], sign: int, name: str, strict: bool = True) -> int:
    """Index of the largest (sign=1) or smallest (sign=-1) operand; strict: a tie is an error."""
    best = 0
    for i in range(1, len(xs)):
        if _sign(xs[i] - xs[best]) * sign > 0:
            best = i
    if strict and any(i != best and _sign(x - xs[best]) == 0 for i, x in enumerate(xs)):
        raise _Undefined(f"{name} has a tie between operands (value {xs[best]})")
    return best


def _sigmoid(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


def _kink(x: sp.Expr, name: str) -> int:
    sign = _sign(x)
    if sign == 0:
        raise _Undefined(f"{name} is not differentiable at 0")
    return sign


def _pow(x: sp.Expr, p: sp.Rational) -> sp.Expr:
    if _sign(x) == 0 and p < 1 and p != 0:
        raise _Undefined(f"pow with exponent {p} at 0")
    if _sign(x) < 0 and not p.is_integer:
        raise _Undefined(f"pow with exponent {p} of a negative value")
    return x**p


def _tidy(value: sp.Expr) -> sp.Expr:
    """One readable exact form: rationals as they are, other values over a common denominator."""
    return value if value.is_Rational else sp.together(value)


def _prod(xs: Sequence[sp.Expr]) -> sp.Expr:
    return sp.Mul(*xs)


def _drop(xs: Sequence[sp.Expr], slot: int) -> list[sp.Expr]:
    return [x for i, x in enumerate(xs) if i != slot]


@dataclass(frozen=True)
class OpSpec:
    """What an op is: arity (max None = n-ary), forward value and exact local derivative.

    ``forward(xs, p)`` and ``derivative(xs, p, slot)`` take the operand values and the param;
    ``rule(names, p, slot)`` writes the local derivative with operand names, for worked solutions.
    """

    min_arity: int
    max_arity: int | None
    forward: Callable[[Sequence[sp.Expr], Any], sp.Expr]
    derivative: Callable[[Sequence[sp.Expr], Any, int], sp.Expr]
    rule: Callable[[Sequence[str], Any, int], str]
    has_param: bool = False


def _max_rule(sign: int) -> Callable[[Sequence[str], Any, int], str]:
    word = "largest" if sign > 0 else "smallest"
    return lambda n, p, s: f"1 if {n[s]} is the {word} else 0"


# The whole calculus of the solver: every other function is derived from this table.
OPS: dict[str, OpSpec] = {
    "add": OpSpec(2, None, lambda xs, p: sp.Add(*xs), lambda xs, p, s: sp.Integer(1),
                  lambda n, p, s: "1"),
    "mul": OpSpec(2, None, lambda xs, p: _prod(xs), lambda xs, p, s: _prod(_drop(xs, s)),
                  lambda n, p, s: "*".join(_drop(n, s))),
    "max": OpSpec(2, None, lambda xs, p: xs[_winner(xs, 1, "max", False)],
                  lambda xs, p, s: sp.Integer(int(_winner(xs, 1, "max") == s)), _max_rule(1)),
    "min": OpSpec(2, None, lambda xs, p: xs[_winner(xs, -1, "min", False)],
                  lambda xs, p, s: sp.Integer(int(_winner(xs, -1, "min") == s)), _max_rule(-1)),
    "sub": OpSpec(2, 2, lambda xs, p: xs[0] - xs[1], lambda xs, p, s: sp.Integer(1 - 2 * s),
                  lambda n, p, s: "-1" if s else "1"),
    "div": OpSpec(2, 2, lambda xs, p: xs[0] / _nonzero(xs[1], "division by zero"),
                  lambda xs, p, s: -xs[0] / xs[1] ** 2 if s else 1 / xs[1],
                  lambda n, p, s: f"-{n[0]}/{n[1]}^2" if s else f"1/{n[1]}"),
    "neg": OpSpec(1, 1, lambda xs, p: -xs[0], lambda xs, p, s: sp.Integer(-1),
                  lambda n, p, s: "-1"),
    "inv": OpSpec(1, 1, lambda xs, p: 1 / _nonzero(xs[0], "inv of 0"),
                  lambda xs, p, s: -1 / xs[0] ** 2, lambda n, p, s: f"-1/{n[0]}^2"),
    "square": OpSpec(1, 1, lambda xs, p: xs[0] ** 2, lambda xs, p, s: 2 * xs[0],
                     lambda n, p, s: f"2*{n[0]}"),
    "exp": OpSpec(1, 1, lambda xs, p: sp.exp(xs[0]), lambda xs, p, s: sp.exp(xs[0]),
                  lambda n, p, s: f"exp({n[0]})"),
    "log": OpSpec(1, 1, lambda xs, p: sp.log(_positive(xs[0], "log of a non-positive value")),
                  lambda xs, p, s: 1 / xs[0], lambda n, p, s: f"1/{n[0]}"),
    "sigmoid": OpSpec(1, 1, lambda xs, p: _sigmoid(xs[0]),
                      lambda xs, p, s: _sigmoid(xs[0]) * (1 - _sigmoid(xs[0])),
                      lambda n, p, s: f"sigmoid({n[0]})*(1 - sigmoid({n[0]}))"),
    "tanh": OpSpec(1, 1, lambda xs, p: sp.tanh(xs[0]), lambda xs, p, s: 1 - sp.tanh(xs[0]) ** 2,
                   lambda n, p, s: f"1 - tanh({n[0]})^2"),
    "relu": OpSpec(1, 1, lambda xs, p: xs[0] if _sign(xs[0]) > 0 else sp.Integer(0),
                   lambda xs, p, s: sp.Integer(int(_kink(xs[0], "relu") > 0)),
                   lambda n, p, s: f"1 if {n[0]} > 0 else 0"),
    "abs": OpSpec(1, 1, lambda xs, p: sp.Abs(xs[0]),
                  lambda xs, p, s: sp.Integer(_kink(xs[0], "abs")),
                  lambda n, p, s: f"sign({n[0]})"),
    "scale": OpSpec(1, 1, lambda xs, p: p * xs[0], lambda xs, p, s: p, lambda n, p, s: str(p),
                    has_param=True),
    "addconst": OpSpec(1, 1, lambda xs, p: xs[0] + p, lambda xs, p, s: sp.Integer(1),
                       lambda n, p, s: "1", has_param=True),
    "pow": OpSpec(1, 1, lambda xs, p: _pow(xs[0], p), lambda xs, p, s: p * _pow(xs[0], p - 1),
                  lambda n, p, s: f"{p}*{n[0]}^({p - 1})", has_param=True),
}

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?\d+/\d+")


def parse_exact(value: Any) -> sp.Rational:
    """An exact rational from an int, a float (via its decimal repr) or a string.

    >>> parse_exact("1/2"), parse_exact("0.1"), parse_exact(0.1), parse_exact(-3)
    (1/2, 1/10, 1/10, -3)

    Raises:
        ValueError: not a finite number.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return sp.Rational(repr(value))
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip()
        if "/" in text and int(text.split("/")[1]) == 0:
            raise ValueError(f"{value!r} divides by zero")
        return sp.Rational(text)
    raise ValueError(f"{value!r} is not a number (use 3, '0.5' or '1/2')")


def _check_keys(data: Any, allowed: set[str], what: str, source: str, part: str | None) -> None:
    if not isinstance(data, Mapping):
        raise AuthoringError(f"{what} must be a mapping", file=source, part=part)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise AuthoringError(f"unknown key(s) in {what}: {', '.join(unknown)}",
                             file=source, part=part)


def _parse_inputs(data: Any, source: str) -> dict[str, sp.Rational]:
    if not isinstance(data, Mapping) or not data:
        raise AuthoringError("inputs must be a non-empty mapping name -> value", file=source)
    inputs = {}
    for name, value in data.items():
        if not isinstance(name, str) or not name:
            raise AuthoringError(f"input name {name!r} must be a non-empty string", file=source)
        try:
            inputs[name] = parse_exact(value)
        except ValueError as err:
            raise AuthoringError(f"input {name}: {err}", file=source, part=name) from None
    return inputs


def _parse_node(data: Any, known: set[str], source: str) -> Node:
    part = str(data.get("id")) if isinstance(data, Mapping) else None
    _check_keys(data, {"id", "op", "inputs", "param"}, "a node", source, part)
    node_id, op, operands = data.get("id"), data.get("op"), data.get("inputs")
    if not isinstance(node_id, str) or not node_id:
        raise AuthoringError("every node needs a string id", file=source, part=part)
    if node_id in known:
        raise AuthoringError(f"duplicate id {node_id}", file=source, part=node_id)
    if op not in OPS:
        raise AuthoringError(f"unknown op {op!r} (known: {', '.join(OPS)})",
                             file=source, part=node_id)
    spec = OPS[op]
    if not isinstance(operands, list | tuple) or not all(isinstance(x, str) for x in operands):
        raise AuthoringError("inputs must be a list of ids", file=source, part=node_id)
    if len(operands) < spec.min_arity or (spec.max_arity and len(operands) > spec.max_arity):
        want = f"{spec.min_arity}" if spec.max_arity == spec.min_arity else f">= {spec.min_arity}"
        raise AuthoringError(f"{op} takes {want} inputs, got {len(operands)}",
                             file=source, part=node_id)
    for operand in operands:
        if operand not in known:
            raise AuthoringError(f"{operand} is unknown or used before it is defined",
                                 file=source, part=node_id)
    return Node(node_id, op, tuple(operands), _parse_param(data, spec, source))


def _parse_param(data: Mapping, spec: OpSpec, source: str) -> sp.Rational | None:
    node_id, op = data["id"], data["op"]
    if not spec.has_param:
        if "param" in data:
            raise AuthoringError(f"{op} takes no param", file=source, part=node_id)
        return None
    if "param" not in data:
        raise AuthoringError(f"{op} needs a param", file=source, part=node_id)
    try:
        return parse_exact(data["param"])
    except ValueError as err:
        raise AuthoringError(f"param: {err}", file=source, part=node_id) from None


def graph_from_mapping(data: Mapping, source: str = "<graph>") -> Graph:
    """Validate a graph mapping (DESIGN 3.1) and build a Graph.

    Raises:
        AuthoringError: naming ``source`` and the offending node id.
    """
    _check_keys(data, {"inputs", "nodes", "output"}, "the graph", source, None)
    inputs = _parse_inputs(data.get("inputs"), source)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise AuthoringError("nodes must be a non-empty list", file=source)
    known, nodes = set(inputs), []
    for raw in raw_nodes:
        node = _parse_node(raw, known, source)
        known.add(node.id)
        nodes.append(node)
    output = data.get("output")
    if output is None:
        raise AuthoringError("output is missing", file=source)
    if output not in known:
        raise AuthoringError(f"output {output!r} is not a node", file=source, part=str(output))
    return Graph(inputs=inputs, nodes=tuple(nodes), output=output)


def load_graph(path: str | Path) -> Graph:
    """Read a graph YAML file.

    Raises:
        InputError: the file cannot be read or is not YAML.
        AuthoringError: the graph is invalid.
    """
    return graph_from_mapping(load_yaml(path, "graph"), source=str(path))


def graph_to_mapping(graph: Graph) -> dict:
    """A plain dict (numbers as exact strings) that ``graph_from_mapping`` reads back."""
    nodes = []
    for node in graph.nodes:
        item: dict[str, Any] = {"id": node.id, "op": node.op, "inputs": list(node.inputs)}
        if node.param is not None:
            item["param"] = str(node.param)
        nodes.append(item)
    return {
        "inputs": {name: str(value) for name, value in graph.inputs.items()},
        "nodes": nodes,
        "output": graph.output,
    }


def arrows_of(graph: Graph) -> tuple[Arrow, ...]:
    """Arrows a1..aN: nodes in their (topological) order, then operand slots in order."""
    pairs = [(src, node.id, slot) for node in graph.nodes for slot, src in enumerate(node.inputs)]
    return tuple(Arrow(f"a{i}", s, t, slot) for i, (s, t, slot) in enumerate(pairs, start=1))


def _undefined_at(node: Node, err: _Undefined) -> AuthoringError:
    return AuthoringError(f"{node.op} at node {node.id}: {err}", part=node.id)


def forward_values(graph: Graph) -> dict[str, sp.Expr]:
    """Exact value of every input and node.

    Raises:
        AuthoringError: an op is undefined at its operands (log of <= 0, division by 0, ...).
    """
    values: dict[str, sp.Expr] = dict(graph.inputs)
    for node in graph.nodes:
        operands = [values[x] for x in node.inputs]
        try:
            values[node.id] = _tidy(OPS[node.op].forward(operands, node.param))
        except _Undefined as err:
            raise _undefined_at(node, err) from None
    return values


def local_derivative(node: Node, operand_values: Sequence[sp.Expr], slot: int) -> sp.Expr:
    """d node / d operand[slot], exact.

    Raises:
        AuthoringError: the derivative is undefined (relu/abs at 0, a max/min tie, ...).
    """
    try:
        return OPS[node.op].derivative(list(operand_values), node.param, slot)
    except _Undefined as err:
        raise _undefined_at(node, err) from None


def local_rule(node: Node, slot: int) -> str:
    """The local derivative d node / d operand[slot] written with operand names, e.g. ``"s"``."""
    return OPS[node.op].rule(node.inputs, node.param, slot)


def solve_graph(graph: Graph) -> GraphSolution:
    """Forward pass, then reverse accumulation along every arrow (output gradient 1).

    Raises:
        AuthoringError: a value or local derivative is undefined.
    """
    values = forward_values(graph)
    arrows = arrows_of(graph)
    by_target: dict[str, list[Arrow]] = {}
    for arrow in arrows:
        by_target.setdefault(arrow.target, []).append(arrow)
    grads: dict[str, sp.Expr] = {name: sp.Integer(0) for name in values}
    grads[graph.output] = sp.Integer(1)
    arrow_values: dict[str, sp.Expr] = {}
    # reverse topological order: a node's gradient is complete before it is passed on
    for node in reversed(graph.nodes):
        operands = [values[x] for x in node.inputs]
        for arrow in by_target[node.id]:
            value = _tidy(grads[node.id] * local_derivative(node, operands, arrow.slot))
            arrow_values[arrow.id] = value
            grads[arrow.source] = _tidy(grads[arrow.source] + value)
    return GraphSolution(
        graph=graph,
        forward=values,
        arrows=arrows,
        arrow_values={a.id: arrow_values[a.id] for a in arrows},
        gradients=grads,
    )
