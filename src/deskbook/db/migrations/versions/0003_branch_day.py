"""the branch's day: home clinic, waitlist, change counter, network day-sheet index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00

- staff.home_clinic_id: the clinic a desk's day sheet and board open on.
- waitlist_entry: a patient waiting for a service (optionally a provider, weekdays and a time
  window of the day), matched oldest first when a slot comes free.
- tenant_version: one counter per tenant, raised by every audited write transaction, so a
  screen can poll "has anything changed?" with one primary-key read on either engine.
- ix_appointment_tenant_start: the network-wide day sheet (no clinic or provider filter) is a
  range of one tenant's day; the other appointment indexes lead with a patient, provider or
  clinic and cannot serve it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (not a batch copy): on SQLite, rebuilding staff would drop a table
    # that appointments and audit events point at. SQLite takes the foreign key inline only.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE staff ADD COLUMN home_clinic_id CHAR(32) REFERENCES clinic (id)")
    else:
        op.add_column("staff", sa.Column("home_clinic_id", sa.Uuid(), nullable=True))
        op.create_foreign_key("fk_staff_home_clinic", "staff", "clinic", ["home_clinic_id"], ["id"])
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("patient_id", sa.Uuid(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("service_id", sa.Uuid(), sa.ForeignKey("service.id"), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), sa.ForeignKey("clinic.id"), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("provider.id"), nullable=True),
        sa.Column("earliest", sa.Time(), nullable=True),
        sa.Column("latest", sa.Time(), nullable=True),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "earliest IS NULL OR latest IS NULL OR earliest < latest", name="ck_waitlist_window"
        ),
        sa.CheckConstraint("weekdays BETWEEN 0 AND 127", name="ck_waitlist_weekdays"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_waitlist_tenant_service", "waitlist_entry", ["tenant_id", "service_id", "created_at"]
    )
    op.create_index("ix_waitlist_patient", "waitlist_entry", ["tenant_id", "patient_id"])
    op.create_table(
        "tenant_version",
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_index("ix_appointment_tenant_start", "appointment", ["tenant_id", "start_at"])


def downgrade() -> None:
    op.drop_index("ix_appointment_tenant_start", table_name="appointment")
    op.drop_table("tenant_version")
    op.drop_index("ix_waitlist_patient", table_name="waitlist_entry")
    op.drop_index("ix_waitlist_tenant_service", table_name="waitlist_entry")
    op.drop_table("waitlist_entry")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("home_clinic_id")
