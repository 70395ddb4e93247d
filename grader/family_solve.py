"""Solve one question family on parameters a teacher types (`grader solve family ...`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from grader.answers import expected_value
from grader.errors import AuthoringError, InputError
from grader.model import Family, Solved
from grader.variants import plain
from grader.yamlfile import load_yaml

# Short names for the families a teacher checks most, as `grader solve <alias>`.
ALIASES = {
    "field-of-view": "cnn.field_of_view",
    "params": "cnn.params",
    "dilation": "cnn.dilation_fov",
    "dilation-layers": "cnn.dilation_min_layers",
    "gradient-check": "optim.gradient_check",
    "momentum": "optim.momentum",
    "weight-scale": "init.weight_scale",
    "q-update": "rl.q_update",
}


def _exact(value: Any) -> Any:
    """YAML floats become their decimal text, so 0.9 stays exactly 9/10 for the family."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    return value


def parse_assignments(pairs: Iterable[str], params_file: Path | None = None) -> dict[str, Any]:
    """Parameters from a YAML file and `key=value` pairs (values read as YAML: 3, 0.9, [2, 1]).

    >>> parse_assignments(["mu=0.9", "gradients=[2, 1]", "nesterov=true"])
    {'mu': '0.9', 'gradients': [2, 1], 'nesterov': True}

    Raises:
        InputError: a pair without '=', or a value or file that is not YAML.
    """
    params: dict[str, Any] = {}
    if params_file is not None:
        loaded = load_yaml(params_file, "parameters")
        if not isinstance(loaded, dict):
            raise InputError("parameters must be a YAML mapping", file=str(params_file))
        params.update(loaded)
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"parameter '{pair}' is not KEY=VALUE (e.g. mu=0.9)")
        try:
            params[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise InputError(f"the value of {key.strip()} is not readable: {text!r}") from None
    return _exact(params)


def family_named(name: str, families: Mapping[str, Family]) -> Family:
    """A family by its name or alias, with the list of known names when it is unknown."""
    family = families.get(ALIASES.get(name, name))
    if family is None:
        known = ", ".join(sorted(families))
        raise InputError(f"no family '{name}' (known: {known}; aliases: {', '.join(ALIASES)})")
    return family


def solve_text(family: Family, params: Mapping[str, Any]) -> str:
    """The answer and the worked solution, as a teacher reads them."""
    solved = _solve(family, params)
    lines = [f"Family {family.name}", "", "Parameters:", json.dumps(plain(params))]
    answer = solved.answer
    if isinstance(answer, Mapping):
        lines += ["", "Answer:", *(f"  {key} = {_shown(value)}" for key, value in answer.items())]
    elif answer is not None:
        lines += ["", f"Answer: {_shown(answer)}"]
    lines += ["", "Worked solution:", solved.solution.strip()]
    return "\n".join(lines)


def _shown(exact: str) -> str:
    """An exact answer with its decimal value when that reads differently ("-1/5 (-0.2)")."""
    value = expected_value(str(exact))
    if value.is_Integer or not value.is_real:
        return str(exact)
    return f"{exact} ({float(value):.6g})"


def solve_json(family: Family, params: Mapping[str, Any]) -> dict[str, Any]:
    solved = _solve(family, params)
    return {"family": family.name, "params": plain(params), "answer": plain(solved.answer),
            "solution": solved.solution, "placeholders": plain(solved.placeholders)}


def _solve(family: Family, params: Mapping[str, Any]) -> Solved:
    try:
        return family.solve(params)
    except AuthoringError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise AuthoringError(f"parameters do not fit the family: {exc}",
                             file=f"family {family.name}") from None
