"""Bulk writers for the demo's big tables: executemany on SQLite, COPY on PostgreSQL.

Both take a Batch (deskbook.db.demo_rows): columns of values already in the text each engine
stores or reads, so nothing is converted here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Engine

from deskbook.db.demo_rows import BULK_COLUMNS, Batch
from deskbook.db.demo_side import PatientSide


class BulkWriter(Protocol):
    def write(self, batch: Batch) -> None: ...


class SqliteWriter:
    def __init__(self, conn: Connection, side: PatientSide | None) -> None:
        self._raw: Any = conn.connection.driver_connection
        self._side = side

    def write(self, batch: Batch) -> None:
        for table, names in BULK_COLUMNS.items():
            columns = batch.tables.get(table)
            if columns and columns[0]:
                if table == "patient" and self._side is not None:
                    self._side.insert(table, names, zip(*columns, strict=True))
                    continue
                marks = ", ".join("?" * len(names))
                self._raw.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                    zip(*columns, strict=True),
                )


class PostgresWriter:
    """COPY in text form, one block per table and batch: the rows are joined into text at C
    speed (str.join over the columns), with no Python call per value.

    The appointments, purchases and group sessions go in on the loading connection, the other
    tables at the same time on a second one: a COPY keeps one server process busy parsing its
    text, and the load was that one process's time (a core stood idle beside it). The second
    connection commits each block as it goes; the build is thrown away whole if it fails
    (deskbook.db.demo_target)."""

    def __init__(self, conn: Connection, beside: Connection) -> None:
        self._raw: Any = conn.connection.driver_connection
        self._beside: Any = beside.connection.driver_connection
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-copy")

    def write(self, batch: Batch) -> None:
        beside = self._thread.submit(self._write_beside, batch)
        try:
            _copy(self._raw, batch, _COPIED_FIRST)
        finally:
            beside.result()

    def _write_beside(self, batch: Batch) -> None:
        _copy(self._beside, batch, tuple(t for t in BULK_COLUMNS if t not in _COPIED_FIRST))
        self._beside.commit()

    def close(self) -> None:
        self._thread.shutdown(wait=True)


# On the loading connection; the rest beside it. The server's parse of their text took about
# as long (15 s and 17 s at a million patients).
_COPIED_FIRST = ("package_purchase", "purchase_quota", "group_session", "appointment")
NULL = "\\N"


def _copy(raw: Any, batch: Batch, tables: Sequence[str]) -> None:
    for table in tables:
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
        names = ", ".join(BULK_COLUMNS[table])
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(block)


@contextmanager
def writer_for(conn: Connection, side: PatientSide | None = None) -> Iterator[BulkWriter]:
    if conn.dialect.name == "sqlite":
        yield SqliteWriter(conn, side)
        return
    with conn.engine.connect() as beside:
        settings = ["SET synchronous_commit TO off", *gone_client_check(beside, local=False)]
        for statement in settings:
            beside.exec_driver_sql(statement)
        beside.commit()
        writer = PostgresWriter(conn, beside)
        try:
            yield writer
        finally:
            writer.close()


@contextmanager
def loading_connection(engine: Engine) -> Iterator[Connection]:
    """One connection for the whole load.

    On SQLite it writes without a rollback journal, without fsync and under an exclusive lock.
    That is safe only because the file is a new one (deskbook.db.demo_target): nothing else
    opens it while it is built, a build that fails or is killed leaves a file that is thrown
    away whole (a torn page or a half transaction in it never matters), and the target is
    replaced only after the finished file is checkpointed, put back in rollback-journal mode
    and fsynced, by an atomic rename. The settings live on this connection only: the lock,
    the cache and synchronous go back to the engine's own when the load ends, the journal is
    set by the switch (rollback journal, for the rename) and by every later connection (WAL,
    deskbook.db.engine). The index sorts use a second core."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        if sqlite:
            conn = conn.execution_options(deskbook_write=True)
            # Outside any transaction (pysqlite is in autocommit mode here): for this load only.
            for pragma in (
                "journal_mode=OFF",
                "locking_mode=EXCLUSIVE",
                "synchronous=OFF",
                "cache_size=-1000000",
                "temp_store=MEMORY",
                "threads=2",
            ):
                raw.execute(f"PRAGMA {pragma}")
        else:
            # The build schema is dropped whole if the build dies, so its commits need not
            # wait for the disk; the switch into place (demo_target) commits as usual.
            conn.exec_driver_sql("SET synchronous_commit TO off")
            for statement in gone_client_check(conn, local=False):
                conn.exec_driver_sql(statement)
            conn.commit()
        try:
            yield conn
        finally:
            if sqlite:
                for pragma in ("cache_size=-2000", "locking_mode=NORMAL", "synchronous=NORMAL"):
                    raw.execute(f"PRAGMA {pragma}")


def gone_client_check(conn: Connection, *, local: bool) -> list[str]:
    """A server session whose build was killed stops within a second (PostgreSQL 14+), instead
    of finishing a gist build of minutes that holds locks the next build's sweep waits for."""
    version = conn.dialect.server_version_info or (0,)
    if version < (14,):
        return []
    return [f"SET {'LOCAL ' if local else ''}client_connection_check_interval = '1s'"]


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
