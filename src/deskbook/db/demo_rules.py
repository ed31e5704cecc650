"""The rules of the demo's big tables, set aside while the demo loads them and put back, each
checked against every row, before the build is switched into place (deskbook.db.demo_target).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from deskbook.db.demo_load import gone_client_check
from deskbook.db.demo_side import PatientSide, side_for

# While the demo fills an empty database, secondary indexes, the overlap rules (SQLite's
# triggers, PostgreSQL's exclusion constraints), the full-text triggers and foreign keys are set
# aside and rebuilt once at the end: one sorted build is many times faster than millions of
# random index updates, and a gist index kept during COPY is updated at random places and
# WAL-logged page by page (a million patients took 23 minutes that way, against minutes when the
# constraint is added after the load). Every rule is back, and checked against every row, before
# the build is switched into place (deskbook.db.demo_target): PostgreSQL checks each row when
# it adds an exclusion constraint or validates a foreign key, and on SQLite the rows are valid by
# construction, which the tests prove on every build they make (the invariant checker,
# check_overlaps and foreign_key_check: at a million patients these would add half a minute).
# Primary keys and unique constraints stay on throughout (but see _PG_SORTED).
_OVERLAP_TRIGGER_PREFIX = "ex_"
# patient_phone_key (migration 0009) is kept by triggers on patient: a row trigger on SQLite
# puts six keys per patient at random places of its index (a third of the patient load), a
# statement trigger on PostgreSQL runs once per COPY block. During the load they are set aside
# and the keys of every patient are written by one statement before the build is switched in:
# the same keys the triggers write (every suffix of 4 digits or more, deskbook.phones).
_PHONE_KEY_TRIGGER_PREFIX = "patient_phone_key_"
_PHONE_KEY_POSITIONS = "(VALUES " + ", ".join(f"({n})" for n in range(1, 30)) + ")"
# CROSS JOIN keeps patient the outer loop (SQLite put the 29 positions outside, and read the
# patients 29 times: 4.4 s for the guardian phones, which the demo has none of, against 1.4 s),
# and the keys go into their index in its order (18 s against 24 s at a million patients).
_SQLITE_PHONE_KEYS = tuple(
    "INSERT OR IGNORE INTO patient_phone_key (tenant_id, digits, patient_id) "
    f"SELECT tenant_id, substr({column}, n.column1), id FROM patient "
    f"CROSS JOIN {_PHONE_KEY_POSITIONS} AS n "
    f"WHERE {column} IS NOT NULL AND n.column1 <= length({column}) - 3 ORDER BY 1, 2, 3"
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
# Rewritten in the order of their overlap rule before it is built (their keys too are set
# aside, and built after): the gist index is built in table order and then probed once per
# row, and a table in (provider, start) order builds a tree that answers those probes from a
# few pages. The rows come in the order they were generated in: sorted, the rule took 78 s
# instead of 92 s at a million patients, and the rewrite (about 6 s) stands in for SET LOGGED.
_PG_SORTED = {"provider_block": "provider_id, start_at"}
# Index builds sort in memory when they may; the default 64MB spills to disk at this size.
# A gist index switches to its buffered build only once it outgrows effective_cache_size
# (4GB by default): the overlap indexes (about 400MB at a million patients) were built by
# plain inserts at random places, through shared_buffers of 128MB. Told the cache is small,
# the build buffers (a third faster at 300,000 patients).
_PG_BUILD_SETTINGS = (
    "SET LOCAL maintenance_work_mem = '1GB'",
    "SET LOCAL effective_cache_size = '32MB'",
)


@dataclass
class _Restore:
    """What rules_set_aside puts back: each table's own indexes and rules, then the rules
    between tables (foreign keys), which need every table whole."""

    by_table: dict[str, list[str]] = field(default_factory=dict)
    last: list[str] = field(default_factory=list)
    # PostgreSQL: the foreign keys' checks, by the table they are on (see _postgres_set_aside).
    checked: dict[str, list[str]] = field(default_factory=dict)
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
        _rebuild_tables(conn.engine, restore.checked)
        return
    raw: Any = conn.connection.driver_connection
    restore = _sqlite_set_aside(conn, tables)
    side = side_for(conn) if "patient" in tables else None
    try:
        raw.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
        yield side
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
        # Only now: SQLite copies a table with foreign keys page by page (the side file's
        # patients) only while they are off; row by row, the copy took 15 s at a million.
        raw.execute("PRAGMA foreign_keys=ON")
        with conn.begin():
            for statement in restore.last:
                conn.exec_driver_sql(statement)
    finally:
        if side is not None:
            side.close()


def _rebuild_tables(engine: Engine, by_table: dict[str, list[str]]) -> None:
    """Each table's statements (its indexes and exclusion constraint, or the checks of its
    foreign keys), on connections of their own, two tables at a time: a gist build and its
    check of every row run on one core, and the two with an overlap rule (appointment,
    provider_block) take most of the time. Tables are given out in the order of by_table
    (costliest first): the smaller ones go to whichever finishes first."""

    def rebuild(statements: list[str]) -> None:
        # A transaction per statement, so that a table's locks are held only while a statement
        # needs them: the phone keys are read from the patients while their indexes are built.
        # (A build that fails is thrown away whole, so nothing needs them together.)
        with engine.connect() as conn:
            settings = [*_PG_BUILD_SETTINGS, *gone_client_check(conn, local=True)]
            for statement in statements:
                with conn.begin():
                    for setting in settings:
                        conn.exec_driver_sql(setting)
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
                "AND :keys) OR (c.contype IN ('p', 'u') "
                "AND c.conrelid::regclass::text = ANY(:sorted)) "
                # Foreign keys first: one may point at a key dropped here.
                "ORDER BY c.contype = 'f' DESC, c.contype DESC"
            ),
            {
                "tables": list(tables),
                "kinds": list(PG_SET_ASIDE),
                "keys": keys,
                "sorted": [t for t in _PG_SORTED if t in tables],
            },
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
    # The phone keys are given out right after the patients, on their own (with them, the
    # patients' chain was the longer one's tail).
    given_out = list(tables)
    if keys:
        given_out.insert(given_out.index("patient") + 1, "patient_phone_key")
    restore = _Restore({table: [] for table in given_out})
    if keys:
        # Filled while unlogged, then logged in one rewrite; its primary key comes after.
        restore.by_table["patient_phone_key"] += [
            _PG_PHONE_KEYS,
            "ALTER TABLE patient_phone_key SET LOGGED",
        ]
        restore.by_table["patient"].append(
            f"ALTER TABLE patient ENABLE TRIGGER {_PG_PHONE_KEY_TRIGGER}"
        )
    for table in tables:
        restore.by_table[table] += _made_logged(table)
    for table, _, definition in indexes:
        restore.by_table[table].append(definition)
    for table, name, definition, kind in constraints:
        add = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        if kind == "f":
            # Added at once, then checked two tables at a time: the check of a foreign key
            # added in one step locks the table it points to against the next one's, so they
            # ran one by one (8 s at a million patients). The check is the same one, and
            # leaves the same constraint (validated, as pg_get_constraintdef shows).
            restore.last.append(f"{add} NOT VALID")
            restore.checked.setdefault(table, []).append(
                f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"'
            )
        else:
            restore.by_table[table].append(add)
    # The big tables' checks first (tables is costliest first), the small ones after.
    order = {table: n for n, table in enumerate(tables)}
    restore.checked = dict(sorted(restore.checked.items(), key=lambda t: order.get(t[0], 99)))
    # Each table's statistics on the connection that built it, in step with the others.
    for table in restore.by_table:
        restore.by_table[table].append(f"ANALYZE {table}")
    return restore


def _made_logged(table: str) -> list[str]:
    order = _PG_SORTED.get(table)
    if order is None:
        return [f"ALTER TABLE {table} SET LOGGED"]
    # Its keys are set aside: the empty table turns logged at once, then takes the rows in
    # order, written to the WAL as they go in (as SET LOGGED would have written them).
    return [
        f"CREATE UNLOGGED TABLE {table}_in_order AS SELECT * FROM {table} ORDER BY {order}",
        f"TRUNCATE {table}",
        f"ALTER TABLE {table} SET LOGGED",
        f"INSERT INTO {table} SELECT * FROM {table}_in_order",
        f"DROP TABLE {table}_in_order",
    ]
