"""A throwaway PostgreSQL primary with a synchronous standby, on free loopback ports, for the
failover test.

Built with the installed server binaries (initdb, pg_basebackup, pg_ctl) as the `postgres` OS
user: the servers refuse to run as root, so a root test process runs them through runuser. Data
directories live in a private temporary folder owned by postgres, sockets in there too, so
nothing clashes with the shared server on 5432 or with a parallel run.

Durability settings: the primary is never restarted (it is killed and abandoned), and the
standby is never killed, so fsync buys nothing here and is off; synchronous_commit stays on, so a
COMMIT returns only once the standby has the commit record.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
STANDBY_NAME = "standby1"


def server_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps one per major version)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    found = [p for p in found if (p / "initdb").exists() and (p / "pg_basebackup").exists()]
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def why_not_available() -> str | None:
    """The reason a cluster cannot be built here, or None when it can."""
    if server_bin_dir() is None:
        return "the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        return f"there is no '{SERVER_USER}' OS user to run the servers as"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != SERVER_USER:
        return f"starting servers needs root (to become '{SERVER_USER}') or '{SERVER_USER}' itself"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing, so root cannot start the servers as postgres"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    data: Path
    port: int

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


class Cluster:
    """Primary and synchronous standby. Use as a context manager: leaves no process behind."""

    def __init__(self) -> None:
        bin_dir = server_bin_dir()
        assert bin_dir is not None, why_not_available()
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="deskbook-failover-"))
        self.primary = Server("primary", self.root / "primary", free_port())
        self.standby = Server("standby", self.root / "standby", free_port())
        while self.standby.port == self.primary.port:
            self.standby.port = free_port()
        self._killed: set[int] = set()

    # --- running the server binaries as postgres ------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        # A clean environment: the caller's PG* variables must not steer these tools.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        done = subprocess.run(
            command,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _start(self, server: Server, *settings: str) -> None:
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={server.port}",
                f"-c unix_socket_directories={server.data}",
                *settings,
            ]
        )
        log = self.root / f"{server.name}.log"
        self._run("pg_ctl", "-D", str(server.data), "-l", str(log), "-o", options, "-w", "start")

    # --- life cycle -----------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.primary.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            # pg_trgm sees Arabic letters only under a UTF-8 LC_CTYPE (Desk.open checks).
            "--locale=C.UTF-8",
            "--no-sync",
        )
        common = (
            "-c fsync=off",
            "-c full_page_writes=off",
            "-c shared_buffers=32MB",
            "-c max_connections=60",
            "-c wal_level=replica",
            "-c max_wal_senders=4",
            "-c wal_keep_size=256MB",
        )
        self._start(
            self.primary,
            *common,
            f"-c synchronous_standby_names='FIRST 1 ({STANDBY_NAME})'",
            "-c synchronous_commit=on",
        )
        # -R writes standby.signal and primary_conninfo; the walreceiver names itself after
        # cluster_name, which is what synchronous_standby_names lists.
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.standby.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        self._start(self.standby, *common, f"-c cluster_name={STANDBY_NAME}")
        self._wait_for_sync_standby()
        self.sql(self.primary, "CREATE DATABASE deskbook")

    def _wait_for_sync_standby(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        query = (
            f"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{STANDBY_NAME}'"
        )
        while time.monotonic() < deadline:
            if self.sql(self.primary, query).strip() == "sync":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the standby did not become synchronous within {seconds}s")

    def sql(self, server: Server, query: str, database: str = "postgres") -> str:
        return self._run(
            "psql",
            "-X",
            "-At",
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            query,
        )

    def kill_primary(self) -> None:
        """SIGKILL the primary's postmaster and, right after, its children: the primary's
        machine losing power, as far as the desks and the standby can tell."""
        pid = self.primary.postmaster_pid()
        assert pid is not None, "the primary is not running"
        children = _children_of(pid)
        os.kill(pid, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        self._killed.update({pid, *children})

    def promote_standby(self) -> None:
        """pg_ctl promote -w: returns once the standby accepts writes."""
        self._run("pg_ctl", "-D", str(self.standby.data), "-w", "-t", "60", "promote")

    def url(self, database: str = "deskbook") -> str:
        """The multi-host URL a clinic would configure: both servers, the writable one wins."""
        return (
            f"postgresql+psycopg://postgres@/{database}"
            f"?host=127.0.0.1:{self.primary.port}&host=127.0.0.1:{self.standby.port}"
            "&target_session_attrs=read-write"
        )

    def server_url(self, server: Server, database: str = "deskbook") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{database}"

    def __exit__(self, *_exc: object) -> None:
        for server in (self.standby, self.primary):
            pid = server.postmaster_pid()
            if pid is None or pid in self._killed:
                continue
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")
        # Backends of the killed primary that outlived it would keep their files open.
        for pid in self._killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, server: Server, lines: int = 30) -> str:
        try:
            text = (self.root / f"{server.name}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent pid follows it.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            children.append(int(entry.name))
    return children
