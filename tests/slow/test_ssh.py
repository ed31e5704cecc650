"""A clinic server where each ssh login runs the front desk (deploy/deskbook-ssh as sshd's
ForceCommand, docs/deploy.md), against a real sshd on 127.0.0.1: a key login reaches the
login screen, a hang-up leaves no process behind, two desks race for one slot and one wins."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from served import Screen, desk_processes, free_port, wait_for

from deskbook.desk import Desk
from deskbook.staff import add_staff
from deskbook.testing import tui_clinic

SSHD = Path("/usr/sbin/sshd")
WRAPPER = Path(__file__).resolve().parents[2] / "deploy" / "deskbook-ssh"
DESKBOOK = Path(sys.executable).with_name("deskbook")
pexpect = pytest.importorskip("pexpect", reason="pexpect not installed")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not SSHD.exists() or shutil.which("ssh") is None,
        reason="no OpenSSH (apt-get install openssh-server openssh-client)",
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="sshd switches users only as root"),
    pytest.mark.skipif(not DESKBOOK.exists(), reason="deskbook is not installed beside python"),
]
STAFF_PASSWORD = "reception-desk-1"


class Clinic:
    def __init__(self, root: Path, seed: tui_clinic.Seed) -> None:
        self.root = root
        self.seed = seed
        self.url = seed.url
        self.port = 0


@pytest.fixture
def clinic(sqlite_template: Path, tmp_path: Path) -> Iterator[Clinic]:
    db = tmp_path / "desk.db"
    shutil.copyfile(sqlite_template, db)
    seed = tui_clinic.build(f"sqlite:///{db}")
    # The ssh login name is the staff login name.
    add_staff(
        seed.url,
        username=getpass.getuser(),
        display_name="Server Desk",
        role="FRONT_DESK",
        password=STAFF_PASSWORD,
        tenant_name=None,
    )
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)],
            check=True,
        )
    (tmp_path / "authorized_keys").write_text((tmp_path / "client_key.pub").read_text())
    os.chmod(tmp_path / "authorized_keys", 0o600)
    clinic = Clinic(tmp_path, seed)
    clinic.port = free_port()
    (tmp_path / "sshd_config").write_text(
        f"""Port {clinic.port}
ListenAddress 127.0.0.1
HostKey {tmp_path / "host_key"}
PidFile {tmp_path / "sshd.pid"}
AuthorizedKeysFile {tmp_path / "authorized_keys"}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
ForceCommand {WRAPPER}
SetEnv DESKBOOK_DATABASE_URL={seed.url} DESKBOOK={DESKBOOK}
"""
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    log = (tmp_path / "sshd.log").open("wb")
    sshd = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(tmp_path / "sshd_config")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: (
                b"Server listening" in (tmp_path / "sshd.log").read_bytes()
                or sshd.poll() is not None
            ),
            30,
            "sshd",
        )
        assert sshd.poll() is None, (tmp_path / "sshd.log").read_text()
        yield clinic
    finally:
        sshd.terminate()
        sshd.wait(timeout=15)
        log.close()
        for pid in desk_processes(str(tmp_path)):
            with contextlib.suppress(ProcessLookupError):  # it may end on its own first
                os.kill(pid, signal.SIGKILL)


class SshDesk:
    """An ssh client in a pseudo-terminal of 80x24, and what it was sent."""

    def __init__(self, clinic: Clinic) -> None:
        self.screen = Screen()
        self.child = pexpect.spawn(
            "ssh",
            [
                "-tt",
                "-i", str(clinic.root / "client_key"),
                "-p", str(clinic.port),
                "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes",
                "-o", "LogLevel=ERROR",
                f"{getpass.getuser()}@127.0.0.1",
            ],
            env={**os.environ, "TERM": "xterm-256color"},
            dimensions=(24, 80),
        )  # fmt: skip

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.screen.feed(self.child.read_nonblocking(65536, timeout=0.1))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                return

    def until(self, text: str, since: int = 0, limit_s: float = 60) -> None:
        deadline = time.monotonic() + limit_s
        while text not in self.screen.since(since):
            assert time.monotonic() < deadline, f"{text!r} never shown: {self.screen.text[-600:]!r}"
            self.pump(0.2)

    def step(self, keys: list[str], shows: str) -> None:
        """Send keys meant for one screen, then wait until the next one shows `shows`."""
        codes = {"enter": "\r", "down": "\x1b[B"}
        mark = len(self.screen.text)
        self.child.send("".join(codes.get(key, key) for key in keys))
        self.until(shows, since=mark)

    def sign_in(self) -> None:
        self.until("Password")  # the app's own login screen, the name filled in
        self.step([STAFF_PASSWORD, "enter"], "Name (English or Arabic)")

    def close(self) -> None:
        self.child.close(force=True)


def test_a_key_login_reaches_the_login_screen_and_a_hangup_leaves_nothing(clinic: Clinic) -> None:
    desk = SshDesk(clinic)
    try:
        desk.until("Password")
        desk.until(getpass.getuser())  # --user from the ssh login name
        wait_for(lambda: desk_processes(str(clinic.root)), 30, "the desk process")
    finally:
        # The line drops: the ssh client is killed, as when a laptop's lid closes.
        desk.child.kill(signal.SIGKILL)
        desk.close()
    wait_for(lambda: not desk_processes(str(clinic.root)), 60, "no desk process left")


def test_two_ssh_desks_race_for_one_slot_and_one_wins(clinic: Clinic) -> None:
    ids = clinic.seed.ids
    started = datetime.now(UTC)
    first, second = SshDesk(clinic), SshDesk(clinic)
    try:
        for desk, patient in ((first, "rana"), (second, "yusuf")):
            desk.sign_in()
            desk.step([patient], "MRN-000")
            desk.step(["enter"], "☎")  # the patient, loaded
            desk.step(["b"], "Single session")
            desk.step(["p"], "used")
            desk.step(["enter"], "Which provider?")
            desk.step(["down", "enter"], "free slots")  # Dr. Huda, her first free slot
            desk.step(["enter"], "of 10")  # the confirmation: "Session n of 10"
        # Both confirm the same slot at once.
        first.child.send("\r")
        second.child.send("\r")
        marks = len(first.screen.text), len(second.screen.text)
        deadline = time.monotonic() + 60
        while "just taken by another" not in (
            first.screen.since(marks[0]) + second.screen.since(marks[1])
        ):
            assert time.monotonic() < deadline, "neither desk was told the slot was taken"
            first.pump(0.2)
            second.pump(0.2)
    finally:
        shown = first.screen.text + second.screen.text
        first.close()
        second.close()
    desk_db = Desk.open(clinic.url)
    try:
        session = desk_db.login("frontdesk", tui_clinic.PASSWORD)
        booked = [
            a
            for patient in ("rana", "yusuf")
            for a in session.appointments_of(ids[patient])
            if a.status == "BOOKED" and a.provider_id == ids["huda"] and a.start > started
        ]
    finally:
        desk_db.close()
    assert len(booked) == 1, shown[-2000:]
