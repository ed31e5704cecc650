"""The folding shared by stored names and typed queries (pure functions, no database)."""

from __future__ import annotations

import pytest

from deskbook.normalize import (
    NAME_NORM_MAX,
    normalize_phone,
    normalize_text,
    patient_name_norm,
    phone_query_prefixes,
    search_text,
)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("مُحَمَّد", "محمد"),  # tashkeel
        ("محـــمد", "محمد"),  # tatweel
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة", "امنه"),  # alef madda, taa marbuta
        ("ٱلله", "الله"),  # alef wasla
        ("مصطفى", "مصطفي"),  # alef maqsura
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic digits
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),  # Persian digits
        ("Chloé", "chloe"),
        ("ÉLODIE  Müller", "elodie muller"),
        ("Straße", "strasse"),
        ("  O'Brien-Smith ", "obrien smith"),  # an apostrophe inside a word joins it
    ],
)
def test_normalize_text_folds_stored_and_typed_text_alike(typed: str, folded: str) -> None:
    assert normalize_text(typed) == folded


def test_name_norm_puts_a_space_before_every_word_and_keeps_both_sides() -> None:
    assert patient_name_norm("Sami Haddad", "سامي حداد") == " sami hadad | سامي حداد"
    assert patient_name_norm("Sami Haddad", None) == " sami hadad"


@pytest.mark.parametrize("written", ["Al-Rashid", "Al Rashid", "al rashid", "AL-RASHID"])
def test_the_latin_article_written_apart_is_glued_and_also_dropped(written: str) -> None:
    assert patient_name_norm(f"Ahmed {written}", None) == " ahmad alrashid rashid"


def test_a_glued_latin_article_keeps_the_bare_name_only_when_it_is_long_enough() -> None:
    assert patient_name_norm("Alice Alrashid", None) == " alic alrashid rashid"
    assert patient_name_norm("Alia Alaa", None) == " alia ala"


def test_the_arabic_article_is_kept_and_also_dropped() -> None:
    assert patient_name_norm("x", "أَحْمَد الرَّشِيد") == " x | احمد الرشيد رشيد"
    assert patient_name_norm("x", "احمد ال رشيد") == " x | احمد الرشيد رشيد"


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Al-Rashid", "alrashid"),
        ("al rashid", "alrashid"),
        ("ال رشيد", "الرشيد"),
        ("الرَّشيد", "الرشيد"),
        ("Ahmed al", "ahmad al"),
        ("Ahmed al r", "ahmad alr"),
    ],
)
def test_search_text_folds_the_article_like_the_stored_names(typed: str, folded: str) -> None:
    assert search_text(typed) == folded


def test_name_norm_fits_its_column() -> None:
    assert len(patient_name_norm("a" * 200, "ب" * 200 + " ال" + "ج" * 150)) <= NAME_NORM_MAX


@pytest.mark.parametrize(
    "phone", ["+966 50 123 4567", "00966501234567", "0501234567", "٠٥٠١٢٣٤٥٦٧"]
)
def test_stored_phones_keep_the_national_number(phone: str) -> None:
    assert normalize_phone(phone) == "501234567"


@pytest.mark.parametrize(
    ("typed", "prefixes"),
    [
        ("0501", ["501"]),
        ("+966 501", ["501"]),
        ("00966501", ["501"]),
        ("٠٥٠١", ["501"]),
        ("501", ["501"]),
        ("966501", ["501", "966501"]),
        ("", []),
    ],
)
def test_a_typed_phone_fragment_becomes_national_number_prefixes(
    typed: str, prefixes: list[str]
) -> None:
    assert phone_query_prefixes(typed) == prefixes
