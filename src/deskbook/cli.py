"""The `deskbook` command. Every command takes --db, before or after its name (or
DESKBOOK_DATABASE_URL); a user's mistake ends in one line on stderr and exit code 1, never
a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer

from deskbook.config import data_dir, database_url, ensure_data_dir
from deskbook.errors import DeskError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help="deskbook: front-desk booking for therapy clinics.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", add_completion=False)
staff_app = typer.Typer(help="Staff logins.", add_completion=False)
export_app = typer.Typer(help="Write the day sheet and other lists to files.", add_completion=False)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(export_app, name="export")
import_app = typer.Typer(help="Load lists from other systems.", add_completion=False)
app.add_typer(import_app, name="import")

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


@export_app.command("day")
@one_line_errors
def export_day(
    ctx: typer.Context,
    clinic: Annotated[str, typer.Option("--clinic", help="Clinic name or id.")],
    day: Annotated[
        datetime | None,
        typer.Option("--day", formats=["%Y-%m-%d"], help="YYYY-MM-DD (default: today)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or pdf.")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Organisation name.")] = None,
    db: DbOption = None,
) -> None:
    """The clinic's day sheet as CSV, or as a PDF with one A4 page per provider."""
    from deskbook.exports import run_export_command

    data = run_export_command(
        resolve_url(chosen_db(ctx, db)), clinic, day.date() if day else None, fmt, tenant
    )
    if out is None:
        if fmt.strip().lower() == "pdf" and sys.stdout.isatty():
            fail("A PDF does not belong on a terminal; name a file with --out.")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"Cannot write {out}: {exc.strerror}.")
    typer.echo(f"Wrote {out}.")


@import_app.command("patients")
@one_line_errors
def import_patients(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The CSV file: a header row, one patient a row.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and write the report; load nothing.")
    ] = False,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="Columns named otherwise: name_en=Name,phone=Mobile,..."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Where the refused rows go (default: FILE.rejected.csv)."),
    ] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Organisation name.")] = None,
    db: DbOption = None,
) -> None:
    """A clinic's patient list (UTF-8 or Windows-1256 CSV). Batches commit as they go; a re-run
    skips the patients already loaded. Refused rows go to a report with line and reason."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from deskbook.patient_import import run_import_command

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("Checking" if dry_run else "Importing", total=None)
        result = run_import_command(
            resolve_url(chosen_db(ctx, db)),
            path,
            tenant,
            dry_run=dry_run,
            mapping=mapping,
            report=report,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    verb = "would load" if dry_run else "loaded"
    typer.echo(
        f"{result.rows} rows ({result.encoding}): {verb} {result.loaded}, "
        f"{result.already_loaded} already in the database, {len(result.rejected)} refused."
    )
    if result.report is not None:
        typer.echo(f"Refused rows, with their line and reason: {result.report}")


@export_app.command("patients")
@one_line_errors
def export_patients(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Organisation name.")] = None,
    db: DbOption = None,
) -> None:
    """Every patient as CSV (UTF-8 with BOM); formulas are written as text."""
    from deskbook.patient_export import run_export_patients

    count = run_export_patients(resolve_url(chosen_db(ctx, db)), out, tenant)
    if out is not None:
        typer.echo(f"Wrote {count} patients to {out}.")


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


# -- deskbook export report (issue 14) ----------------------------------------------------


@export_app.command("report")
@one_line_errors
def export_report(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="packages, utilization or revenue.")],
    from_day: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    to_day: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included).")],
    clinic: Annotated[
        str | None, typer.Option("--clinic", help="Only this clinic (its name or id).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the CSV here (default: stdout).")
    ] = None,
    user: Annotated[
        str, typer.Option("--user", help="An administrator's login.", envvar="DESKBOOK_USER")
    ] = "admin",
    db: DbOption = None,
) -> None:
    """A package report as CSV: sales and completion per package, provider utilization, or
    revenue and balance due per clinic. Asks for the password (or DESKBOOK_PASSWORD)."""
    from datetime import date

    from deskbook.config import Settings
    from deskbook.desk import Desk
    from deskbook.reports import KINDS, write_csv

    if kind not in KINDS:
        fail(f"There is no “{kind}” report; choose packages, utilization or revenue.")
    try:
        first, last = date.fromisoformat(from_day), date.fromisoformat(to_day)
    except ValueError:
        fail("Give the days as YYYY-MM-DD, e.g. --from 2026-01-01 --to 2026-03-31.")
    password = Settings.from_env().password or typer.prompt("Password", hide_input=True)
    with Desk.open(resolve_url(chosen_db(ctx, db))) as desk:
        session = desk.login(user, password)
        clinic_id = None
        if clinic is not None:
            wanted = clinic.strip().lower()
            found = [
                c.id for c in session.clinics_for() if wanted in (str(c.id), c.name_en.lower())
            ]
            if not found:
                fail(f"No clinic is called “{clinic}”.")
            clinic_id = found[0]
        rows = session.report(kind, first, last, clinic_id)
    if out is None:
        write_csv(rows, kind, sys.stdout)
        return
    with out.open("w", newline="", encoding="utf-8") as handle:
        n = write_csv(rows, kind, handle)
    typer.echo(f"{n} rows written to {out}.", err=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
