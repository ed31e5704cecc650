"""The domain tier: the Desk API's use cases, races and properties, on the small exact clinic
(deskbook.testing.small_clinic), one tenant per test in a database per module and engine."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from deskbook.testing.small_clinic import World, build

_tenants = itertools.count(1)


@pytest.fixture
def world(module_url: str) -> Iterator[World]:
    """A fresh clinic (its own tenant and logins) for one test: as isolated as a database
    each, and far cheaper on PostgreSQL."""
    w = build(module_url, prefix=f"t{next(_tenants)}_")
    yield w
    w.desk.close()
