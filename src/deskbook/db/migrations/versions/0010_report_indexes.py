"""indexes the package reports read alone: the visits per provider and clinic, a purchase's
visits with their status

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 15:05:00

The utilization report adds up the booked minutes of every visit of a period per provider and
clinic. Through ix_appointment_tenant_start it read each visit's row at random and then sorted
every visit by provider and clinic (29.7 s on SQLite for the 2.9 million visits of the
1,000,000-patient demo); a table scan still sorts them all (5.3 s CPU). This index holds all
the report reads, in the order it groups by: one pass, no table reads, no sort (~2 s CPU on
SQLite). docs/benchmarks.md has the figures.

ix_appointment_purchase gains the visit's status, so the packages report counts each
purchase's spent visits (COMPLETED, NO_SHOW) without reading the 971,000 package visits' rows
at random (1.7 s of its 4 s on SQLite); every lookup by purchase (and service) reads it as
before.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_appointment_purchase", table_name="appointment")
    op.create_index(
        "ix_appointment_purchase", "appointment", ["purchase_id", "service_id", "status"]
    )
    op.create_index(
        "ix_appointment_provider_clinic_visits",
        "appointment",
        ["tenant_id", "provider_id", "clinic_id", "start_at", "end_at", "status", "kind"],
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_provider_clinic_visits", table_name="appointment")
    op.drop_index("ix_appointment_purchase", table_name="appointment")
    op.create_index("ix_appointment_purchase", "appointment", ["purchase_id", "service_id"])
