"""The slow tier: the soak, the SIGKILL crash tests and the fuzzing, on the stress clinic
(deskbook.testing.soak_seed). Every test here is marked `slow`, so `pytest -m "not slow"`
leaves the tier out while iterating."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
