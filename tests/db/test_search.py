"""Patient search on both engines: what it finds, in which order, and that the index follows
every write in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text
from sqlalchemy.orm import Session

from deskbook.db.engine import make_engine, read_session, write_session
from deskbook.db.models import Patient, Tenant
from deskbook.db.search import (
    COUNT_CAP,
    check_search_support,
    find_patients,
    search_patients,
)
from deskbook.db.search_sql import MAX_RESULTS
from deskbook.errors import DatabaseError
from deskbook.normalize import patient_name_norm
from deskbook.testing.rows import patient_values

Add = Callable[..., Patient]


def make_patient(
    tenant_id: uuid.UUID,
    name_en: str,
    name_ar: str | None = None,
    phone: str = "0550000000",
    mrn: str | None = None,
    national_id: str | None = None,
) -> Patient:
    mrn = mrn or f"P{uuid.uuid4().int % 10**7:07d}"
    return Patient(
        **patient_values(tenant_id, mrn, name_en, phone, name_ar, national_id=national_id)
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def tenant(engine: Engine) -> uuid.UUID:
    with write_session(engine) as session:
        row = Tenant(name="Search Clinic")
        session.add(row)
    return row.id


@pytest.fixture
def add(engine: Engine, tenant: uuid.UUID) -> Add:
    def add(name_en: str, name_ar: str | None = None, **fields: str) -> Patient:
        with write_session(engine) as session:
            patient = make_patient(tenant, name_en, name_ar, **fields)
            session.add(patient)
        return patient

    return add


@pytest.fixture
def find(engine: Engine, tenant: uuid.UUID) -> Callable[..., list[str]]:
    def find(query: str, limit: int = MAX_RESULTS) -> list[str]:
        with read_session(engine) as session:
            return [p.name_en for p in search_patients(session, tenant, query, limit)]

    return find


def test_identifier_then_name_start_then_word_start_then_fragment(add: Add, find: Callable) -> None:
    add("Hussam Ali")
    add("Osama Khan")
    add("Sami Haddad")
    add("Ahmed Samir")
    add("Zed Quill", mrn="SAMI")
    add("Nobody Else")
    assert find("sami") == ["Zed Quill", "Sami Haddad", "Ahmed Samir"]
    assert find("sam") == ["Sami Haddad", "Ahmed Samir", "Hussam Ali", "Osama Khan"]


def test_exact_identifiers_come_before_identifier_prefixes(add: Add, find: Callable) -> None:
    add("Longer Mrn", mrn="P00000123")
    add("Exact Mrn", mrn="P0000012")
    add("Exact Phone", phone="+966 50 123 4567")
    add("Phone Prefix Too", phone="0501234568")
    add("Exact National Id", national_id="1012345678")
    add("National Id Prefix", national_id="10123456789")
    assert find("P0000012") == ["Exact Mrn", "Longer Mrn"]
    assert find("p0000012") == ["Exact Mrn", "Longer Mrn"]
    assert find("0501234567") == ["Exact Phone"]
    assert find("05012345") == ["Exact Phone", "Phone Prefix Too"]
    assert find("1012345678") == ["Exact National Id", "National Id Prefix"]


@pytest.mark.parametrize(
    "typed", ["0501", "501", "+966501", "+966 50 1", "00966501", "٠٥٠١", "966501", "050-1"]
)
def test_phone_fragments_with_or_without_the_country_code(
    add: Add, find: Callable, typed: str
) -> None:
    add("Has The Phone", phone="+966 50 123 4567")
    add("Other Phone", phone="0559876543")
    assert find(typed) == ["Has The Phone"]


@pytest.mark.parametrize(
    "typed",
    ["rashid", "Rashid", "alrashid", "al rashid", "Al-Rashid", "AL RASHID", "al-ra", "ahmed al"],
)
def test_the_latin_article_in_any_spelling(add: Add, find: Callable, typed: str) -> None:
    add("Ahmed Al-Rashid")
    add("Someone Else")
    assert find(typed) == ["Ahmed Al-Rashid"]


def test_a_name_typed_without_its_article_is_a_prefix_match(add: Add, find: Callable) -> None:
    add("Ahmed Al-Rashid")
    add("Harashid Bin Zaid")  # "rashid" only inside a word: a fragment
    assert find("rashid") == ["Ahmed Al-Rashid", "Harashid Bin Zaid"]
    add("Omar Alrashid")
    assert find("al rashid") == ["Ahmed Al-Rashid", "Omar Alrashid"]


@pytest.mark.parametrize(
    "typed",
    ["احمد", "أحمد", "أَحْمَد", "رشيد", "الرشيد", "الرَّشِيد", "ال رشيد", "احمد الرشيد", "حمد"],
)
def test_arabic_names_fold_diacritics_alef_and_article(
    add: Add, find: Callable, typed: str
) -> None:
    add("Ahmed Al-Rashid", "أَحْمَد الرَّشِيد")
    add("Sami Haddad", "سامي حداد")
    assert find(typed) == ["Ahmed Al-Rashid"]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("فاطمة", "فاطمه"),
        ("فاطمه", "فاطمة"),
        ("مصطفى", "مصطفي"),
        ("محـــمد", "محمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة", "امنه"),
    ],
)
def test_arabic_letter_variants_meet(add: Add, find: Callable, stored: str, typed: str) -> None:
    add("Patient", f"{stored} علي")
    assert find(typed) == ["Patient"]


def test_latin_case_and_accents_fold(add: Add, find: Callable) -> None:
    add("Chloé Dupont")
    assert find("chloe") == ["Chloé Dupont"]
    assert find("CHLOÉ") == ["Chloé Dupont"]
    assert find("hloe") == ["Chloé Dupont"]


def test_one_and_two_character_queries_are_prefix_lookups(add: Add, find: Callable) -> None:
    add("Ahmed Bakr", "أحمد بكر", phone="0551234567")
    add("Bakr Ahmed", "بكر أحمد", phone="0569999999")
    assert find("ah") == ["Ahmed Bakr"]
    assert find("A") == ["Ahmed Bakr"]
    assert find("اح") == ["Ahmed Bakr"]
    assert find("ب") == ["Bakr Ahmed"]
    assert find("55") == ["Ahmed Bakr"]
    assert find("5") == ["Ahmed Bakr", "Bakr Ahmed"]


def test_at_most_fifty_with_a_stable_tie_break(
    find: Callable, engine: Engine, tenant: uuid.UUID
) -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    with write_session(engine) as session:
        for i in range(60):
            name = f"Noura {letters[i % 26]}{letters[i // 26]}"
            session.add(make_patient(tenant, name, mrn=f"P{1000 + i:07d}"))
        for i in (3, 1, 2):
            session.add(make_patient(tenant, "Twin Same", mrn=f"P{2000 + i:07d}"))
    everyone = find("noura")
    assert len(everyone) == 50
    # Ties in order of the folded name (deskbook.name_folding: "Noura bb" is "nura b").
    assert everyone == sorted(everyone, key=lambda name: patient_name_norm(name, None))
    assert find("noura", limit=10) == everyone[:10]
    assert find("noura", limit=500) == everyone
    with read_session(engine) as session:
        twins = [p.mrn for p in search_patients(session, tenant, "twin")]
    assert twins == ["P0002001", "P0002002", "P0002003"]


def test_nothing_for_no_match_or_an_empty_query(add: Add, find: Callable) -> None:
    add("Sami Haddad")
    assert find("zzqxv") == []
    assert find("   ") == []
    assert find("-") == []
    assert find("100%_") == []
    assert find("sami", limit=0) == []


def test_like_wildcards_in_a_query_are_plain_characters(add: Add, find: Callable) -> None:
    add("Sami Haddad", mrn="P_1%")
    add("Other One", mrn="PX1Y")
    assert find("P_1%") == ["Sami Haddad"]
    assert find("p_1") == ["Sami Haddad"]


def test_other_tenants_patients_are_never_found(engine: Engine, add: Add, find: Callable) -> None:
    with write_session(engine) as session:
        other = Tenant(name="Elsewhere")
        session.add(other)
        session.flush()
        session.add(make_patient(other.id, "Sami Haddad", "سامي حداد", mrn="P0000001"))
    add("Sami Other", mrn="P0000002")
    assert find("sami") == ["Sami Other"]
    assert find("حداد") == []
    assert find("P0000001") == []


def test_the_index_follows_insert_update_and_delete_in_the_same_transaction(
    engine: Engine, tenant: uuid.UUID
) -> None:
    def names(session: Session, query: str) -> list[str]:
        return [p.name_en for p in search_patients(session, tenant, query)]

    with write_session(engine) as session:
        patient = make_patient(tenant, "Layla Hakami", "ليلى حكمي")
        session.add(patient)
        session.flush()
        assert names(session, "hakami") == ["Layla Hakami"]
        patient.name_en, patient.name_ar = "Layla Asiri", "ليلى عسيري"
        patient.name_norm = patient_name_norm(patient.name_en, patient.name_ar)
        session.flush()
        assert names(session, "hakami") == []
        assert names(session, "حكمي") == []
        assert names(session, "عسيري") == ["Layla Asiri"]
    with write_session(engine) as session:
        session.execute(delete(Patient).where(Patient.id == patient.id))
        assert names(session, "asiri") == []
    with write_session(engine) as session:
        session.add(make_patient(tenant, "Rolled Back"))
        session.flush()
        session.rollback()
    with read_session(engine) as session:
        assert names(session, "rolled") == []
        if engine.dialect.name == "sqlite":
            check = session.execute(
                text("INSERT INTO patient_fts(patient_fts, rank) VALUES ('integrity-check', 1)")
            )
            assert check is not None


def test_search_support_is_there_on_a_migrated_database(engine: Engine) -> None:
    check_search_support(engine)


def test_a_postgres_database_without_arabic_trigrams_is_refused(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL depends on the database's LC_CTYPE")
    name = f"dk_ctype_c_{uuid.uuid4().hex[:8]}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(f"CREATE DATABASE {name} TEMPLATE template0 LC_CTYPE 'C' LC_COLLATE 'C'")
            )
        c_engine = create_engine(engine.url.set(database=name))
        try:
            with c_engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            with pytest.raises(DatabaseError, match="LC_CTYPE"):
                check_search_support(c_engine)
        finally:
            c_engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_patients_are_whole_rows(add: Add, engine: Engine, tenant: uuid.UUID) -> None:
    add("Sami Haddad", "سامي حداد", phone="0551112222", mrn="P0000009", national_id="1234567")
    with read_session(engine) as session:
        (patient,) = search_patients(session, tenant, "haddad")
        assert (patient.mrn, patient.name_ar, patient.phone, patient.national_id) == (
            "P0000009",
            "سامي حداد",
            "0551112222",
            "1234567",
        )
        assert session.scalar(select(Patient.id).where(Patient.mrn == "P0000009")) == patient.id


def test_words_of_a_query_match_in_any_place_and_order(add: Add, find: Callable) -> None:
    add("Sarah Mohammed Al-Qahtani", "سارة محمد القحطاني")
    add("Sarah Mohammed Bakr", "سارة محمد بكر")
    assert find("sarah al-qah") == ["Sarah Mohammed Al-Qahtani"]
    assert find("qahtani sarah") == ["Sarah Mohammed Al-Qahtani"]
    assert find("ساره القحطاني") == ["Sarah Mohammed Al-Qahtani"]
    assert find("sarah moh") == ["Sarah Mohammed Al-Qahtani", "Sarah Mohammed Bakr"]
    assert find("sarah ahtani") == ["Sarah Mohammed Al-Qahtani"]


def test_a_rare_word_start_outranks_many_fragments(
    find: Callable, engine: Engine, tenant: uuid.UUID
) -> None:
    with write_session(engine) as session:
        for i in range(250):
            session.add(make_patient(tenant, f"Aaron Bughamdi{'x' * (i % 7)}", mrn=f"P{i:07d}"))
        session.add(make_patient(tenant, "Zaid Ghamdan", mrn="P9999999"))
    found = find("ghamd")
    assert len(found) == 50
    assert found[0] == "Zaid Ghamdan"


@pytest.mark.parametrize(
    "typed",
    ["o'brien", "\\'; DROP TABLE patient; --", "a%b_c\\", "\\\\'", "MRN'1", "05' OR '1'='1"],
)
def test_quotes_and_backslashes_are_only_text(
    add: Add, find: Callable, engine: Engine, typed: str
) -> None:
    # PostgreSQL look-ups are sent as SQL text with the typed values as literals: whatever is
    # typed must stay inside its literal.
    add("O'Brien Sean")
    find(typed)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 1
    assert find("o'brien") == ["O'Brien Sean"]


def test_the_exact_full_name_comes_first_then_names_that_start_with_it(
    add: Add, find: Callable
) -> None:
    add("Anas Mohammed Al-Rashid")
    add("Mohammed Al-Rashidi")
    add("Mohammed Al-Rashid", "محمد الرشيد")
    add("Ali Mohammed Alrashid")
    add("Mohammed Salem Al-Rashid")  # both words, not in that order at the start
    add("Hamohammed Alrashidy")  # fragments only
    order = [
        "Mohammed Al-Rashid",
        "Mohammed Al-Rashidi",
        "Ali Mohammed Alrashid",
        "Anas Mohammed Al-Rashid",
        "Mohammed Salem Al-Rashid",
        "Hamohammed Alrashidy",
    ]
    assert find("Mohammed Al-Rashid") == order
    assert find("mohammed al rashid") == order
    assert find("MOHAMMED ALRASHID") == order
    assert find("محمد الرشيد") == ["Mohammed Al-Rashid"]


def test_an_exact_arabic_name_comes_first(add: Add, find: Callable) -> None:
    add("Anas Mohammed", "أنس محمد الرشيد")
    add("Mohammed Ahmed", "محمد الرشيد أحمد")
    add("Mohammed", "مُحَمَّد الرَّشِيد")
    assert find("محمد الرشيد") == ["Mohammed", "Mohammed Ahmed", "Anas Mohammed"]


def test_the_exact_name_is_first_among_hundreds_that_hold_it(
    find: Callable, engine: Engine, tenant: uuid.UUID
) -> None:
    with write_session(engine) as session:
        for i in range(150):
            session.add(make_patient(tenant, f"Mohammed Al-Rashid Abd{i:03d}", "محمد الرشيد"))
            session.add(make_patient(tenant, f"Abd{i:03d} Mohammed Al-Rashid"))
        session.add(make_patient(tenant, "Mohammed Al-Rashid", "محمد بن راشد", mrn="P7777777"))
        session.add(make_patient(tenant, "Mohammed Alrashid", mrn="P8888888"))
    found = find("Mohammed Al-Rashid")
    # One spelling once folded: both are the exact name, in alphabetical order of the fold.
    assert found[:2] == ["Mohammed Alrashid", "Mohammed Al-Rashid"]
    assert found[2:] == sorted(found[2:])
    assert all(name.startswith("Mohammed Al-Rashid Abd") for name in found[2:])


def test_the_total_counts_every_match_and_stops_at_the_cap(
    engine: Engine, tenant: uuid.UUID
) -> None:
    def found(query: str) -> tuple[int, int, bool]:
        with read_session(engine) as session:
            result = find_patients(session, tenant, query)
        return len(result.patients), result.total, result.more

    with write_session(engine) as session:
        for i in range(130):
            family = "Zahrani" if i % 2 else "Qahtani"
            session.add(make_patient(tenant, f"Noura {family}", mrn=f"P{1000 + i:07d}"))
        for i in range(COUNT_CAP + 5):
            session.add(make_patient(tenant, f"Common Name{i}", mrn=f"Q{i:07d}"))
        session.add(make_patient(tenant, "Lone Patient", phone="0591112233", mrn="P0000042"))
    assert found("noura") == (50, 130, False)
    assert found("noura zahr") == (50, 65, False)
    assert found("qahtani") == (50, 65, False)
    assert found("common") == (50, COUNT_CAP, True)
    assert found("q0000") == (50, 1000, False)  # Q0000000..Q0000999
    assert found("co") == (50, COUNT_CAP, True)
    assert found("lone patient") == (1, 1, False)
    assert found("0591112233") == (1, 1, False)
    assert found("zzqxv") == (0, 0, False)
    assert found("  ") == (0, 0, False)
