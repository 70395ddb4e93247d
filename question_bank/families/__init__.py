"""Registry of question families: family name -> Family (solve, sample)."""

from __future__ import annotations

from grader.model import Family
from question_bank.families import backprop, cnn, cnn_sample, dilation, init, optim, qlearning

FAMILIES: dict[str, Family] = {
    backprop.NAME: Family(name=backprop.NAME, solve=backprop.solve, sample=backprop.sample),
    cnn.STACK: Family(name=cnn.STACK, solve=cnn.solve_stack, sample=cnn_sample.sample_stack),
    cnn.FIELD_OF_VIEW: Family(name=cnn.FIELD_OF_VIEW, solve=cnn.solve_field_of_view,
                              sample=cnn_sample.sample_field_of_view),
    cnn.PARAMS: Family(name=cnn.PARAMS, solve=cnn.solve_params, sample=cnn_sample.sample_params),
    dilation.DILATION_FOV: Family(name=dilation.DILATION_FOV, solve=dilation.solve_dilation_fov,
                                  sample=dilation.sample_dilation_fov),
    dilation.DILATION_MIN_LAYERS: Family(name=dilation.DILATION_MIN_LAYERS,
                                         solve=dilation.solve_dilation_min_layers,
                                         sample=dilation.sample_dilation_min_layers),
    optim.GRADIENT_CHECK: Family(name=optim.GRADIENT_CHECK, solve=optim.solve_gradient_check,
                                 sample=optim.sample_gradient_check),
    optim.MOMENTUM: Family(name=optim.MOMENTUM, solve=optim.solve_momentum,
                           sample=optim.sample_momentum),
    init.NAME: Family(name=init.NAME, solve=init.solve, sample=init.sample),
    qlearning.NAME: Family(name=qlearning.NAME, solve=qlearning.solve, sample=qlearning.sample),
}
