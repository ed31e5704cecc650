"""Fresh, migrated databases for tests and benchmarks, on either engine.

Migrating is the slow part, so it is done once into a template and every fresh database is a
copy: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL. The server is the one
of DESKBOOK_TEST_PG_URL (default: the local one, database `test`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from deskbook.db.migrate import upgrade

PG_URL = os.environ.get("DESKBOOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENGINES = ("sqlite", "postgres")
# CI sets it: a PostgreSQL that cannot be reached fails the run instead of skipping tests.
REQUIRE_PG = os.environ.get("DESKBOOK_REQUIRE_POSTGRES", "") not in ("", "0", "false", "no")


def _pg_admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def pg_admin(sql: str) -> None:
    """One statement on the server outside any transaction (CREATE / DROP DATABASE)."""
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def pg_problem() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    try:
        pg_admin("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL unreachable at {make_url(PG_URL).render_as_string()}: {exc}"
    return None


def pg_database_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None, prefix: str = "dk") -> str:
    """A new database on the server (a copy of template when given); returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    suffix = f" TEMPLATE {template}" if template else ""
    pg_admin(f"CREATE DATABASE {name}{suffix}")
    return name


def drop_pg_database(name: str) -> None:
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrated_pg_template() -> str:
    """A database at the newest schema, to be copied by fresh_database; drop it when done."""
    name = create_pg_database(prefix="dk_template")
    upgrade(pg_database_url(name))
    return name


def migrated_sqlite_template(path: Path) -> Path:
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def fresh_database(
    engine_kind: str,
    folder: Path | None = None,
    template: Path | str | None = None,
    keep: bool = False,
) -> Iterator[str]:
    """The URL of a new database at the newest schema, dropped again on exit unless keep (a
    SQLite file stays in folder, a new temporary one by default). template: a migrated SQLite
    file or PostgreSQL database to copy; without one the migrations run."""
    if engine_kind == "sqlite":
        path = (folder or Path(tempfile.mkdtemp(prefix="deskbook-"))) / "deskbook.db"
        if template is None:
            migrated_sqlite_template(path)
        else:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    name = create_pg_database(template=str(template) if template else None)
    try:
        url = pg_database_url(name)
        if template is None:
            upgrade(url)
        yield url
    finally:
        if not keep:
            drop_pg_database(name)
