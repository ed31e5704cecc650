"""The demo's small tables: tenant, staff logins, clinics and services, providers with their
week and hours, the package catalog, and the providers' time off. Written through Core, before
the bulk rows that point at them (deskbook.db.demo_bulk)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from deskbook.db import demo_catalog as catalog
from deskbook.db import models as m
from deskbook.db.demo_plan import Planner
from deskbook.db.demo_rows import Pkg, Prov, Reference, Svc
from deskbook.passwords import hash_password

__all__ = ["write_reference", "write_time_off"]

DEMO_LOGINS = catalog.DEMO_LOGINS


def write_reference(
    conn: Connection, rng: random.Random, now: datetime, provider_total: int
) -> Reference:
    """Tenant, staff, clinics, services, providers and the catalog: small, through Core."""
    tenant = m.new_id()
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in m.metadata.tables}
    rows["tenant"].append(
        dict(id=tenant, name=catalog.TENANT_NAME, timezone=catalog.TENANT_TIMEZONE,
             currency=catalog.TENANT_CURRENCY, created_at=now)
    )  # fmt: skip
    clinic_ids: dict[str, Any] = {}
    services: dict[str, Svc] = {}
    for clinic in catalog.CLINICS:
        clinic_ids[clinic.specialty] = cid = m.new_id()
        rows["clinic"].append(
            dict(id=cid, tenant_id=tenant, name_en=clinic.name_en, name_ar=clinic.name_ar,
                 specialty=clinic.specialty)
        )  # fmt: skip
        for offered in clinic.services:
            sid = m.new_id()
            services[offered.code] = Svc(
                sid.hex, offered.code, cid.hex, clinic.specialty, offered.minutes, offered.group
            )
            rows["service"].append(
                dict(id=sid, tenant_id=tenant, clinic_id=cid, name_en=offered.name_en,
                     name_ar=offered.name_ar, duration_minutes=offered.minutes,
                     price=offered.price, group_capable=offered.group)
            )  # fmt: skip
    providers = _provider_specs(rng, provider_total)
    refs: list[Prov] = []
    for provider in providers:
        pid = m.new_id()
        start, end = _minutes(provider.start), _minutes(provider.end)
        refs.append(Prov(pid.hex, provider.week, start, end))
        rows["provider"].append(
            dict(id=pid, tenant_id=tenant, name_en=provider.name_en, name_ar=provider.name_ar,
                 active=True)
        )  # fmt: skip
        for specialty in sorted(set(provider.week.values())):
            rows["provider_clinic"].append(
                dict(provider_id=pid, clinic_id=clinic_ids[specialty], tenant_id=tenant)
            )
            for svc in services.values():
                if svc.specialty == specialty:
                    rows["provider_service"].append(
                        dict(provider_id=pid, service_id=_uuid(svc.id), tenant_id=tenant)
                    )
        for weekday, specialty in provider.week.items():
            rows["provider_schedule"].append(
                dict(id=m.new_id(), tenant_id=tenant, provider_id=pid,
                     clinic_id=clinic_ids[specialty], weekday=weekday,
                     start_time=_clock(provider.start), end_time=_clock(provider.end))
            )  # fmt: skip
    packages: list[Pkg] = []
    for package in catalog.PACKAGES:
        package_id = m.new_id()
        packages.append(
            Pkg(package_id.hex, package.name_en, package.price, package.validity_days,
                package.services, package.active, package.weight)
        )  # fmt: skip
        rows["package"].append(
            dict(id=package_id, tenant_id=tenant, name_en=package.name_en, name_ar=package.name_ar,
                 price=package.price, validity_days=package.validity_days, active=package.active)
        )  # fmt: skip
        for code, sessions in package.services:
            rows["package_service"].append(
                dict(id=m.new_id(), tenant_id=tenant, package_id=package_id,
                     service_id=_uuid(services[code].id), sessions=sessions)
            )  # fmt: skip
    staff_ids = {}
    for username, password, role, display in DEMO_LOGINS:
        staff_ids[username] = sid = m.new_id()
        rows["staff"].append(
            dict(id=sid, tenant_id=tenant, username=username, display_name=display,
                 password_hash=hash_password(password), role=role,
                 provider_id=_uuid(refs[0].id) if role == "PROVIDER" else None, active=True,
                 failed_logins=0, locked_until=None, created_at=now)
        )  # fmt: skip
    for table in m.metadata.sorted_tables:
        if rows[table.name]:
            conn.execute(insert(table), rows[table.name])
    return Reference(tenant.hex, staff_ids["frontdesk"].hex, services, refs, packages)


def write_time_off(conn: Connection, planner: Planner, ref: Reference) -> None:
    table = m.metadata.tables["provider_time_off"]
    rows = [
        dict(id=m.new_id(), tenant_id=_uuid(ref.tenant),
             provider_id=_uuid(ref.providers[index].id), start_at=_moment(start),
             end_at=_moment(end),
             reason=reason)
        for index, start, end, reason in planner.time_off()
    ]  # fmt: skip
    if rows:
        conn.execute(insert(table), rows)


def _provider_specs(rng: random.Random, total: int) -> list[catalog.ProviderSpec]:
    """The named providers, then (for a big demo) enough more to carry the appointments."""
    specs = list(catalog.PROVIDERS)
    specialties = [c.specialty for c in catalog.CLINICS]
    hours = (("08:00", "16:00"), ("09:00", "17:00"), ("10:00", "18:00"))
    while len(specs) < total:
        female = rng.random() < 0.6
        first = rng.choice(catalog.FEMALE_FIRST if female else catalog.MALE_FIRST)
        family = rng.choice(catalog.FAMILY)
        doctor = rng.random() < 0.3
        start, end = rng.choice(hours)
        specs.append(
            catalog.ProviderSpec(
                f"{'Dr. ' if doctor else ''}{first[0]} {family[0]}",
                f"{'د. ' if doctor else ''}{first[1]} {family[1]}",
                catalog.week_of(specialties[len(specs) % len(specialties)]),
                start,
                end,
            )
        )
    return specs


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(hhmm: str) -> time:
    return time(_minutes(hhmm) // 60, _minutes(hhmm) % 60)


def _moment(minute: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)


def _uuid(hex_id: str) -> uuid.UUID:
    return uuid.UUID(hex_id)
