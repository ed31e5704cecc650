"""Bulk writers for the demo's big tables: executemany on SQLite, COPY on PostgreSQL.

Both take rows as tuples of plain values. On SQLite every value goes through the bind processor
SQLAlchemy itself would use for that column, so times land in the one stored format; ids are
already the 32-digit hex the Uuid type stores there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table, Uuid

Row = tuple[object, ...]


class BulkWriter(Protocol):
    def write(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None: ...


class SqliteWriter:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._raw: Any = conn.connection.driver_connection
        self._plans: dict[tuple[str, tuple[str, ...]], list[tuple[int, Callable[[Any], Any]]]] = {}

    def _converters(
        self, table: Table, columns: Sequence[str]
    ) -> list[tuple[int, Callable[[Any], Any]]]:
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
                    plan.append((index, _memoized(processor)))
            self._plans[key] = plan
        return plan

    def write(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        plan = self._converters(table, columns)
        if plan:
            converted = []
            for row in rows:
                values = list(row)
                for index, convert in plan:
                    value = values[index]
                    if value is not None:
                        values[index] = convert(value)
                converted.append(values)
            rows = converted  # type: ignore[assignment]
        marks = ", ".join("?" * len(columns))
        self._raw.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows
        )


def _memoized(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Start and end times repeat on a grid of days and minutes, so most are seen before."""
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = processor(value)
            if len(cache) > 200_000:
                cache.clear()
            return result
        except TypeError:  # unhashable
            return processor(value)

    return convert


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
