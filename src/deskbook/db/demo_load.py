"""Bulk writers for the demo's big tables: executemany on SQLite, COPY on PostgreSQL.

Both take a Batch (deskbook.db.demo_rows): columns of values already in the text each engine
stores or reads, so nothing is converted here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Engine, text

from deskbook.db.demo_rows import BULK_COLUMNS, Batch
from deskbook.db.demo_side import PatientSide, side_for


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


def writer_for(conn: Connection, side: PatientSide | None = None) -> BulkWriter:
    if conn.dialect.name == "sqlite":
        return SqliteWriter(conn, side)
    return PostgresWriter(conn)


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
            for statement in _gone_client_check(conn, local=False):
                conn.exec_driver_sql(statement)
            conn.commit()
        try:
            yield conn
        finally:
            if sqlite:
                for pragma in ("cache_size=-2000", "locking_mode=NORMAL", "synchronous=NORMAL"):
                    raw.execute(f"PRAGMA {pragma}")


# While the demo fills an empty database, secondary indexes, the overlap rules (SQLite's
# triggers, PostgreSQL's exclusion constraints), the full-text triggers and foreign keys are set
# aside and rebuilt once at the end: one sorted build is many times faster than millions of
# random index updates, and a gist index kept during COPY is updated at random places and
# WAL-logged page by page (a million patients took 23 minutes that way, against minutes when the
# constraint is added after the load). Every rule is back, and checked against every row, before
# the build is switched into place (deskbook.db.demo_target): PostgreSQL checks each row when
# it adds an exclusion constraint or a foreign key, and on SQLite the rows are valid by
# construction, which the tests prove on every build they make (the invariant checker,
# check_overlaps and foreign_key_check: at a million patients these would add half a minute).
# Primary keys and unique constraints stay on throughout.
_OVERLAP_TRIGGER_PREFIX = "ex_"
# patient_phone_key (migration 0009) is kept by triggers on patient: a row trigger on SQLite
# puts six keys per patient at random places of its index (a third of the patient load), a
# statement trigger on PostgreSQL runs once per COPY block. During the load they are set aside
# and the keys of every patient are written by one statement before the build is switched in:
# the same keys the triggers write (every suffix of 4 digits or more, deskbook.phones).
_PHONE_KEY_TRIGGER_PREFIX = "patient_phone_key_"
_PHONE_KEY_POSITIONS = "(VALUES " + ", ".join(f"({n})" for n in range(1, 30)) + ")"
# In the patients' order, not the index's: SQLite's sorter over these keys costs more (6 s
# of CPU per 100,000 patients) than the inserts it would save (2.4 s).
_SQLITE_PHONE_KEYS = tuple(
    "INSERT OR IGNORE INTO patient_phone_key (tenant_id, digits, patient_id) "
    f"SELECT tenant_id, substr({column}, n.column1), id FROM patient "
    f"JOIN {_PHONE_KEY_POSITIONS} AS n ON n.column1 <= length({column}) - 3"
    for column in ("phone_norm", "guardian_phone_norm")
)
_PG_PHONE_KEY_TRIGGER = "patient_phone_key_insert"
# The demo writes no guardian phones, so each key is there once (no DISTINCT, no sort): the
# primary key added after it checks that.
_PG_PHONE_KEYS = (
    "INSERT INTO patient_phone_key (tenant_id, digits, patient_id) "
    "SELECT p.tenant_id, substr(p.phone_norm, n), p.id FROM patient AS p, "
    "generate_series(1, length(p.phone_norm) - 3) AS n"
)
# PostgreSQL constraints set aside: foreign keys and the exclusion constraints.
PG_SET_ASIDE = ("f", "x")
# Index builds sort in memory when they may; the default 64MB spills to disk at this size.
# A gist index switches to its buffered build only once it outgrows effective_cache_size
# (4GB by default): the overlap indexes (about 400MB at a million patients) were built by
# plain inserts at random places, through shared_buffers of 128MB. Told the cache is small,
# the build buffers (a third faster at 300,000 patients).
_PG_BUILD_SETTINGS = (
    "SET LOCAL maintenance_work_mem = '1GB'",
    "SET LOCAL effective_cache_size = '32MB'",
)


def _gone_client_check(conn: Connection, *, local: bool) -> list[str]:
    """A server session whose build was killed stops within a second (PostgreSQL 14+), instead
    of finishing a gist build of minutes that holds locks the next build's sweep waits for."""
    version = conn.dialect.server_version_info or (0,)
    if version < (14,):
        return []
    return [f"SET {'LOCAL ' if local else ''}client_connection_check_interval = '1s'"]


@dataclass
class _Restore:
    """What rules_set_aside puts back: each table's own indexes and rules, then the rules
    between tables (foreign keys), which need every table whole."""

    by_table: dict[str, list[str]] = field(default_factory=dict)
    last: list[str] = field(default_factory=list)
    # SQLite: what is derived from the patients' rows (phone keys, full-text rebuild).
    derived: list[str] = field(default_factory=list)


