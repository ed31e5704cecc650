"""the series index holds only the visits of a course

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 14:15:00

ix_appointment_series becomes partial (series_id IS NOT NULL). Nearly every visit has no
series, and SQLite's ANALYZE counts those NULLs as one value most rows share: the full index
then looked no more selective than the tenant's, and reading a course (book_series,
get_series) walked every visit of the tenant in start order, or scanned the table (1.4 s per
book_series at 100,000 patients). The partial index's statistics count courses only, and it
is a fraction of the size. A lookup by series_id = ? implies IS NOT NULL, so both engines
use it as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ONLY_COURSES = sa.text("series_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_appointment_series", table_name="appointment")
    op.create_index(
        "ix_appointment_series",
        "appointment",
        ["series_id"],
        sqlite_where=_ONLY_COURSES,
        postgresql_where=_ONLY_COURSES,
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_series", table_name="appointment")
    op.create_index("ix_appointment_series", "appointment", ["series_id"])
