"""A TCP proxy the test controls, standing in front of the shared PostgreSQL server.

Tests point the app at the proxy's port and then play the network: `down()` is a server that
stopped (live connections reset, new ones refused at once), `silent()` is a server that does
not answer (new connections are accepted and then never get a byte back), `stall()` is a link
that goes quiet under live connections (no reset: bytes already sent are acknowledged by the
proxy's kernel and then held, in both directions, as a middlebox that lost its route would),
`up()` brings it back (held bytes then flow on). `cut_at_next_answer()` lets what the client
sends through and resets the link when the server's next answer comes: armed just before a
COMMIT, the server commits and the client never hears it. The real server is never touched, so other
tests keep using it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator

from sqlalchemy import make_url

PASS, DOWN, SILENT, STALL = "pass", "down", "silent", "stall"


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._mode = PASS
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closing = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._cut_armed = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self.accepted = 0

    # The test's controls --------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def down(self) -> None:
        """Like a stopped server: every open connection is reset, new ones are refused."""
        with self._lock:
            self._mode = DOWN
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in doomed:
            _reset(sock)

    def silent(self) -> None:
        """Like a server behind a dead link: connections open but never hear an answer."""
        with self._lock:
            self._mode = SILENT
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in doomed:
            _reset(sock)

    def stall(self) -> None:
        """Like a link that went quiet: live connections stay open and hear nothing more,
        new ones are accepted and hear nothing."""
        with self._lock:
            self._mode = STALL
            self._flowing.clear()

    def cut_at_next_answer(self) -> None:
        """Reset the link instead of passing on the server's next answer (a COMMIT whose
        reply is lost: the write landed, the client cannot know)."""
        self._cut_armed.set()

    def up(self) -> None:
        with self._lock:
            self._mode = PASS
            self._flowing.set()

    def close(self) -> None:
        self._closing.set()
        self._flowing.set()
        self.down()
        self._thread.join(5)
        self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # The plumbing ------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with self._lock:
                mode = self._mode
            if mode == DOWN:
                _reset(client)
            elif mode in (SILENT, STALL):
                # Hold it open, read and drop whatever it says, answer nothing.
                self._track(client)
                threading.Thread(target=_drain, args=(client,), daemon=True).start()
            else:
                self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _reset(client)
            return
        server.settimeout(None)
        self._track(client)
        self._track(server)
        for source, sink, answers in ((client, server, False), (server, client, True)):
            threading.Thread(target=self._pump, args=(source, sink, answers), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _pump(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                # A stalled link carries nothing, not even one end's close.
                while not self._flowing.wait(0.1):
                    if self._closing.is_set():
                        return
                if not data:
                    break
                if answers and self._cut_armed.is_set():
                    self._cut_armed.clear()
                    break  # the finally below resets both ends; the answer is dropped
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with self._lock:
                    self._sockets.discard(sock)
                _reset(sock)


def _drain(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while sock.recv(65536):
            pass


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0: close with a RST, as a crashed or stopped server's kernel would.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextlib.contextmanager
def proxy_for(url_host: str, url_port: int) -> Iterator[TcpProxy]:
    proxy = TcpProxy(url_host, url_port).start()
    try:
        yield proxy
    finally:
        proxy.close()


@contextlib.contextmanager
def through_proxy(url: str, password: str | None = None) -> Iterator[tuple[str, TcpProxy]]:
    """The PostgreSQL database at url reached through a TcpProxy: the URL to open, and the
    proxy to play the network with. A password given stands for a secret that must never show
    in a message (the test server trusts local connections and ignores it)."""
    parsed = make_url(url)
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        through = parsed.set(host="127.0.0.1", port=proxy.port)
        if password is not None:
            through = through.set(password=password)
        yield through.render_as_string(hide_password=False), proxy