@contextmanager
def rules_set_aside(conn: Connection, tables: Sequence[str]) -> Iterator[PatientSide | None]:
    """Yields, on SQLite, the side file the patients go to (deskbook.db.demo_side)."""
    if conn.dialect.name != "sqlite":
        restore = _postgres_set_aside(conn, tables)
        # Nothing to put back after a failure: the half-built database is thrown away whole.
        yield None
        _rebuild_tables(conn.engine, restore.by_table)
        with conn.begin():
            for statement in restore.last:
                conn.exec_driver_sql(statement)
        return
    raw: Any = conn.connection.driver_connection
    restore = _sqlite_set_aside(conn, tables)
    side = side_for(conn) if "patient" in tables else None
    try:
        raw.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
        yield side
        raw.execute("PRAGMA foreign_keys=ON")
        patient = restore.by_table.pop("patient", [])
        if side is not None:
            side.finish(patient + restore.derived)
        with conn.begin():
            for statements in restore.by_table.values():
                for statement in statements:
                    conn.exec_driver_sql(statement)
        if side is not None:
            side.merge(conn, patient)
        else:
            with conn.begin():
                for statement in patient + restore.derived:
                    conn.exec_driver_sql(statement)
        with conn.begin():
            for statement in restore.last:
                conn.exec_driver_sql(statement)
    finally:
        if side is not None:
            side.close()


def _rebuild_tables(engine: Engine, by_table: dict[str, list[str]]) -> None:
    """Each table's indexes and exclusion constraint, on connections of their own, two tables
    at a time: a gist build and its check of every row run on one core, and the two with an
    overlap rule (appointment, provider_block) take most of the time. Tables are given out in
    the order of by_table (costliest first): the smaller ones go to whichever finishes first."""

    def rebuild(statements: list[str]) -> None:
        with engine.connect() as conn, conn.begin():
            settings = [*_PG_BUILD_SETTINGS, *_gone_client_check(conn, local=True)]
            for statement in (*settings, *statements):
                conn.exec_driver_sql(statement)

    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-index")
    try:
        done = [pool.submit(rebuild, statements) for statements in by_table.values() if statements]
        for future in done:
            future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _sqlite_set_aside(conn: Connection, tables: Sequence[str]) -> _Restore:
    names = ", ".join(f"'{t}'" for t in tables)
    with conn.begin():
        found = conn.exec_driver_sql(
            "SELECT type, name, sql, tbl_name FROM sqlite_master WHERE sql IS NOT NULL "
            f"AND tbl_name IN ({names}) AND type IN ('index', 'trigger')"
        ).all()
        indexes = [(name, sql, table) for kind, name, sql, table in found if kind == "index"]
        triggers = [
            (name, sql)
            for kind, name, sql, _ in found
            if kind == "trigger"
            and name.startswith((_OVERLAP_TRIGGER_PREFIX, _PHONE_KEY_TRIGGER_PREFIX))
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
            for kind, name, sql, _ in found
            if kind == "trigger" and any(f"{fts_table}(" in sql for fts_table in fts_tables)
        ]
        # Automatic merging off for the one-pass rebuild, then back to its default (4). The
        # rebuild leaves some twenty segments that every name search reads (55 ms of CPU for
        # a miss at a million): one optimize merges them into one (15 s, in the side thread).
        rebuild = [
            f"INSERT INTO {name}({name}, rank) VALUES ('automerge', {step})"
            if isinstance(step, int)
            else f"INSERT INTO {name}({name}) VALUES ('{step}')"
            for name in fts_tables
            for step in (0, "rebuild", "optimize", 4)
        ]
        triggers += fts
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for name, _, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    restore = _Restore(last=[sql for _, sql in triggers])
    for _, sql, table in indexes:
        restore.by_table.setdefault(table, []).append(sql)
    keys = list(_SQLITE_PHONE_KEYS) if "patient" in tables else []
    restore.derived = keys + rebuild
    return restore


def _postgres_set_aside(conn: Connection, tables: Sequence[str]) -> _Restore:
    keys = "patient" in tables
    logged = [*tables, "patient_phone_key"] if keys else list(tables)
    with conn.begin():
        # Foreign keys into the bulk tables too (waitlist, payments...): a table switched to
        # UNLOGGED may not be referenced by a logged one.
        constraints = conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), "
                "c.contype FROM pg_constraint c WHERE (c.contype = ANY(:kinds) "
                "AND (c.conrelid::regclass::text = ANY(:tables) "
                "OR c.confrelid::regclass::text = ANY(:tables))) "
                "OR (c.contype = 'p' AND c.conrelid::regclass::text = 'patient_phone_key' "
                "AND :keys) ORDER BY c.contype DESC"
            ),
            {"tables": list(tables), "kinds": list(PG_SET_ASIDE), "keys": keys},
        ).all()
        indexes = conn.execute(
            text(
                "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                "quote_ident(i.indexname))::regclass)"
            ),
            {"tables": list(tables)},
        ).all()
        for table, name, _, _ in constraints:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _, name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        if keys:
            conn.exec_driver_sql(f"ALTER TABLE patient DISABLE TRIGGER {_PG_PHONE_KEY_TRIGGER}")
        # Written without WAL while they are loaded (the build schema is dropped whole if the
        # build dies), and made logged again, in one sequential rewrite each, before their
        # indexes are built: COPY of WAL-logged rows and their primary keys was most of the
        # load.
        for table in logged:
            conn.exec_driver_sql(f"ALTER TABLE {table} SET UNLOGGED")
    restore = _Restore({table: [] for table in tables})
    if keys:
        # Filled while unlogged, then logged in one rewrite; its primary key comes after.
        restore.by_table["patient"] += [
            _PG_PHONE_KEYS,
            "ALTER TABLE patient_phone_key SET LOGGED",
            f"ALTER TABLE patient ENABLE TRIGGER {_PG_PHONE_KEY_TRIGGER}",
        ]
    for table in tables:
        restore.by_table[table].append(f"ALTER TABLE {table} SET LOGGED")
    for table, _, definition in indexes:
        restore.by_table[table].append(definition)
    for table, name, definition, kind in constraints:
        add = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        if kind == "p":
            restore.by_table["patient"].append(add)
        else:
            (restore.by_table[table] if kind == "x" else restore.last).append(add)
    return restore


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
