"""Database URLs as deskbook reads and shows them: parsed and checked, never shown with a
password, the servers of a multi-host PostgreSQL URL, and a failed connect in one sentence."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from deskbook.errors import DatabaseError

# Query parameters libpq takes a secret from: `?password=` works as well as the userinfo.
_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})


def safe_url(url: str | URL) -> str:
    """The URL as it may be shown: never with its password, in the userinfo or the query."""
    try:
        parsed = make_url(url)
        query = {
            key: "***" if key.lower() in _SECRET_PARAMETERS else value
            for key, value in parsed.query.items()
        }
        shown = parsed.set(query=query).render_as_string(hide_password=True)
        # The query is rendered URL-encoded; show a multi-host URL's ?host=a:5432 (or
        # host=a,b) and the mask as they were written.
        return shown.replace("%3A", ":").replace("%2C", ",").replace("%2A%2A%2A", "***")
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        masked = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", str(url))
        return re.sub(r"(?i)\b((?:ssl)?password)=[^&#]*", r"\1=***", masked)


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseError(
            f"'{safe_url(url)}' is not a database URL; use sqlite:///path/to/deskbook.db "
            "or postgresql+psycopg://user@host/dbname."
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"deskbook works with SQLite or PostgreSQL, not '{parsed.get_backend_name()}'."
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def pg_servers(url: URL) -> list[str]:
    """The servers a PostgreSQL URL names, as host:port, in the order libpq tries them: one, or
    several in a multi-host URL (`?host=a:5432&host=b:5432`, or `?host=a,b&port=5432,5433`)."""
    hosts = url.query.get("host")
    if not hosts:
        return [f"{url.host or 'localhost'}:{url.port or 5432}"]
    tokens = hosts.split(",") if isinstance(hosts, str) else list(hosts)
    ports = url.query.get("port") or ""
    port_list = ports.split(",") if isinstance(ports, str) else list(ports)
    if len(port_list) == 1:  # libpq: one port applies to every host
        port_list = port_list * len(tokens)
    servers = []
    for index, token in enumerate(tokens):
        host, _, port = token.partition(":")
        if not port and index < len(port_list):
            port = port_list[index]
        servers.append(f"{host or 'localhost'}:{port or url.port or 5432}")
    return servers


def wants_primary(url: URL) -> bool:
    """A multi-host URL that asks libpq for the writable server (a primary, not a standby)."""
    return url.query.get("target_session_attrs") in ("read-write", "primary")


# psycopg lists each host it tried on a line of its own after the first.
_ATTEMPT = re.compile(r"^- host: '([^']*)', port: '([^']*)'.*?: connection failed: (.*)$")
_LIBPQ_PREFIX = re.compile(r'^connection to server at "[^"]*"(?:[^,]*)?, port \d+ failed: ')


def _attempts(message: str) -> list[str]:
    """'host:port: why' for each host of a failed multi-host connect, from psycopg's message."""
    tried = []
    for line in message.splitlines():
        found = _ATTEMPT.match(line)
        if found:
            host, port, why = found.groups()
            why = _LIBPQ_PREFIX.sub("", why).replace("FATAL:  ", "").strip()
            tried.append(f"{host}:{port or 5432}: {why}")
    return tried


def describe_connect_error(engine: Engine, exc: DBAPIError) -> str:
    """One line for a database that cannot be reached, never the password."""
    where = safe_url(engine.url)
    if engine.dialect.name == "sqlite":
        return f"Cannot open the SQLite database {where}: {exc.orig}."
    message = str(exc.orig).strip() if exc.orig else ""
    detail = message.splitlines()[0] if message else "no answer"
    servers = pg_servers(engine.url)
    if len(servers) > 1:
        tried = "; ".join(_attempts(message)) or detail
        if wants_primary(engine.url):
            return (
                f"Cannot reach a writable PostgreSQL server at {' or '.join(servers)} "
                f"({tried}); is the primary running, or has a standby been promoted?"
            )
        return (
            f"Cannot reach any PostgreSQL server at {' or '.join(servers)} ({tried}); "
            "is one of them running?"
        )
    if "does not exist" in detail:
        return f"PostgreSQL at {servers[0]} answered: {detail}."
    return f"Cannot reach the PostgreSQL server at {servers[0]} ({detail}); is it running?"
