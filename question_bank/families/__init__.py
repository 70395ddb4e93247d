"""Registry of question families: family name -> Family (solve, and later sample)."""

from __future__ import annotations

from grader.model import Family
from question_bank.families import backprop, cnn

FAMILIES: dict[str, Family] = {
    backprop.NAME: Family(name=backprop.NAME, solve=backprop.solve),
    cnn.FIELD_OF_VIEW: Family(name=cnn.FIELD_OF_VIEW, solve=cnn.solve_field_of_view),
    cnn.PARAMS: Family(name=cnn.PARAMS, solve=cnn.solve_params),
}
