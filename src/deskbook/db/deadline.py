"""A bound on how long one Desk call may wait for the database, whatever the network does.

The server's own timeouts (statement_timeout, idle_in_transaction_session_timeout, set on each
connection by db.engine) end work the server knows about. They cannot help when the link itself
stalls: a query sent into a dead link, or an answer that never comes back, leaves the client in
a blocking read that TCP keepalives may never end (a middlebox that still acknowledges). So each
call runs under a deadline: a timer that, when it runs out, cuts the connections the call has
checked out (shutdown() of a PostgreSQL socket, interrupt() of a SQLite connection). The
blocked driver call then fails at once, the pool throws the connection away, and the call ends
with one sentence. What was not committed is rolled back by the server when it notices the
link is gone, or after idle_in_transaction_session_timeout.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

from deskbook.errors import DatabaseError

_current = threading.local()


class DeadlinePassed(Exception):
    """Raised inside a call once its deadline has passed (never reaches a desk: call_deadline
    turns it into a DatabaseError with the sentence)."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.passed = False
        self._lock = threading.Lock()
        self._watched: dict[int, Callable[[], None]] = {}
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, dbapi_conn: Any) -> None:
        with self._lock:
            if self.passed:
                raise DeadlinePassed()
            self._watched[id(dbapi_conn)] = _cutter(dbapi_conn)

    def unwatch(self, dbapi_conn: Any) -> None:
        # Under the lock, so a connection is never cut after it went back to the pool.
        with self._lock:
            self._watched.pop(id(dbapi_conn), None)

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for cut in self._watched.values():
                cut()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()


def _cutter(dbapi_conn: Any) -> Callable[[], None]:
    if isinstance(dbapi_conn, sqlite3.Connection):
        return dbapi_conn.interrupt

    def cut() -> None:
        # psycopg: shut the socket down under libpq; the blocked read sees the end at once.
        # A duplicate descriptor, so the driver's own stays valid until it closes it.
        if getattr(dbapi_conn, "closed", True):
            return
        with contextlib.suppress(OSError):
            fd = os.dup(dbapi_conn.pgconn.socket)
            with socket.socket(fileno=fd) as sock:
                sock.shutdown(socket.SHUT_RDWR)

    return cut


def watch_checkouts(engine: Engine) -> None:
    """Hand every connection a call checks out to the call's deadline, and ping a reused one
    under it (the pool's own pre-ping runs before any event, so a stalled link would hang the
    ping with no deadline watching)."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        deadline: _Deadline | None = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(dbapi_conn)
        if engine.dialect.name != "postgresql":
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            if deadline is not None and deadline.passed:
                raise DeadlinePassed() from exc
            alive = False
        if not alive:
            if deadline is not None:
                deadline.unwatch(dbapi_conn)
            raise DisconnectionError("the pooled connection did not answer a ping")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, _record: Any) -> None:
        deadline: _Deadline | None = getattr(_current, "deadline", None)
        if deadline is not None and dbapi_conn is not None:
            deadline.unwatch(dbapi_conn)


@contextlib.contextmanager
def call_deadline(seconds: float, where: str) -> Iterator[None]:
    """Bound the block to `seconds` (0: no bound). Calls nest: the outermost bound holds."""
    if seconds <= 0 or getattr(_current, "deadline", None) is not None:
        yield
        return
    deadline = _Deadline(seconds)
    _current.deadline = deadline
    deadline.start()
    try:
        yield
    except BaseException as exc:
        if deadline.passed:
            raise DatabaseError(
                f"The database at {where} did not answer within {seconds:g} seconds, so the "
                "desk stopped waiting; the network or the server may be down. Try again in a "
                "moment."
            ) from exc
        raise
    finally:
        deadline.stop()
        _current.deadline = None
