"""Importing a clinic's patient list and exporting it again, on both engines, with the hostile
files a clinic's IT person will hand over."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from deskbook.errors import InvalidInput
from deskbook.patient_export import export_patients
from deskbook.patient_import import import_patients
from deskbook.testing.small_clinic import World

HEADER = "mrn,name_en,name_ar,phone,date_of_birth,sex,national_id,guardian_name,guardian_phone\n"
FORMULA = "=cmd|' /C calc'!A0"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_list_loads_with_phones_dates_and_both_names(world: World, tmp_path: Path) -> None:
    text = HEADER + (
        ",Huda Import,هدى,050 543 5510,23/04/2019,F,1023456780,Mona,0551112222\n"
        ",,ليلى,+966501234599,18/08/1440 هـ,,,,\n"
        "X77,Omar Import,,00966501234598,2019-04-23,M,,,\n"
    )
    result = import_patients(world.desk.engine, write(tmp_path, text), world.tenant_id)
    assert (result.rows, result.loaded, result.rejected) == (3, 3, [])
    d = world.login()
    (huda,) = d.search_patients("5435510")
    assert (huda.phone, str(huda.date_of_birth), huda.sex) == ("050 543 5510", "2019-04-23", "F")
    assert huda.guardian_phone == "055 111 2222"
    (layla,) = d.search_patients("ليلى")
    assert str(layla.date_of_birth) == "2019-04-23"
    assert [p.mrn for p in d.search_patients("Omar Import")] == ["X77"]
    assert (huda.mrn, layla.mrn) == ("P0000001", "P0000002")  # the new-tenant MRN scheme


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256"])
def test_utf8_with_or_without_bom_and_windows_1256(
    world: World, tmp_path: Path, encoding: str
) -> None:
    text = "Name,Mobile,الاسم\r\nSami Enc,0501230000,سامي\r\n"
    result = import_patients(
        world.desk.engine,
        write(tmp_path, text, encoding),
        world.tenant_id,
        mapping={"name_en": "Name", "phone": "Mobile"},
    )
    assert result.loaded == 1
    (sami,) = world.login().search_patients("0501230000")
    assert sami.name_ar == "سامي"


def test_refused_rows_go_to_the_report_and_a_rerun_skips_what_is_loaded(
    world: World, tmp_path: Path
) -> None:
    text = HEADER + (
        ",Good One,,0501000001,01/02/2018,,1111111111,,\n"  # line 2
        ",Bad Phone,,call me,,,,,\n"  # line 3
        ",Bad Date,,0501000003,31/02/2018,,,,\n"  # line 4
        ",Good One,,0501000001,01/02/2018,,,,\n"  # line 5: repeats line 2
        ',"Two\nLines",,0501000005,,,,,\n'  # lines 6-7: a name cannot hold a newline
        ",Same Id,,0501000008,,,1111111111,,\n"  # line 8: line 2's national id
        f",{'x' * (10 * 1024 * 1024)},,0501000009,,,,,\n"  # line 9: a 10 MB field
    )
    path = write(tmp_path, text)
    result = import_patients(world.desk.engine, path, world.tenant_id)
    assert result.loaded == 1
    assert [line for line, _ in result.rejected] == [3, 4, 5, 6, 8, 9]
    reasons = dict(result.rejected)
    assert "not a phone number" in reasons[3]
    assert "no such day" in reasons[4]
    assert "repeats the patient on line 2" in reasons[5]
    assert "line 2" in reasons[8]
    assert "too long" in reasons[9]
    assert result.report is not None
    rows = report_rows(result.report)
    assert [r["line"] for r in rows] == ["3", "4", "5", "6", "8", "9"]
    assert len(rows[-1]["name_en"]) == 200  # the report repeats a part of a huge value
    again = import_patients(world.desk.engine, path, world.tenant_id)
    assert (again.loaded, again.already_loaded) == (0, 1)
    # The database now holds line 2: a new file with the same national id is refused.
    other = write(tmp_path, HEADER + ",Other Name,,0501000010,,,1111111111,,\n", name="b.csv")
    assert (
        "national id already belongs"
        in import_patients(world.desk.engine, other, world.tenant_id).rejected[0][1]
    )


def test_a_dry_run_checks_everything_and_loads_nothing(world: World, tmp_path: Path) -> None:
    before = world.counts()
    path = write(tmp_path, HEADER + ",Dry Run,,0501000020,,,,,\n,Bad,,x,,,,,\n")
    result = import_patients(world.desk.engine, path, world.tenant_id, dry_run=True)
    assert (result.loaded, len(result.rejected), result.dry_run) == (1, 1, True)
    assert world.counts() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n", "is empty"),
        ("name,phone\n".encode("utf-16"), "not a text file"),
        (b"PK\x03\x04\x00\x00binary", "not a text file"),
        (b"name,mobile_number\nA,0501\n", "no phone column"),
        (b"phone,city\n0501234567,Riyadh\n", "no name_en or name_ar column"),
    ],
)
def test_a_file_that_cannot_be_a_patient_list_is_refused_whole(
    world: World, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = world.counts()
    with pytest.raises(InvalidInput, match=message):
        import_patients(world.desk.engine, path, world.tenant_id)
    assert world.counts() == before


def test_formulas_are_stored_as_text_and_never_exported_as_formulas(
    world: World, tmp_path: Path
) -> None:
    text = HEADER + f'X1,"{FORMULA}",,0501000030,,,,"@SUM(A1:A9)",\n'
    assert import_patients(world.desk.engine, write(tmp_path, text), world.tenant_id).loaded == 1
    (stored,) = world.login().search_patients("X1")
    assert stored.name_en == FORMULA and stored.guardian_name == "@SUM(A1:A9)"
    out = io.StringIO(newline="")
    export_patients(world.desk.engine, world.tenant_id, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    exported = next(r for r in rows if r["mrn"] == "X1")
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values()), row
    assert exported["name_en"] == "'" + FORMULA
    assert exported["phone"] == "'+966501000030"
    # What export wrote imports back as it was (the escape is taken off), as already loaded.
    back = write(tmp_path, out.getvalue(), name="back.csv")
    again = import_patients(world.desk.engine, back, world.tenant_id)
    assert again.loaded == 0 and again.already_loaded == len(rows)
