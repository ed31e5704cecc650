"""Opening the wrong database is a sentence, never a traceback: a URL that is not one, a server
that does not answer, a SQLite file or folder that is not there, a schema that is behind. A
password in the URL is never shown."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from deskbook import Desk
from deskbook.cli import app
from deskbook.db.engine import make_engine
from deskbook.db.migrate import current_revision, ensure_current, head_revision, upgrade_engine
from deskbook.errors import DatabaseError, SchemaOutOfDate
from deskbook.testing.databases import create_pg_database, drop_pg_database, pg_database_url
from deskbook.testing.soak_seed import PASSWORD, seed_clinic

DESKBOOK = str(Path(sys.executable).with_name("deskbook"))
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"
SECRET = "Sup3rSecretPw"


def deskbook(*args: str, stdin: str = "") -> tuple[int, str, str]:
    done = subprocess.run(
        [DESKBOOK, *args], input=stdin, capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def one_line_error(code: int, stdout: str, stderr: str) -> str:
    assert code == 1, (stdout, stderr)
    assert "Traceback" not in stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def cli_error(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.output and len(lines) == 1, result.stderr
    return lines[0]


def test_a_url_that_is_not_one() -> None:
    line = one_line_error(*deskbook("db", "upgrade", "--db", "not a database url"))
    assert "is not a database URL" in line and "sqlite:///" in line
    line = one_line_error(*deskbook("db", "upgrade", "--db", "mysql://root@localhost/clinic"))
    assert "SQLite or PostgreSQL" in line


def test_a_server_that_does_not_answer() -> None:
    line = one_line_error(*deskbook("db", "upgrade", "--db", UNREACHABLE))
    assert "Cannot reach the PostgreSQL server at 127.0.0.1:1" in line
    line = one_line_error(*deskbook("demo", "--db", UNREACHABLE, "--patients", "10"))
    assert "127.0.0.1:1" in line
    with pytest.raises(DatabaseError, match=r"127\.0\.0\.1:1"):
        from deskbook import Desk

        Desk.open(UNREACHABLE)


def test_the_password_is_never_shown() -> None:
    url = f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:1/clinic"
    for args, stdin in (
        (("db", "upgrade", "--db", url), ""),
        (("demo", "--db", url, "--patients", "10"), ""),
        (("staff", "add", "sam", "--db", url), "long enough 1\nlong enough 1\n"),
    ):
        code, stdout, stderr = deskbook(*args, stdin=stdin)
        # (Without a terminal, the password prompt adds getpass warnings to stderr.)
        assert code == 1 and "Traceback" not in stderr
        assert "Cannot reach" in stderr.strip().splitlines()[-1]
        assert SECRET not in stdout + stderr
    broken = f"postgresql+psycopg://alice:{SECRET}@127.0.0.1:notaport/clinic"
    code, stdout, stderr = deskbook("db", "upgrade", "--db", broken)
    assert code == 1 and SECRET not in stdout + stderr and "Traceback" not in stderr


def test_a_missing_sqlite_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'deskbook.db'}"
    line = cli_error("db", "upgrade", "--db", url)
    assert "does not exist" in line and "folder" in line
    line = cli_error("demo", "--db", url, "--patients", "10")
    assert "does not exist" in line


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    line = cli_error(
        "staff", "add", "sam", "--db", f"sqlite:///{path}", stdin="long enough 1\n" * 2
    )
    assert "There is no deskbook database" in line and "deskbook db upgrade" in line
    from deskbook import Desk

    with pytest.raises(DatabaseError, match="There is no deskbook database"):
        Desk.open(f"sqlite:///{path}")
    assert not path.exists()


def test_a_postgres_database_that_does_not_exist(pg_available: bool) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL is not reachable")
    line = cli_error("db", "upgrade", "--db", pg_database_url("dk_no_such_database_here"))
    assert "does not exist" in line


@pytest.fixture
def empty_url(engine_kind: str, tmp_path: Path, pg_available: bool) -> Iterator[str]:
    """A database with no deskbook tables at all."""
    if engine_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not pg_available:
        pytest.skip("PostgreSQL is not reachable")
    name = create_pg_database()
    try:
        yield pg_database_url(name)
    finally:
        drop_pg_database(name)


def test_an_empty_database_says_how_to_fill_it(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="no deskbook tables yet"):
            ensure_current(engine)
    finally:
        engine.dispose()


def test_a_database_that_is_behind(empty_url: str) -> None:
    first = "0001"
    assert head_revision() != first, "needs a second migration to be behind"
    engine = make_engine(empty_url)
    try:
        upgrade_engine(engine, first)
        with pytest.raises(SchemaOutOfDate, match="deskbook db upgrade") as caught:
            ensure_current(engine)
        assert first in str(caught.value)
        line = cli_error("staff", "add", "sam", "--db", empty_url, stdin="long enough 1\n" * 2)
        assert "deskbook db upgrade" in line
        result = CliRunner().invoke(app, ["db", "upgrade", "--db", empty_url])
        assert result.exit_code == 0, result.output
        assert current_revision(engine) == head_revision()
        ensure_current(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("encoding", ["LATIN1", "SQL_ASCII", "WIN1256"])
def test_a_client_encoding_in_the_url_still_speaks_utf8(
    db_url: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Arabic name goes in and comes back whole whatever client_encoding the URL (or
    PGCLIENTENCODING) asks for: the link is UTF-8."""
    if not db_url.startswith("postgresql"):
        pytest.skip("client_encoding is a PostgreSQL setting")
    seed = seed_clinic(db_url, patients=3, desks=1)
    monkeypatch.setenv("PGCLIENTENCODING", encoding)
    url = make_url(db_url).update_query_dict({"client_encoding": encoding})
    with Desk.open(url.render_as_string(hide_password=False)) as desk:
        session = desk.login(seed.desk_usernames[0], PASSWORD)
        made = session.register_patient("Layla Test", "0551234567", None, name_ar="ليلى اختبار")
        found = session.search_patients("ليلى")
        assert [p.name_ar for p in found if p.id == made.id] == ["ليلى اختبار"]
