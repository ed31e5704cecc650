"""Fixtures shared by every tier: a fresh, migrated database on each engine.

Every domain test takes `db_url` and so runs twice, on SQLite and on PostgreSQL. PostgreSQL is
found at DESKBOOK_TEST_PG_URL (default: the local server, database `test`). When it cannot be
reached its tests skip with the reason, unless DESKBOOK_REQUIRE_POSTGRES=1 (CI), where that is
a failure. The databases themselves come from deskbook.testing.databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from deskbook.testing.databases import (
    ENGINES,
    REQUIRE_PG,
    drop_pg_database,
    fresh_database,
    migrated_pg_template,
    migrated_sqlite_template,
    pg_problem,
)


@pytest.fixture(scope="session")
def pg_available() -> bool:
    problem = pg_problem()
    if problem is None:
        return True
    if REQUIRE_PG:
        pytest.fail(f"DESKBOOK_REQUIRE_POSTGRES is set but {problem}", pytrace=False)
    return False


@pytest.fixture(scope="session")
def pg_template(pg_available: bool) -> Iterator[str | None]:
    """A migrated database to copy: CREATE DATABASE ... TEMPLATE is far quicker than
    running the migrations for every test."""
    if not pg_available:
        yield None
        return
    name = migrated_pg_template()
    yield name
    drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("template") / "template.db")


FreshDatabase = Callable[[str, Path], AbstractContextManager[str]]


@pytest.fixture(scope="session")
def fresh_db(sqlite_template: Path, pg_template: str | None) -> FreshDatabase:
    """`with fresh_db(engine_kind, folder) as url:` a copy of this session's template, dropped
    on exit; a PostgreSQL one skips the test when the server is not reachable."""

    @contextmanager
    def copy(engine_kind: str, folder: Path) -> Iterator[str]:
        if engine_kind == "postgres" and pg_template is None:
            pytest.skip("PostgreSQL is not reachable (set DESKBOOK_TEST_PG_URL)")
        template = sqlite_template if engine_kind == "sqlite" else pg_template
        with fresh_database(engine_kind, folder, template) as url:
            yield url

    return copy


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(engine_kind: str, tmp_path: Path, fresh_db: FreshDatabase) -> Iterator[str]:
    """The URL of a fresh database at the newest schema, on the engine of this test run."""
    with fresh_db(engine_kind, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=ENGINES)
def module_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fresh_db: FreshDatabase,
) -> Iterator[str]:
    """One fresh database per test module and engine, for modules whose data is slow to
    build (or cheap to keep apart, a tenant per test) and so is shared by its tests."""
    with fresh_db(str(request.param), tmp_path_factory.mktemp("module")) as url:
        yield url
