"""Reports for administrators: packages (sales, completion), provider utilization, revenue
and balance due per clinic, over a period and optionally one clinic. The table shows what
`deskbook export report` writes; Ctrl+E writes the same CSV to a file."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from deskbook.results import ClinicView
from deskbook.results_course import PackageReportRow, RevenueReportRow, UtilizationReportRow
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

KINDS = ("packages", "utilization", "revenue")
ALL_CLINICS = "all"
ROW_TYPES: dict[str, type] = {
    "packages": PackageReportRow,
    "utilization": UtilizationReportRow,
    "revenue": RevenueReportRow,
}
Rows = list[PackageReportRow] | list[UtilizationReportRow] | list[RevenueReportRow]


def columns(kind: str) -> list[str]:
    """The report's columns as the CSV names them, without the ids."""
    return [f.name for f in fields(ROW_TYPES[kind]) if not f.name.endswith("_id")]


RATES = frozenset({"completion_rate", "utilization"})  # 0..1, shown as percentages


def cell(name: str, value: Any) -> str:
    if name in RATES:
        return f"{Decimal(value) * 100:.1f}%"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


class ReportsScreen(DeskScreen[None]):
    SCOPE = "reports"
    BINDINGS = bindings("reports")

    def __init__(self) -> None:
        super().__init__()
        self.rows: Rows = []
        self.shown: tuple[str, date, date] | None = None

    def compose(self) -> ComposeResult:
        today = date.today()
        yield DeskHeader()
        with Horizontal(id="report-form"):
            yield Select(
                [(k.title(), k) for k in KINDS],
                value="packages",
                allow_blank=False,
                id="report-kind",
                compact=True,
            )
            yield Label(" from ")
            yield Input(today.replace(day=1).isoformat(), id="report-from", compact=True)
            yield Label(" to ")
            yield Input(today.isoformat(), id="report-to", compact=True)
            yield Select(
                [("All clinics", ALL_CLINICS)],
                value=ALL_CLINICS,
                allow_blank=False,
                id="report-clinic",
                compact=True,
            )
        table: DataTable[str] = DeskTable(id="report", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(
            "Enter shows the report · Ctrl+E writes it as CSV", id="report-note", classes="hint"
        )
        yield DeskFooter()

    def on_mount(self) -> None:
        self.read("clinics", self.session.clinics_for, self.clinics)
        self.query_one("#report-from", Input).focus()

    def clinics(self, clinics: list[ClinicView]) -> None:
        options = [("All clinics", ALL_CLINICS)] + [(c.name_en, str(c.id)) for c in clinics]
        self.query_one("#report-clinic", Select).set_options(options)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_show()

    def action_show(self) -> None:
        kind = str(self.query_one("#report-kind", Select).value)
        try:
            first = date.fromisoformat(self.query_one("#report-from", Input).value.strip())
            last = date.fromisoformat(self.query_one("#report-to", Input).value.strip())
        except ValueError:
            self.notify("Give the days as YYYY-MM-DD.", severity="error")
            return
        picked = str(self.query_one("#report-clinic", Select).value)
        clinic = None if picked == ALL_CLINICS else picked
        self.read(
            "report",
            partial(self.session.report, kind, first, last, clinic),
            partial(self.show, kind, first, last),
        )

    def show(self, kind: str, first: date, last: date, rows: Rows) -> None:
        self.rows, self.shown = rows, (kind, first, last)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        names = columns(kind)
        for name in names:
            table.add_column(name.replace("_", " "))
        for row in rows:
            table.add_row(*(cell(n, getattr(row, n)) for n in names))
        self.query_one("#report-note", Static).update(
            f"{kind.title()} {first} – {last}: {len(rows)} rows · Ctrl+E writes them as CSV"
        )

    def action_export(self) -> None:
        from deskbook.reports import write_csv

        if self.shown is None:
            self.notify("Show a report first (Enter).", severity="warning")
            return
        kind, first, last = self.shown
        path = Path.cwd() / f"deskbook-{kind}-{first}-{last}.csv"
        try:
            with path.open("w", newline="", encoding="utf-8") as handle:
                count = write_csv(list(self.rows), kind, handle)
        except OSError as error:
            self.notify(f"Could not write {path}: {error.strerror}", severity="error")
            return
        self.notify(f"{count} rows written to {path}.", timeout=10)

    def action_back(self) -> None:
        self.app.pop_screen()
