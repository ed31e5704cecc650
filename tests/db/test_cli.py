"""The `deskbook` command: demo, staff add and db upgrade, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from deskbook import Desk, benchmarks
from deskbook.cli import app
from deskbook.config import data_dir
from deskbook.db.demo import DEMO_LOGINS, build_demo
from deskbook.db.engine import make_engine, read_session
from deskbook.db.models import Provider, Staff, Tenant
from deskbook.errors import LoginFailed
from deskbook.passwords import verify_password
from deskbook.staff import add_staff

runner = CliRunner()


def run(*args: str, password: str | None = None) -> Result:
    stdin = f"{password}\n{password}\n" if password is not None else None
    return runner.invoke(app, list(args), input=stdin)


def output(result: Result) -> str:
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


def one_line_failure(result: Result) -> str:
    """A user's mistake: exit code 1, one line on stderr, no traceback."""
    assert result.exit_code == 1, output(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = output(result)
    assert "Traceback" not in text
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture
def demo_url(db_url: str) -> Iterator[str]:
    build_demo(db_url, patients=30, seed=2)
    yield db_url


def staff_row(url: str, username: str) -> tuple[str, str, str] | None:
    """(role, display name, password hash) of a login."""
    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            found = session.execute(
                select(Staff.role, Staff.display_name, Staff.password_hash).where(
                    Staff.username == username
                )
            ).first()
            return None if found is None else (found[0], found[1], found[2])
    finally:
        engine.dispose()


def test_demo_command_prints_the_logins(db_url: str) -> None:
    result = run("demo", "--db", db_url, "--patients", "25", "--seed", "4")
    assert result.exit_code == 0, output(result)
    for username, password, _, _ in DEMO_LOGINS:
        assert username in result.output and password in result.output
    assert "Demo clinic ready" in result.output
    again = run("demo", "--db", db_url, "--patients", "25")
    assert again.exit_code == 0, output(again)
    assert "already holds the demo clinic" in again.output


def test_staff_add_creates_a_real_login(demo_url: str) -> None:
    result = run(
        "staff", "add", "huda", "--name", "Huda Al-Harbi", "--role", "front_desk",
        "--db", demo_url, password="long enough 1",
    )  # fmt: skip
    assert result.exit_code == 0, output(result)
    staff = staff_row(demo_url, "huda")
    assert staff is not None
    role, display_name, password_hash = staff
    assert role == "FRONT_DESK" and display_name == "Huda Al-Harbi"
    assert password_hash != "long enough 1"
    assert verify_password(password_hash, "long enough 1")


def test_staff_add_refuses_a_taken_username(demo_url: str) -> None:
    result = run("staff", "add", "frontdesk", "--db", demo_url, password="long enough 1")
    assert "already taken" in one_line_failure(result)


def test_staff_add_refuses_an_unknown_role(demo_url: str) -> None:
    result = run("staff", "add", "sam", "--role", "JANITOR", "--db", demo_url, password="x" * 9)
    line = one_line_failure(result)
    assert "JANITOR" in line and "ADMIN" in line
    assert staff_row(demo_url, "sam") is None


def test_staff_add_refuses_a_short_password(demo_url: str) -> None:
    result = run("staff", "add", "sam", "--db", demo_url, password="short")
    assert "at least 8" in one_line_failure(result)


def test_staff_add_needs_a_tenant_when_there_are_several(demo_url: str) -> None:
    engine = make_engine(demo_url)
    try:
        from deskbook.db.engine import write_session

        with write_session(engine) as session:
            session.add(Tenant(name="Jeddah Branch"))
    finally:
        engine.dispose()
    result = run("staff", "add", "sam", "--db", demo_url, password="long enough 1")
    assert "--tenant" in one_line_failure(result)
    result = run("staff", "add", "sam", "--tenant", "Nowhere", "--db", demo_url,
                 password="long enough 1")  # fmt: skip
    assert "Jeddah Branch" in one_line_failure(result)
    result = run("staff", "add", "sam", "--tenant", "jeddah branch", "--role", "ADMIN",
                 "--db", demo_url, password="long enough 1")  # fmt: skip
    assert result.exit_code == 0, output(result)


def test_first_login_on_an_empty_database_names_the_organisation(db_url: str) -> None:
    with pytest.raises(Exception, match="--tenant"):
        add_staff(db_url, username="it", display_name="IT", role="ADMIN", password="x" * 10)
    add_staff(
        db_url,
        username="it",
        display_name="IT",
        role="ADMIN",
        password="x" * 10,
        tenant_name="Dammam Therapy Clinic",
    )
    engine = make_engine(db_url)
    try:
        with read_session(engine) as session:
            assert session.scalars(select(Tenant.name)).all() == ["Dammam Therapy Clinic"]
    finally:
        engine.dispose()


def test_db_upgrade_on_a_current_database_says_where_it_is(db_url: str) -> None:
    result = run("db", "upgrade", "--db", db_url)
    assert result.exit_code == 0, output(result)
    assert "is at schema" in result.output


# --- a --db given before the command applies to it -------------------------------------------


@pytest.fixture
def default_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the default SQLite file would be: a command that ignored --db would land here."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DESKBOOK_DATABASE_URL", raising=False)
    return data_dir() / "deskbook.db"


