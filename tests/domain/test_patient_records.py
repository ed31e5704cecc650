"""Records kept clean, on both engines: possible_duplicates before a registration and on an
edit, update_patient, merge_patients (ADMIN), near misses, Arabic-only registration."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from deskbook.errors import InvalidInput, NotFound, PermissionDenied
from deskbook.patient_duplicates import SAME_NAME_AND_BIRTH, SAME_NATIONAL_ID, SAME_PHONE
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World

BORN = date(2019, 4, 23)


def test_duplicates_by_phone_national_id_and_folded_name_with_birth(world: World) -> None:
    d = world.login()
    first = d.register_patient(
        "Mohammed Al-Rashid", "0501234567", BORN, name_ar="محمد الرشيد", national_id="1023456789"
    )
    none = d.possible_duplicates(name_en="Someone Else", phone="0559999999", date_of_birth=BORN)
    assert none == []
    by_phone = d.possible_duplicates(name_en="X", phone="+966 50 123 4567")
    assert [(c.patient.id, c.reasons) for c in by_phone] == [(first.id, (SAME_PHONE,))]
    by_nid = d.possible_duplicates(national_id="1023456789")
    assert [c.reasons for c in by_nid] == [(SAME_NATIONAL_ID,)]
    for name_en, name_ar in (("Muhammad El Rashid", None), (None, "مُحمد الرشيد")):
        found = d.possible_duplicates(name_en=name_en, name_ar=name_ar, date_of_birth=BORN)
        assert [(c.patient.id, c.reasons) for c in found] == [(first.id, (SAME_NAME_AND_BIRTH,))]
    # The same name born another day is another child.
    assert d.possible_duplicates(name_en="Mohamed Al Rashid", date_of_birth=date(2019, 4, 24)) == []
    everything = d.possible_duplicates(
        name_en="Mohamed AlRashid", phone="0501234567", date_of_birth=BORN, national_id="1023456789"
    )
    assert everything[0].reasons == (SAME_NATIONAL_ID, SAME_PHONE, SAME_NAME_AND_BIRTH)
    # On an edit the record itself is not its own duplicate.
    assert d.possible_duplicates(phone="0501234567", exclude=first.id) == []


def test_register_takes_either_name_and_puts_arabic_in_its_own_field(world: World) -> None:
    d = world.login()
    arabic_only = d.register_patient(None, "0501112233", BORN, name_ar="ليلى")
    assert (arabic_only.name_en, arabic_only.name_ar) == ("", "ليلى")
    typed_in_english_field = d.register_patient("سارة", "0501112234", None)
    assert (typed_in_english_field.name_en, typed_in_english_field.name_ar) == ("", "سارة")
    assert arabic_only.id in [p.id for p in d.search_patients("ليلى")]
    with pytest.raises(InvalidInput, match="in English or in Arabic"):
        d.register_patient(None, "0501112235", None, name_ar="  ")


def test_update_patient_changes_each_field_audited(world: World) -> None:
    d = world.login()
    p = d.register_patient("Zaid Qasim", "0501234500", None)
    changed = d.update_patient(
        p.id,
        phone="+966 55 765 4321",
        name_ar="زيد قاسم",
        date_of_birth=BORN,
        sex="M",
        national_id="1099988877",
        guardian_name="Mona Qasim",
        guardian_phone="0561112222",
        notes="Allergic to latex",
    )
    assert changed.phone == "055 765 4321" and changed.phone_e164 == "+966557654321"
    assert (changed.name_ar, changed.date_of_birth, changed.sex) == ("زيد قاسم", BORN, "M")
    assert (changed.guardian_name, changed.guardian_phone) == ("Mona Qasim", "056 111 2222")
    assert changed.notes == "Allergic to latex"
    assert p.id in [x.id for x in d.search_patients("7654321")]
    assert p.id not in [x.id for x in d.search_patients("1234500")]
    assert p.id in [x.id for x in d.search_patients("1112222")]  # the guardian's phone
    assert p.id in [x.id for x in d.search_patients("قاسم")]
    admin = world.login("admin")
    (event,) = admin.audit_log(patient_id=p.id, action="update_patient")
    assert json.loads(event.before or "{}")["phone"] == "+966501234500"
    assert json.loads(event.after or "{}")["phone"] == "+966557654321"
    # Clearing the guardian's phone removes it from search too.
    d.update_patient(p.id, guardian_phone="")
    assert p.id not in [x.id for x in d.search_patients("1112222")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "call me"}, "not a phone number"),
        ({"phone": ""}, "phone number is required"),
        ({"date_of_birth": date(2999, 1, 1)}, "future"),
        ({"sex": "X"}, "Sex must be M or F"),
        ({"national_id": "12/34"}, "national id"),
        ({"name_en": "", "name_ar": None}, "in English or in Arabic"),
        ({"mrn": "P1"}, "no field mrn"),
        ({"guardian_phone": "12"}, "guardian's phone"),
        ({"notes": "x" * 1001}, "too long"),
    ],
)
def test_update_patient_refuses_bad_input_and_writes_nothing(
    world: World, changes: dict[str, object], message: str
) -> None:
    d = world.login()
    p = d.register_patient("Refused Edit", "0501234501", None, national_id="1000000001")
    before = world.counts()
    with pytest.raises(InvalidInput, match=message):
        d.update_patient(p.id, **{"sex": "F", **changes})
    assert world.counts() == before
    assert d.get_patient(p.id).sex is None


def test_merge_moves_visits_purchases_payments_and_waitlist(world: World) -> None:
    d = world.login()
    admin = world.login("admin")
    keep = d.register_patient("Huda Merge", "0501234502", BORN)
    gone = d.register_patient(
        "Houda Merge", "0501234503", None, name_ar="هدى", national_id="1234567"
    )
    purchase = d.assign_package(gone.id, world.slp10)
    d.record_payment(purchase.id, Decimal("100"), "CASH")
    visit = d.book(gone.id, world.slp, world.amal, at(future_day(), 9), purchase_id=purchase.id)
    d.waitlist_add(gone.id, world.slp)
    with pytest.raises(PermissionDenied):
        d.merge_patients(keep.id, gone.id, "same child")
    with pytest.raises(InvalidInput, match="two different"):
        admin.merge_patients(keep.id, keep.id, "x")
    kept = admin.merge_patients(keep.id, gone.id, "same child, registered twice")
    assert (kept.name_ar, kept.national_id, kept.date_of_birth) == ("هدى", "1234567", BORN)
    assert [a.id for a in d.appointments_of(keep.id)] == [visit.id]
    assert [p.id for p in d.packages_for_patient(keep.id).assigned] == [purchase.id]
    assert [w.patient_id for w in d.waitlist()] == [keep.id]
    assert d.payments_of(purchase.id)
    with pytest.raises(NotFound):
        d.get_patient(gone.id)
    assert gone.id not in [p.id for p in d.search_patients("0501234503")]
    assert gone.id not in [p.id for p in d.search_patients(gone.mrn)]
    for pid in (keep.id, gone.id):
        events = admin.audit_log(patient_id=pid, action=None)
        merge = [e for e in events if e.action in ("merge_patients", "merged_into")]
        assert merge, pid
        after = json.loads(merge[0].after or "{}")
        assert (after["kept_id"], after["merged_id"]) == (str(keep.id), str(gone.id))


def test_merge_refuses_two_visits_at_once_and_writes_nothing(world: World) -> None:
    d = world.login()
    admin = world.login("admin")
    keep = d.register_patient("Clash One", "0501234504", None)
    gone = d.register_patient("Clash Two", "0501234505", None)
    day = future_day()
    d.book(keep.id, world.slp, world.amal, at(day, 9))
    d.book(gone.id, world.slp, world.badr, at(day, 9))
    before = world.counts()
    with pytest.raises(InvalidInput, match="Both records have a visit"):
        admin.merge_patients(keep.id, gone.id, "twice")
    assert world.counts() == before
    assert d.get_patient(gone.id).id == gone.id


def test_near_misses_when_a_search_finds_nobody(world: World) -> None:
    d = world.login()
    p = d.register_patient("Rashed Qahtani", "0505435510", None)
    assert d.search_patients("0505435519") == []
    assert [x.id for x in d.near_misses("0505435519")] == [p.id]  # one digit wrong
    assert [x.id for x in d.near_misses("050 543 5501")] == [p.id]  # two swapped
    assert d.near_misses("0591111111") == []
    assert p.id in [x.id for x in d.near_misses("Rashd Qahtany")]
    assert d.near_misses("Zzz Yyy") == []
