"""The `deskbook` command. Every command takes --db, before or after its name (or
DESKBOOK_DATABASE_URL); a user's mistake ends in one line on stderr and exit code 1, never
a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from deskbook.cli_common import DbOption, chosen_db, one_line_errors, resolve_url
from deskbook.cli_files import export_app, import_app

app = typer.Typer(
    help="deskbook: front-desk booking for therapy clinics.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", add_completion=False)
staff_app = typer.Typer(help="Staff logins.", add_completion=False)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: DbOption = None,
    user: Annotated[str | None, typer.Option("--user", help="Fill in the login name.")] = None,
) -> None:
    """With no command, open the front-desk application."""
    if ctx.invoked_subcommand is not None:
        # Sub-commands read it through chosen_db: click hands ctx.obj down to them.
        ctx.obj = {"db": db}
        return
    _open_tui(db, user)


@one_line_errors
def _open_tui(db: str | None, user: str | None) -> None:
    from deskbook.tui.app import run_app

    run_app(resolve_url(db), username=user)


@db_app.command("upgrade")
@one_line_errors
def db_upgrade(ctx: typer.Context, db: DbOption = None) -> None:
    """Create or migrate the database to the newest schema."""
    from deskbook.db.engine import safe_url
    from deskbook.db.migrate import upgrade

    url = resolve_url(chosen_db(ctx, db))
    revision = upgrade(url)
    typer.echo(f"{safe_url(url)} is at schema {revision}.")


@app.command("demo")
@one_line_errors
def demo(
    ctx: typer.Context,
    db: DbOption = None,
    patients: Annotated[int, typer.Option("--patients", min=1, help="How many patients.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed, for a repeatable clinic.")] = 7,
) -> None:
    """Build the demo clinic (logins admin/admin and frontdesk/frontdesk, for trying only).

    Only into an empty database: one that holds another clinic is refused; run again on
    the demo clinic, it leaves it as it is.
    """
    from deskbook.db.demo import run_demo_command

    run_demo_command(resolve_url(chosen_db(ctx, db)), patients=patients, seed=seed)


@staff_app.command("add")
@one_line_errors
def staff_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    display_name: Annotated[str, typer.Option("--name", help="Name shown on screen.")] = "",
    role: Annotated[
        str, typer.Option("--role", help="ADMIN, FRONT_DESK or PROVIDER.")
    ] = "FRONT_DESK",
    tenant: Annotated[str | None, typer.Option("--tenant", help="Organisation name.")] = None,
    clinic: Annotated[
        str | None, typer.Option("--clinic", help="Home clinic (name or id): where the desk opens.")
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option("--provider", help="For a PROVIDER login: which provider (name or id)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a staff login; the password is asked for twice and never echoed."""
    from deskbook.staff import add_staff, check_before_password

    url = resolve_url(chosen_db(ctx, db))
    check_before_password(url, username=username, role=role, provider=provider)
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    add_staff(
        url,
        username=username,
        display_name=display_name or username,
        role=role,
        password=password,
        tenant_name=tenant,
        clinic=clinic,
        provider=provider,
    )
    typer.echo(f"Staff login '{username}' created.")


@staff_app.command("unlock")
@one_line_errors
def staff_unlock(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """Let a locked login try again now (the lock clears by itself after 15 minutes)."""
    from deskbook.staff import unlock

    unlock(resolve_url(chosen_db(ctx, db)), username)
    typer.echo(f"Staff login '{username.strip()}' unlocked.")


@staff_app.command("reset-password")
@one_line_errors
def staff_reset_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """Give a login a new password (asked for twice, never echoed); it also unlocks it."""
    from deskbook.staff import check_login_exists, reset_password

    url = resolve_url(chosen_db(ctx, db))
    check_login_exists(url, username)
    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    reset_password(url, username, password)
    typer.echo(f"Staff login '{username.strip()}' has a new password and is unlocked.")


@app.command("bench")
@one_line_errors
def bench(
    ctx: typer.Context,
    db: DbOption = None,
    patients: Annotated[int, typer.Option("--patients", help="Size of the database.")] = 1_000_000,
) -> None:
    """Run the search benchmark and print p50/p95 as a table."""
    from deskbook.benchmarks import run_bench_command

    run_bench_command(chosen_db(ctx, db), patients=patients)


@app.command("serve")
@one_line_errors
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    public_url: Annotated[
        str | None,
        typer.Option("--public-url", help="The address receptionists open (the TLS proxy's)."),
    ] = None,
    allowed_origin: Annotated[
        list[str] | None,
        typer.Option("--allowed-origin", help="A page allowed to open a desk; repeatable."),
    ] = None,
    max_sessions: Annotated[
        int, typer.Option("--max-sessions", help="Desks (app processes) at most at once.")
    ] = 8,
) -> None:
    """Serve the front desk to browsers (each browser tab signs in as in a terminal)."""
    from deskbook.desk import Desk
    from deskbook.tui.serve import plan, run_serve

    chosen = plan(host, port, public_url, allowed_origin or [], max_sessions)
    url = resolve_url(db)
    Desk.open(url).close()  # a database that cannot be opened ends here, not in every tab
    run_serve(url, chosen)


@app.command("backup")
@one_line_errors
def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    db: DbOption = None,
) -> None:
    """Make a consistent copy of a live SQLite database."""
    from deskbook.backup import run_backup_command

    run_backup_command(resolve_url(chosen_db(ctx, db)), path)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
