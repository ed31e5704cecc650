"""A call that must end: run it on a thread and fail the test if it is still waiting long after
any bound the app sets (a freeze), instead of hanging the suite. Not a timing assertion."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

# Far longer than any bounded wait of the app under test; reaching it means the call froze.
FREEZE_S = 60


def within_deadline(call: Callable[[], T]) -> T:
    """Run call in a thread; fail the test if it has not returned or raised by FREEZE_S."""
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            values.append(call())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(FREEZE_S)
    if worker.is_alive():
        pytest.fail(f"the call froze for {FREEZE_S}s instead of giving up", pytrace=False)
    if errors:
        raise errors[0]
    return values[0]
