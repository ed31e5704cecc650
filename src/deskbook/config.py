"""Where the database is and how the clinic is set up, from flags or DESKBOOK_* variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir, user_documents_dir

from deskbook.display import BidiMode, parse_mode
from deskbook.errors import InvalidInput

ENV_PREFIX = "DESKBOOK_"
DEFAULT_TIMEZONE = "Asia/Riyadh"
DEFAULT_CURRENCY = "SAR"
DEFAULT_LOCK_TIMEOUT_S = 5.0
DEFAULT_BUSY_RETRIES = 3
# A desk's bounds on PostgreSQL: one statement, a transaction left open by a desk that went
# quiet, and the whole Desk call (retries included) whatever the network does.
DEFAULT_STATEMENT_TIMEOUT_S = 20.0
DEFAULT_IDLE_IN_TRANSACTION_S = 30.0
DEFAULT_CALL_DEADLINE_S = 30.0
# A report reads a year of visits by design: its statements and its call get this bound instead.
DEFAULT_REPORT_TIMEOUT_S = 120.0


def data_dir() -> Path:
    return Path(user_data_dir("deskbook", appauthor=False))


def ensure_data_dir() -> Path:
    """The data folder, made private (0700) when deskbook creates it: it holds patient data."""
    folder = data_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def exports_dir() -> Path:
    """Where a day sheet export goes unless the user says otherwise: the user's documents
    folder if there is one, else deskbook's data folder."""
    documents = Path(user_documents_dir())
    return documents / "deskbook" if documents.is_dir() else data_dir() / "exports"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'deskbook.db'}"


def database_url(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The --db flag wins, then DESKBOOK_DATABASE_URL, then a SQLite file in the data dir."""
    env = os.environ if env is None else env
    return explicit or env.get(f"{ENV_PREFIX}DATABASE_URL") or default_database_url()


@dataclass(frozen=True)
class Settings:
    """Every DESKBOOK_* setting, read here and nowhere else (README, Configuration)."""

    database_url: str
    # How long a desk waits for another desk's lock before the try counts as busy.
    lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_S
    # How many tries a write gets, from the start, before Busy reaches the desk.
    busy_retries: int = DEFAULT_BUSY_RETRIES
    # The server ends a desk's statement that runs longer (PostgreSQL statement_timeout).
    statement_timeout_seconds: float = DEFAULT_STATEMENT_TIMEOUT_S
    # The server rolls back a desk's transaction left idle this long, releasing its locks.
    idle_in_transaction_seconds: float = DEFAULT_IDLE_IN_TRANSACTION_S
    # The desk stops waiting for one call after this long, even when the link is silent.
    call_deadline_seconds: float = DEFAULT_CALL_DEADLINE_S
    # A report's statements and its whole call (the package reports) end after this long.
    report_timeout_seconds: float = DEFAULT_REPORT_TIMEOUT_S
    keymap: str = ""
    theme: str = ""
    bench_pg_url: str = ""
    # How Arabic is painted (deskbook.display); None: the login's choice, else the terminal's.
    bidi: BidiMode | None = None
    pdf_font: str = ""
    # The desk's name in the audit trail (deskbook.desk_place); `deskbook serve` sets it.
    desk: str = ""
    # For `deskbook export report` in scripts; kept out of repr so it never reaches a log.
    password: str = field(default="", repr=False)

    @property
    def lock_timeout_ms(self) -> int:
        return round(self.lock_timeout_seconds * 1000)

    @property
    def statement_timeout_ms(self) -> int:
        return round(self.statement_timeout_seconds * 1000)

    @property
    def idle_in_transaction_ms(self) -> int:
        return round(self.idle_in_transaction_seconds * 1000)

    @classmethod
    def from_env(
        cls, explicit_url: str | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=database_url(explicit_url, env),
            lock_timeout_seconds=_number(
                env, "LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_S, float, 0.05, 600
            ),
            busy_retries=int(_number(env, "BUSY_RETRIES", DEFAULT_BUSY_RETRIES, int, 1, 20)),
            statement_timeout_seconds=_number(
                env, "STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT_S, float, 0.1, 3600
            ),
            idle_in_transaction_seconds=_number(
                env, "IDLE_IN_TRANSACTION_TIMEOUT", DEFAULT_IDLE_IN_TRANSACTION_S, float, 0.1, 3600
            ),
            call_deadline_seconds=_number(
                env, "CALL_DEADLINE", DEFAULT_CALL_DEADLINE_S, float, 0.1, 3600
            ),
            report_timeout_seconds=_number(
                env, "REPORT_TIMEOUT", DEFAULT_REPORT_TIMEOUT_S, float, 0.1, 3600
            ),
            keymap=env.get(f"{ENV_PREFIX}KEYMAP", ""),
            theme=env.get(f"{ENV_PREFIX}THEME", ""),
            bench_pg_url=env.get(f"{ENV_PREFIX}BENCH_PG_URL", ""),
            bidi=_bidi_mode(env.get(f"{ENV_PREFIX}BIDI", "")),
            pdf_font=env.get(f"{ENV_PREFIX}PDF_FONT", ""),
            desk=env.get(f"{ENV_PREFIX}DESK", ""),
            password=env.get(f"{ENV_PREFIX}PASSWORD", ""),
        )


def _bidi_mode(raw: str) -> BidiMode | None:
    if not raw.strip():
        return None
    mode = parse_mode(raw)
    if mode is None:
        choices = ", ".join(m.value for m in BidiMode)
        raise InvalidInput(f"{ENV_PREFIX}BIDI must be one of {choices}, not '{raw}'.")
    return mode


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    kind: Callable[[str], float],
    low: float,
    high: float,
) -> float:
    raw = env.get(f"{ENV_PREFIX}{name}", "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        unit = "a number of seconds" if kind is float else "a whole number"
        raise InvalidInput(
            f"{ENV_PREFIX}{name} must be {unit} from {low:g} to {high:g}, not '{raw}'."
        )
    return value
