"""Patient search: exact identifier, exact full name, names that start with the query, words
that start a name word, then fragments; top 50, and how many matched in all.

Every look-up is an index seek bounded by CANDIDATES rows, so a search costs about the same
on a thousand patients as on a million, and all of a query's look-ups go in one round trip.
The look-ups are described once (Equal, Prefix, Words) and each engine renders the same
description as SQL text (deskbook.db.search_sql):

- Identifiers (MRN, national id, phone) are prefix ranges over btree indexes, walked in index
  order (SQLite: the 0001 indexes with `col >= lo AND col < lo || U+10FFFF`; PostgreSQL: the
  0002 text_pattern_ops indexes with a literal `LIKE 'lo%'` ordered `USING ~<~`). An exact
  match is the first entry of its own range. A query with a digit touches the trigram index
  only beside a word of letters ("Group Child 1"), so an MRN can never turn into a scan of
  every name.
- A typed full name is looked up as the stored form of that name (equality on the Arabic side
  of name_norm, which is the English side when there is no Arabic name, and a prefix range up
  to the side separator), so the exact name is found however many longer names hold it.
- Names of 3 characters or more go through the trigram index (SQLite: FTS5 `patient_fts`;
  PostgreSQL: pg_trgm GIN). Each word of the query must appear, in any order; when that
  look-up comes back full, a second one asks for the words as word starts (" word", see
  deskbook.normalize) so a rare prefix match still outranks a crowd of fragments. A prefix
  range over the start of the name finds the names that start with the query.
- The last word may still be being typed: "Abdu" folds to nothing a stored Abdulrahman
  ("abdalrahman") starts with, so the starts of the names it may become (deskbook.normalize.
  typed_forms: "abdal") are looked up as word starts too.
- Names of 1–2 characters cannot make a trigram, so they are prefix ranges over the first
  word of the English and of the Arabic name (btree and expression indexes from 0002).

When more than CANDIDATES patients match one look-up, the ones shown come from the first
CANDIDATES of it: always the same ones (stable), not the alphabetical first of everyone; the
receptionist types on and the list narrows. The total is then counted by the same look-ups
with a higher limit (COUNT_CAP), so a common name costs a bounded count, not a scan.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.db.models import Patient
from deskbook.db.search_sql import (
    CANDIDATES,
    MAX_RESULTS,
    TRIGRAM,
    Digits,
    Equal,
    Lookup,
    Prefix,
    Sql,
    Words,
    as_uuid,
    run,
    union,
)
from deskbook.errors import DatabaseError
from deskbook.normalize import (
    SIDE_SEPARATOR,
    fold_digits,
    is_arabic,
    patient_name_norm,
    phone_query_prefixes,
    search_terms,
    typed_forms,
)
from deskbook.phones import KEY_MIN, typed_digits

# Beyond this many matches the total is "more than COUNT_CAP": counting every "mohammed" of a
# million patients would cost what the search itself is built to avoid.
COUNT_CAP = 1000
_LATIN_ARTICLES = ("al", "el")

# Ranks, best first; alphabetical (folded name, then MRN) only inside one rank.
EXACT_ID, EXACT_NAME, NAME_START, WORD_START, FRAGMENT = range(5)


@dataclass(frozen=True)
class _Query:
    raw: str  # stripped, digits folded: what an MRN or national id is compared with
    name: str  # folded like Patient.name_norm
    phones: tuple[str, ...]  # national-number prefixes when the query is a phone number
    mrns: tuple[str, ...] = ()  # whole MRNs the query stands for (bare digits)
    # Folds of the query whose last word is the start of what the typed letters may become
    # ("abdu" -> "abdal"): deskbook.normalize.typed_forms.
    typing: tuple[str, ...] = ()

    @property
    def has_digit(self) -> bool:
        return any(ch.isdigit() for ch in self.raw)

    @property
    def is_name(self) -> bool:
        """Looked up as a name: no digit, or a word of letters beside the digits ("Group
        Child 1"). A digit-only word, an MRN or a phone number never reaches the trigram
        index, so it can never turn into a scan of every name."""
        return bool(self.name) and (
            not self.has_digit or any(word.isalpha() for word in self.name.split())
        )

    @property
    def identifiers(self) -> tuple[str, ...]:
        upper = self.raw.upper()
        return (self.raw,) if upper == self.raw else (self.raw, upper)

    @cached_property
    def stored_names(self) -> tuple[str, ...]:
        """The typed name as patient_name_norm would store it. A Latin "alrashid" may be a
        name written "Al-Rashid" (stored "alrashid rashid") or "Alrashid" (stored as is), so
        both forms are tried; Arabic articles always store their bare word."""
        split = " ".join(
            f"{word[:2]} {word[2:]}"
            if word[:2] in _LATIN_ARTICLES and len(word) > 2 and not is_arabic(word)
            else word
            for word in self.name.split()
        )
        return tuple(dict.fromkeys(patient_name_norm(form, None) for form in (split, self.name)))

    @cached_property
    def stored_sides(self) -> tuple[str, ...]:
        """stored_names as one side of name_norm reads (without the leading space)."""
        return tuple(form[1:] for form in self.stored_names)


def _parse(query: str) -> _Query:
    raw = fold_digits(query).strip()
    looks_like_phone = bool(raw) and all(ch.isdigit() or ch in "+-() " for ch in raw)
    phones = tuple(phone_query_prefixes(raw)) if looks_like_phone else ()
    name, *typing = typed_forms(query)
    return _Query(raw=raw, name=name, phones=phones, typing=tuple(typing))


@dataclass(frozen=True)
class SearchPlan:
    first: tuple[Lookup, ...]  # always run
    starts: Words | None  # run when the fragment look-up came back full
    # The words as fragments when the query had an article: run when the bare-name look-up
    # came back short of full, so a few matches still bring the names that only hold them.
    fragments: Words | None = None


def plan_search(query: str, mrns: tuple[str, ...] = ()) -> SearchPlan:
    """The index look-ups a query makes, for either engine. mrns: whole MRNs the query may
    stand for (bare digits in the tenant's scheme, see deskbook.patients)."""
    parsed = _parse(query)
    first: list[Lookup] = [Equal("mrn", mrns)] if mrns else []
    if not parsed.has_digit:
        # Without a digit the query can still be an MRN or national id typed whole, but is not
        # taken as the start of one ("m" would otherwise list every MRN).
        first += [Equal("mrn", parsed.identifiers), Equal("national_id", parsed.identifiers)]
    else:
        first += [
            Prefix(column, value)
            for column in ("mrn", "national_id")
            for value in parsed.identifiers
        ]
        if parsed.phones:
            # Short readings ("050" is the start of 50...) are prefixes of the number; runs of
            # 4+ digits, as typed and without the country or trunk prefix, are looked up
            # anywhere in the patient's and the guardian's number.
            readings = dict.fromkeys((*parsed.phones, typed_digits(parsed.raw)))
            first += [Prefix("phone_norm", r) for r in readings if len(r) < KEY_MIN]
            first += [Digits(r) for r in readings if len(r) >= KEY_MIN]
    starts: Words | None = None
    fragments: Words | None = None
    if parsed.is_name:
        arabic = is_arabic(parsed.name)
        for form in parsed.stored_names:
            first.append(Equal("arabic", (form[1:],), counted=False))
            if not arabic:
                first.append(Prefix("name_norm", form + " | ", counted=False))
        short = len(parsed.name) < TRIGRAM
        side, start = ("arabic", parsed.name) if arabic else ("name_norm", " " + parsed.name)
        first.append(Prefix(side, start, counted=short))
        if not short:
            words = tuple(parsed.name.split())
            bare = search_terms(parsed.name)
            if bare != words:
                # "Al-Rashid" also finds a Rashid written without the article: the bare name
                # as a word start (as a fragment it would also find "Harashid"). Every name
                # holding "alrashid" as a word holds "rashid" too, so this one look-up finds
                # them as well; the words as fragments only add names like "Abdulrashid"
                # and cost as much again (two trigram ANDs of common words were most of
                # "Mohammad Al Rashid" at a million patients), so they wait for a short
                # answer.
                first.append(Words(bare, " "))
                fragments = Words(words, "")
            else:
                first.append(Words(words, ""))
            starts = Words(words, " ", counted=False)
            # A last word still being typed: the start of the names it may become, as word
            # starts ("abdu" finds Abdulrahman through "abdal").
            first += [Words(tuple(form.split()), " ") for form in parsed.typing]
    return SearchPlan(tuple(first), starts, fragments)


# -- running and ranking ---------------------------------------------------------------------


class _Candidate(NamedTuple):
    lookup: int
    id: object  # as the driver hands it: a UUID, or hex text from SQLite
    name_norm: str
    mrn: str
    national_id: str | None
    phone_norm: str


class Found(NamedTuple):
    patients: list[Patient]  # best first, at most the limit
    total: int  # every match, counted up to COUNT_CAP
    more: bool  # more than COUNT_CAP matched: total is COUNT_CAP


def search_patients(
    session: Session, tenant_id: uuid.UUID, query: str, limit: int = MAX_RESULTS
) -> list[Patient]:
    """The tenant's patients matching query, best first, at most `limit` (never above 50)."""
    return find_patients(session, tenant_id, query, limit, count=False).patients


def find_patients(
    session: Session,
    tenant_id: uuid.UUID,
    query: str,
    limit: int = MAX_RESULTS,
    count: bool = True,
    mrns: tuple[str, ...] = (),
) -> Found:
    """search_patients and how many patients matched in all (see COUNT_CAP). Ties inside a
    rank are broken by the folded name, then the MRN, so the order is stable."""
    limit = max(0, min(limit, MAX_RESULTS))
    parsed = _parse(query)
    if not (parsed.raw and (parsed.name or parsed.phones)):
        return Found([], 0, False)
    plan = plan_search(query, mrns)
    parsed = _Query(parsed.raw, parsed.name, parsed.phones, mrns, parsed.typing)
    dialect = session.get_bind().dialect.name
    # Keyed by the id as the driver hands it (SQLite: hex text) and ranked once each: a
    # common name brings a few hundred candidates, and a UUID and a rank per row was a
    # third of the search's own time.
    found: dict[object, tuple[int, _Candidate]] = {}
    returned: Counter[int] = Counter()

    def take(lookups: tuple[Lookup, ...], offset: int) -> None:
        sql = Sql(dialect, tenant_id)
        selects = [
            sql.render(lookup, offset + n, lookup.limit, keys=True)
            for n, lookup in enumerate(lookups)
        ]
        for row in run(session, sql, union(selects)):
            returned[row[0]] += 1
            if row[1] not in found:
                candidate = _Candidate(*row)
                found[row[1]] = (_rank(candidate, parsed), candidate)

    take(plan.first, 0)
    fragments = next((n for n, lookup in enumerate(plan.first) if isinstance(lookup, Words)), None)
    counted = [lookup for lookup in plan.first if lookup.counted]
    if (
        plan.fragments is not None
        and fragments is not None
        and returned[fragments] < plan.first[fragments].limit
    ):
        tag = len(plan.first) + 1
        take((plan.fragments,), tag)
        counted.append(plan.fragments)
        fragments = tag
    if (
        plan.starts is not None
        and fragments is not None
        and returned[fragments] >= CANDIDATES
        and sum(1 for rank, _ in found.values() if rank <= WORD_START) < limit
    ):
        # The fragment look-up came back full and holds too few word-start matches to fill
        # the page, so some may lie beyond it: ask for those alone, so they still rank first.
        take((plan.starts,), len(plan.first))
    total, more = len(found), False
    if count and (
        any(returned[n] >= lookup.limit for n, lookup in enumerate(plan.first) if lookup.counted)
        or returned[len(plan.first) + 1] >= CANDIDATES
    ):
        total, more = _count(session, dialect, tenant_id, counted)
    ranked = sorted(found.values(), key=lambda rc: (rc[0], rc[1].name_norm, rc[1].mrn))
    ids = [as_uuid(c.id) for _, c in ranked[:limit]]
    if not ids:
        return Found([], total, more)
    rows = session.scalars(
        select(Patient).where(col(Patient.tenant_id) == tenant_id, col(Patient.id).in_(ids))
    )
    by_id = {p.id: p for p in rows}
    return Found([by_id[i] for i in ids if i in by_id], total, more)


def _count(
    session: Session, dialect: str, tenant_id: uuid.UUID, lookups: list[Lookup]
) -> tuple[int, bool]:
    """How many distinct patients the counted look-ups match, up to COUNT_CAP: each is
    bounded at COUNT_CAP + 1 rows, so the count costs a bounded walk of the same indexes."""
    sql = Sql(dialect, tenant_id)
    selects = [sql.render(lookup, n, COUNT_CAP + 1, keys=False) for n, lookup in enumerate(lookups)]
    statement = f"SELECT count(*) FROM ({union(selects, all_rows=False)}) AS matches"
    total = int(run(session, sql, statement).scalar() or 0)
    return (COUNT_CAP, True) if total > COUNT_CAP else (total, False)


def _rank(patient: _Candidate, query: _Query) -> int:
    idents = query.identifiers
    if (
        patient.mrn in idents
        or patient.mrn in query.mrns
        or (patient.national_id is not None and patient.national_id in idents)
        or (query.phones and patient.phone_norm in query.phones)
    ):
        return EXACT_ID
    if query.name:
        # name_norm holds each side as patient_name_norm stores it, and stored_names is the
        # query stored the same way, so plain string tests decide (no folding per row).
        sides = patient.name_norm[1:].split(SIDE_SEPARATOR)
        if any(side in query.stored_sides for side in sides):
            return EXACT_NAME
        if any(side.startswith((query.name, *query.stored_sides, *query.typing)) for side in sides):
            return NAME_START
        if any(
            all(" " + word in patient.name_norm for word in form.split())
            for form in (query.name, *query.typing)
        ):
            return WORD_START
    if query.has_digit and (
        patient.mrn.startswith(idents)
        or (patient.national_id or "").startswith(idents)
        or (query.phones and patient.phone_norm.startswith(query.phones))
    ):
        return NAME_START
    if query.phones and patient.phone_norm.endswith(typed_digits(query.raw)):
        return WORD_START  # "the number ending 5510"
    return FRAGMENT


def check_search_support(engine: Engine) -> None:
    """Refuse a database where name search cannot work, with a sentence saying why.
    PostgreSQL: pg_trgm must be installed and must see Arabic letters (a database created
    with LC_CTYPE C yields no trigrams for them). SQLite: FTS5 with the trigram tokenizer."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                ctype = conn.execute(text("SHOW lc_ctype")).scalar()
                try:
                    trigrams = conn.execute(text("SELECT show_trgm('محمد')")).scalar()
                except DBAPIError:
                    raise DatabaseError(
                        "Patient search needs the PostgreSQL extension pg_trgm; run "
                        "`deskbook db upgrade` as a user allowed to CREATE EXTENSION pg_trgm."
                    ) from None
                if not trigrams:
                    raise DatabaseError(
                        f"This PostgreSQL database has LC_CTYPE '{ctype}', under which "
                        "pg_trgm cannot index Arabic names; create the database with a UTF-8 "
                        "locale (e.g. CREATE DATABASE ... LC_CTYPE 'C.UTF-8' TEMPLATE template0)."
                    )
            else:
                try:
                    conn.execute(
                        text(
                            "CREATE VIRTUAL TABLE temp.deskbook_probe "
                            "USING fts5(x, tokenize='trigram')"
                        )
                    )
                    conn.execute(text("DROP TABLE temp.deskbook_probe"))
                except DBAPIError:
                    raise DatabaseError(
                        "This Python's SQLite lacks FTS5 with the trigram tokenizer "
                        "(SQLite 3.34 or newer), which patient search needs."
                    ) from None
    except DBAPIError as exc:
        raise DatabaseError(f"Cannot check patient search support: {exc.orig}.") from None
