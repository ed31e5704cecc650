"""`deskbook backup`: a consistent copy of a live SQLite database, and advice for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from deskbook import Desk
from deskbook.backup import backup_sqlite
from deskbook.cli import app
from deskbook.config import data_dir
from deskbook.db.engine import make_engine, write_session
from deskbook.db.migrate import ensure_current
from deskbook.db.models import AuditEvent, Patient
from deskbook.errors import InvalidInput
from deskbook.testing.invariants import check_invariants, table_counts, violations
from deskbook.testing.rows import Rows
from deskbook.testing.soak_seed import PASSWORD, SeedInfo, seed_clinic


class PatientWriter(threading.Thread):
    """Registers patients, each with its audit event in the same transaction, until stopped;
    remembers which ones were committed and when the first and the latest were."""

    def __init__(self, url: str, tenant_id: uuid.UUID) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(url)
        self.tenant_id = tenant_id
        self.committed: list[uuid.UUID] = []
        self.stop = threading.Event()
        self.started_writing = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                patient_id = self._register(n)
                self.committed.append(patient_id)
                self.started_writing.set()
        except BaseException as exc:
            self.error = exc
        finally:
            self.engine.dispose()

    def _register(self, n: int) -> uuid.UUID:
        name, phone = f"Backup Patient {n}", f"0550{n:06d}"
        with write_session(self.engine) as session:
            patient = Rows(session, self.tenant_id).patient(f"B{n:07d}", name, phone)
            session.add(
                AuditEvent(
                    tenant_id=self.tenant_id,
                    action="register_patient",
                    entity="patient",
                    entity_id=patient.id,
                )
            )
        return patient.id


def _sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the online backup API is SQLite's; PostgreSQL is covered by the advice test")


def _backed_up_ids(url: str) -> set[uuid.UUID]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(Patient.id).where(Patient.mrn.like("B%"))).scalars())
    finally:
        engine.dispose()


def test_backup_while_another_desk_writes_is_one_consistent_moment(
    db_url: str, tmp_path: Path
) -> None:
    _sqlite_only(db_url)
    seed = seed_clinic(db_url, patients=30)
    writer = PatientWriter(db_url, seed.tenant_id)
    writer.start()
    try:
        assert writer.started_writing.wait(30)
        committed_before = set(writer.committed)
        copies = [backup_sqlite(db_url, tmp_path / f"live-{i}.db") for i in range(3)]
        committed_after = set(writer.committed)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None
    assert len(committed_after) > len(committed_before)

    for copy in copies:
        copy_url = f"sqlite:///{copy.target}"
        engine = make_engine(copy_url, must_exist=True)
        try:
            ensure_current(engine)
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
                # Each registration is one transaction: patient and audit event come together.
                writes = conn.execute(
                    text("SELECT count(*) FROM audit_event WHERE action = 'register_patient'")
                ).scalar_one()
            assert violations(check_invariants(engine)) == {}
        finally:
            engine.dispose()
        ids = _backed_up_ids(copy_url)
        # Everything committed before the backup began is in it; nothing that never existed is.
        assert committed_before <= ids <= set(writer.committed)
        assert writes == len(ids)
        assert copy.counts["patient"] == len(ids) + len(seed.patient_ids) + 1


def test_backup_of_a_quiet_database_finds_every_row(db_url: str, tmp_path: Path) -> None:
    _sqlite_only(db_url)
    seed: SeedInfo = seed_clinic(db_url, patients=40)
    writer = PatientWriter(db_url, seed.tenant_id)
    writer.start()
    assert writer.started_writing.wait(30)
    writer.stop.set()
    writer.join(30)

    result = CliRunner().invoke(app, ["backup", str(tmp_path / "copy.db"), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert "Backed up" in result.output and "quick_check ok" in result.output

    original, copy = make_engine(db_url), make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        assert table_counts(copy) == table_counts(original)
        with original.connect() as a, copy.connect() as b:
            for table in ("patient", "audit_event", "package_purchase", "staff"):
                query = text(f"SELECT * FROM {table} ORDER BY id")
                assert a.execute(query).all() == b.execute(query).all()
    finally:
        original.dispose()
        copy.dispose()
    # The copy stands alone: no WAL beside it.
    assert not (tmp_path / "copy.db-wal").exists()
    # And it is a working deskbook: the desks can log in to it and find the patients.
    with Desk.open(f"sqlite:///{tmp_path / 'copy.db'}") as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        assert d.get_patient(writer.committed[-1]).name_en.startswith("Backup Patient")
        assert d.search_patients("Backup Patient", limit=5)


def test_backup_refuses_to_overwrite_or_copy_onto_itself(db_url: str, tmp_path: Path) -> None:
    _sqlite_only(db_url)
    source = Path(db_url.removeprefix("sqlite:///"))
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"precious")
    with pytest.raises(InvalidInput, match="already exists"):
        backup_sqlite(db_url, existing)
    assert existing.read_bytes() == b"precious"
    with pytest.raises(InvalidInput):
        backup_sqlite(db_url, source)
    result = CliRunner().invoke(
        app, ["backup", str(tmp_path / "x.db"), "--db", f"sqlite:///{tmp_path}/missing.db"]
    )
    assert result.exit_code == 1
    assert "no deskbook database" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()
    assert not (tmp_path / "x.db").exists()


def test_backup_into_a_folder_names_the_copy(db_url: str, tmp_path: Path) -> None:
    _sqlite_only(db_url)
    folder = tmp_path / "backups"
    folder.mkdir()
    result = backup_sqlite(db_url, folder)
    assert result.target.parent == folder
    assert result.target.exists()
    assert [p.name for p in folder.iterdir()] == [result.target.name]


def test_postgres_backup_says_how_with_pg_dump_and_hides_the_password(
    db_url: str, tmp_path: Path
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL advice only")
    with_password = db_url.replace("postgres@", "postgres:S3cret-pw!@", 1)
    assert "S3cret" in with_password
    result = CliRunner().invoke(app, ["backup", str(tmp_path / "pg.dump"), "--db", with_password])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "pg_dump" in result.output
    assert "-h 127.0.0.1" in result.output
    assert db_url.rsplit("/", 1)[1] in result.output
    assert "S3cret" not in result.output
    assert not (tmp_path / "pg.dump").exists()


# --- file modes: patient data readable by its owner only ---------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask, under which files are created 0644 unless asked otherwise."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_new_database_its_wal_and_shm_and_its_folder_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DESKBOOK_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    folder = data_dir()
    database = folder / "deskbook.db"
    assert mode(folder) == 0o700
    assert mode(database) == 0o600
    engine = make_engine(f"sqlite:///{database}")
    try:
        with write_session(engine) as session:  # a write, so the -wal and -shm files exist
            session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        for suffix in ("-wal", "-shm"):
            side = database.with_name(database.name + suffix)
            assert side.exists() and mode(side) == 0o600, suffix
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "clinic.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("source_mode", [0o600, 0o640], ids=oct)
def test_a_backup_keeps_the_mode_of_the_database(
    sqlite_url: str, tmp_path: Path, source_mode: int, open_umask: None
) -> None:
    source = Path(sqlite_url.removeprefix("sqlite:///"))
    source.chmod(source_mode)
    result = backup_sqlite(sqlite_url, tmp_path / "copy.db")
    assert mode(result.target) == source_mode


def test_a_backup_does_not_write_through_a_planted_link(
    sqlite_url: str, tmp_path: Path, open_umask: None
) -> None:
    """Someone who can write to the backup folder plants links where the copy might go: under
    the temporary name the old code used, and under the backup's own name. Neither is
    followed, and the file they point at is left alone."""
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    folder = tmp_path / "backups"
    folder.mkdir()
    planted = folder / f".monday.db.partial-{os.getpid()}"
    planted.symlink_to(victim)
    result = backup_sqlite(sqlite_url, folder / "monday.db")
    assert victim.read_text() == "not yours"
    assert not result.target.is_symlink()
    assert planted.is_symlink()  # not ours to remove either

    elsewhere = tmp_path / "elsewhere.db"
    (folder / "tuesday.db").symlink_to(elsewhere)  # dangling: the copy would land there
    with pytest.raises(InvalidInput, match="already exists"):
        backup_sqlite(sqlite_url, folder / "tuesday.db")
    assert not elsewhere.exists()
    leftovers = [p.name for p in folder.iterdir() if "partial" in p.name and p != planted]
    assert leftovers == []
