"""Exact one-step (tabular) Q-learning update: target, TD error and the updated Q value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from grader.solver.optim import Number, exact_number


@dataclass(frozen=True)
class QUpdate:
    """Q(s,a) <- Q(s,a) + alpha*(y - Q(s,a)), y = r + gamma*max_a' Q(s',a') (y = r if terminal)."""

    q: sp.Rational  # Q(s, a) before the update
    reward: sp.Rational
    gamma: sp.Rational
    alpha: sp.Rational
    next_q: tuple[sp.Rational, ...]  # Q(s', a') for every action a'
    terminal: bool
    best_action: int | None  # index of the largest Q(s', a') (the first on a tie); None if terminal
    best_next: sp.Rational  # max_a' Q(s', a'), 0 for a terminal s'
    target: sp.Rational
    td_error: sp.Rational  # target - Q(s, a)
    updated: sp.Rational


def q_update(q: Number, reward: Number, next_q: Sequence[Number], gamma: Number,
             alpha: Number, terminal: bool = False) -> QUpdate:
    """One Q-learning update, exactly.

    >>> u = q_update("0.5", 1, ["0.2", "0.8", "-1"], "0.9", "0.1")
    >>> u.target, u.td_error, u.updated, u.best_action
    (43/25, 61/50, 311/500, 1)

    Raises:
        ValueError: gamma outside [0, 1], alpha outside (0, 1], or no next-state values for
            a state that is not terminal.
    """
    q, reward = exact_number(q), exact_number(reward)
    gamma, alpha = exact_number(gamma), exact_number(alpha)
    values = tuple(exact_number(v) for v in next_q)
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], not {gamma}")
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], not {alpha}")
    if terminal:
        best_action, best_next = None, sp.Integer(0)
    else:
        if not values:
            raise ValueError("a state that is not terminal needs its Q values")
        best_next = max(values)
        best_action = values.index(best_next)
    target = reward + gamma * best_next
    td_error = target - q
    return QUpdate(q, reward, gamma, alpha, values, bool(terminal), best_action, best_next,
                   target, td_error, q + alpha * td_error)
