"""Bulk writers for the demo's big tables: executemany on SQLite, COPY on PostgreSQL.

Both take a Batch (deskbook.db.demo_rows): columns of values already in the text each engine
stores or reads, so nothing is converted here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, cast

from sqlalchemy import Connection, text

from deskbook.db.demo_rows import BULK_COLUMNS, Batch


class BulkWriter(Protocol):
    def write(self, batch: Batch) -> None: ...


class SqliteWriter:
    def __init__(self, conn: Connection) -> None:
        self._raw: Any = conn.connection.driver_connection

    def write(self, batch: Batch) -> None:
        for table, names in BULK_COLUMNS.items():
            columns = batch.tables.get(table)
            if columns and columns[0]:
                marks = ", ".join("?" * len(names))
                self._raw.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                    zip(*columns, strict=True),
                )


class PostgresWriter:
    """COPY in text form, one block per table and batch: the rows are joined into text at C
    speed (str.join over the columns), with no Python call per value."""

    def __init__(self, conn: Connection) -> None:
        self._raw: Any = conn.connection.driver_connection

    def write(self, batch: Batch) -> None:
        for table, names in BULK_COLUMNS.items():
            columns = batch.tables.get(table)
            if not columns or not columns[0]:
                continue
            # The demo's text holds no tab, newline or backslash, so only NULL needs a form.
            texts = [
                [NULL if value is None else value for value in column] if None in column else column
                for column in columns
            ]
            rows = zip(*cast(list[list[str]], texts), strict=True)
            block = "\n".join(map("\t".join, rows)) + "\n"
            with (
                self._raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy,
            ):
                copy.write(block)


NULL = "\\N"


def writer_for(conn: Connection) -> BulkWriter:
    if conn.dialect.name == "sqlite":
        return SqliteWriter(conn)
    return PostgresWriter(conn)


# While the demo fills an empty database, secondary indexes (and on SQLite the overlap triggers,
# the full-text triggers and foreign key enforcement) are set aside and rebuilt once at the
# end: one sorted build is many times faster than millions of random index updates. The rows
# are valid by construction, which the tests prove on every build they make (the invariant
# checker, check_overlaps and SQLite's foreign_key_check: at a million patients these would
# add half a minute to the build); PostgreSQL checks every row itself when it re-adds a
# foreign key. Primary keys and unique
# constraints stay on throughout.
_OVERLAP_TRIGGER_PREFIX = "ex_"
# PostgreSQL constraints set aside: foreign keys only. The exclusion constraints stay on: their
# gist indexes take rows one by one faster than they build from scratch (measured: 100,000
# patients load in 63 s with them on, 105 s when they are re-added at the end).
PG_SET_ASIDE = ("f",)


@contextmanager
def rules_set_aside(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    sqlite = conn.dialect.name == "sqlite"
    raw: Any = conn.connection.driver_connection
    if sqlite:
        restore = _sqlite_set_aside(conn, tables)
        raw.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
    else:
        restore = _postgres_set_aside(conn, tables)
    # Nothing to put back after a failure: the half-built database is thrown away whole.
    yield
    if sqlite:
        raw.execute("PRAGMA foreign_keys=ON")
    with conn.begin():
        for statement in restore:
            conn.exec_driver_sql(statement)


def _sqlite_set_aside(conn: Connection, tables: Sequence[str]) -> list[str]:
    names = ", ".join(f"'{t}'" for t in tables)
    with conn.begin():
        found = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            f"AND tbl_name IN ({names}) AND type IN ('index', 'trigger')"
        ).all()
        indexes = [(name, sql) for kind, name, sql in found if kind == "index"]
        triggers = [
            (name, sql)
            for kind, name, sql in found
            if kind == "trigger" and name.startswith(_OVERLAP_TRIGGER_PREFIX)
        ]
        # An external-content full-text index kept by triggers is rebuilt in one pass after.
        fts_tables = [
            name
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'"
            )
            if any(f"content='{table}'" in sql.replace('"', "'") for table in tables)
        ]
        fts = [
            (name, sql)
            for kind, name, sql in found
            if kind == "trigger" and any(f"{fts_table}(" in sql for fts_table in fts_tables)
        ]
        rebuild = [f"INSERT INTO {name}({name}) VALUES ('rebuild')" for name in fts_tables]
        triggers += fts
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _, sql in indexes] + [sql for _, sql in triggers] + rebuild


def _postgres_set_aside(conn: Connection, tables: Sequence[str]) -> list[str]:
    with conn.begin():
        exclusions = conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c WHERE c.contype = ANY(:kinds) "
                "AND c.conrelid::regclass::text = ANY(:tables) ORDER BY c.contype DESC"
            ),
            {"tables": list(tables), "kinds": list(PG_SET_ASIDE)},
        ).all()
        indexes = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                "quote_ident(i.indexname))::regclass)"
            ),
            {"tables": list(tables)},
        ).all()
        for table, name, _ in exclusions:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    # Index builds sort in memory when they may; the default 64MB spills to disk at this size.
    return (
        ["SET LOCAL maintenance_work_mem = '1GB'"]
        + [definition for _, definition in indexes]
        + [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, definition in exclusions
        ]
    )


class DemoDataError(RuntimeError):
    """The demo generator wrote rows that break a rule: a bug in the generator."""


def check_overlaps(conn: Connection) -> None:
    """No provider block overlaps another of its provider, no patient has two live
    appointments at once: what the overlap triggers would have refused row by row. Sorted by
    start, the first span that overlaps an earlier one also overlaps the one just before it
    (until then the ends rise with the starts), so comparing neighbours is enough."""
    overlap = """SELECT count(*) FROM (
        SELECT start_at, lag(end_at) OVER (PARTITION BY {key} ORDER BY start_at, id) AS prev_end
        FROM {table} {where}) t WHERE prev_end > start_at"""
    with conn.begin():
        for key, table, where in (
            ("provider_id", "provider_block", ""),
            ("patient_id", "appointment", "WHERE status <> 'CANCELLED'"),
        ):
            found = conn.exec_driver_sql(overlap.format(key=key, table=table, where=where))
            if found.scalar_one():
                raise DemoDataError(f"The demo generator wrote overlapping rows in {table}.")
