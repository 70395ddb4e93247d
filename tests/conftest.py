"""Shared test options and fixtures.

Goldens: text outputs compared byte for byte with files in tests/golden/. After an intended
change, refresh them with ``pytest --update-goldens`` and review the diff before committing;
never edit a golden by hand to make a test pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis: CI (HYPOTHESIS_PROFILE=ci, set by .ci/run) runs fewer examples so the whole suite
# stays within minutes on two cores; locally the default profile runs hypothesis's defaults.
settings.register_profile("ci", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/ files from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)``: assert ``text`` equals tests/golden/<name> (or rewrite it)."""
    update = request.config.getoption("--update-goldens")

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            return
        assert path.is_file(), f"no golden {path}; run pytest --update-goldens and review it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (f"{name} differs from its golden; if the change is intended, "
                                  "run pytest --update-goldens and review the diff")

    return check
