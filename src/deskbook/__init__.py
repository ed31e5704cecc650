"""deskbook: front-desk booking for therapy clinics."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Desk"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from deskbook.desk import Desk


def __getattr__(name: str) -> object:
    # Lazy, so `deskbook --help` does not pay for SQLAlchemy before it needs it.
    if name == "Desk":
        from deskbook.desk import Desk

        return Desk
    raise AttributeError(name)
