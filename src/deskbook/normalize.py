"""Text folding shared by what is stored and what is typed, so the two always meet.

First version; the search work (issue 5) owns and refines it. Keep the three entry points:
normalize_text, patient_name_norm, normalize_phone.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
_SPACES = re.compile(r"[\s\-_.,'\"]+")


def normalize_text(value: str) -> str:
    """Casefolded, accents and tashkeel stripped, Arabic letter variants folded."""
    value = _ARABIC_DIACRITICS.sub("", value).translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", value)
    latin = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", latin).casefold()).strip()


def patient_name_norm(name_en: str, name_ar: str | None) -> str:
    return " | ".join(normalize_text(part) for part in (name_en, name_ar) if part)


def normalize_phone(value: str) -> str:
    """Digits of the national number: +966 5x.., 00966 5x.. and 05x.. all become 5x..."""
    digits = re.sub(r"\D", "", value.translate(_FOLD))
    for prefix in ("00966", "966", "0"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + 6:
            return digits[len(prefix) :]
    return digits
