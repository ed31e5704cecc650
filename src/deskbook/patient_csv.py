"""Reading a clinic's patient list: the bytes to text (UTF-8 with or without a BOM, or
Windows-1256), the header row to deskbook's fields (names, aliases, --map), and the rows with
the line each starts on. Nothing here touches the database (deskbook.patient_import does)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from deskbook.errors import InvalidInput
from deskbook.patient_export import FORMULA_START
from deskbook.patients import RECORD_FIELDS

FIELDS = RECORD_FIELDS
_ALIASES = {
    "mrn": ("mrn", "file number", "file no", "patient id", "رقم الملف"),
    "name_en": ("name_en", "name", "english name", "name (english)", "patient name", "full name"),
    "name_ar": ("name_ar", "arabic name", "name (arabic)", "الاسم", "الاسم بالعربي"),
    "phone": ("phone", "mobile", "phone number", "mobile number", "telephone", "الجوال", "الهاتف"),
    "date_of_birth": ("date_of_birth", "dob", "birth date", "date of birth", "تاريخ الميلاد"),
    "sex": ("sex", "gender", "الجنس"),
    "national_id": ("national_id", "national id", "id number", "iqama", "رقم الهوية"),
    "guardian_name": ("guardian_name", "guardian", "guardian name", "parent", "ولي الأمر"),
    "guardian_phone": ("guardian_phone", "guardian phone", "parent phone", "جوال ولي الأمر"),
    "notes": ("notes", "alerts", "note", "ملاحظات"),
}
MAX_FILE = 200 * 1024 * 1024
# csv's own limit is 128 KiB a field: a longer one would stop the whole file. Read it, and let
# the row be refused for its too-long value instead.
csv.field_size_limit(MAX_FILE)


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    try:
        if path.stat().st_size > MAX_FILE:
            raise InvalidInput(f"{path} is larger than {MAX_FILE // 2**20} MB; split it.")
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror}.") from None
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InvalidInput(f"{path} is empty: it needs a header row and one row per patient.")
    if b"\x00" in data:
        raise InvalidInput(
            f"{path} is not a text file in UTF-8 or Windows-1256 (it may be UTF-16 or a "
            "spreadsheet); save it from the spreadsheet as 'CSV UTF-8'."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1256", errors="replace"), "windows-1256"


def parse_mapping(spec: str | None) -> dict[str, str]:
    """--map name_en=Name,phone=Mobile -> {"name_en": "Name", "phone": "Mobile"}."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, header = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in FIELDS or not header.strip():
            raise InvalidInput(
                f"--map takes field=Header pairs separated by commas; '{part.strip()}' is not "
                f"one (fields: {', '.join(FIELDS)})."
            )
        mapping[key] = header.strip()
    return mapping


def columns_of(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    found = {h.strip().lstrip("\ufeff").casefold(): i for i, h in enumerate(header)}
    columns: dict[str, int] = {}
    for name in FIELDS:
        if name in mapping:
            index = found.get(mapping[name].casefold())
            if index is None:
                raise InvalidInput(
                    f"--map says {name} is the column '{mapping[name]}', which the header row "
                    f"does not have (it has: {', '.join(h.strip() for h in header)[:300]})."
                )
            columns[name] = index
            continue
        for alias in _ALIASES[name]:
            if alias.casefold() in found:
                columns[name] = found[alias.casefold()]
                break
    missing = []
    if "phone" not in columns:
        missing.append("phone")
    if "name_en" not in columns and "name_ar" not in columns:
        missing.append("name_en or name_ar")
    if missing:
        raise InvalidInput(
            f"The file has no {' and no '.join(missing)} column (its header row: "
            f"{', '.join(h.strip() for h in header)[:300]}); name them with --map, "
            "e.g. --map name_en=Name,phone=Mobile."
        )
    return columns


def rows_of(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and every non-blank row with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        rows = []
        line = reader.line_num
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((line + 1, values))
            line = reader.line_num
    except csv.Error as exc:
        raise InvalidInput(
            f"The file is not valid CSV near line {reader.line_num}: {exc}."
        ) from None
    return header, rows


def unescape(value: str) -> str:
    # What patient_export added so a spreadsheet shows text: "'=x" was "=x".
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_START else value
