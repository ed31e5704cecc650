"""Bulk writers for the demo's big tables: executemany on SQLite, COPY on PostgreSQL.

Both take rows as tuples of plain values. On SQLite every value goes through the bind processor
SQLAlchemy itself would use for that column, so times land in the one stored format; ids are
already the 32-digit hex the Uuid type stores there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import Connection, Table, Uuid, text

Row = tuple[object, ...]


class BulkWriter(Protocol):
    def write(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None: ...


class SqliteWriter:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._raw: Any = conn.connection.driver_connection
        self._plans: dict[tuple[str, tuple[str, ...]], list[Any]] = {}

    def _converters(
        self, table: Table, columns: Sequence[str]
    ) -> list[tuple[int, Callable[[Any], Any], dict[Any, Any]]]:
        key = (table.name, tuple(columns))
        plan = self._plans.get(key)
        if plan is None:
            plan = []
            dialect = self._conn.dialect
            for index, name in enumerate(columns):
                column_type = table.c[name].type
                if isinstance(column_type, Uuid):
                    continue
                processor = column_type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    plan.append((index, processor, {None: None}))
            self._plans[key] = plan
        return plan

    def write(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        plan = self._converters(table, columns)
        if plan:
            # Column by column: times repeat on a grid of days and minutes, so each distinct
            # value is converted once and the rest is dictionary look-ups at C speed.
            by_column = list(zip(*rows, strict=True))
            for index, processor, cache in plan:
                values = by_column[index]
                for value in set(values).difference(cache):
                    cache[value] = processor(value)
                by_column[index] = tuple(map(cache.__getitem__, values))
                if len(cache) > 500_000:
                    cache.clear()
                    cache[None] = None
            rows = list(zip(*by_column, strict=True))
        marks = ", ".join("?" * len(columns))
        self._raw.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows
        )


class PostgresWriter:
    def __init__(self, conn: Connection) -> None:
        self._raw: Any = conn.connection.driver_connection

    def write(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        with (
            self._raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)


def writer_for(conn: Connection) -> BulkWriter:
    if conn.dialect.name == "sqlite":
        return SqliteWriter(conn)
    return PostgresWriter(conn)


# While the demo fills an empty database, secondary indexes (and on SQLite the overlap triggers,
# the full-text triggers and foreign key enforcement) are set aside and rebuilt once at the
# end: one sorted build is many times faster than millions of random index updates. The rows
# are valid by construction; on SQLite check_overlaps and foreign_key_check prove it after, and
# PostgreSQL checks every row itself when it re-adds a foreign key. Primary keys and unique
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
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")
        with conn.begin():
            for statement in restore:
                conn.exec_driver_sql(statement)
    if sqlite:
        check_overlaps(conn)
        with conn.begin():
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
        if broken is not None:
            raise DemoDataError(f"The demo generator wrote a dangling reference in {broken[0]}.")


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
    appointments at once: what the overlap triggers would have refused row by row."""
    overlap = """SELECT count(*) FROM (
        SELECT start_at, max(end_at) OVER (PARTITION BY {key} ORDER BY start_at, id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
        FROM {table} {where}) t WHERE prev_end > start_at"""
    with conn.begin():
        for key, table, where in (
            ("provider_id", "provider_block", ""),
            ("patient_id", "appointment", "WHERE status <> 'CANCELLED'"),
        ):
            found = conn.exec_driver_sql(overlap.format(key=key, table=table, where=where))
            if found.scalar_one():
                raise DemoDataError(f"The demo generator wrote overlapping rows in {table}.")
