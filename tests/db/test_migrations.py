"""The migrations build the whole schema from empty on both engines."""

from __future__ import annotations

from sqlalchemy import inspect

from deskbook.db.engine import make_engine
from deskbook.db.migrate import HEAD_REVISION, current_revision, ensure_current, head_revision
from deskbook.db.models import metadata


def test_migrations_build_every_table(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        assert current_revision(engine) == head_revision()
        ensure_current(engine)
    finally:
        engine.dispose()


def test_the_head_constant_matches_the_migration_scripts() -> None:
    # Desk.open trusts HEAD_REVISION so the app starts without importing Alembic.
    assert head_revision() == HEAD_REVISION
