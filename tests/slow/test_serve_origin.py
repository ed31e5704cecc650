"""`deskbook serve` as a process: the websocket's Origin checked, desks capped, and a desk's
process ended when its browser goes."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import aiohttp
import pytest
from served import desk_processes, serving, wait_for

from deskbook.testing import tui_clinic


@pytest.fixture
def clinic_file(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    tui_clinic.build(url)
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
    return all(b"serve" in c for c in desk_processes(str(tmp_path)).values())
