"""What every `deskbook` command shares: --db (before or after the command's name), and a
user's mistake as one line on stderr with exit code 1 instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer

from deskbook.config import data_dir, database_url, ensure_data_dir
from deskbook.errors import DeskError

P = ParamSpec("P")
R = TypeVar("R")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: DESKBOOK_DATABASE_URL, then a SQLite file)."),
]


def fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a DeskError (and a Ctrl-C) into one line on stderr."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DeskError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("Interrupted.")

    return wrapper


def chosen_db(ctx: typer.Context, db: str | None) -> str | None:
    """The --db of the command, or the one given before it (`deskbook --db URL backup x.db`);
    two different ones are refused rather than one of them quietly winning."""
    before = (ctx.obj or {}).get("db")
    if before is not None and db is not None and before != db:
        fail("--db was given twice with different databases; give it once.")
    return db if db is not None else before


def resolve_url(db: str | None) -> str:
    url = database_url(db)
    if (
        db is None
        and url.startswith("sqlite:///")
        and url.endswith(str(data_dir() / "deskbook.db"))
    ):
        ensure_data_dir()
    return url
