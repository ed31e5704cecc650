"""Phone numbers as callers give them: parsed with `phonenumbers`, stored in E.164, shown in
the clinic's national format, and searched by any run of 4 or more of their digits.

What is stored for a patient (and for a guardian):
- `phone`: E.164 ("+966505435510"). A number that cannot be read (an old import, a typo kept
  by the 0009 migration) stays as typed and the row is flagged `phone_flagged`.
- `phone_norm`: the digits a caller thinks of as "the number": the national significant
  number for a number of the clinic's own country ("505435510"), all of the E.164 digits for a
  foreign one. Every suffix of 4 or more of these digits is a row of patient_phone_key (kept
  by database triggers, migration 0009), so "any 4 consecutive digits" is a prefix range of
  that table: an index seek on both engines.

The clinic's country (Tenant.region, "SA" by default) is the region a number without a
country code belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from deskbook.errors import InvalidInput
from deskbook.normalize import fold_digits, normalize_phone

DEFAULT_REGION = "SA"
KEY_MIN = 4  # the shortest run of digits looked up anywhere in a number
_TYPED = re.compile(r"[+\d\s\-().٠-٩۰-۹/]+")
MAX_TYPED = 32


@dataclass(frozen=True)
class Phone:
    stored: str  # E.164, or the text as typed when flagged
    digits: str  # phone_norm: see the module docstring
    flagged: bool  # True: could not be read as a phone number, kept as typed


@lru_cache(maxsize=256)
def _trunk_prefix(region: str) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata.national_prefix if metadata is not None else None


def _quick(typed: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The two everyday shapes without phonenumbers.parse (most of an import's time): +cc...
    or 00cc... and a national number with the trunk prefix (05x...). Anything else, or anything
    odd (a 0 after the country code), is left to parse."""
    digits = re.sub(r"[\s\-.()/]", "", typed)
    if not digits.lstrip("+").isdigit():
        return None
    if digits.startswith(("+", "00")):
        full = digits[1:] if digits[0] == "+" else digits[2:]
        number = _stored_number("+" + full)
    else:
        code = phonenumbers.country_code_for_region(region)
        trunk = _trunk_prefix(region)
        if digits.startswith(str(code)) and digits[len(str(code)) :][:1] not in ("", "0"):
            # 9665..., the country code typed without its +; parse decides when the whole
            # could also be a national number.
            whole = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits))
            if phonenumbers.is_possible_number(whole):
                return None
            number = phonenumbers.PhoneNumber(
                country_code=code, national_number=int(digits[len(str(code)) :])
            )
            return number if phonenumbers.is_possible_number(number) else None
        if not trunk or not digits.startswith(trunk) or digits[len(trunk) :][:1] in ("", "0"):
            return None
        number = phonenumbers.PhoneNumber(
            country_code=code, national_number=int(digits[len(trunk) :])
        )
    return number


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    typed = fold_digits(text).strip()
    number = _quick(typed, region)
    if number is None:
        if typed.startswith("00"):
            typed = "+" + typed[2:]
        try:
            number = phonenumbers.parse(typed, region)
        except NumberParseException:
            return None
    return number if phonenumbers.is_possible_number(number) else None


def _digits(number: phonenumbers.PhoneNumber, region: str) -> str:
    national = str(number.national_number)
    if number.country_code == phonenumbers.country_code_for_region(region):
        return national
    return f"{number.country_code}{national}"


def parse_phone(value: object, region: str = DEFAULT_REGION, what: str = "phone") -> Phone:
    """A number typed at the desk, or InvalidInput with a sentence saying why not."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"The {what} number is required.")
    shown = " ".join(value.split())
    if len(shown) > MAX_TYPED or not _TYPED.fullmatch(shown):
        raise InvalidInput(f"'{shown[:40]}' is not a {what} number: use digits only.")
    number = _parse(shown, region)
    if number is None:
        raise InvalidInput(
            f"'{shown}' is not a {what} number: check the digits "
            f"(a local number such as 050 123 4567, or +country code)."
        )
    return Phone(
        phonenumbers.format_number(number, PhoneNumberFormat.E164), _digits(number, region), False
    )


def read_stored(value: str, region: str = DEFAULT_REGION) -> Phone:
    """A phone as some older version stored it: converted when it can be, else kept and
    flagged (the 0009 migration and the import of a clinic's list)."""
    number = _parse(value, region) if value and len(value) <= 64 else None
    if number is None:
        return Phone(value, normalize_phone(value), True)
    return Phone(
        phonenumbers.format_number(number, PhoneNumberFormat.E164), _digits(number, region), False
    )


@lru_cache(maxsize=64)
def _country_codes() -> frozenset[int]:
    return frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _stored_number(stored: str) -> phonenumbers.PhoneNumber | None:
    """An E.164 text as a PhoneNumber without parsing it (parsing costs ~100 us, which is
    most of a search that shows 50 patients): the country code is the 1-3 digit prefix that
    is one."""
    if not (stored.startswith("+") and stored[1:].isdigit()):
        return None
    for width in (1, 2, 3):
        code = int(stored[1 : 1 + width])
        if code in _country_codes():
            national = stored[1 + width :]
            if not national or national.startswith("0"):
                return None
            return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return None


@lru_cache(maxsize=65536)  # a desk shows the same patients again and again while typing
def display(stored: str | None, region: str = DEFAULT_REGION) -> str:
    """How a stored phone is shown: "050 543 5510" for a number of the clinic's country,
    "+20 10 1234 5678" for a foreign one, and a flagged one as it was typed."""
    if not stored:
        return ""
    number = _stored_number(stored) or _parse(stored, region)
    if number is None:
        return stored
    if number.country_code == phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def typed_digits(query: str) -> str:
    """The digits of a typed phone fragment, Arabic-Indic digits included."""
    return re.sub(r"\D", "", fold_digits(query))


def suffix_keys(digits: str) -> list[str]:
    """The patient_phone_key rows of one number: every suffix of KEY_MIN digits or more. A run
    of digits anywhere in the number is the start of one of them."""
    return [digits[i:] for i in range(0, max(0, len(digits) - KEY_MIN + 1))]


def known_region(region: object) -> bool:
    return isinstance(region, str) and region.upper() in phonenumbers.SUPPORTED_REGIONS
