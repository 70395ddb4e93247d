"""Q-learning update: exact solver vs floats and a tiny tabular Q-learning run; the family."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from grader.errors import AuthoringError
from grader.solver.rl import q_update
from question_bank.families import FAMILIES as EXTRA_FAMILIES
from question_bank.families import qlearning
from tests.test_solver_optim import check_fixed, check_sampler

FAMILY = EXTRA_FAMILIES["rl.q_update"]
R = sp.Rational


def test_worked_example():
    u = q_update("0.5", 1, ["0.2", "0.8", "-1"], "0.9", "0.1")
    assert (u.best_action, u.best_next) == (1, R(4, 5))
    assert (u.target, u.td_error, u.updated) == (R(43, 25), R(61, 50), R(311, 500))


def test_terminal_ignores_the_next_state():
    u = q_update("2.5", 3, ["1", "4"], "0.9", "0.5", terminal=True)
    assert (u.target, u.updated, u.best_action, u.best_next) == (3, R(11, 4), None, 0)
    assert q_update(0, 1, [], "0.9", "0.5", terminal=True).target == 1


@pytest.mark.parametrize(("args", "message"), [
    ((0, 1, [1], "1.1", "0.5"), "gamma"),
    ((0, 1, [1], "-0.1", "0.5"), "gamma"),
    ((0, 1, [1], "0.9", 0), "alpha"),
    ((0, 1, [1], "0.9", "1.5"), "alpha"),
    ((0, 1, [], "0.9", "0.5"), "needs its Q values"),
])
def test_errors(args, message):
    with pytest.raises(ValueError, match=message):
        q_update(*args)


def test_vs_float_computation():
    for seed in range(300):
        rng = random.Random(seed)
        q, r = R(rng.randint(-50, 50), 10), R(rng.randint(-20, 20), 2)
        next_q = [R(rng.randint(-50, 50), 10) for _ in range(rng.randint(1, 5))]
        gamma, alpha = R(rng.randint(0, 100), 100), R(rng.randint(1, 100), 100)
        terminal = rng.random() < 0.3
        u = q_update(q, r, next_q, gamma, alpha, terminal)
        target = float(r) + (0.0 if terminal else float(gamma) * max(map(float, next_q)))
        updated = (1 - float(alpha)) * float(q) + float(alpha) * target  # the other textbook form
        assert float(u.target) == pytest.approx(target, abs=1e-12)
        assert float(u.updated) == pytest.approx(updated, abs=1e-12)
        assert u.td_error == u.target - u.q
        if not terminal:
            assert next_q[u.best_action] == max(next_q)


def _chain(n: int):
    """States 0..n-1 on a line, actions 0 (left) and 1 (right); reaching n-1 pays 1 and ends."""
    def step(s: int, a: int) -> tuple[int, int, bool]:
        s2 = max(0, s - 1) if a == 0 else s + 1
        return s2, (1 if s2 == n - 1 else 0), s2 == n - 1
    return step


def _run(n: int, gamma, alpha, sweeps: int, exact: bool) -> list[list]:
    """Tabular Q-learning over every (state, action), with our update or plain floats."""
    step = _chain(n)
    zero = R(0) if exact else 0.0
    table = [[zero, zero] for _ in range(n)]
    for _ in range(sweeps):
        for s in range(n - 1):
            for a in (0, 1):
                s2, r, done = step(s, a)
                if exact:
                    table[s][a] = q_update(table[s][a], r, table[s2], gamma, alpha, done).updated
                else:
                    target = r + (0.0 if done else float(gamma) * max(table[s2]))
                    table[s][a] += float(alpha) * (target - table[s][a])
    return table


def test_tabular_q_learning_vs_floats_and_optimum():
    gamma = R(9, 10)
    for alpha in (R(1, 2), R(1, 5)):
        exact, floats = _run(5, gamma, alpha, 20, True), _run(5, gamma, alpha, 20, False)
        for row, frow in zip(exact, floats, strict=True):
            assert [float(v) for v in row] == pytest.approx(frow, abs=1e-12)
    # alpha = 1 on a deterministic chain: Q reaches Q* exactly, Q*(s, right) = gamma^(n-2-s)
    n = 5
    table = _run(n, gamma, 1, n + 2, True)
    for s in range(n - 1):
        assert table[s][1] == gamma ** (n - 2 - s)
        assert table[s][0] == gamma ** (n - 2 - max(0, s - 1) + 1)


# ---------------------------------------------------------------- family
BASE = {"q": "0.5", "reward": 1, "gamma": "0.9", "alpha": "0.1", "next_q": ["0.2", "0.8", "-1"]}
TERMINAL = {"q": "2.5", "reward": 3, "gamma": "0.9", "alpha": "0.5", "next_q": ["1", "4"],
            "terminal": True}


def test_family_original():
    solved = FAMILY.solve(BASE)
    assert solved.answer == {"target": "43/25", "updated": "311/500"}
    assert solved.placeholders["next_q"] == "0.2, 0.8 and -1"
    assert "1 + 0.9*0.8 = **1.72**" in solved.solution
    assert "0.5 + 0.1*1.22 = **0.622**" in solved.solution
    terminal = FAMILY.solve(TERMINAL)
    assert terminal.answer == {"target": "3", "updated": "11/4"}
    assert "y = r = **3**" in terminal.solution


@pytest.mark.parametrize(("params", "message"), [
    ({**BASE, "epsilon": 1}, "unknown parameter"),
    ({k: v for k, v in BASE.items() if k != "gamma"}, "missing parameter"),
    ({**BASE, "next_q": []}, "non-empty"),
    ({**BASE, "terminal": "no"}, "true or false"),
    ({**BASE, "gamma": "2"}, "gamma"),
    ({**BASE, "q": "x"}, "not a number"),
])
def test_family_errors(params, message):
    with pytest.raises(AuthoringError, match=message):
        qlearning.solve(params)


@pytest.mark.parametrize("base", [BASE, TERMINAL])
def test_sampler(base):
    for params in check_sampler(FAMILY, base):
        assert params["terminal"] == base.get("terminal", False)
        assert len(params["next_q"]) == len(base["next_q"])
        u = q_update(params["q"], params["reward"], params["next_q"], params["gamma"],
                     params["alpha"], params["terminal"])
        assert u.td_error != 0
        if not u.terminal:
            assert u.next_q.count(u.best_next) == 1
    check_fixed(FAMILY, base, "gamma")
