"""how a login wants Arabic painted

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:00:00

staff.display_mode: the answer of the check on the login screen (app, terminal or off, see
deskbook.display), kept per login because a login is a person at a terminal, and browser
desks all run as the server's one system user. NULL: not chosen, the terminal's default.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("display_mode", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("display_mode")
