"""Schema migrations shipped inside the package, and the check that a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from deskbook.db.engine import check_reachable, describe_connect_error, make_engine, safe_url
from deskbook.errors import DatabaseError, SchemaOutOfDate

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    config = _config()
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
    head = head_revision()
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
