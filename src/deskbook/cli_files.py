"""`deskbook export ...` and `deskbook import ...`: the day sheet, patient lists and package
reports to files, and a clinic's patient list from another system."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from deskbook.cli_common import DbOption, chosen_db, fail, one_line_errors, resolve_url

export_app = typer.Typer(help="Write the day sheet and other lists to files.", add_completion=False)
import_app = typer.Typer(help="Load lists from other systems.", add_completion=False)


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
