"""`deskbook export patients`: the tenant's patients as CSV (UTF-8 with a BOM, so Excel reads
the Arabic names), in MRN order, streamed so a million patients never sit in memory.

A value that starts with = + - @ (or a tab or carriage return) would be run as a formula by a
spreadsheet ("=cmd|' /C calc'!A0"): it is written with a leading apostrophe, which a
spreadsheet shows as text and deskbook.patient_import takes off again."""

from __future__ import annotations

import csv
import io
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.db.engine import read_session
from deskbook.db.migrate import current_database
from deskbook.db.models import Patient, Tenant
from deskbook.errors import InvalidInput
from deskbook.patients import RECORD_FIELDS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = RECORD_FIELDS


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_patients(engine: Engine, tenant_id: uuid.UUID, out: TextIO) -> int:
    """Write the CSV to out (opened with newline=""); returns how many patients."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    with read_session(engine) as session:
        stmt = (
            select(*(getattr(Patient, name) for name in COLUMNS))
            .where(col(Patient.tenant_id) == tenant_id)
            .order_by(col(Patient.mrn))
            .execution_options(yield_per=2000)
        )
        for row in session.execute(stmt):
            writer.writerow([spreadsheet_safe(value) for value in row])
            count += 1
    return count


def find_tenant(session: Session, tenant_name: str | None) -> Tenant:
    """The organisation a command works for: the only one, or the one named by --tenant."""
    stmt = select(Tenant).order_by(col(Tenant.name)).limit(2)
    if tenant_name:
        stmt = stmt.where(func.lower(col(Tenant.name)) == tenant_name.strip().lower())
    tenants = list(session.scalars(stmt))
    if len(tenants) != 1:
        raise InvalidInput(
            "Say which organisation with --tenant."
            if tenants
            else "No such organisation in this database."
        )
    return tenants[0]


def run_export_patients(url: str, out: Path | None, tenant_name: str | None) -> int:
    """`deskbook export patients`: to the file out, or standard output."""
    with current_database(url) as engine:
        with read_session(engine) as session:
            tenant_id = find_tenant(session, tenant_name).id
        if out is None:
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8-sig", newline="")
            try:
                return export_patients(engine, tenant_id, stream)
            finally:
                stream.flush()
                stream.detach()
        try:
            with out.open("w", encoding="utf-8-sig", newline="") as handle:
                return export_patients(engine, tenant_id, handle)
        except OSError as exc:
            raise InvalidInput(f"Cannot write {out}: {exc.strerror}.") from None
