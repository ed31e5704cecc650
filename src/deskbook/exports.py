"""The day sheet as a file: CSV for a spreadsheet, PDF to print (A4, one page per provider,
Arabic names shaped and in visual order by HarfBuzz through fpdf2).

The same bytes come from DeskSession.export_day (a key on the day sheet) and from
`deskbook export day` (the command line, which reads as the organisation, not as a login).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import appointments, schedule
from deskbook.access import Actor, get_owned
from deskbook.config import Settings
from deskbook.db.models import Appointment, AppointmentStatus, Clinic, Patient
from deskbook.errors import DeskError, InvalidInput
from deskbook.results import AppointmentView

if TYPE_CHECKING:  # fpdf2 is imported only when a PDF is made: the desk starts without it
    from fpdf import FPDF

FORMATS = ("csv", "pdf")
CSV_COLUMNS = (
    "date",
    "start",
    "end",
    "provider",
    "mrn",
    "patient",
    "patient_ar",
    "phone",
    "service",
    "status",
    "kind",
    "session",
)
# Looked for in this order; DESKBOOK_PDF_FONT names another TTF with Arabic letters.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
)


class FontMissing(DeskError):
    pass


def visits(
    session: Session, actor: Actor, day: date, clinic_id: uuid.UUID
) -> list[AppointmentView]:
    """The clinic's live visits of the day, by provider then time."""
    get_owned(session, Clinic, clinic_id, actor, "clinic")
    start, end = schedule.day_span(actor, day)
    rows = appointments.views(
        session,
        actor,
        col(Appointment.clinic_id) == clinic_id,
        col(Appointment.start_at) >= start,
        col(Appointment.start_at) < end,
        col(Appointment.status) != AppointmentStatus.CANCELLED,
    )
    return sorted(rows, key=lambda a: (a.provider_name_en, str(a.provider_id), a.start))


def phones(session: Session, rows: Sequence[AppointmentView]) -> dict[uuid.UUID, str]:
    ids = {a.patient_id for a in rows}
    if not ids:
        return {}
    found = session.execute(
        select(col(Patient.id), col(Patient.phone)).where(col(Patient.id).in_(ids))
    )
    return {pid: phone for pid, phone in found}


def _session(a: AppointmentView) -> str:
    if a.session_number is None:
        return ""
    return f"{a.session_number}/{a.session_total if a.session_total is not None else '?'}"


def day_csv(rows: Sequence[AppointmentView], phone_of: dict[uuid.UUID, str]) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opens the Arabic names as Arabic."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in rows:
        writer.writerow(
            (
                a.start.date().isoformat(),
                f"{a.start:%H:%M}",
                f"{a.end:%H:%M}",
                a.provider_name_en,
                a.patient_mrn,
                a.patient_name_en,
                a.patient_name_ar or "",
                phone_of.get(a.patient_id, ""),
                a.service_name_en,
                a.status,
                a.kind,
                _session(a),
            )
        )
    return out.getvalue().encode("utf-8-sig")


def font_path() -> Path:
    named = Settings.from_env().pdf_font
    for candidate in ([named] if named else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(
        "A PDF needs a font with Arabic letters: install fonts-dejavu-core "
        "or set DESKBOOK_PDF_FONT to a .ttf file."
    )


def day_pdf(
    clinic_name: str, day: date, rows: Sequence[AppointmentView], phone_of: dict[uuid.UUID, str]
) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("desk", "", str(font_path()))
    pdf.set_text_shaping(True)
    pdf.set_title(f"{clinic_name} {day.isoformat()}")
    by_provider: dict[uuid.UUID, list[AppointmentView]] = {}
    for a in rows:
        by_provider.setdefault(a.provider_id, []).append(a)
    if not by_provider:
        pdf.add_page()
        _heading(pdf, clinic_name, day, "No visits")
    # mm: time, patient (English), patient (Arabic), MRN, service, status, session = 186
    widths = (20, 42, 38, 22, 34, 18, 12)
    for visits_of in by_provider.values():
        pdf.add_page()
        _heading(pdf, clinic_name, day, visits_of[0].provider_name_en)
        pdf.set_font("desk", size=8)
        for label, width in zip(
            ("Time", "Patient", "", "MRN", "Service", "Status", "Sess."), widths, strict=True
        ):
            pdf.cell(width, 6, label, border="B")
        pdf.ln()
        for a in visits_of:
            cells = (
                f"{a.start:%H:%M}–{a.end:%H:%M}",
                a.patient_name_en,
                a.patient_name_ar or "",
                a.patient_mrn,
                a.service_name_en,
                a.status.replace("_", "-").lower(),
                _session(a),
            )
            for n, (text, width) in enumerate(zip(cells, widths, strict=True)):
                pdf.cell(width, 6, _fit(pdf, text, width), align="R" if n == 2 else "L")
            pdf.ln()
            phone = phone_of.get(a.patient_id)
            if phone:
                pdf.set_text_color(90)
                pdf.cell(widths[0], 4, "")
                pdf.cell(sum(widths[1:]), 4, phone)
                pdf.set_text_color(0)
                pdf.ln()
    return bytes(pdf.output())


def _heading(pdf: FPDF, clinic_name: str, day: date, title: str) -> None:
    pdf.set_font("desk", size=14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("desk", size=10)
    pdf.cell(0, 6, f"{clinic_name} · {day:%A %d %B %Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut text that would run into the next column, with an ellipsis."""
    if pdf.get_string_width(text) <= width - 1:
        return text
    while text and pdf.get_string_width(text + "…") > width - 1:
        text = text[:-1]
    return text + "…"


def export_day(session: Session, actor: Actor, day: date, clinic_id: uuid.UUID, fmt: str) -> bytes:
    kind = fmt.strip().lower()
    if kind not in FORMATS:
        raise InvalidInput(f"'{fmt}' is not an export format; use csv or pdf.")
    clinic = get_owned(session, Clinic, clinic_id, actor, "clinic")
    rows = visits(session, actor, day, clinic_id)
    phone_of = phones(session, rows)
    if kind == "csv":
        return day_csv(rows, phone_of)
    return day_pdf(clinic.name_en, day, rows, phone_of)


def run_export_command(
    url: str, clinic: str, day: date | None, fmt: str, tenant_name: str | None
) -> bytes:
    """`deskbook export day`: whoever holds the database URL reads as the organisation."""
    from zoneinfo import ZoneInfo

    from deskbook.db.engine import read_session
    from deskbook.db.migrate import current_database
    from deskbook.db.models import Role
    from deskbook.homeclinic import find_clinic
    from deskbook.patient_export import find_tenant

    with current_database(url) as engine, read_session(engine) as session:
        tenant = find_tenant(session, tenant_name)
        actor = Actor(
            staff_id=uuid.UUID(int=0),  # no login: nothing is written, nothing audited
            tenant_id=tenant.id,
            role=Role.ADMIN,
            provider_id=None,
            tz=ZoneInfo(tenant.timezone),
        )
        found = find_clinic(session, tenant.id, clinic)
        return export_day(session, actor, day or actor.today(), found.id, fmt)
