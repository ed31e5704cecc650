"""The day sheet as CSV and PDF, from the desk and from `deskbook export day`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from deskbook.cli import app
from deskbook.errors import InvalidInput, NotFound
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World, build


def _day(world: World) -> tuple[object, list[object]]:
    d = world.login()
    day = future_day(3)
    rashid = world.patient("Rashid Al-Harbi", "راشد الحربي")
    package = world.purchase(rashid, world.slp10)
    booked = [
        d.book(rashid, world.slp, world.amal, at(day, 9), purchase_id=package),
        d.book(world.patient("Lina Omar", "لينا عمر"), world.slp, world.badr, at(day, 9)),
        d.book(world.patient('Sami, "the" Tall'), world.slp, world.amal, at(day, 11)),
        d.book(world.patient(), world.aba, world.chadi, at(day, 9)),  # another clinic
    ]
    d.cancel(d.book(world.patient(), world.slp, world.badr, at(day, 12)).id)
    return day, booked


def test_csv_round_trips_the_clinics_day(world: World) -> None:
    day, _ = _day(world)
    d = world.login()
    data = d.export_day(day, world.slp_clinic, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = sorted(d.day_sheet(day, world.slp_clinic), key=lambda a: (a.provider_name_en, a.start))
    assert [(r["mrn"], r["start"], r["provider"]) for r in rows] == [
        (a.patient_mrn, f"{a.start:%H:%M}", a.provider_name_en) for a in sheet
    ]
    first = rows[0]
    assert (first["patient"], first["patient_ar"], first["session"]) == (
        "Rashid Al-Harbi",
        "راشد الحربي",
        "1/10",
    )
    assert first["date"] == day.isoformat() and first["phone"].startswith("05")
    assert 'Sami, "the" Tall' in {r["patient"] for r in rows}
    assert len(rows) == 3  # not the cancelled visit, not the other clinic's


def test_pdf_has_one_a4_page_per_provider_with_arabic_shaped(world: World) -> None:
    day, _ = _day(world)
    data = world.login().export_day(day, world.slp_clinic, "pdf")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    texts = [page.extract_text() for page in reader.pages]
    assert "Amal" in texts[0] and "Rashid Al-Harbi" in texts[0] and "1/10" in texts[0]
    assert "Badr" in texts[1] and "Lina Omar" in texts[1]
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        210,
        297,
    )
    # Drawn shaped (HarfBuzz glyphs, right to left) yet searchable and copyable as the
    # name in logical order: the font's ToUnicode map takes the glyphs back to letters.
    assert "راشد الحربي" in texts[0]


def test_export_refuses_unknown_formats_and_clinics(world: World) -> None:
    d = world.login()
    with pytest.raises(InvalidInput, match="csv or pdf"):
        d.export_day(future_day(), world.slp_clinic, "xlsx")
    with pytest.raises(NotFound):
        d.export_day(future_day(), world.tenant_id, "csv")


def test_export_day_command_writes_csv_and_pdf(db_url: str, tmp_path: Path) -> None:
    world = build(db_url, name="Export Branch")
    try:
        day, _ = _day(world)
        runner = CliRunner()
        base = ["export", "day", "--clinic", "speech", "--day", day.isoformat(), "--db", db_url]
        result = runner.invoke(app, [*base, "--format", "csv"])
        assert result.exit_code == 0, result.output
        assert len(list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))) == 3
        out = tmp_path / "day.pdf"
        result = runner.invoke(app, [*base, "--format", "pdf", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert len(PdfReader(out).pages) == 2
        result = runner.invoke(app, [*base[:3], "Dental", *base[4:]])
        assert result.exit_code == 1 and "no clinic called 'Dental'" in result.output
    finally:
        world.desk.close()
