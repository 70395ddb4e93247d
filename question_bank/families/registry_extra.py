"""Drill families (gradient check, momentum, weight scale, Q-learning), to merge into FAMILIES."""

from __future__ import annotations

from grader.model import Family
from question_bank.families import init, optim, qlearning

EXTRA_FAMILIES: dict[str, Family] = {
    optim.GRADIENT_CHECK: Family(name=optim.GRADIENT_CHECK, solve=optim.solve_gradient_check,
                                 sample=optim.sample_gradient_check),
    optim.MOMENTUM: Family(name=optim.MOMENTUM, solve=optim.solve_momentum,
                           sample=optim.sample_momentum),
    init.NAME: Family(name=init.NAME, solve=init.solve, sample=init.sample),
    qlearning.NAME: Family(name=qlearning.NAME, solve=qlearning.solve, sample=qlearning.sample),
}
