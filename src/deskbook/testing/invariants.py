"""The invariants of DESIGN.md, checked from the outside with plain SQL.

Used by the soak run, the crash and fuzz tests: whatever the service code believes, these
queries look at the rows themselves. Each check returns the offending rows; an empty result
everywhere means the database is right. The queries run unchanged on SQLite and PostgreSQL
(times are comparable on both: timestamptz on PostgreSQL, fixed-width UTC text on SQLite).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

LIVE = "status <> 'CANCELLED'"

# name -> SQL returning one row per violation.
SQL_CHECKS: dict[str, str] = {
    # 1. A provider's time is held once: blocks never overlap, and the appointments and group
    # sessions themselves never overlap either (so a missing block cannot hide a clash).
    "provider_block_overlap": """
        SELECT a.id, b.id FROM provider_block a JOIN provider_block b
          ON a.provider_id = b.provider_id AND a.id < b.id
         AND a.start_at < b.end_at AND b.start_at < a.end_at""",
    "provider_appointment_overlap": f"""
        SELECT a.id, b.id FROM appointment a JOIN appointment b
          ON a.provider_id = b.provider_id AND a.id < b.id
         AND a.start_at < b.end_at AND b.start_at < a.end_at
        WHERE a.{LIVE} AND b.{LIVE} AND a.kind <> 'GROUP' AND b.kind <> 'GROUP'""",
    "provider_appointment_vs_group_overlap": f"""
        SELECT a.id, g.id FROM appointment a JOIN group_session g
          ON a.provider_id = g.provider_id
         AND a.start_at < g.end_at AND g.start_at < a.end_at
        WHERE a.{LIVE} AND a.kind <> 'GROUP' AND NOT g.cancelled""",
    "provider_group_overlap": """
        SELECT g.id, h.id FROM group_session g JOIN group_session h
          ON g.provider_id = h.provider_id AND g.id < h.id
         AND g.start_at < h.end_at AND h.start_at < g.end_at
        WHERE NOT g.cancelled AND NOT h.cancelled""",
    # Every live individual appointment and live group session holds exactly its own time.
    "live_appointment_without_block": f"""
        SELECT a.id FROM appointment a
        WHERE a.{LIVE} AND a.kind <> 'GROUP' AND NOT EXISTS (
            SELECT 1 FROM provider_block b WHERE b.appointment_id = a.id
               AND b.provider_id = a.provider_id
               AND b.start_at = a.start_at AND b.end_at = a.end_at)""",
    "live_group_session_without_block": """
        SELECT g.id FROM group_session g
        WHERE NOT g.cancelled AND NOT EXISTS (
            SELECT 1 FROM provider_block b WHERE b.group_session_id = g.id
               AND b.provider_id = g.provider_id
               AND b.start_at = g.start_at AND b.end_at = g.end_at)""",
    "block_of_cancelled_or_group_appointment": f"""
        SELECT b.id FROM provider_block b JOIN appointment a ON a.id = b.appointment_id
        WHERE NOT (a.{LIVE}) OR a.kind = 'GROUP'""",
    "block_of_cancelled_group_session": """
        SELECT b.id FROM provider_block b JOIN group_session g ON g.id = b.group_session_id
        WHERE g.cancelled""",
    # 2. A patient is in one place at a time.
    "patient_overlap": f"""
        SELECT a.id, b.id FROM appointment a JOIN appointment b
          ON a.patient_id = b.patient_id AND a.id < b.id
         AND a.start_at < b.end_at AND b.start_at < a.end_at
        WHERE a.{LIVE} AND b.{LIVE}""",
    # 3. Purchases: never over quota, never another patient's, never a service it lacks.
    "purchase_over_quota": f"""
        SELECT q.purchase_id, q.service_id, q.quota, count(a.id) FROM purchase_quota q
          JOIN appointment a ON a.purchase_id = q.purchase_id AND a.service_id = q.service_id
        WHERE a.{LIVE}
        GROUP BY q.purchase_id, q.service_id, q.quota, q.moved_out
        HAVING count(a.id) > q.quota - q.moved_out""",
    "package_appointment_without_quota": f"""
        SELECT a.id FROM appointment a
        WHERE a.{LIVE} AND a.purchase_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM purchase_quota q
            WHERE q.purchase_id = a.purchase_id AND q.service_id = a.service_id)""",
    "appointment_on_other_patients_purchase": """
        SELECT a.id FROM appointment a JOIN package_purchase p ON p.id = a.purchase_id
        WHERE a.patient_id <> p.patient_id""",
    # A cancelled purchase keeps the visits it spent, never one still to come; a voided one
    # keeps none.
    "open_appointment_on_cancelled_purchase": """
        SELECT a.id FROM appointment a JOIN package_purchase p ON p.id = a.purchase_id
        WHERE a.status IN ('BOOKED', 'CONFIRMED', 'ARRIVED') AND p.status = 'CANCELLED'""",
    "live_appointment_on_voided_purchase": f"""
        SELECT a.id FROM appointment a JOIN package_purchase p ON p.id = a.purchase_id
        WHERE a.{LIVE} AND p.status = 'VOIDED'""",
    "series_visit_off_its_series": """
        SELECT a.id FROM appointment a JOIN series s ON s.id = a.series_id
        WHERE a.purchase_id IS NULL OR a.purchase_id <> s.purchase_id
           OR a.service_id <> s.service_id OR a.tenant_id <> s.tenant_id""",
    "payment_on_other_tenants_purchase": """
        SELECT y.id FROM payment y JOIN package_purchase p ON p.id = y.purchase_id
        WHERE y.tenant_id <> p.tenant_id""",
    "purchase_without_quotas": """
        SELECT p.id FROM package_purchase p
        WHERE NOT EXISTS (SELECT 1 FROM purchase_quota q WHERE q.purchase_id = p.id)""",
    # 5. A group session holds no more than its capacity, and its seats share its time.
    "group_over_capacity": f"""
        SELECT g.id, g.capacity, count(a.id) FROM group_session g
          JOIN appointment a ON a.group_session_id = g.id
        WHERE a.{LIVE}
        GROUP BY g.id, g.capacity HAVING count(a.id) > g.capacity""",
    "group_seat_off_its_session": f"""
        SELECT a.id FROM appointment a JOIN group_session g ON g.id = a.group_session_id
        WHERE a.{LIVE} AND (a.start_at <> g.start_at OR a.end_at <> g.end_at
              OR a.provider_id <> g.provider_id OR a.service_id <> g.service_id
              OR g.cancelled)""",
    # Consistency of a booking with the catalog it was made from.
    "appointment_clinic_not_services": """
        SELECT a.id FROM appointment a JOIN service s ON s.id = a.service_id
        WHERE a.clinic_id <> s.clinic_id""",
    # 6. Nothing crosses tenants.
    "cross_tenant_appointment": """
        SELECT a.id FROM appointment a
          JOIN patient pa ON pa.id = a.patient_id
          JOIN clinic c ON c.id = a.clinic_id
          JOIN service s ON s.id = a.service_id
          JOIN provider pr ON pr.id = a.provider_id
          LEFT JOIN package_purchase pp ON pp.id = a.purchase_id
          LEFT JOIN group_session g ON g.id = a.group_session_id
          LEFT JOIN staff st ON st.id = a.booked_by
        WHERE pa.tenant_id <> a.tenant_id OR c.tenant_id <> a.tenant_id
           OR s.tenant_id <> a.tenant_id OR pr.tenant_id <> a.tenant_id
           OR pp.tenant_id <> a.tenant_id OR g.tenant_id <> a.tenant_id
           OR st.tenant_id <> a.tenant_id""",
    "cross_tenant_purchase": """
        SELECT p.id FROM package_purchase p
          JOIN patient pa ON pa.id = p.patient_id
          JOIN package k ON k.id = p.package_id
          LEFT JOIN staff st ON st.id = p.created_by
        WHERE pa.tenant_id <> p.tenant_id OR k.tenant_id <> p.tenant_id
           OR st.tenant_id <> p.tenant_id""",
    "cross_tenant_quota_block_group": """
        SELECT q.id FROM purchase_quota q JOIN package_purchase p ON p.id = q.purchase_id
          JOIN service s ON s.id = q.service_id
        WHERE q.tenant_id <> p.tenant_id OR s.tenant_id <> p.tenant_id
        UNION ALL
        SELECT b.id FROM provider_block b JOIN provider pr ON pr.id = b.provider_id
        WHERE b.tenant_id <> pr.tenant_id
        UNION ALL
        SELECT g.id FROM group_session g
          JOIN provider pr ON pr.id = g.provider_id
          JOIN service s ON s.id = g.service_id
          JOIN clinic c ON c.id = g.clinic_id
        WHERE pr.tenant_id <> g.tenant_id OR s.tenant_id <> g.tenant_id
           OR c.tenant_id <> g.tenant_id""",
    "cross_tenant_audit": """
        SELECT e.id FROM audit_event e JOIN staff st ON st.id = e.staff_id
        WHERE st.tenant_id <> e.tenant_id""",
    # 7. Every booking, purchase and group session was written with its audit event.
    "appointment_without_audit": """
        SELECT a.id FROM appointment a
        WHERE NOT EXISTS (SELECT 1 FROM audit_event e
            WHERE e.entity_id = a.id AND e.staff_id IS NOT NULL)""",
    "purchase_without_audit": """
        SELECT p.id FROM package_purchase p
        WHERE NOT EXISTS (SELECT 1 FROM audit_event e
            WHERE e.entity_id = p.id AND e.staff_id IS NOT NULL)""",
    "group_session_without_audit": """
        SELECT g.id FROM group_session g
        WHERE NOT EXISTS (SELECT 1 FROM audit_event e
            WHERE e.entity_id = g.id AND e.staff_id IS NOT NULL)""",
    "audit_without_time_or_action": """
        SELECT e.id FROM audit_event e WHERE e.at IS NULL OR e.action = ''""",
}


def check_invariants(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every check by name with its offending rows (empty lists when all is well)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, sql in SQL_CHECKS.items():
            found[name] = [tuple(row) for row in conn.execute(text(sql))]
        found["session_numbers_not_1_to_k_in_start_order"] = _session_number_gaps(conn)
        found["package_appointment_past_expiry"] = _past_expiry(conn)
        found["purchase_status_untrue"] = _untrue_status(conn)
    return found


def _untrue_status(conn: Any) -> list[tuple[Any, ...]]:
    # The lifecycle: a purchase's stored status is what it is, as far as the last write on it
    # could know. Only ACTIVE may lag behind the calendar (the expiry day passing writes
    # nothing; every view and write reads it as EXPIRED from then on).
    from deskbook.packages import true_status

    rows = conn.execute(
        text(
            """SELECT p.id, p.status, p.expiry_date, t.timezone,
                      (SELECT sum(q.quota - q.moved_out) FROM purchase_quota q
                        WHERE q.purchase_id = p.id),
                      (SELECT count(*) FROM appointment a WHERE a.purchase_id = p.id
                          AND a.status IN ('COMPLETED', 'NO_SHOW'))
                 FROM package_purchase p JOIN tenant t ON t.id = p.tenant_id"""
        )
    )
    bad = []
    for purchase_id, stored, expiry, zone, owed, spent in rows:
        today = datetime.now(ZoneInfo(zone)).date()
        truth = true_status(stored, _as_date(expiry), int(owed or 0), int(spent or 0), today)
        if stored != truth and not (stored == "ACTIVE" and truth == "EXPIRED"):
            bad.append((purchase_id, stored, truth))
    return bad


def violations(found: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
    """Only the checks that failed, with how many rows broke them."""
    return {name: len(rows) for name, rows in found.items() if rows}


def _session_number_gaps(conn: Any) -> list[tuple[Any, ...]]:
    # 4. The live appointments of a purchase are sessions 1..k in order of start time.
    rows = conn.execute(
        text(
            f"""SELECT purchase_id, start_at, session_number FROM appointment
                WHERE purchase_id IS NOT NULL AND {LIVE}"""
        )
    )
    by_purchase: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for purchase_id, start_at, number in rows:
        by_purchase[purchase_id].append((str(start_at), number))
    bad = []
    for purchase_id, sessions in by_purchase.items():
        numbers = [number for _start, number in sorted(sessions, key=lambda s: _as_utc(s[0]))]
        if numbers != list(range(1, len(numbers) + 1)):
            bad.append((purchase_id, tuple(numbers)))
    return bad


def _past_expiry(conn: Any) -> list[tuple[Any, ...]]:
    # 3. No live session starts after the purchase's expiry day, in the tenant's own calendar.
    rows = conn.execute(
        text(
            f"""SELECT a.id, a.start_at, p.expiry_date, t.timezone FROM appointment a
                JOIN package_purchase p ON p.id = a.purchase_id
                JOIN tenant t ON t.id = a.tenant_id
                WHERE a.{LIVE}"""
        )
    )
    bad = []
    for appointment_id, start_at, expiry, zone in rows:
        local_day = _as_utc(start_at).astimezone(ZoneInfo(zone)).date()
        if local_day > _as_date(expiry):
            bad.append((appointment_id, str(start_at), str(expiry)))
    return bad


def _as_utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per deskbook table, to compare a database before and after something."""
    from deskbook.db.models import metadata

    with engine.connect() as conn:
        return {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in sorted(metadata.tables)
        }
