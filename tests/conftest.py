"""Fixtures shared by every test: a fresh, migrated database on each engine.

Every domain test takes `db_url` and so runs twice, on SQLite and on PostgreSQL. PostgreSQL is
found at DESKBOOK_TEST_PG_URL (default: the local server, database `test`). When it cannot be
reached its tests skip with the reason, unless DESKBOOK_REQUIRE_POSTGRES=1 (CI), where that is
a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from deskbook.db.migrate import upgrade

PG_URL = os.environ.get("DESKBOOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("DESKBOOK_REQUIRE_POSTGRES", "") not in ("", "0", "false", "no")
ENGINES = ["sqlite", "postgres"]


def _pg_admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _pg_problem() -> str | None:
    try:
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL unreachable at {make_url(PG_URL).render_as_string()}: {exc}"
    return None


@pytest.fixture(scope="session")
def pg_available() -> bool:
    problem = _pg_problem()
    if problem is None:
        return True
    if REQUIRE_PG:
        pytest.fail(f"DESKBOOK_REQUIRE_POSTGRES is set but {problem}", pytrace=False)
    return False


def pg_database_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> str:
    name = f"dk_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
    engine.dispose()
    return name


def drop_pg_database(name: str) -> None:
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_available: bool) -> Iterator[str | None]:
    """A migrated database to copy: CREATE DATABASE ... TEMPLATE is far quicker than
    running the migrations for every test."""
    if not pg_available:
        yield None
        return
    name = create_pg_database()
    upgrade(pg_database_url(name))
    yield name
    drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(
    engine_kind: str,
    tmp_path: Path,
    sqlite_template: Path,
    pg_template: str | None,
) -> Iterator[str]:
    """The URL of a fresh database at the newest schema, on the engine of this test run."""
    if engine_kind == "sqlite":
        path = tmp_path / "deskbook.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable (set DESKBOOK_TEST_PG_URL)")
    name = create_pg_database(template=pg_template)
    try:
        yield pg_database_url(name)
    finally:
        drop_pg_database(name)
