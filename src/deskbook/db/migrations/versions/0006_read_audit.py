"""who looked at whom: the desk an audit event came from, and events found by their subject

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:30:00

audit_event.desk: where the staff member sat (a terminal's host and tty, an SSH client's
address, a browser's address under `deskbook serve`). NULL for events written before this
revision and for work done outside a desk (the CLI's admin commands).
ix_audit_tenant_entity: the administrator's "everything about this patient" filter reads the
events of one subject, newest first, without walking the whole trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("desk", sa.String(length=128), nullable=True))
    op.create_index("ix_audit_tenant_entity", "audit_event", ["tenant_id", "entity_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_tenant_entity", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("desk")
