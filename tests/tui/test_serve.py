"""`deskbook serve` refuses to listen beyond loopback unless told where it is published
(the server itself: tests/slow/test_serve_origin.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual_serve.download_manager import DownloadManager

from deskbook.errors import InvalidInput
from deskbook.tui.serve import DeskAppService, is_loopback, origin_of, plan


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


def test_each_browser_desk_is_named_by_its_address() -> None:
    async def nothing(*_args: object) -> None:
        return None

    service = DeskAppService(
        "true",
        write_bytes=nothing,
        write_str=nothing,
        close=nothing,
        download_manager=DownloadManager(),
    )
    service.desk = "browser at 192.0.2.7"
    assert service._build_environment()["DESKBOOK_DESK"] == "browser at 192.0.2.7"
