"""ADMIN: one person, two records. The other record is found by name, phone or MRN, both are
shown side by side in a DangerConfirm (Back focused), and merge_patients moves everything of
the other record to the one on screen in one transaction."""

from __future__ import annotations

from functools import partial
from typing import Any

from deskbook.errors import DeskError
from deskbook.results import PatientSummary
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.screens.finders import PatientFinder
from deskbook.tui.screens.forms import write_now
from deskbook.tui.screens.patient_form import desk_date
from deskbook.tui.screens.pickers import DangerConfirm


def record_line(tag: str, p: PatientSummary) -> str:
    name = p.name_en or p.name_ar or ""
    born = f" · born {desk_date(p.date_of_birth)}" if p.date_of_birth else ""
    return f"{tag} {p.mrn} {name} · ☎ {p.phone}{born}"


async def merge_into(
    host: DeskScreen[Any], keep: PatientSummary, other: PatientSummary | None = None
) -> bool:
    """Ask which record to merge into `keep` (unless `other` is known already: the record
    being edited, from its duplicates), confirm, merge. True when merged."""
    if other is None:
        other = await host.app.push_screen_wait(
            PatientFinder(f"Which record is also {keep.name_en or keep.name_ar} ({keep.mrn})?")
        )
    if other is None:
        return False
    if other.id == keep.id:
        host.notify("That is this record: choose the other one.", severity="warning")
        return False
    lines = [
        record_line("Keep ", keep),
        record_line("Merge", other),
        "",
        f"Visits, packages, payments and waitlist of {other.mrn} move to {keep.mrn};",
        f"{other.mrn} is then gone from search. This cannot be undone.",
    ]
    if not await host.app.push_screen_wait(
        DangerConfirm("Merge two records of one patient?", lines, f"Merge into {keep.mrn}")
    ):
        return False
    reason = f"same person as {keep.mrn}, merged at the desk"
    try:
        await write_now(host, partial(host.session.merge_patients, keep.id, other.id, reason))
    except DeskError as error:
        host.notify(str(error), severity="error")
        return False
    host.notify(f"{other.mrn} merged into {keep.mrn}.")
    return True
