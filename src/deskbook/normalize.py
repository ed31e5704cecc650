"""Text folding shared by what is stored and what is typed, so the two always meet.

patient_name_norm writes Patient.name_norm; search_text folds a typed query the same way.
The stored form is " <english words> | <arabic words>": every word, the first one too, follows
a space, so "a word of the name starts with q" is simply "contains ' ' + q" — one pattern that
the trigram indexes of both engines answer.

The Arabic article is folded both ways: "Al-Rashid", "Al Rashid", "El-Rashid" and "AlRashid"
are all stored as the one word "alrashid" (plus the bare word "rashid", so typing "rashid" is a
prefix hit, not a fragment), and "الرشيد" is stored with "رشيد" beside it. A typed "al rashid"
or "ال رشيد" is glued the same way before it is looked up.

Latin spellings of one Arabic name are folded to one form on both sides (Mohamed, Muhammad and
Mohammed are all "muhamad"): the rules are deskbook.name_folding's.
"""

from __future__ import annotations

import re
import unicodedata

from deskbook.name_folding import (
    APOSTROPHES,
    bare_word,
    fold_word,
    join_compounds,
    typing_forms,
)

# Tashkeel, Quranic marks, superscript alef and tatweel: none of them changes the name.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
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
# Anything that is not a letter or a digit separates words (hyphens, dots, apostrophes, ...).
_SEPARATORS = re.compile(r"[\W_]+")
_ARABIC_ARTICLE = "ال"
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
SIDE_SEPARATOR = " | "
NAME_NORM_MAX = 500  # the width of Patient.name_norm


def strip_invisible(value: str) -> str:
    """value without format characters (Unicode category Cf): zero-width spaces and joiners,
    direction marks, embeddings, overrides and isolates, byte-order marks, soft hyphens. They
    show nothing, so "Ah\u200bmed" would look like "Ahmed" on screen yet be another name to a
    search or a duplicate check; names and queries drop them alike."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def fold_digits(value: str) -> str:
    """Arabic-Indic and Persian digits as ASCII digits."""
    return value.translate(_FOLD)


def normalize_text(value: str) -> str:
    """Casefolded, accents and tashkeel stripped, Arabic letter variants and digits folded,
    punctuation turned into single spaces."""
    value = APOSTROPHES.sub("", _ARABIC_MARKS.sub("", strip_invisible(value)).translate(_FOLD))
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # NFKD took the hamza off أ/إ/آ as a combining mark, which the fold above already did;
    # recompose so the Arabic letters stay single code points.
    folded = unicodedata.normalize("NFC", bare).casefold().translate(_FOLD)
    return _SEPARATORS.sub(" ", folded).strip()


def is_arabic(value: str) -> bool:
    return _ARABIC_LETTER.search(value) is not None


def _bare_arabic(word: str) -> str | None:
    """An Arabic word without its glued article ('الرشيد' -> 'رشيد')."""
    if word.startswith(_ARABIC_ARTICLE) and len(word) >= len(_ARABIC_ARTICLE) + 2:
        return word[len(_ARABIC_ARTICLE) :]
    return None


def _name_words(value: str) -> list[str]:
    out: list[str] = []
    for word, from_article in join_compounds(normalize_text(value).split()):
        folded = fold_word(word)
        out.append(folded)
        # An article written apart ("Al Rashid") and a glued one ("AlRashid", "الرشيد") both
        # keep the name without it as a word of its own, so typing the bare name finds it.
        bare = fold_word(word[2:]) if from_article else bare_word(folded) or _bare_arabic(word)
        if bare:
            out.append(bare)
    return out


def patient_name_norm(name_en: str, name_ar: str | None) -> str:
    """The stored search form of a patient's names (see the module docstring)."""
    sides = [" ".join(_name_words(part)) for part in (name_en, name_ar) if part]
    return (" " + SIDE_SEPARATOR.join(side for side in sides if side))[:NAME_NORM_MAX]


def search_text(query: str) -> str:
    """A typed name query folded like the stored names: 'Al-Rashid' -> 'alrashid',
    'Mohamed' -> 'muhamad'."""
    return " ".join(fold_word(word) for word, _ in join_compounds(normalize_text(query).split()))


def typed_forms(query: str) -> tuple[str, ...]:
    """The query folded (search_text), then the folds of it whose last word is the start of
    a name the typed letters may become (deskbook.name_folding.typing_forms): "Abdu" also
    reads "abdal", the start of every abd-compound."""
    return (search_text(query), *typing_forms(normalize_text(query).split()))


def search_terms(folded: str) -> tuple[str, ...]:
    """The words of a folded query as fragments to look for: a word with an article is looked
    for without it ('alrashid' -> 'rashid'), so "Al-Rashid" also finds a Rashid written
    without the article (every name holding 'alrashid' holds 'rashid' too)."""
    return tuple(bare_word(word) or _bare_arabic(word) or word for word in folded.split())


def normalize_phone(value: str) -> str:
    """Digits of the national number: +966 5x.., 00966 5x.. and 05x.. all become 5x..."""
    digits = re.sub(r"\D", "", fold_digits(value))
    for prefix in ("00966", "966", "0"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + 6:
            return digits[len(prefix) :]
    return digits


def phone_query_prefixes(value: str) -> list[str]:
    """What a typed phone fragment may be the start of, in stored (national) form:
    '0501', '+966501', '00966 501' and '501' all give '501'."""
    digits = re.sub(r"\D", "", fold_digits(value))
    if not digits:
        return []
    options = [digits]
    for prefix in ("00966", "966", "0"):
        if digits.startswith(prefix) and len(digits) > len(prefix):
            options = [digits[len(prefix) :]]
            # A bare "966..." may also be the start of a local number; keep both readings.
            if prefix == "966" and not value.lstrip().startswith("+"):
                options.append(digits)
            break
    return options
