"""Where the database is and how the clinic is set up, from flags or DESKBOOK_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from deskbook.display import BidiMode, parse_mode
from deskbook.errors import InvalidInput

ENV_PREFIX = "DESKBOOK_"
DEFAULT_TIMEZONE = "Asia/Riyadh"
DEFAULT_CURRENCY = "SAR"


def data_dir() -> Path:
    return Path(user_data_dir("deskbook", appauthor=False))


def ensure_data_dir() -> Path:
    """The data folder, made private (0700) when deskbook creates it: it holds patient data."""
    folder = data_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'deskbook.db'}"


def database_url(explicit: str | None = None) -> str:
    """The --db flag wins, then DESKBOOK_DATABASE_URL, then a SQLite file in the data dir."""
    return explicit or os.environ.get(f"{ENV_PREFIX}DATABASE_URL") or default_database_url()


@dataclass(frozen=True)
class Settings:
    database_url: str
    lock_timeout_seconds: float = 5.0
    busy_retries: int = 3
    # How Arabic is painted (deskbook.display); None: the login's choice, else the terminal's.
    bidi: BidiMode | None = None

    @classmethod
    def from_env(cls, explicit_url: str | None = None) -> Settings:
        env = os.environ
        return cls(
            database_url=database_url(explicit_url),
            lock_timeout_seconds=float(env.get(f"{ENV_PREFIX}LOCK_TIMEOUT", "5")),
            busy_retries=int(env.get(f"{ENV_PREFIX}BUSY_RETRIES", "3")),
            bidi=_bidi_mode(env.get(f"{ENV_PREFIX}BIDI", "")),
        )


def _bidi_mode(raw: str) -> BidiMode | None:
    if not raw.strip():
        return None
    mode = parse_mode(raw)
    if mode is None:
        choices = ", ".join(m.value for m in BidiMode)
        raise InvalidInput(f"{ENV_PREFIX}BIDI must be one of {choices}, not '{raw}'.")
    return mode
