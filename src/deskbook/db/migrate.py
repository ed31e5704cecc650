"""Schema migrations shipped inside the package, and the check that a database is current."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from deskbook.db.engine import check_reachable, describe_connect_error, make_engine, safe_url
from deskbook.errors import DatabaseError, SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

# The newest migration. Opening a database compares against this constant rather than reading
# the migration scripts, so the app starts without importing Alembic; a test keeps it equal to
# the scripts' head.
HEAD_REVISION = "0011"


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The head according to the migration scripts themselves (Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_engine(
    engine: Engine, revision: str = "head", *, version_table_schema: str | None = None
) -> None:
    from alembic import command

    config = _config()
    config.attributes["version_table_schema"] = version_table_schema
    try:
        with engine.execution_options(deskbook_write=True).begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except DBAPIError as exc:
        if exc.connection_invalidated or "connect" in str(exc.orig).lower():
            raise DatabaseError(describe_connect_error(engine, exc)) from None
        raise


def upgrade(url: str) -> str | None:
    """Bring the database at url to the newest schema; returns the revision it is at."""
    engine = make_engine(url)
    try:
        check_reachable(engine)
        upgrade_engine(engine)
        return current_revision(engine)
    finally:
        engine.dispose()


def ensure_current(engine: Engine) -> None:
    """Refuse a database that is empty or behind, with the command that fixes it."""
    check_reachable(engine)
    current = current_revision(engine)
    head = HEAD_REVISION
    if current == head:
        return
    where = safe_url(engine.url)
    if current is None:
        raise SchemaOutOfDate(
            f"The database {where} has no deskbook tables yet; run `deskbook db upgrade` "
            "(or `deskbook demo` for the demo clinic)."
        )
    raise SchemaOutOfDate(
        f"The database {where} is at schema {current}, this deskbook needs {head}; "
        "run `deskbook db upgrade`."
    )


@contextmanager
def current_database(url: str) -> Iterator[Engine]:
    """A command's engine on a database that exists and is at the current schema (or a
    sentence saying which command fixes it), disposed of when the command is done."""
    engine = make_engine(url, must_exist=True)
    try:
        ensure_current(engine)
        yield engine
    finally:
        engine.dispose()
