"""Alembic environment: run with the connection that deskbook.db.migrate hands over."""

from __future__ import annotations

from alembic import context

from deskbook.db.models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise SystemExit("Run migrations with `deskbook db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The demo migrates a schema of its own beside the live one (deskbook.db.demo_target): its
    # version table must be looked for there, not wherever the search path finds one.
    version_table_schema=config.attributes.get("version_table_schema"),
)
with context.begin_transaction():
    context.run_migrations()
