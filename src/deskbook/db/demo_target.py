"""Where the demo is built: never in the target itself, so that a build killed at any moment
(SIGKILL, power cut) leaves the target as it was, and a finished one replaces it in one step.

SQLite: a new file beside the target (same folder, so the rename is atomic), renamed over it
at the end. PostgreSQL: a new schema of the target database, whose tables move into the
target's schema at the end in one transaction. What a killed build leaves behind (a file named
after a process that is gone, a schema whose builder's advisory lock is free) is swept by the
next build.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, inspect, text

from deskbook.db.engine import make_engine, parse_url, sqlite_path
from deskbook.db.migrate import upgrade_engine
from deskbook.db.models import metadata
from deskbook.errors import DatabaseError

_SCHEMA_PREFIX = "deskbook_demo_build_"
_TABLES = sorted([*metadata.tables, "alembic_version"])


class BuildSite:
    """A place to build into (engine) and the one step that makes it the target (finish)."""

    def __init__(self, target_url: str) -> None:
        self.target_url = target_url

    def make_engine(self) -> Engine:
        return make_engine(self.target_url)

    def migrate(self, engine: Engine) -> None:
        upgrade_engine(engine)

    def finish(self, target_is_empty: Any) -> None:
        """Make what was built the target; target_is_empty(conn) re-checks, just before."""

    def abandon(self) -> None:
        """Remove what was built (on failure)."""


def build_site(url: str) -> BuildSite:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        # An in-memory database has no target to keep safe.
        return BuildSite(url) if path is None else _SqliteSite(url, path)
    return _PostgresSite(url)


class _SqliteSite(BuildSite):
    def __init__(self, target_url: str, target: Path) -> None:
        super().__init__(target_url)
        if not target.parent.is_dir():
            raise DatabaseError(f"The folder {target.parent} does not exist.")
        self.target = target
        _sweep_files(target)
        # mkstemp: an unpredictable name, created 0600 like the database itself.
        handle, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.demo-{os.getpid()}-", suffix=".build"
        )
        os.close(handle)
        self.path = Path(name)

    def make_engine(self) -> Engine:
        return make_engine(f"sqlite:///{self.path}")

    def finish(self, target_is_empty: Any) -> None:
        # The finished file keeps no write-ahead log beside it: it all moves in one rename.
        with closing(sqlite3.connect(self.path, isolation_level=None)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        _fsync(self.path)
        if self.target.exists():
            engine = make_engine(self.target_url)
            try:
                with engine.connect() as conn:
                    target_is_empty(conn)
                    conn.rollback()
                    # Fold the target's own log in, so the -wal/-shm removed below hold nothing
                    # (a stale -wal would otherwise be replayed onto the new file). Outside
                    # any transaction: pysqlite is in autocommit mode here.
                    raw: Any = conn.connection.driver_connection
                    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                engine.dispose()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.target}{suffix}").unlink(missing_ok=True)
        os.replace(self.path, self.target)
        _fsync(self.target.parent)

    def abandon(self) -> None:
        _remove_with_logs(self.path)


def _sweep_files(target: Path) -> None:
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.demo-(\d+)-\w+\.build$")
    for found in target.parent.iterdir():
        match = pattern.match(found.name)
        if match and not _alive(int(match.group(1))):
            _remove_with_logs(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_with_logs(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class _PostgresSite(BuildSite):
    def __init__(self, target_url: str) -> None:
        super().__init__(target_url)
        self.schema = f"{_SCHEMA_PREFIX}{secrets.token_hex(6)}"
        self._admin = make_engine(target_url, pool_size=1)
        # Held for the whole build: while it is, no other build sweeps this schema away.
        self._guard: Connection = self._admin.connect()
        guard = self._guard
        with guard.begin():
            self.target_schema = guard.execute(text("SELECT current_schema()")).scalar_one()
            # Extensions live in the target's schema, not in the one that is dropped at the end.
            for extension in ("btree_gist", "pg_trgm"):
                guard.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            guard.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": self.schema})
            stale = guard.execute(
                text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :prefix)"),
                {"prefix": _SCHEMA_PREFIX},
            ).scalars()
            for schema in list(stale):
                if guard.execute(
                    text("SELECT pg_try_advisory_xact_lock(hashtext(:s))"), {"s": schema}
                ).scalar_one():
                    guard.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            guard.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')

    def make_engine(self) -> Engine:
        engine = make_engine(self.target_url, pool_size=2)
        path = f'"{self.schema}", "{self.target_schema}"'

        @event.listens_for(engine, "connect")
        def _in_build_schema(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(f"SET search_path TO {path}")
            dbapi_conn.commit()

        return engine

    def migrate(self, engine: Engine) -> None:
        upgrade_engine(engine, version_table_schema=self.schema)

    def finish(self, target_is_empty: Any) -> None:
        guard, target, build = self._guard, self.target_schema, self.schema
        with guard.begin():
            guard.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
            there = set(inspect(guard).get_table_names(schema=target)) & set(_TABLES)
            if "tenant" in there:
                guard.exec_driver_sql(f'LOCK TABLE "{target}".tenant IN ACCESS EXCLUSIVE MODE')
                target_is_empty(guard)
            for table in sorted(there):
                guard.exec_driver_sql(f'DROP TABLE "{target}"."{table}" CASCADE')
            for table in inspect(guard).get_table_names(schema=build):
                guard.exec_driver_sql(f'ALTER TABLE "{build}"."{table}" SET SCHEMA "{target}"')
            # Trigger functions (migration 0009) move too; the target's old copies went with
            # its tables' triggers.
            functions = guard.execute(
                text(
                    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = :s"
                ),
                {"s": build},
            ).scalars()
            for name in list(functions):
                guard.exec_driver_sql(f'DROP FUNCTION IF EXISTS "{target}"."{name}"() CASCADE')
                guard.exec_driver_sql(f'ALTER FUNCTION "{build}"."{name}"() SET SCHEMA "{target}"')
            # RESTRICT: anything left behind fails the switch instead of being dropped with it.
            guard.exec_driver_sql(f'DROP SCHEMA "{build}" RESTRICT')
        self._close()

    def abandon(self) -> None:
        try:
            if self._guard.in_transaction():
                self._guard.rollback()
            with self._guard.begin():
                self._guard.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            self._close()

    def _close(self) -> None:
        self._guard.close()
        self._admin.dispose()
