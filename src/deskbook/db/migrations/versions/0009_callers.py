"""patients as callers give them: E.164 phones, any-4-digits phone keys, guardians, folded names

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 14:00:00

- tenant.region: the country of a phone typed without a country code ("SA").
- patient: phone_flagged, guardian_name, guardian_phone, guardian_phone_norm, notes.
- Every phone is converted to E.164 with deskbook.phones; one that cannot be read is kept as
  typed, flagged, and listed on stderr.
- patient_phone_key: every suffix of 4+ digits of phone_norm and guardian_phone_norm, kept by
  triggers (SQLite: row triggers; PostgreSQL: a statement trigger with a transition table for
  inserts, so a bulk load pays one INSERT ... SELECT, and row triggers for updates/deletes).
  On PostgreSQL `digits` is COLLATE "C": a typed run is a plain btree range.
- name_norm is rewritten with the current deskbook.normalize (name-variant folding).
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

from deskbook.normalize import patient_name_norm
from deskbook.phones import DEFAULT_REGION, read_stored

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Phones are at most 15 digits (E.164); the positions 1..29 cover anything a flagged phone
# kept as typed may hold.
_POSITIONS = "(VALUES " + ", ".join(f"({n})" for n in range(1, 30)) + ")"


def _sqlite_keys(row: str) -> str:
    """The key rows of `row` (new / old / patient) as a SELECT, for SQLite."""
    return (
        f"SELECT {row}.tenant_id, substr(p.d, n.column1), {row}.id "
        f"FROM (SELECT {row}.phone_norm AS d UNION SELECT {row}.guardian_phone_norm) AS p "
        f"JOIN {_POSITIONS} AS n ON n.column1 <= length(p.d) - 3"
    )


def _sqlite_old_keys() -> str:
    return (
        "SELECT substr(p.d, n.column1) "
        "FROM (SELECT old.phone_norm AS d UNION SELECT old.guardian_phone_norm) AS p "
        f"JOIN {_POSITIONS} AS n ON n.column1 <= length(p.d) - 3"
    )


_SQLITE_UP = [
    """CREATE TABLE patient_phone_key (
           tenant_id CHAR(32) NOT NULL, digits VARCHAR(32) NOT NULL, patient_id CHAR(32) NOT NULL,
           PRIMARY KEY (tenant_id, digits, patient_id)) WITHOUT ROWID""",
    f"""CREATE TRIGGER patient_phone_key_insert AFTER INSERT ON patient BEGIN
           INSERT OR IGNORE INTO patient_phone_key (tenant_id, digits, patient_id)
           {_sqlite_keys("new")};
       END""",
    f"""CREATE TRIGGER patient_phone_key_delete AFTER DELETE ON patient BEGIN
           DELETE FROM patient_phone_key WHERE tenant_id = old.tenant_id
               AND patient_id = old.id AND digits IN ({_sqlite_old_keys()});
       END""",
    f"""CREATE TRIGGER patient_phone_key_update
           AFTER UPDATE OF phone_norm, guardian_phone_norm, tenant_id ON patient BEGIN
           DELETE FROM patient_phone_key WHERE tenant_id = old.tenant_id
               AND patient_id = old.id AND digits IN ({_sqlite_old_keys()});
           INSERT OR IGNORE INTO patient_phone_key (tenant_id, digits, patient_id)
           {_sqlite_keys("new")};
       END""",
    *(
        "INSERT OR IGNORE INTO patient_phone_key (tenant_id, digits, patient_id) "
        f"SELECT tenant_id, substr({column}, n.column1), id FROM patient "
        f"JOIN {_POSITIONS} AS n ON n.column1 <= length({column}) - 3"
        for column in ("phone_norm", "guardian_phone_norm")
    ),
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS patient_phone_key_update",
    "DROP TRIGGER IF EXISTS patient_phone_key_delete",
    "DROP TRIGGER IF EXISTS patient_phone_key_insert",
    "DROP TABLE IF EXISTS patient_phone_key",
]


def _pg_keys(row: str, table: str | None = None) -> str:
    """The key rows of `row` (NEW, or every row of a table) as a SELECT, for PostgreSQL."""
    source = f"{table} AS {row}, " if table else ""
    return (
        f"SELECT {row}.tenant_id, substr(d, n), {row}.id "
        f"FROM {source}unnest(ARRAY[{row}.phone_norm, {row}.guardian_phone_norm]) AS d, "
        "generate_series(1, length(d) - 3) AS n"
    )


_PG_OLD_DIGITS = (
    "SELECT substr(d, n) FROM unnest(ARRAY[OLD.phone_norm, OLD.guardian_phone_norm]) AS d, "
    "generate_series(1, length(d) - 3) AS n"
)
_PG_UP = [
    """CREATE TABLE patient_phone_key (
           tenant_id UUID NOT NULL, digits VARCHAR(32) COLLATE "C" NOT NULL,
           patient_id UUID NOT NULL, PRIMARY KEY (tenant_id, digits, patient_id))""",
    f"""CREATE FUNCTION patient_phone_key_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                DELETE FROM patient_phone_key WHERE tenant_id = OLD.tenant_id
                    AND patient_id = OLD.id AND digits IN ({_PG_OLD_DIGITS});
            END IF;
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO patient_phone_key (tenant_id, digits, patient_id)
                {_pg_keys("NEW")} ON CONFLICT DO NOTHING;
            END IF;
            RETURN NULL;
        END $$""",
    f"""CREATE FUNCTION patient_phone_key_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO patient_phone_key (tenant_id, digits, patient_id)
            {_pg_keys("i", "inserted")} ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER patient_phone_key_insert AFTER INSERT ON patient
           REFERENCING NEW TABLE AS inserted
           FOR EACH STATEMENT EXECUTE FUNCTION patient_phone_key_inserted()""",
    """CREATE TRIGGER patient_phone_key_change
           AFTER DELETE OR UPDATE OF phone_norm, guardian_phone_norm, tenant_id ON patient
           FOR EACH ROW EXECUTE FUNCTION patient_phone_key_rows()""",
    f"""INSERT INTO patient_phone_key (tenant_id, digits, patient_id)
        {_pg_keys("p", "patient")} ON CONFLICT DO NOTHING""",
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS patient_phone_key_change ON patient",
    "DROP TRIGGER IF EXISTS patient_phone_key_insert ON patient",
    "DROP FUNCTION IF EXISTS patient_phone_key_inserted()",
    "DROP FUNCTION IF EXISTS patient_phone_key_rows()",
    "DROP TABLE IF EXISTS patient_phone_key",
]

_PATIENT = sa.table(
    "patient",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("mrn", sa.String()),
    sa.column("name_en", sa.String()),
    sa.column("name_ar", sa.String()),
    sa.column("phone", sa.String()),
    sa.column("name_norm", sa.String()),
    sa.column("phone_norm", sa.String()),
    sa.column("phone_flagged", sa.Boolean()),
)
_BATCH = 5000


def _convert() -> None:
    """Phones to E.164 (flagged when unreadable, and listed), names re-folded."""
    bind = op.get_bind()
    p = _PATIENT
    update = (
        sa.update(p)
        .where(p.c.id == sa.bindparam("pid"))
        .values(
            phone=sa.bindparam("ph"),
            phone_norm=sa.bindparam("pn"),
            phone_flagged=sa.bindparam("pf"),
            name_norm=sa.bindparam("nn"),
        )
    )
    unread: list[str] = []
    batch: list[dict[str, object]] = []
    rows = bind.execute(
        sa.select(
            p.c.id,
            p.c.tenant_id,
            p.c.mrn,
            p.c.name_en,
            p.c.name_ar,
            p.c.phone,
            p.c.name_norm,
            p.c.phone_norm,
        )
    ).all()
    for r in rows:
        # Every tenant is in the column's default region until an administrator says otherwise.
        phone = read_stored(r.phone or "", DEFAULT_REGION)
        norm = patient_name_norm(r.name_en, r.name_ar)
        if phone.flagged:
            unread.append(f"{r.mrn} ({r.phone!r})")
        if (phone.stored, phone.digits, norm) != (
            r.phone,
            r.phone_norm,
            r.name_norm,
        ) or phone.flagged:
            batch.append(
                {
                    "pid": r.id,
                    "ph": phone.stored,
                    "pn": phone.digits,
                    "pf": phone.flagged,
                    "nn": norm,
                }
            )
        if len(batch) >= _BATCH:
            bind.execute(update, batch)
            batch = []
    if batch:
        bind.execute(update, batch)
    if unread:
        shown = ", ".join(unread[:50]) + (
            f" and {len(unread) - 50} more" if len(unread) > 50 else ""
        )
        print(
            f"0009: {len(unread)} phone(s) could not be read as phone numbers; kept as typed "
            f"and flagged (patient.phone_flagged): {shown}",
            file=sys.stderr,
        )


def upgrade() -> None:
    op.add_column(
        "tenant", sa.Column("region", sa.String(length=2), nullable=False, server_default="SA")
    )
    op.add_column(
        "patient",
        sa.Column("phone_flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("patient", sa.Column("guardian_name", sa.String(length=200), nullable=True))
    op.add_column("patient", sa.Column("guardian_phone", sa.String(length=32), nullable=True))
    op.add_column(
        "patient",
        sa.Column("guardian_phone_norm", sa.String(length=32), nullable=False, server_default=""),
    )
    op.add_column("patient", sa.Column("notes", sa.String(length=1000), nullable=True))
    _convert()
    dialect = op.get_bind().dialect.name
    for statement in _PG_UP if dialect == "postgresql" else _SQLITE_UP:
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("ANALYZE patient_phone_key")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _PG_DOWN if dialect == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("patient") as batch:
        for column in (
            "notes",
            "guardian_phone_norm",
            "guardian_phone",
            "guardian_name",
            "phone_flagged",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("region")
