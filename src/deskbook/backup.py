"""`deskbook backup PATH`: a consistent copy of a live database.

SQLite: sqlite3's online backup API, copying every page in one step. Under WAL a reader never
blocks a writer, so the copy is a snapshot of one committed moment while other desks keep
booking. It is written to a temporary file beside PATH (an unpredictable name, created 0600)
and linked into place only after it passes `PRAGMA quick_check`, so a failed backup never
leaves a half file under the real name; the copy gets the database's file mode.

PostgreSQL: pg_dump is the right tool (it takes a consistent snapshot too); the command says
how to run it, with the host and database from the URL and never the password.
"""

from __future__ import annotations

import errno
import os
import shlex
import sqlite3
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from deskbook.config import Settings
from deskbook.db.engine import parse_url, pg_servers, sqlite_path
from deskbook.errors import DatabaseError, DeskError, InvalidInput

# Counted in the confirmation so the user sees at a glance that the copy holds their data.
_COUNTED = ("patient", "appointment")


@dataclass(frozen=True)
class BackupResult:
    source: Path
    target: Path
    size_bytes: int
    counts: dict[str, int]


def run_backup_command(url: str, path: Path) -> None:
    """Back up the database at url to path and print one line saying what was written."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "postgresql":
        raise DeskError(pg_dump_advice(parsed, path))
    result = backup_sqlite(url, path)
    counts = ", ".join(f"{n:,} {table}s" for table, n in result.counts.items())
    print(
        f"Backed up {result.source} to {result.target} "
        f"({_size(result.size_bytes)}; {counts}; quick_check ok)."
    )


def pg_dump_advice(url: URL, path: Path) -> str:
    """One line: the pg_dump command for this database; the password stays out of it."""
    parts = ["pg_dump", "-Fc"]
    if url.query.get("host"):
        # A multi-host URL: libpq takes the lists (pg_dump reads a standby as well as a primary).
        hosts, ports = zip(*(server.rsplit(":", 1) for server in pg_servers(url)), strict=True)
        parts += ["-h", ",".join(hosts), "-p", ",".join(ports)]
    else:
        if url.host:
            parts += ["-h", url.host]
        if url.port:
            parts += ["-p", str(url.port)]
    if url.username:
        parts += ["-U", url.username]
    parts += ["-d", url.database or "postgres", "-f", str(path)]
    return (
        "deskbook backup copies SQLite files; for PostgreSQL run "
        f"`{shlex.join(parts)}` (it asks for the password, or reads ~/.pgpass), "
        "and restore with pg_restore."
    )


def backup_sqlite(url: str, path: Path) -> BackupResult:
    source = sqlite_path(parse_url(url))
    if source is None:
        raise InvalidInput("An in-memory database cannot be backed up; it vanishes on exit.")
    source = source.resolve()
    if not source.is_file():
        raise DatabaseError(f"There is no deskbook database at {source} to back up.")
    target = path.expanduser()
    if target.is_dir():
        target = target / f"{source.stem}-backup.db"
    # The folder resolved, not the name: a link planted under PATH's name must not lead the
    # copy somewhere else.
    target = target.parent.resolve() / target.name
    if target == source:
        raise InvalidInput("The backup must go to another file than the database itself.")
    if target.exists() or target.is_symlink():
        raise InvalidInput(f"{target} already exists; choose a new name or remove it first.")
    if not target.parent.is_dir():
        raise InvalidInput(f"The folder {target.parent} does not exist.")

    mode = stat.S_IMODE(source.stat().st_mode)
    # An unpredictable name, created by mkstemp (O_EXCL, O_NOFOLLOW, 0600): a file or link
    # planted beside PATH cannot be written through.
    fd, partial_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    partial = Path(partial_name)
    try:
        _copy(source, partial)
        counts = _check_copy(partial)
        # The copy holds what the database holds: it gets the database's mode, not the umask's.
        os.fchmod(fd, mode)
        _publish(partial, target)
    except sqlite3.Error as exc:
        raise DatabaseError(f"The backup of {source} failed: {exc}.") from None
    finally:
        os.close(fd)
        partial.unlink(missing_ok=True)
    return BackupResult(source, target, target.stat().st_size, counts)


def _publish(partial: Path, target: Path) -> None:
    """Give the finished copy its name, never replacing a file (or a link) that appeared there
    meanwhile: a hard link fails if the name is taken, where a rename would overwrite it."""
    try:
        os.link(partial, target, follow_symlinks=False)
    except FileExistsError:
        raise InvalidInput(
            f"{target} already exists; choose a new name or remove it first."
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
            raise DatabaseError(f"Cannot write {target}: {exc.strerror}.") from None
        # A file system without hard links (FAT, some network shares): rename, after the check.
        if target.exists() or target.is_symlink():
            raise InvalidInput(
                f"{target} already exists; choose a new name or remove it first."
            ) from None
        os.replace(partial, target)


def _copy(source: Path, target: Path) -> None:
    # mode=ro would refuse a WAL file whose -shm it cannot create; a normal connection that
    # only reads is fine, and the existence check above keeps it from creating a new file.
    src = sqlite3.connect(source, timeout=Settings.from_env().lock_timeout_seconds)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: every page in one step, so concurrent writers cannot make it restart and
        # the copy is one snapshot.
        src.backup(dst, pages=-1)
        # The copy stands alone: no -wal file to carry around beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _check_copy(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy failed quick_check: {verdict}")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in _COUNTED
            if table in tables
        }
    finally:
        conn.close()


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} bytes"
