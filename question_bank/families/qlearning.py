"""Family rl.q_update: one tabular Q-learning update (INF9860 b, as a computation)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from grader.errors import AuthoringError
from grader.model import Solved
from grader.solver.report import exact_text
from grader.solver.rl import QUpdate, q_update
from question_bank.families.optim import (
    check_keys,
    draw_until,
    exact_param,
    list_text,
    number_text,
    plausible,
    short,
)

NAME = "rl.q_update"


def _solution(u: QUpdate) -> str:
    if u.terminal:
        target = ["- s' is terminal, so there is no future reward: y = r = "
                  f"**{number_text(u.target)}**"]
    else:
        values = ", ".join(number_text(v) for v in u.next_q)
        target = [f"- max over a' of Q(s', a') = max({values}) = {number_text(u.best_next)} "
                  f"(action {u.best_action + 1})",
                  f"- target y = r + gamma * max Q(s', a') = {short(u.reward, False)} + "
                  f"{number_text(u.gamma)}*{short(u.best_next)} = **{number_text(u.target)}**"]
    return "\n".join([
        *target,
        f"- TD error y - Q(s, a) = {short(u.target, False)} - {short(u.q)} = "
        f"{number_text(u.td_error)}",
        f"- updated Q(s, a) = Q + alpha*(y - Q) = {short(u.q, False)} + {number_text(u.alpha)}*"
        f"{short(u.td_error)} = **{number_text(u.updated)}**", "",
        "The Q-network (here a table) is trained toward a target built from one step of real "
        "reward and its own estimate of the best value from the next state.",
    ]) + "\n"


def _update(params: Mapping[str, Any]) -> QUpdate:
    """Validate the parameters and run the solver."""
    check_keys(params, {"q", "reward", "gamma", "alpha", "next_q", "terminal"},
               {"q", "reward", "gamma", "alpha", "next_q"}, NAME)
    next_q, terminal = params["next_q"], params.get("terminal", False)
    if not isinstance(next_q, list | tuple) or not next_q:
        raise AuthoringError("next_q must be a non-empty list", file=f"family {NAME}",
                             part="next_q")
    if not isinstance(terminal, bool):
        raise AuthoringError("terminal must be true or false", file=f"family {NAME}",
                             part="terminal")
    values = [exact_param({"q": v}, "q", NAME) for v in next_q]
    numbers = {k: exact_param(params, k, NAME) for k in ("q", "reward", "gamma", "alpha")}
    try:
        return q_update(next_q=values, terminal=terminal, **numbers)
    except ValueError as err:
        raise AuthoringError(str(err), file=f"family {NAME}") from None


def solve(params: Mapping[str, Any]) -> Solved:
    """Q-learning update: params {q, reward, gamma, alpha, next_q, terminal?}.

    Raises:
        AuthoringError: unknown, missing or invalid parameters.
    """
    u = _update(params)
    placeholders = {
        "q": number_text(u.q), "reward": number_text(u.reward),
        "gamma": number_text(u.gamma), "alpha": number_text(u.alpha),
        "next_q": list_text(u.next_q), "actions": str(len(u.next_q)),
        "terminal": "s' is a terminal state" if u.terminal else "s' is not a terminal state",
    }
    answer = {"target": exact_text(u.target), "updated": exact_text(u.updated)}
    return Solved(placeholders=placeholders, answer=answer, solution=_solution(u))


def _one_decimal(rng: random.Random, low: int, high: int) -> str:
    """A number with at most one decimal in [low, high], as an exact string."""
    return number_text(exact_param({"x": f"{rng.randint(low * 10, high * 10)}/10"}, "x", NAME))


def sample(rng: random.Random, params: Mapping[str, Any], fixed: Mapping[str, Any]
           ) -> dict[str, Any]:
    """New values with the base's shape (terminal or not, as many actions); no zero answers,
    a unique best next action, and a non-zero TD error."""
    terminal = bool(params.get("terminal", False))
    actions = len(params.get("next_q") or [0, 0, 0])

    def draw(r: random.Random) -> dict[str, Any]:
        return {"q": _one_decimal(r, -2, 5), "reward": r.choice(["-1", "0", "0.5", "1", "2", "5",
                                                                 "10"]),
                "gamma": r.choice(["0.5", "0.8", "0.9", "0.95", "0.99"]),
                "alpha": r.choice(["0.1", "0.2", "0.5"]),
                "next_q": [_one_decimal(r, -2, 6) for _ in range(actions)],
                "terminal": terminal}

    def ok(u: QUpdate) -> bool:
        unique = u.terminal or u.next_q.count(u.best_next) == 1
        return unique and u.td_error != 0 and plausible(u.target) and plausible(u.updated)

    return draw_until(rng, draw, _update, ok, fixed, NAME)
