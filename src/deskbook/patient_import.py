"""`deskbook import patients FILE.csv`: a clinic's existing list, loaded as the desk would
register each patient (the same checks, phones to E.164, dates as the desk types them, names
folded for search), in batches that each commit whole.

- The file: UTF-8 with or without a BOM, or Windows-1256 (what Excel saves Arabic as); a header
  row; columns found by name (mrn, name_en, name_ar, phone, date_of_birth, sex, national_id,
  guardian_name, guardian_phone, notes, and common aliases such as "Name", "Mobile", "DOB") or
  by --map name_en=Name,phone=Mobile. A file that is empty, is not text, or lacks a phone or
  any name column is refused before anything is read into the database.
- Each row: refused with its line number and reason into the report file (FILE.rejected.csv)
  when a value is wrong, when it repeats a patient earlier in the file, or when the database
  already holds another patient with its national id or MRN, or with its folded name and date
  of birth. A row whose patient is already in the database (same MRN, or same phone, folded
  name and date of birth) is skipped as loaded, so a re-run after an interruption loads only
  what is missing. A family phone shared by siblings is not a duplicate.
- A value starting with = + - @ is stored as the text it is; `deskbook export patients` writes
  it so a spreadsheet shows it as text (deskbook.patient_export). The escape that export adds
  (a leading ') is taken off again here, so an exported file imports as it was.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, phones
from deskbook.access import clean_text
from deskbook.db.engine import read_session, run_write
from deskbook.db.models import Patient, Tenant
from deskbook.desk_dates import parse_desk_date
from deskbook.errors import DeskError, InvalidInput
from deskbook.normalize import patient_name_norm
from deskbook.patient_csv import FIELDS as FIELDS
from deskbook.patient_csv import columns_of, parse_mapping, read_text, rows_of, unescape
from deskbook.patient_export import spreadsheet_safe
from deskbook.patients import birth, names, national_id_of, next_mrn, sex_code

BATCH = 1000
_REPORT_VALUE = 200  # how much of a refused value the report repeats


@dataclass
class ImportResult:
    rows: int = 0
    loaded: int = 0
    already_loaded: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    encoding: str = ""
    report: Path | None = None
    dry_run: bool = False


def clean_row(values: dict[str, str], region: str, today: date) -> dict[str, Any]:
    """One row as the Patient columns register_patient would write, or InvalidInput."""
    english, arabic = names(values.get("name_en"), values.get("name_ar"))
    number = phones.parse_phone(values.get("phone", ""), region)
    guardian = values.get("guardian_phone", "").strip()
    guardian_number = phones.parse_phone(guardian, region, "guardian's phone") if guardian else None
    typed_birth = values.get("date_of_birth", "").strip()
    born = birth(parse_desk_date(typed_birth), today) if typed_birth else None
    mrn = clean_text(values.get("mrn"), "MRN", 32)
    return {
        "mrn": mrn,
        "name_en": english,
        "name_ar": arabic,
        "phone": number.stored,
        "phone_norm": number.digits,
        "phone_flagged": False,
        "date_of_birth": born,
        "sex": sex_code(values.get("sex")),
        "national_id": national_id_of(values.get("national_id")),
        "guardian_name": clean_text(values.get("guardian_name"), "guardian's name", 200),
        "guardian_phone": guardian_number.stored if guardian_number else None,
        "guardian_phone_norm": guardian_number.digits if guardian_number else "",
        "notes": clean_text(values.get("notes"), "notes", 1000, multiline=True),
        "name_norm": patient_name_norm(english, arabic),
    }


def _identity(row: dict[str, Any]) -> tuple[str, str, date | None]:
    return row["phone_norm"], row["name_norm"], row["date_of_birth"]


def _known(
    session: Session, tenant_id: uuid.UUID, batch: list[dict[str, Any]]
) -> list[tuple[str, str | None, str, str, date | None]]:
    """(mrn, national_id, phone_norm, name_norm, date_of_birth) of the tenant's patients that
    share an MRN, a national id, a phone, or a folded name and birth date with the batch: four
    IN look-ups on indexed columns."""
    p = Patient
    if session.get_bind().dialect.name == "postgresql":
        # These IN lists are a thousand values long: planned with them in hand, PostgreSQL
        # hashes them and picks an index; psycopg's prepared (generic) plan after 5 batches
        # compares every row with all thousand instead, which made a 10,000-row list take
        # minutes.
        driver: Any = session.connection().connection.driver_connection
        driver.prepare_threshold = None
        # pg_trgm's GIN index also answers "=", and PostgreSQL picks it for a list of names,
        # taking seconds a batch; GIN is reached only through bitmap scans, so with them off
        # for this one read the (tenant, name_norm) btree answers, in milliseconds.
        session.execute(text("SET LOCAL enable_bitmapscan = off"))
    wanted = {
        col(p.mrn): {r["mrn"] for r in batch if r["mrn"]},
        col(p.national_id): {r["national_id"] for r in batch if r["national_id"]},
        col(p.phone_norm): {r["phone_norm"] for r in batch},
    }
    # The same name born the same day: the (tenant, name_norm) index, with the birth dates of
    # the batch checked on its rows so a common name does not bring back everyone who bears it
    # (the pairs themselves are matched in _verdicts; a row-value IN list would be planned by
    # PostgreSQL as one long OR over the whole tenant).
    born = [r for r in batch if r["date_of_birth"]]
    conditions: list[ColumnElement[bool]] = [
        column.in_(values) for column, values in wanted.items() if values
    ]
    if born:
        conditions.append(
            col(p.name_norm).in_({r["name_norm"] for r in born})
            & col(p.date_of_birth).in_({r["date_of_birth"] for r in born})
        )
    seen: dict[str, tuple[str, str | None, str, str, date | None]] = {}
    for condition in conditions:
        stmt = select(
            col(p.mrn),
            col(p.national_id),
            col(p.phone_norm),
            col(p.name_norm),
            col(p.date_of_birth),
        ).where(col(p.tenant_id) == tenant_id, condition)
        for row in session.execute(stmt):
            seen[row[0]] = (row[0], row[1], row[2], row[3], row[4])
    return list(seen.values())


def _verdicts(
    batch: list[tuple[int, dict[str, Any]]],
    known: list[tuple[str, str | None, str, str, date | None]],
) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """Each row with None (load it), "loaded" (already in the database) or why it is refused."""
    by_mrn = {k[0]: k for k in known}
    by_nid = {k[1]: k for k in known if k[1]}
    identities = {(k[2], k[3], k[4]): k[0] for k in known}
    by_name_birth = {(k[3], k[4]): k[0] for k in known if k[4] is not None}
    for line, row in batch:
        same = identities.get(_identity(row))
        if same is not None and (not row["mrn"] or row["mrn"] == same):
            yield line, row, "loaded"
        elif same is not None:
            yield line, row, f"the same patient is already in the database as {same}"
        elif row["mrn"] and row["mrn"] in by_mrn:
            yield line, row, f"MRN {row['mrn']} already belongs to another patient"
        elif row["national_id"] and row["national_id"] in by_nid:
            yield line, row, f"national id already belongs to {by_nid[row['national_id']][0]}"
        elif row["date_of_birth"] and (row["name_norm"], row["date_of_birth"]) in by_name_birth:
            other = by_name_birth[(row["name_norm"], row["date_of_birth"])]
            yield line, row, f"possible duplicate of {other} (same name and date of birth)"
        else:
            yield line, row, None


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """The batch through the driver: SQLite executemany of the values as its column types
    store them; PostgreSQL one COPY, so its phone-key trigger runs once for the batch. (The
    ORM's bulk insert spent more time building statements than the database spent writing.)"""
    names = list(rows[0])
    raw: Any = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "sqlite":
        # The FTS and phone-key indexes take rows at random places: a bigger page cache than
        # the 2 MB default keeps them off the disk while a list loads.
        raw.execute("PRAGMA cache_size=-262144")

        def stored(value: object) -> object:
            if isinstance(value, uuid.UUID):
                return value.hex
            if isinstance(value, datetime):
                return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(value, date):
                return value.isoformat()
            return int(value) if isinstance(value, bool) else value

        marks = ", ".join("?" * len(names))
        raw.executemany(
            f"INSERT INTO patient ({', '.join(names)}) VALUES ({marks})",
            [tuple(stored(row[n]) for n in names) for row in rows],
        )
        return
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY patient ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[n] for n in names))


