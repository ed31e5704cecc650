"""courses of treatment: series, payments, the purchase lifecycle

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00

- series: a purchase's sessions booked as one course (its RRULE text); appointment.series_id.
- payment: money received against a purchase (amount > 0, CASH / CARD / TRANSFER).
- purchase_quota.moved_out: sessions a transfer handed to another patient's purchase.
- package_purchase.refund_due, and its status one of ACTIVE, COMPLETED, EXPIRED, CANCELLED,
  VOIDED, TRANSFERRED: a CHECK on PostgreSQL, a trigger on SQLite.

SQLite columns are added with plain ALTER TABLE ... ADD COLUMN (a REFERENCES clause is allowed
there when the default is NULL) rather than batch_alter_table: rebuilding appointment would
drop its overlap triggers, and with foreign_keys=ON dropping the old copy would cascade into
provider_block; rebuilding package_purchase would trip the foreign keys that point at it. It
is also instant on the 3-million-visit demo, where a rebuild copies every row.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_STATUSES = "'ACTIVE', 'COMPLETED', 'EXPIRED', 'CANCELLED', 'VOIDED', 'TRANSFERRED'"

_SQLITE_STATUS_TRIGGERS = [
    f"""CREATE TRIGGER ck_purchase_status_insert BEFORE INSERT ON package_purchase
        WHEN NEW.status NOT IN ({_STATUSES})
        BEGIN SELECT RAISE(ABORT, 'ck_purchase_status'); END""",
    f"""CREATE TRIGGER ck_purchase_status_update BEFORE UPDATE OF status ON package_purchase
        WHEN NEW.status NOT IN ({_STATUSES})
        BEGIN SELECT RAISE(ABORT, 'ck_purchase_status'); END""",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "series",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["package_purchase.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_series_purchase", "series", ["purchase_id"])
    op.create_table(
        "payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_payment_amount"),
        sa.CheckConstraint("method IN ('CASH', 'CARD', 'TRANSFER')", name="ck_payment_method"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["package_purchase.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_purchase", "payment", ["purchase_id"])
    op.create_index("ix_payment_tenant_at", "payment", ["tenant_id", "created_at"])

    if sqlite:
        op.execute("ALTER TABLE appointment ADD COLUMN series_id CHAR(32) REFERENCES series (id)")
        op.execute(
            """ALTER TABLE purchase_quota ADD COLUMN moved_out INTEGER DEFAULT 0 NOT NULL
               CONSTRAINT ck_purchase_quota_moved_out CHECK (moved_out BETWEEN 0 AND quota)"""
        )
        op.execute(
            """ALTER TABLE package_purchase ADD COLUMN refund_due NUMERIC(12, 2)
               CONSTRAINT ck_purchase_refund CHECK (refund_due IS NULL OR refund_due >= 0)"""
        )
        for statement in _SQLITE_STATUS_TRIGGERS:
            op.execute(statement)
    else:
        op.add_column("appointment", sa.Column("series_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            "fk_appointment_series", "appointment", "series", ["series_id"], ["id"]
        )
        op.add_column(
            "purchase_quota",
            sa.Column("moved_out", sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
        op.create_check_constraint(
            "ck_purchase_quota_moved_out", "purchase_quota", "moved_out BETWEEN 0 AND quota"
        )
        op.add_column(
            "package_purchase",
            sa.Column("refund_due", sa.Numeric(precision=12, scale=2), nullable=True),
        )
        op.create_check_constraint(
            "ck_purchase_refund", "package_purchase", "refund_due IS NULL OR refund_due >= 0"
        )
        # Another revision may already hold a narrower list of statuses under this name.
        op.execute("ALTER TABLE package_purchase DROP CONSTRAINT IF EXISTS ck_purchase_status")
        op.create_check_constraint(
            "ck_purchase_status", "package_purchase", f"status IN ({_STATUSES})"
        )
    op.create_index("ix_appointment_series", "appointment", ["series_id"])
    op.create_index("ix_purchase_tenant_expiry", "package_purchase", ["tenant_id", "expiry_date"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_purchase_tenant_expiry", "package_purchase")
    op.drop_index("ix_appointment_series", "appointment")
    op.drop_index("ix_payment_tenant_at", "payment")
    op.drop_index("ix_payment_purchase", "payment")
    op.drop_table("payment")
    if sqlite:
        # SQLite cannot drop a column that a constraint names without rebuilding the table
        # (see the module note), so the three columns and the series table stay, unused.
        op.execute("DROP TRIGGER IF EXISTS ck_purchase_status_update")
        op.execute("DROP TRIGGER IF EXISTS ck_purchase_status_insert")
        return
    op.drop_constraint("ck_purchase_status", "package_purchase", type_="check")
    op.drop_constraint("ck_purchase_refund", "package_purchase", type_="check")
    op.drop_constraint("ck_purchase_quota_moved_out", "purchase_quota", type_="check")
    op.drop_constraint("fk_appointment_series", "appointment", type_="foreignkey")
    op.drop_column("package_purchase", "refund_due")
    op.drop_column("purchase_quota", "moved_out")
    op.drop_column("appointment", "series_id")
    op.drop_index("ix_series_purchase", "series")
    op.drop_table("series")
