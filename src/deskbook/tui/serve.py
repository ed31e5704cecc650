"""`deskbook serve`: the front desk in a browser, through textual-serve.

textual-serve starts one app process per websocket and checks nobody: no login of its own, no
Origin check, no limit. So here:

- it listens on loopback unless the clinic says where it is published (--public-url) and which
  page may open the websocket (--allowed-origin): another host is refused before binding;
- the websocket's Origin must be one allowed (a page on another site, or a DNS name rebound
  to this machine, cannot drive a desk from a receptionist's browser);
- at most --max-sessions app processes run at once, and each is ended when its browser goes;
- deskbook's own login screen is the gate, as in a terminal.

TLS belongs to a reverse proxy in front (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import shlex
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from deskbook.errors import InvalidInput

log = logging.getLogger("deskbook.serve")

DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 8
# A desk that ignores "quit" (wedged on its database) is ended after this long.
QUIT_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class ServePlan:
    host: str
    port: int
    public_url: str
    allowed_origins: frozenset[str]
    max_sessions: int


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    """scheme://host[:port] as a browser sends it in Origin: lower case, default port left
    out. A value that is not an http(s) URL is refused."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"'{url}' is not an http:// or https:// address.")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"'{url}' has a port that is not a number.") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def plan(
    host: str,
    port: int,
    public_url: str | None,
    allowed_origins: list[str],
    max_sessions: int,
) -> ServePlan:
    """What to serve, or InvalidInput with the one sentence that says what is missing."""
    if not is_loopback(host) and not (public_url and allowed_origins):
        raise InvalidInput(
            f"Refusing to serve on {host}, which is not loopback, without --public-url and "
            "--allowed-origin (the address receptionists open, behind a TLS proxy)."
        )
    if not 1 <= port <= 65535:
        raise InvalidInput("--port must be from 1 to 65535.")
    if max_sessions < 1:
        raise InvalidInput("--max-sessions must be at least 1.")
    shown_host = f"[{host}]" if ":" in host else host
    url = (public_url or f"http://{shown_host}:{port}").rstrip("/")
    origins = {origin_of(o) for o in allowed_origins} or {origin_of(url)}
    if not allowed_origins and is_loopback(host):
        # The same loopback page is opened by any of its names.
        origins |= {origin_of(f"http://{name}:{port}") for name in ("localhost", "127.0.0.1")}
    return ServePlan(host, port, url, frozenset(origins), max_sessions)


class DeskAppService(AppService):
    """One desk's app process, ended for sure when its browser goes."""

    # The browser's address: the audit trail names it as the desk (deskbook.desk_place).
    desk = ""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        if self.desk:
            environment["DESKBOOK_DESK"] = self.desk
        return environment

    async def end(self) -> None:
        await self.stop()
        # AppService keeps the process to itself; stop() only asks it to quit.
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            await asyncio.wait_for(process.wait(), QUIT_GRACE_SECONDS)
        except TimeoutError:
            log.warning("A desk process did not quit; ending it (pid %s).", process.pid)
            process.kill()
            await process.wait()


class DeskServer(Server):
    def __init__(self, command: str, serve_plan: ServePlan) -> None:
        super().__init__(
            command,
            host=serve_plan.host,
            port=serve_plan.port,
            title="deskbook",
            public_url=serve_plan.public_url,
        )
        self.plan = serve_plan
        self.running = 0

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin", "")
        if origin not in self.plan.allowed_origins:
            log.warning("Refused a websocket from origin %r.", origin or "(none)")
            raise web.HTTPForbidden(text="This page may not open a desk.\n")
        if self.running >= self.plan.max_sessions:
            raise web.HTTPServiceUnavailable(
                text=f"All {self.plan.max_sessions} desks are in use; try again shortly.\n"
            )
        self.running += 1
        try:
            return await self._run_desk(request)
        finally:
            self.running -= 1

    async def _run_desk(self, request: web.Request) -> web.WebSocketResponse:
        # Server.handle_websocket, with a service that ends its process for sure.
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: DeskAppService | None = None

        async def close() -> None:
            await websocket.close()

        try:
            await websocket.prepare(request)
            service = DeskAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            # Behind a reverse proxy this is the proxy's address (docs/deploy.md).
            service.desk = f"browser at {request.remote or 'an unknown address'}"
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            if service is not None:
                await service.end()
        return websocket


def desk_command() -> str:
    """The app as textual-serve starts it. The database travels in DESKBOOK_DATABASE_URL,
    not on the command line, where any user of the machine could read a password."""
    return f"{shlex.quote(sys.executable)} -m deskbook"


def run_serve(url: str, serve_plan: ServePlan) -> None:
    os.environ["DESKBOOK_DATABASE_URL"] = url
    DeskServer(desk_command(), serve_plan).serve()