def _load(
    session: Session, tenant_id: uuid.UUID, rows: list[dict[str, Any]], source: str, lines: str
) -> None:
    # MRNs are handed out one by one; NO KEY UPDATE as in patients.register.
    session.get(Tenant, tenant_id, with_for_update={"key_share": True})
    now = datetime.now(UTC)
    coming: str | None = None
    for row in rows:
        if not row["mrn"]:
            coming = coming or next_mrn(session, tenant_id)
            prefix = coming.rstrip("0123456789")
            digits = len(coming) - len(prefix)
            row["mrn"] = coming
            coming = f"{prefix}{int(coming[len(prefix) :]) + 1:0{digits}d}"
        row.update(id=uuid.uuid4(), tenant_id=tenant_id, created_at=now)
    _insert(session, rows)
    audit.record(
        session,
        tenant_id,
        None,
        "import_patients",
        "patient",
        None,
        after={
            "file": source,
            "lines": lines,
            "loaded": len(rows),
            "mrns": [rows[0]["mrn"], rows[-1]["mrn"]],
        },
    )


def import_patients(
    engine: Engine,
    path: Path,
    tenant_id: uuid.UUID,
    *,
    dry_run: bool = False,
    mapping: dict[str, str] | None = None,
    report: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH,
) -> ImportResult:
    text, encoding = read_text(path)
    header, rows = rows_of(text)
    columns = columns_of(header, mapping or {})
    with read_session(engine) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise InvalidInput("No such organisation in this database.")
        region = tenant.region if phones.known_region(tenant.region) else phones.DEFAULT_REGION
    today = datetime.now(UTC).date()
    result = ImportResult(rows=len(rows), encoding=encoding, dry_run=dry_run)
    refused: list[tuple[int, str, list[str]]] = []
    in_file: dict[object, int] = {}
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        clean: list[tuple[int, dict[str, Any]]] = []
        for line, values in chunk:
            named = {
                name: unescape(values[i]) if i < len(values) else "" for name, i in columns.items()
            }
            try:
                row = clean_row(named, region, today)
            except DeskError as exc:
                refused.append((line, str(exc), values))
                continue
            keys: list[tuple[object, ...]] = [("identity", *_identity(row))]
            keys += [("mrn", row["mrn"])] if row["mrn"] else []
            keys += [("nid", row["national_id"])] if row["national_id"] else []
            first = next((in_file[k] for k in keys if k in in_file), None)
            if first is not None:
                refused.append((line, f"repeats the patient on line {first}", values))
                continue
            in_file.update({k: line for k in keys})
            clean.append((line, row))
        with read_session(engine) as session:
            known = _known(session, tenant_id, [r for _, r in clean])
        by_line = dict(chunk)
        to_load = []
        for line, row, verdict in _verdicts(clean, known):
            if verdict == "loaded":
                result.already_loaded += 1
            elif verdict is not None:
                refused.append((line, verdict, by_line[line]))
            else:
                to_load.append(row)
        if not dry_run and engine.dialect.name == "postgresql" and start // batch_size in (2, 20):
            # A list loaded into a new clinic outgrows the statistics at once; without fresh
            # ones PostgreSQL reads the whole tenant for each batch's duplicate check.
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE patient")
                conn.commit()
        if to_load and not dry_run:
            lines = f"{chunk[0][0]}-{chunk[-1][0]}"

            def load(
                session: Session, batch: list[dict[str, Any]] = to_load, span: str = lines
            ) -> None:
                _load(session, tenant_id, batch, path.name, span)

            run_write(engine, load)
        result.loaded += len(to_load)
        if progress:
            progress(min(start + batch_size, len(rows)), len(rows))
    result.rejected = [(line, reason) for line, reason, _ in refused]
    if refused:
        result.report = report or path.with_name(path.stem + ".rejected.csv")
        _write_report(result.report, header, refused)
    return result


def _write_report(path: Path, header: list[str], refused: list[tuple[int, str, list[str]]]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "reason", *header])
            for line, reason, values in sorted(refused):
                shown = [spreadsheet_safe(v[:_REPORT_VALUE]) for v in values]
                writer.writerow([line, reason, *shown])
    except OSError as exc:
        raise InvalidInput(f"Cannot write the report {path}: {exc.strerror}.") from None


def run_import_command(
    url: str,
    path: Path,
    tenant_name: str | None,
    *,
    dry_run: bool,
    mapping: str | None,
    report: Path | None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """`deskbook import patients`: the file checked whole first, then loaded batch by batch."""
    from deskbook.db.migrate import current_database
    from deskbook.patient_export import find_tenant

    columns = parse_mapping(mapping)
    with current_database(url) as engine:
        with read_session(engine) as session:
            tenant_id = find_tenant(session, tenant_name).id
        return import_patients(
            engine,
            path,
            tenant_id,
            dry_run=dry_run,
            mapping=columns,
            report=report,
            progress=progress,
        )
