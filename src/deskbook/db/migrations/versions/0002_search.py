"""patient search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:20:00

SQLite: an FTS5 trigram index over patient.name_norm (external content, kept in step by
triggers, so a patient written in a transaction is searchable in that same transaction), a
btree on name_norm and one on the Arabic side of it for 1–2 character queries. The MRN,
national id and phone btrees of 0001 already serve prefix ranges there.

PostgreSQL: pg_trgm GIN over name_norm, and text_pattern_ops btrees (which LIKE 'x%' can use
under any collation) for MRN, national id, phone and both sides of the name.

The stored names are rewritten first with the current deskbook.normalize, so a database
filled by an older version meets the queries of this one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from deskbook.normalize import normalize_phone, patient_name_norm

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Must stay textually equal to deskbook.db.search_sql.ARABIC_SIDE: expression indexes are matched
# by shape.
_SQLITE_ARABIC = "substr(name_norm, instr(name_norm, '| ') + 2)"
_PG_ARABIC = "substr(name_norm, strpos(name_norm, '| ') + 2)"

_SQLITE_UP = [
    """CREATE VIRTUAL TABLE patient_fts USING fts5(
           name_norm, content='patient', content_rowid='rowid', tokenize='trigram')""",
    """CREATE TRIGGER patient_fts_insert AFTER INSERT ON patient BEGIN
           INSERT INTO patient_fts(rowid, name_norm) VALUES (new.rowid, new.name_norm);
       END""",
    """CREATE TRIGGER patient_fts_delete AFTER DELETE ON patient BEGIN
           INSERT INTO patient_fts(patient_fts, rowid, name_norm)
           VALUES ('delete', old.rowid, old.name_norm);
       END""",
    """CREATE TRIGGER patient_fts_update AFTER UPDATE OF name_norm ON patient BEGIN
           INSERT INTO patient_fts(patient_fts, rowid, name_norm)
           VALUES ('delete', old.rowid, old.name_norm);
           INSERT INTO patient_fts(rowid, name_norm) VALUES (new.rowid, new.name_norm);
       END""",
    "INSERT INTO patient_fts(patient_fts) VALUES ('rebuild')",
    "CREATE INDEX ix_patient_tenant_name_norm ON patient (tenant_id, name_norm)",
    f"CREATE INDEX ix_patient_tenant_name_ar ON patient (tenant_id, {_SQLITE_ARABIC})",
]
_SQLITE_DOWN = [
    "DROP INDEX IF EXISTS ix_patient_tenant_name_ar",
    "DROP INDEX IF EXISTS ix_patient_tenant_name_norm",
    "DROP TRIGGER IF EXISTS patient_fts_update",
    "DROP TRIGGER IF EXISTS patient_fts_delete",
    "DROP TRIGGER IF EXISTS patient_fts_insert",
    "DROP TABLE IF EXISTS patient_fts",
]

_PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # A finer histogram lets the planner tell a common name fragment (a sequential scan stops
    # after LIMIT rows) from a rare one (the trigram index): the default 100 samples cannot.
    "ALTER TABLE patient ALTER COLUMN name_norm SET STATISTICS 1000",
    "CREATE INDEX ix_patient_name_trgm ON patient USING gin (name_norm gin_trgm_ops)",
    "CREATE INDEX ix_patient_mrn_pattern ON patient (tenant_id, mrn text_pattern_ops)",
    """CREATE INDEX ix_patient_national_id_pattern
           ON patient (tenant_id, national_id text_pattern_ops)""",
    "CREATE INDEX ix_patient_phone_pattern ON patient (tenant_id, phone_norm text_pattern_ops)",
    "CREATE INDEX ix_patient_name_pattern ON patient (tenant_id, name_norm text_pattern_ops)",
    f"""CREATE INDEX ix_patient_name_ar_pattern
           ON patient (tenant_id, ({_PG_ARABIC}) text_pattern_ops)""",
]
_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_patient_name_ar_pattern",
    "DROP INDEX IF EXISTS ix_patient_name_pattern",
    "DROP INDEX IF EXISTS ix_patient_phone_pattern",
    "DROP INDEX IF EXISTS ix_patient_national_id_pattern",
    "DROP INDEX IF EXISTS ix_patient_mrn_pattern",
    "DROP INDEX IF EXISTS ix_patient_name_trgm",
    "ALTER TABLE patient ALTER COLUMN name_norm SET STATISTICS -1",
]


def _renormalize() -> None:
    bind = op.get_bind()
    patient = sa.table(
        "patient",
        sa.column("id", sa.Uuid()),
        sa.column("name_en", sa.String()),
        sa.column("name_ar", sa.String()),
        sa.column("phone", sa.String()),
        sa.column("name_norm", sa.String()),
        sa.column("phone_norm", sa.String()),
    )
    rows = bind.execute(
        sa.select(patient.c.id, patient.c.name_en, patient.c.name_ar, patient.c.phone)
    ).all()
    update = (
        sa.update(patient)
        .where(patient.c.id == sa.bindparam("pid"))
        .values(name_norm=sa.bindparam("nn"), phone_norm=sa.bindparam("pn"))
    )
    batch = [
        {"pid": r.id, "nn": patient_name_norm(r.name_en, r.name_ar), "pn": normalize_phone(r.phone)}
        for r in rows
    ]
    if batch:
        bind.execute(update, batch)


def upgrade() -> None:
    _renormalize()
    dialect = op.get_bind().dialect.name
    for statement in _PG_UP if dialect == "postgresql" else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _PG_DOWN if dialect == "postgresql" else _SQLITE_DOWN:
        op.execute(statement)
