"""One way to turn a URL into a ready engine, and the locked write transaction.

SQLite: WAL so readers never wait for a writer, foreign keys on, a busy timeout, and every
write transaction opened with BEGIN IMMEDIATE. A deferred BEGIN that reads and then writes
fails at once with SQLITE_BUSY (the busy timeout does not apply to a lock upgrade), so two
desks on one file would fail instead of taking turns.

PostgreSQL: psycopg 3, a connect timeout, and a lock_timeout inside every write transaction so
a desk that holds a row too long gives the next one Busy after a bounded wait, never a freeze.

A desk's engine (bounded=True, Desk.open) also carries the server-side statement_timeout and
idle_in_transaction_session_timeout on every connection, and a deadline for each Desk call
(db.deadline); admin jobs (demo build, migrations) run without them.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.orm import Session

from deskbook.config import DEFAULT_BUSY_RETRIES, DEFAULT_LOCK_TIMEOUT_S, Settings
from deskbook.db.deadline import watch_checkouts
from deskbook.db.urls import describe_connect_error as describe_connect_error
from deskbook.db.urls import parse_url as parse_url
from deskbook.db.urls import pg_servers as pg_servers
from deskbook.db.urls import safe_url as safe_url
from deskbook.db.urls import sqlite_path as sqlite_path
from deskbook.db.urls import wants_primary as wants_primary
from deskbook.errors import Busy, DatabaseError

T = TypeVar("T")

PG_CONNECT_TIMEOUT_S = 5

# The names of the schema's rules, the same on both engines: PostgreSQL reports the constraint
# name, the SQLite triggers RAISE with it, so the domain can tell which rule a row broke.
PROVIDER_OVERLAP = "ex_provider_block_overlap"
PATIENT_OVERLAP = "ex_appointment_patient_overlap"
PURCHASE_SESSION = "uq_appointment_purchase_session"
RULE_NAMES = (PROVIDER_OVERLAP, PATIENT_OVERLAP, PURCHASE_SESSION, "uq_patient_tenant_mrn")

_WRITE = "deskbook_write"
# The engine carries its settings as execution options, so every session on it sees them.
_LOCK_TIMEOUT_MS = "deskbook_lock_timeout_ms"
_BUSY_RETRIES = "deskbook_busy_retries"
_CALL_DEADLINE_S = "deskbook_call_deadline_s"
_REPORT_TIMEOUT_S = "deskbook_report_timeout_s"


def make_engine(
    url: str,
    *,
    must_exist: bool = False,
    pool_size: int = 5,
    settings: Settings | None = None,
    bounded: bool = False,
) -> Engine:
    """A ready engine for url, with the lock wait and retries of settings (by default the
    DESKBOOK_* variables). must_exist refuses a SQLite file that is not there yet, instead
    of quietly creating an empty database. bounded: a desk's engine, whose statements, idle
    transactions and calls are bounded by the settings' timeouts."""
    settings = settings or Settings.from_env(url)
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, settings.lock_timeout_ms, must_exist=must_exist)
        if bounded:
            _bound_sqlite_statements(engine, settings.statement_timeout_seconds)
    else:
        server_limits = (
            f" -c statement_timeout={settings.statement_timeout_ms}"
            f" -c idle_in_transaction_session_timeout={settings.idle_in_transaction_ms}"
            if bounded
            else ""
        )
        engine = _postgres_engine(
            parsed, f"-c lock_timeout={settings.lock_timeout_ms}{server_limits}", pool_size
        )
    watch_checkouts(engine)
    engine.update_execution_options(
        **{
            _LOCK_TIMEOUT_MS: settings.lock_timeout_ms,
            _BUSY_RETRIES: settings.busy_retries,
            _CALL_DEADLINE_S: settings.call_deadline_seconds if bounded else 0.0,
            _REPORT_TIMEOUT_S: settings.report_timeout_seconds if bounded else 0.0,
        }
    )
    return engine


def call_deadline_s(engine: Engine) -> float:
    """How long one Desk call on engine may take (0: no bound, an admin job's engine)."""
    return float(engine.get_execution_options().get(_CALL_DEADLINE_S, 0.0))


def report_timeout_s(engine: Engine) -> float:
    """How long a report's call, and each of its statements, may take (0: no bound)."""
    return float(engine.get_execution_options().get(_REPORT_TIMEOUT_S, 0.0))


