"""Export the clinic's day sheet to a file: CSV or PDF (one A4 page per provider), by the
name's ending. The path is asked with a default in the user's documents folder; the Desk makes
the file's bytes and the worker writes them, so the screen never waits on the disk."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from deskbook.config import exports_dir
from deskbook.errors import InvalidInput
from deskbook.results import ClinicView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal
from deskbook.tui.widgets.desk_footer import DeskFooter


def default_path(day: date, clinic: ClinicView, fmt: str = "csv") -> Path:
    name = "-".join(clinic.name_en.lower().split())
    return exports_dir() / f"day-sheet-{name}-{day.isoformat()}.{fmt}"


class ExportScreen(DeskModal[Path | None]):
    SCOPE = "export"
    BINDINGS = bindings("export")

    def __init__(self, day: date, clinic: ClinicView) -> None:
        super().__init__()
        self.day = day
        self.clinic = clinic

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box", classes="dialog"):
            yield Static(f"Export {self.clinic.name_en}'s day sheet", classes="title")
            yield Input(str(default_path(self.day, self.clinic)), id="export-path")
            yield Static("The name's ending picks the format: .csv or .pdf", classes="hint")
            yield Static("", id="export-error", classes="error", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        path = Path(self.query_one(Input).value.strip()).expanduser()
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in ("csv", "pdf"):
            self.query_one("#export-error", Static).update("End the name in .csv or .pdf.")
            return
        self.write("export", partial(self._export, path, fmt), self.written, self.not_written)

    def _export(self, path: Path, fmt: str) -> Path:
        # In the worker thread: the Desk's bytes, then the disk.
        data = self.session.export_day(self.day, self.clinic.id, fmt)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as error:
            raise InvalidInput(f"Could not write {path}: {error.strerror or error}.") from None
        return path

    def written(self, path: Path) -> None:
        self.app.notify(f"Day sheet written to {path}", timeout=10)
        self.dismiss(path)

    def not_written(self, error: Exception) -> None:
        self.query_one("#export-error", Static).update(str(error))

    def action_cancel(self) -> None:
        self.dismiss(None)
