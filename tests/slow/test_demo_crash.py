"""A demo killed with SIGKILL in the middle of its load, or one whose build fails, leaves the
database as it was: never half-filled, never without its indexes, triggers and constraints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from deskbook.db.demo import build_demo
from deskbook.db.engine import make_engine, parse_url, sqlite_path
from deskbook.testing.invariants import check_invariants, violations

BUILD_SCHEMA_PREFIX = "deskbook_demo_build_"


# -- SIGKILL in the middle of the load ------------------------------------------------------------


def _schema(engine: Engine) -> list[tuple[Any, ...]]:
    """Every table, index, trigger and constraint of the database, as text."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = """SELECT type, name, tbl_name, sql FROM sqlite_master
                     WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"""
        else:
            sql = """SELECT 'index', indexname, tablename, indexdef FROM pg_indexes
                     WHERE schemaname = current_schema()
                     UNION ALL
                     SELECT 'constraint', c.conname, c.conrelid::regclass::text,
                            pg_get_constraintdef(c.oid)
                     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                     WHERE n.nspname = current_schema()
                     UNION ALL
                     SELECT 'trigger', t.tgname, t.tgrelid::regclass::text,
                            pg_get_triggerdef(t.oid)
                     FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
                     JOIN pg_namespace n ON n.oid = r.relnamespace
                     WHERE NOT t.tgisinternal AND n.nspname = current_schema()
                     ORDER BY 1, 2"""
        return [tuple(row) for row in conn.execute(text(sql))]


def _tenants(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM tenant")).scalars())


def _wait_for_the_load(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the demo is writing its bulk rows (a few megabytes in), or fail."""
    path = sqlite_path(parse_url(url))
    admin = None if path is not None else make_engine(url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, "the demo ended before it could be killed"
            if path is not None:
                sizes = [
                    p.stat().st_size
                    for p in path.parent.glob(f".{path.name}.demo-{process.pid}-*.build")
                ]
                if sizes and max(sizes) > 8_000_000:
                    return
            else:
                assert admin is not None
                with admin.connect() as conn:
                    size = conn.execute(
                        text(
                            """SELECT max(pg_total_relation_size(c.oid)) FROM pg_class c
                               JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE starts_with(n.nspname, :prefix)
                                 AND c.relname = 'appointment'"""
                        ),
                        {"prefix": BUILD_SCHEMA_PREFIX},
                    ).scalar()
                if size is not None and size > 8_000_000:
                    return
            time.sleep(0.05)
        pytest.fail("the demo did not reach its bulk load in time")
    finally:
        if admin is not None:
            admin.dispose()


def _demo_command(url: str, patients: int) -> list[str]:
    return [sys.executable, "-m", "deskbook", "demo", "--db", url, "--patients", str(patients)]


def _no_other_sessions(url: str) -> None:
    """Wait until the killed demo's server session has ended (PostgreSQL)."""
    engine = make_engine(url)
    try:
        for _ in range(300):
            with engine.connect() as conn:
                others = conn.execute(
                    text(
                        """SELECT count(*) FROM pg_stat_activity
                           WHERE datname = current_database() AND pid <> pg_backend_pid()"""
                    )
                ).scalar_one()
            if not others:
                return
            time.sleep(0.1)
    finally:
        engine.dispose()


def _wait_for_the_rules(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the demo has loaded its rows and is adding its overlap rules (PostgreSQL builds
    each gist index and checks every row against it after the load), or fail."""
    admin = make_engine(url)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, "the demo ended before it could be killed"
            with admin.connect() as conn:
                adding = conn.execute(
                    text(
                        """SELECT count(*) FROM pg_stat_activity
                           WHERE datname = current_database() AND state = 'active'
                             AND query LIKE 'ALTER TABLE % ADD CONSTRAINT % EXCLUDE %'"""
                    )
                ).scalar_one()
            if adding:
                return
            time.sleep(0.05)
        pytest.fail("the demo did not reach its overlap rules in time")
    finally:
        admin.dispose()


@pytest.mark.parametrize("moment", ["mid-load", "adding its rules"])
def test_a_demo_killed_mid_build_leaves_the_database_as_it_was(db_url: str, moment: str) -> None:
    path = sqlite_path(parse_url(db_url))
    if moment == "adding its rules" and path is not None:
        pytest.skip("SQLite builds its indexes inside the one process: mid-load covers it")
    engine = make_engine(db_url)
    try:
        fresh = _schema(engine)
        assert _tenants(engine) == []
    finally:
        engine.dispose()
    process = subprocess.Popen(
        _demo_command(db_url, 200_000 if moment == "mid-load" else 30_000),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if moment == "mid-load":
            _wait_for_the_load(db_url, process)
        else:
            _wait_for_the_rules(db_url, process)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    if path is None:
        _no_other_sessions(db_url)
    engine = make_engine(db_url)
    try:
        # Untouched: the same schema as a fresh migration, and no clinic in it.
        assert _schema(engine) == fresh
        assert _tenants(engine) == []
    finally:
        engine.dispose()
    # The next demo runs, sweeps what the killed one left, and leaves a complete database.
    again = subprocess.run(_demo_command(db_url, 300), capture_output=True, timeout=600)
    assert again.returncode == 0, again.stderr.decode()
    engine = make_engine(db_url)
    try:
        assert _schema(engine) == fresh
        assert _tenants(engine) == ["Riyadh Therapy Centre"]
        assert violations(check_invariants(engine)) == {}
        if path is not None:
            assert sorted(p.name for p in path.parent.iterdir()) == sorted(
                name
                for name in ("deskbook.db", "deskbook.db-wal", "deskbook.db-shm")
                if (path.parent / name).exists()
            )
            assert not list(path.parent.glob(".*.build*"))
        else:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p)"),
                    {"p": BUILD_SCHEMA_PREFIX},
                ).all()
            assert left == []
    finally:
        engine.dispose()


def test_a_build_that_fails_leaves_nothing_behind(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from deskbook.db import demo

    def broken(*_args: Any) -> None:
        raise RuntimeError("generator bug")

    monkeypatch.setattr(demo, "group_count", broken)
    engine = make_engine(db_url)
    try:
        fresh = _schema(engine)
        with pytest.raises(RuntimeError, match="generator bug"):
            build_demo(db_url, patients=50)
        assert _schema(engine) == fresh
        assert _tenants(engine) == []
        path = sqlite_path(parse_url(db_url))
        if path is not None:
            assert not list(path.parent.glob(".*.build*"))
        else:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, :p)"),
                    {"p": BUILD_SCHEMA_PREFIX},
                ).scalar_one()
            assert left == 0
    finally:
        engine.dispose()
