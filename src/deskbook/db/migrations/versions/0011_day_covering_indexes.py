"""the day's indexes cover what the day sheet and the board read of each visit

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 21:10:00

A network day-sheet page sorts the whole day's live visits by time and provider before it
skips to its offset, and the board counts a clinic's day per provider. Through the
(tenant, start) and (tenant, clinic, start) indexes each of those visits' rows was read at
random: 7,290 rows of a 6 GB file for every page of the 1,000,000-patient demo's busiest day
on SQLite (66-79 ms a page on a slow day of this machine; 37-41 ms with the index covering),
1,277 for a clinic's board (its per-provider count 12.7 ms -> ~5 ms). The provider's day
index covers the same, or SQLite without statistics (a clinic's database is never analyzed;
only the demo is) would read one provider's day out of the network's covering index. The
indexes keep their names and their leading columns, so every other read seeks them as before.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_NETWORK = ["tenant_id", "start_at", "status", "provider_id", "id"]
_CLINIC = ["tenant_id", "clinic_id", "start_at", "provider_id", "end_at", "status", "kind", "id"]
_PROVIDER = ["tenant_id", "provider_id", "start_at", "status", "id"]


def upgrade() -> None:
    op.drop_index("ix_appointment_tenant_start", table_name="appointment")
    op.create_index("ix_appointment_tenant_start", "appointment", _NETWORK)
    op.drop_index("ix_appointment_clinic_start", table_name="appointment")
    op.create_index("ix_appointment_clinic_start", "appointment", _CLINIC)
    op.drop_index("ix_appointment_provider_start", table_name="appointment")
    op.create_index("ix_appointment_provider_start", "appointment", _PROVIDER)


def downgrade() -> None:
    op.drop_index("ix_appointment_provider_start", table_name="appointment")
    op.create_index(
        "ix_appointment_provider_start", "appointment", ["tenant_id", "provider_id", "start_at"]
    )
    op.drop_index("ix_appointment_clinic_start", table_name="appointment")
    op.create_index(
        "ix_appointment_clinic_start", "appointment", ["tenant_id", "clinic_id", "start_at"]
    )
    op.drop_index("ix_appointment_tenant_start", table_name="appointment")
    op.create_index("ix_appointment_tenant_start", "appointment", ["tenant_id", "start_at"])