def where(engine: Engine) -> str:
    """The database as a desk's sentence names it: host:port, or the SQLite file."""
    if engine.dialect.name == "sqlite":
        return f"the SQLite file {safe_url(engine.url).removeprefix('sqlite:///')}"
    return " or ".join(pg_servers(engine.url))


def lock_timeout_ms(engine: Engine) -> int:
    return int(engine.get_execution_options().get(_LOCK_TIMEOUT_MS, DEFAULT_LOCK_TIMEOUT_S * 1000))


def busy_retries(engine: Engine) -> int:
    return int(engine.get_execution_options().get(_BUSY_RETRIES, DEFAULT_BUSY_RETRIES))


def _sqlite_engine(url: URL, busy_timeout_ms: int, *, must_exist: bool) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        if must_exist and not path.exists():
            raise DatabaseError(
                f"There is no deskbook database at {path}; create one with `deskbook demo` "
                "or `deskbook db upgrade`."
            )
        if not path.parent.exists():
            raise DatabaseError(f"The folder {path.parent} does not exist.")
        create_private_file(path)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control away from pysqlite so the begin hook below decides.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _bound_sqlite_statements(engine: Engine, limit_s: float) -> None:
    """SQLite's statement_timeout: a progress handler that interrupts a statement running
    longer than limit_s (its busy timeout already bounds lock waits)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        info = record.info

        def too_long() -> int:
            limit = info.get(_STATEMENT_LIMIT_S, limit_s)
            return int(time.monotonic() - info.get(_STARTED, time.monotonic()) > limit)

        dbapi_conn.set_progress_handler(too_long, 10_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn: Any, *_args: Any) -> None:
        conn.info[_STARTED] = time.monotonic()


_STARTED = "deskbook_statement_started"
_STATEMENT_LIMIT_S = "deskbook_statement_limit_s"


def create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600), whatever the umask, before
    SQLite opens it: SQLite gives its -wal and -shm files the database file's mode. An existing
    file (or a link planted in its place) is left as it is."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"Cannot create the SQLite database {path}: {exc.strerror}.") from None
    os.close(fd)


def _postgres_engine(url: URL, limits: str, pool_size: int) -> Engine:
    try:
        return _create_postgres_engine(url, limits, pool_size=pool_size)
    except ArgumentError as exc:  # a multi-host URL whose hosts and ports do not pair up
        raise DatabaseError(
            f"'{safe_url(url)}' is not a usable PostgreSQL URL ({exc}); list the servers as "
            "?host=a:5432&host=b:5432."
        ) from None


def _create_postgres_engine(url: URL, limits: str, *, pool_size: int) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        # No pool_pre_ping: db.deadline pings on checkout itself, under the call's deadline.
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "application_name": "deskbook",
            # Names are Arabic and English: whatever the URL or PGCLIENTENCODING ask for, the
            # link speaks UTF-8 (psycopg cannot decode SQL_ASCII, and LATIN1 cannot hold Arabic).
            "client_encoding": "utf8",
            # Reads wait for locks too (a migration, an admin's ALTER): bound every wait, not
            # only the write transaction's.
            # A scan of a big table starts where another desk's scan is, unless told not to;
            # search would then show a different 50 of many matches each time.
            "options": f"{limits} -c synchronize_seqscans=off",
            # A server or network that vanishes mid-query without a reset would otherwise hold
            # a desk for the kernel's ~15 minutes; these make it an error within a minute.
            "keepalives": 1,
            "keepalives_idle": 20,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 30_000,
        },
    )


def check_reachable(engine: Engine) -> None:
    """Connect once, so a wrong host or a stopped server is a sentence, not a traceback."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise DatabaseError(describe_connect_error(engine, exc)) from None


def is_busy_error(exc: BaseException) -> bool:
    """A lock wait that ran out, a deadlock or a serialization failure: safe to retry."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("55P03", "40P01", "40001"):
        return True
    return isinstance(orig, sqlite3.OperationalError) and "locked" in str(orig)


def is_connection_error(exc: BaseException) -> bool:
    """The server went away or cannot be reached (stopped, restarted, network cut), as opposed
    to a statement it refused: the work can be tried again once it is back."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if orig is None or isinstance(orig, sqlite3.Error):
        return False
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:
        # libpq gave up before the server said anything (refused, reset, timed out).
        return isinstance(exc, OperationalError | InterfaceError)
    # Class 08 is a connection exception; 57P01-57P03 a server shutting down or starting up.
    return sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")


