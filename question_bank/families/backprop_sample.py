"""Random computational graphs for backprop.graph: a drawn shape, then values checked exactly."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from grader.errors import AuthoringError
from grader.solver.graph import OPS

# Keys of a part's params that steer sampling; they are not part of the graph itself.
OPTIONS = ("arrows", "ops", "zero_arrows")
ALLOW_MAX_GATE = "allow_max_gate"

INPUT_NAMES = ("x", "y", "z", "w", "v", "u")
# Short node ids that read well on a figure: no a (arrows are a1..), e (Euler), i, l, o.
NODE_NAMES = ("q", "r", "s", "t", "g", "h", "k", "m", "n", "p", "b", "c", "d")
OUTPUT_NAME = "f"
MIN_ARROWS, MAX_ARROWS, DEFAULT_ARROWS = 3, 20, 9

VALUE_BOUND = 200  # |forward value|, |arrow|, |gradient|
MAX_DENOMINATOR = 8
MARGIN = Fraction(1)  # a max/min winner's lead; |x| at relu/abs
FLOAT_FLOOR = 0.01  # a non-rational value smaller than this counts as zero
MAX_FAN_IN = 3
MIN_DISTINCT_ARROWS = 3  # different |arrow values| in one graph

SHAPE_ATTEMPTS = 300  # shapes drawn before the fallback
VALUE_ATTEMPTS = 8  # input and param draws per shape
FALLBACK_ATTEMPTS = 3000

# Default pool: what a student does with a simple calculator. Gates join it only when a
# zero arrow is allowed, since the loser of max/min always carries 0.
DEFAULT_OPS = ("add", "mul", "sub", "square", "scale", "addconst", "neg", "relu", "abs")
_GATES = ("max", "min")
_WEIGHTS = {"add": 3.0, "mul": 3.0, "sub": 2.0, "max": 2.5, "min": 1.5, "square": 2.0,
            "scale": 1.5, "addconst": 1.0, "neg": 0.5, "relu": 1.0, "abs": 1.0}
_PARAMS: dict[str, tuple[Fraction, ...]] = {
    "scale": tuple(map(Fraction, (2, 3, 4, -2, -3, "1/2", "-1/2"))),
    "addconst": tuple(map(Fraction, (1, 2, 3, -1, -2, -3, "1/2", "-1/2"))),
    "pow": tuple(map(Fraction, (3, -1, -2, "1/2"))),
}
_NO_REPEAT = ("neg", "relu", "abs", "inv", "scale", "addconst")  # neg(neg(x)) teaches nothing
# Ops whose local derivative depends on the values: they make the backward pass worth doing.
_CURVED = frozenset({"mul", "div", "inv", "square", "pow", "exp", "log", "sigmoid", "tanh"})
_INVERSES = {("log", "exp"), ("exp", "log"), ("log", "sigmoid")}  # (operand op, op)

Value = Fraction | float  # float: a value that is not rational (exp, log, ...)


class _Reject(Exception):
    """A drawn graph breaks a constraint; draw again."""


@dataclass(frozen=True)
class Options:
    """What sample() was asked for: arrow count, op pool, whether a gate may give one 0."""

    arrows: int
    ops: tuple[str, ...]
    allow_gate: bool


def _arity(op: str) -> tuple[int, int]:
    spec = OPS[op]
    return spec.min_arity, min(spec.max_arity or MAX_FAN_IN, MAX_FAN_IN)


def _count_arrows(params: Mapping[str, Any]) -> int:
    nodes = params.get("nodes")
    if not isinstance(nodes, list):
        return DEFAULT_ARROWS
    return sum(len(n.get("inputs", ())) for n in nodes if isinstance(n, Mapping))


def parse_options(params: Mapping[str, Any]) -> Options:
    """The sampling options of a part's params (``arrows``, ``ops``, ``zero_arrows``).

    Raises:
        AuthoringError: an option is malformed or asks for something impossible.
    """
    arrows = params.get("arrows", _count_arrows(params))
    if isinstance(arrows, bool) or not isinstance(arrows, int) or not (
            MIN_ARROWS <= arrows <= MAX_ARROWS):
        raise AuthoringError(f"arrows must be an integer from {MIN_ARROWS} to {MAX_ARROWS}, "
                             f"got {arrows!r}", part="arrows")
    zero = params.get("zero_arrows", "none")
    if zero not in ("none", ALLOW_MAX_GATE):
        raise AuthoringError(f"zero_arrows must be 'none' or '{ALLOW_MAX_GATE}', got {zero!r}",
                             part="zero_arrows")
    allow = zero == ALLOW_MAX_GATE
    ops = params.get("ops")
    if ops is None:
        ops = DEFAULT_OPS + (_GATES if allow else ())
    if isinstance(ops, str) or not isinstance(ops, Sequence) or not ops:
        raise AuthoringError("ops must be a non-empty list of op names", part="ops")
    unknown = [op for op in ops if not isinstance(op, str) or op not in OPS]
    if unknown:
        raise AuthoringError(f"unknown op(s) {unknown} (known: {', '.join(OPS)})", part="ops")
    if not allow and any(op in _GATES for op in ops):
        raise AuthoringError("max/min always send 0 to the loser: add "
                             f"'zero_arrows: {ALLOW_MAX_GATE}' to use them", part="ops")
    if all(_arity(op)[0] == 1 for op in ops):
        raise AuthoringError("ops needs an op with two or more inputs (add, mul, sub, ...)",
                             part="ops")
    return Options(arrows, tuple(dict.fromkeys(ops)), allow)


# ---------------------------------------------------------------- shape


def _draw_ops(rng: random.Random, opts: Options) -> list[tuple[str, int]] | None:
    """Ops with arities summing to the arrow count; None when the draw is unusable."""
    left, drawn, gate_used = opts.arrows, [], False
    while left > 0:
        pool = [op for op in opts.ops if _arity(op)[0] <= left
                and not (gate_used and op in _GATES)]
        if not pool:
            return None
        op = rng.choices(pool, weights=[_WEIGHTS.get(op, 1.0) for op in pool])[0]
        low, high = _arity(op)
        arity = low
        if high > low and left >= low + 1 and rng.random() < 0.15 and op not in _GATES:
            arity = low + 1  # an occasional three-way add or mul
        gate_used = gate_used or op in _GATES
        drawn.append((op, arity))
        left -= arity
    most_nodes = max(2, 2 * opts.arrows // 3)
    if not (2 <= len(drawn) <= most_nodes):
        return None
    if len({op for op, _ in drawn}) < min(3, len(drawn), len(opts.ops)):
        return None  # variety: at least three different ops when there is room
    if any(op in _CURVED for op in opts.ops) and not any(op in _CURVED for op, _ in drawn):
        return None  # only sums and scalings: every arrow would be a constant like 1 or -2
    return drawn


def _input_count(rng: random.Random, arrows: int, nodes: int) -> int:
    most = min(len(INPUT_NAMES), arrows - nodes, 2 + arrows // 4)  # leave a slot for reuse
    return rng.randint(min(2, most), most)


def _pick_reuse(rng: random.Random, used: list[str], taken: list[str],
                inputs: Sequence[str]) -> str | None:
    """An already consumed value for a spare slot, preferring inputs (their gradient sums)."""
    free = [name for name in used if name not in taken]
    if not free:
        return None
    free_inputs = [name for name in free if name in inputs]
    if free_inputs and rng.random() < 0.8:
        return rng.choice(free_inputs)
    return rng.choice(free)


def _wire(rng: random.Random, ops: list[tuple[str, int]], k: int) -> list[dict] | None:
    """Operands for every node; None when the random choices paint into a corner.

    Each input and node is consumed at least once (so it reaches the output); the spare
    slots reuse values, preferably inputs.
    """
    inputs = list(INPUT_NAMES[:k])
    ids = [*NODE_NAMES[:len(ops) - 1], OUTPUT_NAME]
    pending, used, nodes = list(inputs), [], []
    slots_left = sum(arity for _, arity in ops)
    for i, (op, arity) in enumerate(ops):
        unborn = len(ops) - 1 - i  # this node and later ones that must still be consumed
        operands: list[str] = []
        for _ in range(arity):
            fresh = [name for name in pending if name not in operands]
            spare = slots_left - 1 >= len(pending) + unborn  # a reuse keeps all consumable
            pick = None
            if spare and (not fresh or rng.random() < 0.35):
                pick = _pick_reuse(rng, used, operands, inputs)
            if pick is None:
                if not fresh:
                    return None
                # lean towards the newest value: the graph grows deeper, not just wider
                pick = fresh[-1] if rng.random() < 0.5 else rng.choice(fresh)
                pending.remove(pick)
                used.append(pick)
            operands.append(pick)
            slots_left -= 1
        nodes.append({"id": ids[i], "op": op, "inputs": operands})
        pending.append(ids[i])
    if pending != [OUTPUT_NAME]:
        return None
    return nodes if _well_formed(nodes, inputs) else None


def _well_formed(nodes: list[dict], inputs: Sequence[str]) -> bool:
    """Some input is used twice (when there is a spare slot); no neg(neg(x)), relu(x^2) and
    the like."""
    ops = {node["id"]: node["op"] for node in nodes}
    for node in nodes:
        before = ops.get(node["inputs"][0])
        if node["op"] in _NO_REPEAT and before == node["op"]:
            return False
        if node["op"] in ("relu", "abs") and before in ("square", "abs", "relu"):
            return False  # the kink can never be reached
        if (before, node["op"]) in _INVERSES:
            return False
    uses = [name for node in nodes for name in node["inputs"]]
    spare = len(uses) - len(inputs) - len(nodes) + 1
    return spare == 0 or any(uses.count(name) > 1 for name in inputs)


# ---------------------------------------------------------------- values


def _draw_inputs(rng: random.Random, names: Sequence[str]) -> dict[str, Fraction]:
    """Different small nonzero integers, sometimes one half (no calculator needed)."""
    values = [Fraction(v) for v in rng.sample(range(-5, 6), len(names) + 1) if v][:len(names)]
    if rng.random() < 1 - 0.85 ** len(names):
        values[rng.randrange(len(names))] = Fraction(rng.choice((-5, -3, -1, 1, 3, 5)), 2)
    return dict(zip(names, values, strict=True))


def _is_zero(value: Value) -> bool:
    return value == 0 if isinstance(value, Fraction) else abs(value) < FLOAT_FLOOR


def _check(value: Value) -> Value:
    """Reject values that are too large, too fine-grained or not finite."""
    if isinstance(value, Fraction):
        if abs(value) > VALUE_BOUND or value.denominator > MAX_DENOMINATOR:
            raise _Reject
        return value
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > VALUE_BOUND:
        raise _Reject
    near = Fraction(value).limit_denominator(1000)
    if abs(near - Fraction(value)) < 1e-9 and near.denominator > MAX_DENOMINATOR:
        raise _Reject  # most likely a rational in disguise (sigmoid(log 4) = 4/5)
    return value


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _root(n: int, degree: int) -> int | None:
    """The exact ``degree``-th root of a natural number, or None."""
    guess = round(n ** (1 / degree))
    return next((r for r in (guess - 1, guess, guess + 1) if r >= 0 and r**degree == n), None)


def _pow(x: Value, p: Fraction) -> Value:
    """x**p, exact when it is rational (sqrt(9/4) = 3/2), else a float."""
    if x == 0 or (x < 0 and p.denominator != 1):
        raise _Reject
    if p.denominator == 1:
        return x ** int(p)
    if isinstance(x, Fraction):
        num, den = _root(x.numerator, p.denominator), _root(x.denominator, p.denominator)
        if num is not None and den is not None:
            return Fraction(num, den) ** p.numerator
    return float(x) ** float(p)


def _forward(op: str, xs: list[Value], p: Fraction | None) -> Value:
    """One op's value: exact for rational ops, float for the rest (the graph solver's table
    in plain Python, so a draw costs microseconds instead of SymPy milliseconds)."""
    x = xs[0]
    if op in ("relu", "abs") and abs(x) < MARGIN:
        raise _Reject  # too close to the kink
    if op in ("div", "inv") and _is_zero(xs[-1]) or op == "log" and x <= 0:
        raise _Reject
    table = {
        "add": lambda: sum(xs[1:], x), "mul": lambda: math.prod(xs[1:], start=x),
        "max": lambda: max(xs), "min": lambda: min(xs), "sub": lambda: x - xs[1],
        "div": lambda: x / xs[1], "neg": lambda: -x, "inv": lambda: 1 / x,
        "square": lambda: x * x, "exp": lambda: math.exp(x), "log": lambda: math.log(x),
        "sigmoid": lambda: _sigmoid(float(x)), "tanh": lambda: math.tanh(x),
        "relu": lambda: max(x, Fraction(0)), "abs": lambda: abs(x),
        "scale": lambda: p * x, "addconst": lambda: x + p, "pow": lambda: _pow(x, p),
    }
    return table[op]()


def _local(op: str, xs: list[Value], p: Fraction | None, slot: int) -> Value:
    """d op / d operand[slot] at ``xs``."""
    x = xs[0]
    if op in ("max", "min"):
        ranked = sorted(xs, reverse=op == "max")
        if abs(ranked[0] - ranked[1]) < MARGIN:
            raise _Reject  # a tie, or a win too narrow to read off
        return Fraction(int(xs[slot] == ranked[0]))
    table = {
        "add": lambda: Fraction(1), "sub": lambda: Fraction(1 - 2 * slot),
        "mul": lambda: math.prod(xs[:slot] + xs[slot + 1:], start=Fraction(1)),
        "div": lambda: -x / xs[1] ** 2 if slot else 1 / xs[1], "neg": lambda: Fraction(-1),
        "inv": lambda: -1 / x ** 2, "square": lambda: 2 * x, "exp": lambda: math.exp(x),
        "log": lambda: 1 / x, "sigmoid": lambda: _sigmoid(float(x)) * (1 - _sigmoid(float(x))),
        "tanh": lambda: 1 - math.tanh(x) ** 2, "relu": lambda: Fraction(int(x > 0)),
        "abs": lambda: Fraction(1 if x > 0 else -1), "scale": lambda: p,
        "addconst": lambda: Fraction(1), "pow": lambda: p * _pow(x, p - 1),
    }
    return table[op]()


def _validate(nodes: list[dict], inputs: Mapping[str, Fraction], allow_gate: bool) -> None:
    """Forward and backward pass with every constraint checked on the way.

    Raises:
        _Reject: a value is zero, too large or too fine, a gate is (nearly) tied, ...
    """
    values: dict[str, Value] = dict(inputs)
    params = {node["id"]: node.get("param") for node in nodes}
    for node in nodes:
        value = _forward(node["op"], [values[x] for x in node["inputs"]], params[node["id"]])
        if _is_zero(_check(value)):
            raise _Reject  # a node worth 0 is a trivial sub-question
        values[node["id"]] = value
    grads: dict[str, Value] = dict.fromkeys(values, Fraction(0))
    grads[OUTPUT_NAME] = Fraction(1)
    zeros, arrows = 0, set()
    for node in reversed(nodes):
        xs = [values[x] for x in node["inputs"]]
        for slot, source in enumerate(node["inputs"]):
            local = _local(node["op"], xs, params[node["id"]], slot)
            arrow = _check(grads[node["id"]] * local)
            if _is_zero(arrow):
                gate_loser = node["op"] in _GATES and local == 0
                zeros += 1
                if not (allow_gate and gate_loser and zeros == 1):
                    raise _Reject
            grads[source] = _check(grads[source] + arrow)
            arrows.add(abs(arrow))
    slots = sum(len(node["inputs"]) for node in nodes)
    if len(arrows) < min(MIN_DISTINCT_ARROWS, slots - 1):
        raise _Reject  # nearly every arrow the same number: little to check


def _json_number(value: Fraction) -> int | str:
    return int(value) if value.denominator == 1 else str(value)


def _draw_values(rng: random.Random, nodes: list[dict], k: int, opts: Options) -> dict | None:
    """Inputs and params for a shape; the JSON-safe graph mapping, or None if rejected."""
    inputs = _draw_inputs(rng, INPUT_NAMES[:k])
    drawn = []
    for shape in nodes:
        node = {**shape, "inputs": list(shape["inputs"])}
        if OPS[node["op"]].has_param:
            node["param"] = rng.choice(_PARAMS[node["op"]])
        drawn.append(node)
    try:
        _validate(drawn, inputs, opts.allow_gate)
    except (_Reject, ZeroDivisionError, OverflowError, ValueError):
        return None
    for node in drawn:
        if "param" in node:
            node["param"] = _json_number(node["param"])
    return {"inputs": {name: _json_number(v) for name, v in inputs.items()},
            "nodes": drawn, "output": OUTPUT_NAME}


def draw(rng: random.Random, opts: Options,
         attempts: int = SHAPE_ATTEMPTS) -> tuple[dict | None, int]:
    """Rejection sampling: up to ``attempts`` shapes, each with a few value draws.

    Returns:
        The graph mapping (None if every attempt was rejected) and the number of value
        draws and unusable shapes it took.
    """
    tries = 0
    for _ in range(attempts):
        ops = _draw_ops(rng, opts)
        k = _input_count(rng, opts.arrows, len(ops)) if ops else 0
        nodes = _wire(rng, ops, k) if ops else None
        if nodes is None:
            tries += 1
            continue
        for _ in range(VALUE_ATTEMPTS):
            tries += 1
            graph = _draw_values(rng, nodes, k, opts)
            if graph is not None:
                return graph, tries
    return None, tries


def sample_graph(rng: random.Random, params: Mapping[str, Any]) -> dict:
    """A new random graph mapping (DESIGN 3.1) with the arrow count of ``params``.

    Only ``rng`` is drawn from. If every attempt is rejected (unlikely for feasible options)
    the result comes from a fixed-seed generator of its own, so it is still deterministic.

    Raises:
        AuthoringError: the options are malformed or no graph satisfies them.
    """
    opts = parse_options(params)
    graph, _ = draw(rng, opts, SHAPE_ATTEMPTS)
    if graph is None:
        fallback = random.Random(f"backprop-fallback:{opts}")
        graph, _ = draw(fallback, opts, FALLBACK_ATTEMPTS)
    if graph is None:
        raise AuthoringError(f"no random graph with {opts.arrows} arrows and ops "
                             f"{list(opts.ops)} meets the constraints", part="ops")
    return graph