def where(url: str) -> str:
    """The part of a URL a command prints: the SQLite path or the PostgreSQL database name."""
    return make_url(url).database or ""


def test_db_before_the_command_is_used_by_db_upgrade(db_url: str, default_db: Path) -> None:
    result = run("--db", db_url, "db", "upgrade")
    assert result.exit_code == 0, output(result)
    assert where(db_url) in result.output
    assert not default_db.exists()


def test_db_before_the_command_is_used_by_demo(db_url: str, default_db: Path) -> None:
    result = run("--db", db_url, "demo", "--patients", "20", "--seed", "3")
    assert result.exit_code == 0, output(result)
    assert staff_row(db_url, DEMO_LOGINS[0][0]) is not None
    assert not default_db.exists()


def test_db_before_the_command_is_used_by_staff_add(demo_url: str, default_db: Path) -> None:
    result = run("--db", demo_url, "staff", "add", "huda", password="long enough 1")
    assert result.exit_code == 0, output(result)
    assert staff_row(demo_url, "huda") is not None
    assert not default_db.exists()


def test_db_before_the_command_is_used_by_backup(
    db_url: str, default_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    result = run("--db", db_url, "backup", str(target))
    if db_url.startswith("sqlite"):
        assert result.exit_code == 0, output(result)
        assert where(db_url) in result.output and target.exists()
    else:
        # PostgreSQL is backed up with pg_dump: the advice names this database, not a file.
        assert f"-d {where(db_url)}" in one_line_failure(result)
        assert not target.exists()
    assert not default_db.exists()


def test_db_before_the_command_is_used_by_bench(
    db_url: str, default_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[str | None] = []
    monkeypatch.setattr(benchmarks, "run_bench_command", lambda url, patients: measured.append(url))
    result = run("--db", db_url, "bench", "--patients", "10")
    assert result.exit_code == 0, output(result)
    assert measured == [db_url]


def test_two_different_db_options_are_refused(demo_url: str, default_db: Path) -> None:
    other = "sqlite:///" + str(default_db.parent / "other.db")
    result = run("--db", other, "staff", "add", "huda", "--db", demo_url, password="x" * 10)
    assert "--db" in one_line_failure(result)
    assert staff_row(demo_url, "huda") is None
    same = run("--db", demo_url, "staff", "add", "huda", "--db", demo_url, password="x" * 10)
    assert same.exit_code == 0, output(same)


# --- a password that can be set can be typed back -------------------------------------------

UNTYPEABLE = {
    "tab": "long\tenough1",
    "right-to-left mark": "\u200fكلمة-سر-طويلة",
    "zero-width space": "long\u200benough1",
    "too long": "x" * 1025,
}


@pytest.mark.parametrize("password", UNTYPEABLE.values(), ids=UNTYPEABLE.keys())
def test_staff_add_refuses_a_password_that_could_never_log_in(demo_url: str, password: str) -> None:
    result = run("staff", "add", "sam", "--db", demo_url, password=password)
    assert "password" in one_line_failure(result).lower()
    assert staff_row(demo_url, "sam") is None


def test_a_password_staff_add_accepts_logs_in(demo_url: str) -> None:
    password = "كلمة سر طويلة ✓ " + "y" * (1024 - 16)
    assert len(password) == 1024
    result = run("staff", "add", "sam", "--db", demo_url, password=password)
    assert result.exit_code == 0, output(result)
    with Desk.open(demo_url) as desk:
        assert desk.login("sam", password).staff.username == "sam"


# --- an administrator's unlock and password reset --------------------------------------------


def test_staff_unlock_and_reset_password(demo_url: str) -> None:
    with Desk.open(demo_url) as desk:
        for _ in range(6):
            with pytest.raises(LoginFailed):
                desk.login("frontdesk", "guess")
        result = run("--db", demo_url, "staff", "unlock", "frontdesk")
        assert result.exit_code == 0, output(result)
        assert "unlocked" in result.output
        assert desk.login("frontdesk", "frontdesk").staff.username == "frontdesk"

        result = run("staff", "reset-password", "frontdesk", "--db", demo_url,
                     password="brand new secret")  # fmt: skip
        assert result.exit_code == 0, output(result)
        assert desk.login("frontdesk", "brand new secret").staff.username == "frontdesk"
        with pytest.raises(LoginFailed):
            desk.login("frontdesk", "frontdesk")


def test_staff_unlock_and_reset_password_of_an_unknown_login(demo_url: str) -> None:
    assert "nobody" in one_line_failure(run("staff", "unlock", "nobody", "--db", demo_url))
    result = run("staff", "reset-password", "nobody", "--db", demo_url, password="x" * 10)
    assert "nobody" in one_line_failure(result)
    result = run("staff", "reset-password", "admin", "--db", demo_url, password="short")
    assert "at least 8" in one_line_failure(result)


def test_db_before_the_command_is_used_by_the_exports(
    demo_url: str, default_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reaching the database at --db shows in the answer: it has no clinic by that name (the
    # default file, which does not exist, would say there is no database).
    result = run("--db", demo_url, "export", "day", "--clinic", "Nowhere")
    assert "no clinic called 'Nowhere'" in one_line_failure(result)
    monkeypatch.setenv("DESKBOOK_PASSWORD", "admin")
    result = run(
        "--db", demo_url, "export", "report", "packages",
        "--from", "2025-01-01", "--to", "2025-01-31", "--user", "admin",
    )  # fmt: skip
    assert result.exit_code == 0, output(result)
    assert not default_db.exists()


def test_only_settings_read_deskbook_variables() -> None:
    """config.Settings.from_env is the one reader of the app's DESKBOOK_* variables, so a
    documented setting cannot be ignored by the module that should obey it. (deskbook.testing
    reads the test harness's own, DESKBOOK_TEST_PG_URL and the like.)"""
    import re

    import deskbook

    source_root = Path(deskbook.__file__).parent
    # Reads only: a module may still hand a variable to a child process (tui/serve.py).
    direct = re.compile(
        r"(environ\.get|getenv)\([^\n]*DESKBOOK_|environ\[[^\]]*DESKBOOK_[^\]]*\](?!\s*=)"
    )
    readers = [
        str(path.relative_to(source_root))
        for path in source_root.rglob("*.py")
        if path.name != "config.py"
        and path.parent.name != "testing"
        and direct.search(path.read_text(encoding="utf-8"))
    ]
    assert readers == []


# --- a PROVIDER login is linked to its provider ----------------------------------------------


def _a_provider(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            row = session.execute(select(Provider.id, Provider.name_en).limit(1)).one()
            return str(row[0]), row[1]
    finally:
        engine.dispose()


def test_staff_add_links_a_provider_login_to_its_provider(demo_url: str) -> None:
    provider_id, provider_name = _a_provider(demo_url)
    refused = run("staff", "add", "drx", "--role", "PROVIDER", "--db", demo_url,
                  password="long enough 1")  # fmt: skip
    assert "--provider" in one_line_failure(refused)
    assert staff_row(demo_url, "drx") is None
    refused = run("staff", "add", "deskx", "--provider", provider_name, "--db", demo_url,
                  password="long enough 1")  # fmt: skip
    assert "--provider" in one_line_failure(refused)

    made = run("staff", "add", "drx", "--role", "provider", "--provider", provider_name.upper(),
               "--db", demo_url, password="long enough 1")  # fmt: skip
    assert made.exit_code == 0, output(made)
    with Desk.open(demo_url) as desk:
        session = desk.login("drx", "long enough 1")
        assert str(session.staff.provider_id) == provider_id
        session.day_sheet(datetime.now(ZoneInfo(session.staff.timezone)).date())