# The server's own bounds on a desk (make_engine(bounded=True)): a statement cancelled by
# statement_timeout, a session ended by idle_in_transaction_session_timeout.
_SERVER_TIMEOUTS = {
    "57014": "The database stopped a step that took too long; nothing of it was saved. "
    "Try again in a moment.",
    "25P03": "The database ended a change left waiting too long; nothing of it was saved. "
    "Try again.",
}


def _unreachable(engine: Engine, exc: DBAPIError) -> DatabaseError:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(exc.orig, sqlite3.OperationalError):
        sqlstate = "57014"  # only an interrupted statement comes here
    if sqlstate in _SERVER_TIMEOUTS:
        return DatabaseError(_SERVER_TIMEOUTS[sqlstate])
    return DatabaseError(describe_connect_error(engine, exc))


def _ended_by_server(exc: DBAPIError) -> bool:
    if isinstance(exc.orig, sqlite3.OperationalError):  # _bound_sqlite_statements
        return "interrupted" in str(exc.orig)
    return getattr(exc.orig, "sqlstate", None) in _SERVER_TIMEOUTS


def violated_rule(exc: IntegrityError) -> str | None:
    """Which named schema rule an IntegrityError broke, on either engine."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    message = str(orig)
    for rule in RULE_NAMES:
        if rule in message:
            return rule
    if "patient.tenant_id, patient.mrn" in message:
        return "uq_patient_tenant_mrn"
    if "appointment.purchase_id, appointment.session_number" in message:
        return PURCHASE_SESSION
    return None


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A locked write transaction: BEGIN IMMEDIATE on SQLite, a lock_timeout on PostgreSQL.
    Commits when the block ends, rolls back on any exception, so a failure writes nothing."""
    bind = engine.execution_options(**{_WRITE: True})
    with Session(bind=bind, expire_on_commit=False, autoflush=False) as session:
        try:
            if engine.dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL lock_timeout = '{lock_timeout_ms(engine)}ms'"))
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if is_busy_error(exc):
                raise Busy() from exc
            if is_connection_error(exc) or _ended_by_server(exc):
                raise _unreachable(engine, exc) from exc
            raise
        except DBAPIError as exc:
            session.rollback()
            if is_connection_error(exc) or _ended_by_server(exc):
                raise _unreachable(engine, exc) from exc
            raise
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(bind=engine, expire_on_commit=False, autoflush=False) as session:
        try:
            yield session
        except DBAPIError as exc:
            if is_connection_error(exc) or _ended_by_server(exc):
                raise _unreachable(engine, exc) from exc
            if is_busy_error(exc):
                raise Busy() from exc
            raise
        finally:
            session.rollback()


@contextmanager
def long_read_session(engine: Engine, seconds: float) -> Iterator[Session]:
    """read_session for a report, whose statements may each run `seconds` (0: the engine's
    own bound): PostgreSQL's statement_timeout for this transaction only, SQLite's progress
    handler for this connection until the block ends."""
    with read_session(engine) as session:
        if engine.dialect.name == "postgresql":
            if seconds > 0:
                ms = round(seconds * 1000)
                session.execute(text(f"SET LOCAL statement_timeout = '{ms}ms'"))
            # A report's aggregates over a million rows look costly enough to the planner to
            # be compiled (JIT), and compiling took longer than running them: 2.4 s of the
            # revenue report's 2.6 s at a million (docs/benchmarks.md).
            session.execute(text("SET LOCAL jit = off"))
            yield session
            return
        if seconds <= 0:
            yield session
            return
        info = session.connection().info
        info[_STATEMENT_LIMIT_S] = seconds
        try:
            yield session
        finally:
            info.pop(_STATEMENT_LIMIT_S, None)


def run_write(engine: Engine, work: Callable[[Session], T], retries: int | None = None) -> T:
    """Run work in a locked write transaction, again from the start when the database says
    another desk held the lock too long (Busy); after `retries` tries (by default the
    engine's DESKBOOK_BUSY_RETRIES) Busy reaches the caller."""
    retries = busy_retries(engine) if retries is None else retries
    attempt = 0
    while True:
        try:
            with write_session(engine) as session:
                return work(session)
        except Busy:
            attempt += 1
            if attempt >= retries:
                raise
            time.sleep(0.05 * attempt)
