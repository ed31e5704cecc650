"""The demo's random patients, made in bulk: each column of a chunk of patients is drawn at once
with numpy and placed on the planner's calendar (deskbook.db.demo_plan) under the same rules.

A patient asks for days (a purchase's sessions first, then a group seat, then single visits);
a day asked twice keeps its first use, so a patient is never in two places. The single and
package visits are then placed all together: sorted by (provider, day), each one starts where
the one before it on that provider's day ended, and what runs past the provider's hours tries
another provider of the clinic, up to four times, as the one-by-one planner does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from deskbook.db.demo_catalog import FAMILY, FEMALE_FIRST, MALE_FIRST
from deskbook.db.demo_plan import FIRST_GAP, GAP, Planner
from deskbook.db.demo_rows import Batch, Column, Ints
from deskbook.db.demo_write import BOOKED, CANCELLED, COMPLETED, NO_SHOW, runs, write_rows
from deskbook.normalize import patient_name_norm

Strings = npt.NDArray[np.object_]
Bools = npt.NDArray[np.bool_]

# Saudi mobiles stored as registration stores them (deskbook.phones): E.164 in phone, the
# national significant number in phone_norm. Every one of them is "+9665" and 8 digits, which
# parse_phone reads back unchanged (tests/db/test_demo_rules.py), so no parse per patient.
_E164_MOBILE = "+9665"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SINGLES = np.array([15, 25, 25, 20, 15]) / 100


class BulkPatients:
    def __init__(self, planner: Planner, seed: int) -> None:
        self.plan = planner
        self.form = planner.form
        self.rng = np.random.default_rng(seed)
        # Milliseconds since the epoch of the build, as UUIDv7 would start (see ids).
        self.next_id = int(planner.now_minute) * 60_000
        ref = planner.ref
        self.tenant = ref.tenant
        self.staff = ref.booked_by
        self.days = len(planner.midnight)
        self.offset = planner.past_days
        self.workdays = np.array(planner.workdays, dtype=np.int64) + self.offset
        # Services, by index.
        services = list(ref.services.values())
        index_of = {s.code: i for i, s in enumerate(services)}
        self.svc_id = np.array([s.id for s in services], dtype=object)
        self.svc_clinic = np.array([s.clinic_id for s in services], dtype=object)
        self.svc_minutes = np.array([s.minutes for s in services], dtype=np.int64)
        specialties = sorted({s.specialty for s in services if not s.group})
        self.svc_specialty = np.array([specialties.index(s.specialty) for s in services])
        by_specialty = [
            [i for i, s in enumerate(services) if s.specialty == sp and not s.group]
            for sp in specialties
        ]
        self.spec_svc_start = np.cumsum([0] + [len(x) for x in by_specialty])[:-1]
        self.spec_svc_len = np.array([len(x) for x in by_specialty])
        self.spec_svc = np.array([i for x in by_specialty for i in x])
        # Candidate providers per (specialty, weekday).
        flat: list[int] = []
        self.cand_start = np.zeros(len(specialties) * 7, dtype=np.int64)
        self.cand_len = np.zeros(len(specialties) * 7, dtype=np.int64)
        for s, specialty in enumerate(specialties):
            for weekday in range(7):
                found = planner.by_clinic_day.get((specialty, weekday), [])
                self.cand_start[s * 7 + weekday] = len(flat)
                self.cand_len[s * 7 + weekday] = len(found)
                flat.extend(found)
        self.cand = np.array(flat, dtype=np.int64)
        self.prov_id = np.array([p.id for p in ref.providers], dtype=object)
        self.prov_start = np.array([p.start_min for p in ref.providers], dtype=np.int64)
        self.prov_end = np.array([p.end_min for p in ref.providers], dtype=np.int64)
        # Packages and their quota lines.
        packages = ref.packages
        self.pkg_id = np.array([p.id for p in packages], dtype=object)
        self.pkg_price = np.array([str(p.price) for p in packages], dtype=object)
        self.pkg_validity = np.array([p.validity_days for p in packages], dtype=np.int64)
        self.pkg_active = np.array([p.active for p in packages])
        weights = np.array([p.weight for p in packages], dtype=float)
        self.pkg_p = weights / weights.sum()
        self.pkg_line_start = np.cumsum([0] + [len(p.services) for p in packages])[:-1]
        self.pkg_line_len = np.array([len(p.services) for p in packages])
        self.line_svc = np.array([index_of[c] for p in packages for c, _ in p.services])
        self.line_quota = np.array([q for p in packages for _, q in p.services], dtype=np.int64)
        self.pkg_quota = np.array([sum(q for _, q in p.services) for p in packages])
        # Names: first names of both sexes in one list, females first.
        self.firsts = FEMALE_FIRST + MALE_FIRST
        self.names: dict[int, tuple[str, str, str]] = {}
        self.p_near = min(0.3, 20 * len(ref.providers) * 4 / max(1.95 * planner.patients, 1.0))

    # -- ids ------------------------------------------------------------------------------------

    def ids(self, count: int) -> Strings:
        """count UUIDs as 32 hex digits, shaped like version 7: a rising 48-bit prefix and
        random bits. Each table's ids then rise in the order its rows are written, so every
        primary key index is appended to, not updated at random places (twice as fast)."""
        raw = self.rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
        sequence = np.arange(self.next_id, self.next_id + count, dtype=np.uint64)
        self.next_id += count
        prefix = sequence.astype(">u8").view(np.uint8).reshape(count, 8)[:, 2:]
        raw[:, :6] = prefix
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x70
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
        digits = np.empty((count, 32), dtype=np.uint8)
        digits[:, 0::2] = _HEX[raw >> 4]
        digits[:, 1::2] = _HEX[raw & 0x0F]
        text = digits.view("S32").reshape(count).astype("U32")
        return text.astype(object)

    # -- one chunk --------------------------------------------------------------------------------

    def chunk(self, count: int) -> Batch:
        out = Batch(patients=count)
        first = self.plan.next_number
        self.plan.next_number += count
        patient_ids = self.ids(count)
        self._patients(out, first, patient_ids)
        purchases = self._purchases(count)
        want = self._requests(count, purchases)
        write_rows(self, out, patient_ids, purchases, want)
        return out

    def _patients(self, out: Batch, first: int, ids: Strings) -> None:
        rng, form, count = self.rng, self.form, len(ids)
        female = rng.random(count) < 0.48
        nf, nm, nfam = len(FEMALE_FIRST), len(MALE_FIRST), len(FAMILY)
        given = np.where(female, rng.integers(0, nf, count), nf + rng.integers(0, nm, count))
        father = rng.integers(0, nm, count)
        family = rng.integers(0, nfam, count)
        keys = (given * nm + father) * nfam + family
        distinct, where = np.unique(keys, return_inverse=True)
        en, ar, norm = (np.empty(len(distinct), dtype=object) for _ in range(3))
        for i, key in enumerate(distinct.tolist()):
            names = self.names.get(key)
            if names is None:
                g, rest = divmod(key, nm * nfam)
                f, fam = divmod(rest, nfam)
                parts = (self.firsts[g], MALE_FIRST[f], FAMILY[fam])
                name_en = " ".join(p[0] for p in parts)
                name_ar = " ".join(p[1] for p in parts)
                names = self.names[key] = (name_en, name_ar, patient_name_norm(name_en, name_ar))
            en[i], ar[i], norm[i] = names
        where = where.reshape(-1)
        digits = list(map("{:08d}".format, rng.integers(0, 100_000_000, count).tolist()))
        phones: Column = list(map(_E164_MOBILE.__add__, digits))
        # Mostly children (speech, ABA, OT); some adults (physiotherapy).
        age = np.where(
            rng.random(count) < 0.75,
            rng.integers(2 * 365, 17 * 365 + 1, count),
            rng.integers(18 * 365, 80 * 365 + 1, count),
        )
        national: Column = list(
            map(
                "{}{:09d}".format,
                np.where(rng.random(count) < 0.8, 1, 2).tolist(),
                rng.integers(0, 1_000_000_000, count).tolist(),
            )
        )
        created = self.plan.midnight[0] + rng.integers(0, 600, count)
        out.add(
            "patient",
            [
                ids.tolist(),
                [self.tenant] * count,
                list(map("MRN{:07d}".format, range(first, first + count))),
                en[where].tolist(),
                ar[where].tolist(),
                form.days(self.plan.today.toordinal() - age),
                np.where(female, "F", "M").astype(object).tolist(),
                phones,
                national,
                norm[where].tolist(),
                list(map("5".__add__, digits)),
                form.moments(created),
            ],
        )

    def _purchases(self, count: int) -> dict[str, Any]:
        """The chunk's purchases: owner, package, bought day (offset from today), share used."""
        rng, past = self.rng, self.plan.past_days
        has = rng.random(count) < 0.175
        twice = has & (rng.random(count) < 0.15)
        owner = np.sort(np.r_[np.flatnonzero(has), np.flatnonzero(twice)])
        n = len(owner)
        pkg = rng.choice(len(self.pkg_id), size=n, p=self.pkg_p)
        validity = self.pkg_validity[pkg]
        r = rng.random(n)
        stage = np.where(self.pkg_active[pkg], r, 0.6 + 0.4 * r)
        oldest = np.minimum(past, validity + 365)
        fresh = -rng.integers(0, 11, n)
        in_use = -rng.integers(5, validity - 9)
        used_up = -rng.integers(validity // 2, oldest + 1)
        lapsed = -rng.integers(validity + 1, np.maximum(validity + 2, oldest) + 1)
        bought = np.select(
            [stage < 0.15, stage < 0.6, stage < 0.8], [fresh, in_use, used_up], lapsed
        )
        share = np.select(
            [stage < 0.15, stage < 0.6, stage < 0.8],
            [0.0 * r, 0.2 + 0.6 * rng.random(n), 1.0 + 0.0 * r],
            0.9 * rng.random(n),
        )
        bought = np.maximum(bought, -past)
        return {"owner": owner, "pkg": pkg, "bought": bought, "share": share}

    def _pick(self, lo: Ints, hi: Ints, tries: Ints) -> tuple[Ints, Ints]:
        """tries random working days (as day indexes) in [lo, hi] (offsets from today) for
        each asker; returns (asker, day). Askers with an empty range get none."""
        plan = self.plan
        lo = np.maximum(lo, -plan.past_days) + self.offset
        hi = np.minimum(hi, plan.future_days) + self.offset
        i0 = np.searchsorted(self.workdays, lo, side="left")
        i1 = np.searchsorted(self.workdays, hi, side="right")
        tries = np.where(i1 > i0, tries, 0)
        asker = np.repeat(np.arange(len(lo)), tries)
        span = (i1 - i0)[asker]
        pick = i0[asker] + (self.rng.random(len(asker)) * span).astype(np.int64)
        return asker, self.workdays[pick]

    def _requests(self, count: int, purchases: dict[str, Any]) -> dict[str, Any]:
        """The days every patient of the chunk wants, after taking out a day asked twice."""
        rng, plan = self.rng, self.plan
        pkg, bought, share = purchases["pkg"], purchases["bought"], purchases["share"]
        # Purchase lines: one per service of the package, with how many sessions to use.
        line_of = np.repeat(np.arange(len(pkg)), self.pkg_line_len[pkg])
        line_at = self.pkg_line_start[pkg[line_of]] + runs(line_of)[1]
        quota = self.line_quota[line_at]
        used = share[line_of]
        wanted = np.where(used >= 1.0, quota, np.minimum(quota - 1, np.round(quota * used)))
        wanted = wanted.astype(np.int64)
        expiry = bought + self.pkg_validity[pkg]
        line_ask, line_day = self._pick(bought[line_of], expiry[line_of], wanted + 2)
        # Group seats, then single visits.
        groups = plan.open_groups()
        joins = np.flatnonzero(rng.random(count) < plan.p_group) if groups else np.zeros(0, int)
        seat_group = rng.integers(0, max(len(groups), 1), len(joins))
        seat_day = np.array([groups[g].day for g in seat_group.tolist()], dtype=np.int64)
        singles = rng.choice(5, size=count, p=_SINGLES)
        near = rng.random(count) < self.p_near
        lo = np.where(near, -14, -plan.past_days)
        hi = np.where(near, 14, plan.future_days)
        single_ask, single_day = self._pick(lo, hi, np.where(singles > 0, singles + 2, 0))
        patient = np.r_[purchases["owner"][line_of[line_ask]], joins, single_ask]
        day = np.r_[line_day, seat_day + self.offset, single_day]
        # A day keeps its first use: purchases, then the group seat, then single visits.
        _, first_use = np.unique(patient * self.days + day, return_index=True)
        kept = np.zeros(len(patient), dtype=bool)
        kept[first_use] = True
        n_line, n_seat = len(line_ask), len(joins)
        line_kept = kept[:n_line]
        seat_kept = kept[n_line : n_line + n_seat]
        single_kept = kept[n_line + n_seat :]
        # No more days than wanted per purchase line and per patient's singles.
        ask = line_ask[line_kept]
        line_ok = runs(ask)[1] < wanted[ask]
        s_ask = single_ask[single_kept]
        single_ok = runs(s_ask)[1] < singles[s_ask]
        home = rng.integers(0, len(self.spec_svc_len), count)
        s_patient = s_ask[single_ok]
        specialty = np.where(
            rng.random(len(s_patient)) < 0.8,
            home[s_patient],
            rng.integers(0, len(self.spec_svc_len), len(s_patient)),
        )
        pick = (rng.random(len(s_patient)) * self.spec_svc_len[specialty]).astype(np.int64)
        return {
            "line_of": line_of,
            "line": ask[line_ok],
            "line_day": line_day[line_kept][line_ok],
            "line_svc": self.line_svc[line_at],
            "seat_patient": joins[seat_kept],
            "seat_group": seat_group[seat_kept],
            "single_patient": s_patient,
            "single_day": single_day[single_kept][single_ok],
            "single_svc": self.spec_svc[self.spec_svc_start[specialty] + pick],
            "line_quota": quota,
            "groups": groups,
            "expiry": expiry,
            "taken": np.unique(patient[kept] * self.days + day[kept]),
        }

    def place(self, svc: Ints, day: Ints) -> tuple[Ints, Ints, Ints]:
        """(provider, start, end) for each visit (day as index), provider -1 where no provider
        of the clinic had room on that day in four tries."""
        rng, plan = self.rng, self.plan
        n = len(svc)
        provider = np.full(n, -1, dtype=np.int64)
        start = np.zeros(n, dtype=np.int64)
        minutes = self.svc_minutes[svc]
        combo = self.svc_specialty[svc] * 7 + plan.weekday[day]
        choices = self.cand_len[combo]
        todo = np.flatnonzero(choices > 0)
        first_gaps, gaps = np.array(FIRST_GAP), np.array(GAP)
        for _ in range(4):
            if len(todo) == 0:
                break
            c = combo[todo]
            pick = self.cand[
                self.cand_start[c] + (rng.random(len(todo)) * choices[todo]).astype(int)
            ]
            key = pick * self.days + day[todo]
            order = np.argsort(key, kind="stable")
            todo, pick, key = todo[order], pick[order], key[order]
            step = minutes[todo] + gaps[rng.integers(0, len(gaps), len(todo))]
            heads, _ = runs(key)
            run = np.repeat(np.arange(len(heads)), np.diff(np.r_[heads, len(key)]))
            taken_to = plan.cursor[pick[heads], day[todo][heads]].astype(np.int64)
            fresh = self.prov_start[pick[heads]] + first_gaps[rng.integers(0, 6, len(heads))]
            base = np.where(taken_to < 0, fresh, taken_to)
            ahead = np.cumsum(step) - step
            begin = base[run] + ahead - ahead[heads][run]
            fits = begin + minutes[todo] <= self.prov_end[pick]
            provider[todo[fits]] = pick[fits]
            start[todo[fits]] = begin[fits]
            # Each day's cursor moves past its last visit that fit (they fit as a prefix).
            used = np.bincount(run, weights=np.where(fits, step, 0), minlength=len(heads))
            moved = used > 0
            plan.cursor[pick[heads][moved], day[todo][heads][moved]] = (base + used)[moved]
            todo = todo[~fits]
        at = plan.midnight[day] + start
        return provider, at, at + minutes

    def statuses(self, start: Ints, may_cancel: bool) -> Ints:
        r = self.rng.random(len(start))
        past = start < self.plan.now_minute
        cancel = may_cancel & (r < np.where(past, 0.06, 0.04))
        done = np.where(r > 0.93, NO_SHOW, COMPLETED)
        return np.where(cancel, CANCELLED, np.where(past, done, BOOKED))
