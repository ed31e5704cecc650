"""On SQLite, the patients and what is derived from them (their phone keys, the full-text
index of their names, their indexes) are built in a second file by a second thread, while the
first builds the other tables' indexes; they are then copied into the build file.

SQLite writes through one connection at a time, but sqlite3 gives up the GIL while a statement
runs, so two connections to two files use both cores. The copy at the end is SQLite's transfer
optimization (`INSERT INTO t SELECT * FROM other.t` into an empty table with the same columns
and indexes): records and index entries are copied as they are, in order, with no sort and no
re-encoding. At 100,000 patients the patients' side took 5.8 s of CPU off the main thread and
its copy gave 0.9-1.7 s back.

The side file sits beside the build file and is named like it, so a build killed at any moment
leaves it to the next build's sweep (deskbook.db.demo_target), and it is removed at the end.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

# Copied in this order; the full-text index's shadow tables hold its whole content (its
# config stays the build file's own: the same migration wrote both).
_COPIED = (
    "patient",
    "patient_phone_key",
    "patient_fts_data",
    "patient_fts_idx",
    "patient_fts_docsize",
)
_EMPTIED = ("patient_fts_data", "patient_fts_idx", "patient_fts_docsize")
_PRAGMAS = ("journal_mode=OFF", "synchronous=OFF", "cache_size=-500000", "temp_store=MEMORY")


class PatientSide:
    """Opened after the build file's rules are set aside (its copy has no patient triggers or
    secondary indexes to keep up while rows go in)."""

    def __init__(self, conn: Connection, build: Path) -> None:
        self.path = build.with_name(build.name.removesuffix(".build") + "side.build")
        main: Any = conn.connection.driver_connection
        self.path.unlink(missing_ok=True)
        main.execute("VACUUM INTO ?", (str(self.path),))
        # Used by the loading thread, then by the side thread, never by both at once.
        self.raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in _PRAGMAS:
            self.raw.execute(f"PRAGMA {pragma}")
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def insert(self, table: str, names: tuple[str, ...], rows: Any) -> None:
        marks = ", ".join("?" * len(names))
        self.raw.execute("BEGIN")
        self.raw.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)
        self.raw.execute("COMMIT")

    def finish(self, statements: list[str]) -> None:
        """Run statements (indexes, phone keys, full-text rebuild) in the side thread."""

        def run() -> None:
            try:
                self.raw.execute("BEGIN")
                for statement in statements:
                    self.raw.execute(statement)
                self.raw.execute("COMMIT")
            except BaseException as exc:
                self._error = exc

        self._thread = threading.Thread(target=run, name="demo-patients", daemon=True)
        self._thread.start()

    def merge(self, conn: Connection, indexes: list[str]) -> None:
        """Wait for the side thread, then copy its tables into the build file, whose patient
        indexes are created first (on the empty table, so that the copy fills them)."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        self.raw.close()
        main: Any = conn.connection.driver_connection
        with conn.begin():
            for statement in indexes:
                conn.exec_driver_sql(statement)
            for table in _EMPTIED:
                conn.exec_driver_sql(f"DELETE FROM {table}")
        main.execute("ATTACH DATABASE ? AS side", (str(self.path),))
        try:
            with conn.begin():
                for table in _COPIED:
                    conn.exec_driver_sql(f"INSERT INTO main.{table} SELECT * FROM side.{table}")
        finally:
            main.execute("DETACH DATABASE side")

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            # The build failed or was stopped (Ctrl-C) while the side thread still works: its
            # file is thrown away, so its statement is interrupted instead of waited for.
            self.raw.interrupt()
            self._thread.join()
        self.raw.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def side_for(conn: Connection) -> PatientSide | None:
    """A side file for a build file on disk; none for an in-memory database."""
    database = conn.engine.url.database
    if conn.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return PatientSide(conn, Path(database))
