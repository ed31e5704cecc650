"""safe re-send: the writes desks asked for under their own request ids

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:00:00

client_request: one row per book, cancel or package purchase sent with a request id, written
in the same transaction as the write. A re-send after a connection lost at COMMIT finds it and
gets the first result back (deskbook.client_requests). The key is (tenant_id, request_id).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_request",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "request_id", name="pk_client_request"),
    )


def downgrade() -> None:
    op.drop_table("client_request")
