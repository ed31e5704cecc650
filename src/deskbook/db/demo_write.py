"""Turns one chunk's placed visits, purchases and group seats (deskbook.db.demo_bulk) into the
columns of the bulk tables, with the purchase rules settled on the placed visits: live sessions
numbered 1..k by start, now and then a cancelled one keeping the number it held, and each
purchase's status from what it holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from deskbook.db.demo_plan import BOOKED_AHEAD_MIN, Group
from deskbook.db.demo_rows import Batch, Column, Ints

if TYPE_CHECKING:
    from deskbook.db.demo_bulk import BulkPatients, Strings

COMPLETED, NO_SHOW, CANCELLED, BOOKED = range(4)
_STATUS = np.array(["COMPLETED", "NO_SHOW", "CANCELLED", "BOOKED"], dtype=object)
# Purchase and start minute in one sortable number (start minutes stay below 2**32).
_SHIFT = 1 << 32


def runs(keys: Ints) -> tuple[Ints, Ints]:
    """For keys where equal ones are adjacent: where each run starts, and each element's place
    in its run (0, 1, 2, ...)."""
    if len(keys) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lengths = np.diff(np.r_[starts, len(keys)])
    return starts, np.arange(len(keys)) - np.repeat(starts, lengths)


def take_seats(groups: list[Group], group: Ints, status: Ints) -> Ints:
    """Which seat requests get a seat: the first ones of each group, up to its free seats (a
    cancelled seat holds none). Returns their positions."""
    live = np.flatnonzero(status != CANCELLED)
    live = live[np.argsort(group[live], kind="stable")]
    place = runs(group[live])[1]
    left = np.array([groups[g].seats_left for g in group[live].tolist()], dtype=np.int64)
    seated = live[place < left]
    for g, count in zip(*np.unique(group[seated], return_counts=True), strict=True):
        groups[int(g)].seats_left -= int(count)
    keep = np.r_[np.flatnonzero(status == CANCELLED), seated]
    return np.sort(keep)


def _nullable(values: Strings, present: Any) -> Column:
    out: Column = np.where(present, values, np.array(None, dtype=object)).tolist()
    return out


def write_rows(
    bulk: BulkPatients,
    out: Batch,
    patient_ids: Strings,
    purchases: dict[str, Any],
    want: dict[str, Any],
) -> None:
    plan, form, rng = bulk.plan, bulk.form, bulk.rng
    owner, pkg, bought = purchases["owner"], purchases["pkg"], purchases["bought"]
    purchase_ids = bulk.ids(len(pkg))
    line_of = want["line_of"]
    # Package and single visits, placed together.
    line = want["line"]
    n_single = len(want["single_patient"])
    svc = np.r_[want["line_svc"][line], want["single_svc"]].astype(np.int64)
    day = np.r_[want["line_day"], want["single_day"]].astype(np.int64)
    purchase = np.r_[line_of[line], np.full(n_single, -1)].astype(np.int64)
    patient = np.r_[owner[line_of[line]], want["single_patient"]].astype(np.int64)
    provider, start, end = bulk.place(svc, day)
    ok = provider >= 0
    svc, purchase, patient = svc[ok], purchase[ok], patient[ok]
    provider, start, end = provider[ok], start[ok], end[ok]
    package = purchase >= 0
    status = np.where(
        package, bulk.statuses(start, may_cancel=False), bulk.statuses(start, may_cancel=True)
    )
    # Live sessions of a purchase are 1..k by start.
    number = np.zeros(len(svc), dtype=np.int64)
    in_package = np.flatnonzero(package)
    by_start = in_package[np.lexsort((start[in_package], purchase[in_package]))]
    number[by_start] = runs(purchase[by_start])[1] + 1
    live_keys = purchase[by_start] * _SHIFT + start[by_start]
    # Now and then a cancelled session, on a free day before expiry, keeping its number.
    live = np.bincount(purchase[in_package], minlength=len(pkg))
    chosen = np.flatnonzero((live > 0) & (rng.random(len(pkg)) < 0.12))
    ask, extra_day = bulk._pick(
        bought[chosen], np.minimum(want["expiry"][chosen], plan.future_days), np.ones_like(chosen)
    )
    extra_purchase = chosen[ask]
    free = ~np.isin(owner[extra_purchase] * bulk.days + extra_day, want["taken"])
    extra_purchase, extra_day = extra_purchase[free], extra_day[free]
    extra_svc = bulk.line_svc[bulk.pkg_line_start[pkg[extra_purchase]]]
    x_provider, x_start, x_end = bulk.place(extra_svc, extra_day)
    fit = x_provider >= 0
    extra_purchase, extra_svc = extra_purchase[fit], extra_svc[fit]
    x_provider, x_start, x_end = x_provider[fit], x_start[fit], x_end[fit]
    key = extra_purchase * _SHIFT
    x_number = 1 + np.searchsorted(live_keys, key + x_start) - np.searchsorted(live_keys, key)
    # Everything individual in one set of arrays: visits, then the cancelled extras.
    svc = np.r_[svc, extra_svc]
    purchase = np.r_[purchase, extra_purchase]
    patient = np.r_[patient, owner[extra_purchase]]
    provider = np.r_[provider, x_provider]
    start, end = np.r_[start, x_start], np.r_[end, x_end]
    status = np.r_[status, np.full(len(extra_svc), CANCELLED)]
    number = np.r_[number, x_number]
    # In the patients' order, which is their ids' (they rise from chunk to chunk): PostgreSQL
    # builds the patient overlap rule's gist index in table order and then probes it once per
    # row, and runs of one patient's visits answer those probes from a few pages.
    order = np.lexsort((start, patient))
    svc, purchase, patient, provider = svc[order], purchase[order], patient[order], provider[order]
    start, end, status, number = start[order], end[order], status[order], number[order]
    package = purchase >= 0
    aid = bulk.ids(len(svc))
    cancelled = status == CANCELLED
    tenant, staff = bulk.tenant, bulk.staff
    created = form.moments(np.minimum(plan.now_minute, start) - BOOKED_AHEAD_MIN)
    n = len(svc)
    starts, ends = form.moments(start), form.moments(end)
    out.add(
        "appointment",
        [
            aid.tolist(),
            [tenant] * n,
            patient_ids[patient].tolist(),
            bulk.svc_clinic[svc].tolist(),
            bulk.svc_id[svc].tolist(),
            bulk.prov_id[provider].tolist(),
            starts,
            ends,
            np.where(package, "PACKAGE", "SINGLE").astype(object).tolist(),
            _STATUS[status].tolist(),
            _nullable(purchase_ids[np.maximum(purchase, 0)], package),
            _nullable(number.astype(str).astype(object), package),
            [None] * n,
            [staff] * n,
            [None] * n,
            _nullable(np.full(n, "Patient request", dtype=object), cancelled),
            created,
            list(created),
        ],
    )
    # PostgreSQL puts the whole table in (provider, start) order before its overlap rule is
    # built (deskbook.db.demo_rules), so the chunk's own order does not matter.
    held = np.flatnonzero(~cancelled)
    out.add(
        "provider_block",
        [
            bulk.ids(len(held)).tolist(),
            [tenant] * len(held),
            bulk.prov_id[provider[held]].tolist(),
            [starts[i] for i in held.tolist()],
            [ends[i] for i in held.tolist()],
            aid[held].tolist(),
            [None] * len(held),
        ],
    )
    _audit(bulk, out, created, "book", "appointment", aid)
    _seats(bulk, out, patient_ids, want)
    _purchases(
        bulk, out, patient_ids, purchases, purchase_ids, want, purchase[package], status[package]
    )


def _seats(bulk: BulkPatients, out: Batch, patient_ids: Strings, want: dict[str, Any]) -> None:
    groups: list[Group] = want["groups"]
    group = want["seat_group"].astype(np.int64)
    begin = np.array([groups[g].start for g in group.tolist()], dtype=np.int64)
    status = bulk.statuses(begin, may_cancel=True)
    keep = take_seats(groups, group, status)
    group, status, begin = group[keep], status[keep], begin[keep]
    patient = want["seat_patient"][keep]
    n = len(group)
    picked = [groups[g] for g in group.tolist()]
    aid = bulk.ids(n)
    form, tenant = bulk.form, bulk.tenant
    created = form.moments(np.minimum(bulk.plan.now_minute, begin) - BOOKED_AHEAD_MIN)
    cancelled = status == CANCELLED
    out.add(
        "appointment",
        [
            aid.tolist(),
            [tenant] * n,
            patient_ids[patient].tolist(),
            [g.svc.clinic_id for g in picked],
            [g.svc.id for g in picked],
            [g.provider for g in picked],
            [form.moment(g.start) for g in picked],
            [form.moment(g.end) for g in picked],
            ["GROUP"] * n,
            _STATUS[status].tolist(),
            [None] * n,
            [None] * n,
            [g.id for g in picked],
            [bulk.staff] * n,
            [None] * n,
            _nullable(np.full(n, "Patient request", dtype=object), cancelled),
            created,
            list(created),
        ],
    )
    _audit(bulk, out, created, "book", "appointment", aid)


def _purchases(
    bulk: BulkPatients,
    out: Batch,
    patient_ids: Strings,
    purchases: dict[str, Any],
    purchase_ids: Strings,
    want: dict[str, Any],
    of_visit: Ints,
    visit_status: Ints,
) -> None:
    plan, form, tenant = bulk.plan, bulk.form, bulk.tenant
    owner, pkg, bought = purchases["owner"], purchases["pkg"], purchases["bought"]
    n = len(pkg)
    live_visit = visit_status != CANCELLED
    live = np.bincount(of_visit[live_visit], minlength=n)
    booked = np.bincount(of_visit[visit_status == BOOKED], minlength=n)
    quota = bulk.pkg_quota[pkg]
    status = np.where(
        (want["expiry"] < 0) & (live < quota),
        "EXPIRED",
        np.where((live >= quota) & (booked == 0), "COMPLETED", "ACTIVE"),
    )
    bought_on = plan.today.toordinal() + bought
    created = form.moments(
        plan.midnight[np.maximum(bought, -plan.past_days) + plan.past_days] + 9 * 60
    )
    out.add(
        "package_purchase",
        [
            purchase_ids.tolist(),
            [tenant] * n,
            patient_ids[owner].tolist(),
            bulk.pkg_id[pkg].tolist(),
            form.days(bought_on),
            form.days(bought_on + bulk.pkg_validity[pkg]),
            bulk.pkg_price[pkg].tolist(),
            status.astype(object).tolist(),
            [bulk.staff] * n,
            created,
        ],
    )
    _audit(bulk, out, created, "assign_package", "package_purchase", purchase_ids)
    line_of = want["line_of"]
    lines = len(line_of)
    out.add(
        "purchase_quota",
        [
            bulk.ids(lines).tolist(),
            [tenant] * lines,
            purchase_ids[line_of].tolist(),
            bulk.svc_id[want["line_svc"]].tolist(),
            want["line_quota"].astype(str).astype(object).tolist(),
        ],
    )


def _audit(
    bulk: BulkPatients, out: Batch, at: Column, action: str, entity: str, ids: Strings
) -> None:
    # Every demo row carries the audit event its real write would have.
    n = len(ids)
    out.add(
        "audit_event",
        [
            bulk.ids(n).tolist(),
            [bulk.tenant] * n,
            [bulk.staff] * n,
            list(at),
            [action] * n,
            [entity] * n,
            ids.tolist(),
            [None] * n,
            [None] * n,
        ],
    )
