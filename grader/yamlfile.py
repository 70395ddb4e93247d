"""Read a teacher's YAML file (graph, stack, parameters) with one clear error for any failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grader.errors import InputError


def load_yaml(path: str | Path, what: str) -> Any:
    """The parsed document (safe loader: plain data only).

    Raises:
        InputError: naming the file: it cannot be read, is not UTF-8, or is not YAML.
    """
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(f"cannot read {what}: {err}", file=str(path)) from None
