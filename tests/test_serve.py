"""`deskbook serve`: loopback by default, the websocket's Origin checked, desks capped."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

import tui_seed
from deskbook.errors import InvalidInput
from deskbook.tui.serve import is_loopback, origin_of, plan
from served import desk_processes, serving, wait_for


def test_loopback_is_the_default_and_names_of_it_are_allowed() -> None:
    chosen = plan("127.0.0.1", 8000, None, [], 8)
    assert chosen.public_url == "http://127.0.0.1:8000"
    assert chosen.allowed_origins == {"http://127.0.0.1:8000", "http://localhost:8000"}
    assert is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


@pytest.mark.parametrize(
    ("public_url", "origins"),
    [(None, []), ("https://desk.clinic.example", []), (None, ["https://desk.clinic.example"])],
)
def test_another_host_needs_a_public_url_and_an_origin(
    public_url: str | None, origins: list[str]
) -> None:
    with pytest.raises(InvalidInput, match="not loopback, without --public-url and"):
        plan("0.0.0.0", 8000, public_url, origins, 8)


def test_a_published_desk_allows_only_the_named_origins() -> None:
    chosen = plan(
        "0.0.0.0", 8000, "https://desk.clinic.example/", ["https://Desk.Clinic.example:443"], 4
    )
    assert chosen.public_url == "https://desk.clinic.example"
    assert chosen.allowed_origins == {"https://desk.clinic.example"}
    assert origin_of("http://[::1]:8000/x") == "http://[::1]:8000"
    with pytest.raises(InvalidInput, match="not an http"):
        origin_of("desk.clinic.example")


def test_the_command_refuses_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "deskbook", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "not loopback" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def clinic_file(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    tui_seed.build(url)
    return url


async def _handshake(base: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as client:
        try:
            ws = await client.ws_connect(f"{base}/ws?width=80&height=24", headers=headers)
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status
        await ws.close()
        return 101


@pytest.mark.slow
def test_a_wrong_origin_is_refused_and_desks_are_capped(clinic_file: str, tmp_path: Path) -> None:
    with serving(clinic_file, "--max-sessions", "1", log=tmp_path / "serve.log") as base:
        assert asyncio.run(_handshake(base, "http://evil.example")) == 403
        assert asyncio.run(_handshake(base, None)) == 403
        assert asyncio.run(_handshake(base, base.replace("127.0.0.1", "127.0.0.1."))) == 403

        async def two_desks() -> tuple[int, int, bytes]:
            async with aiohttp.ClientSession() as client:
                first = await client.ws_connect(f"{base}/ws", headers={"Origin": base})
                second = await _handshake(base, base)
                # The first desk is a real app: its login screen arrives.
                seen = b""
                while b"Password" not in seen:
                    message = await asyncio.wait_for(first.receive(), 60)
                    if message.type != aiohttp.WSMsgType.BINARY:
                        break
                    seen += message.data
                await first.close()
                return 101, second, seen

        opened, capped, seen = asyncio.run(two_desks())
        assert (opened, capped) == (101, 503)
        assert b"Password" in seen
        # Its browser gone, the desk's process is gone too.
        wait_for(lambda: _only_server(tmp_path), 30, "the desk process to end")


def _only_server(tmp_path: Path) -> bool:
    pids = desk_processes(str(tmp_path))
    cmdlines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids]
    return all(b"serve" in c for c in cmdlines)
