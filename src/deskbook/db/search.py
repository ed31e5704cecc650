"""Patient search: exact identifier, exact full name, names that start with the query, words
that start a name word, then fragments; top 50, and how many matched in all.

Every look-up is an index seek bounded by CANDIDATES rows, so a search costs about the same
on a thousand patients as on a million, and all of a query's look-ups go in one round trip.
The look-ups are described once (Equal, Prefix, Words) and each engine renders the same
description as SQL text (_render):

- Identifiers (MRN, national id, phone) are prefix ranges over btree indexes, walked in index
  order (SQLite: the 0001 indexes with `col >= lo AND col < lo || U+10FFFF`; PostgreSQL: the
  0002 text_pattern_ops indexes with a literal `LIKE 'lo%'` ordered `USING ~<~`). An exact
  match is the first entry of its own range. A query with a digit never touches the trigram
  index, so an MRN can never turn into a scan of every name.
- A typed full name is looked up as the stored form of that name (equality on the Arabic side
  of name_norm, which is the English side when there is no Arabic name, and a prefix range up
  to the side separator), so the exact name is found however many longer names hold it.
- Names of 3 characters or more go through the trigram index (SQLite: FTS5 `patient_fts`;
  PostgreSQL: pg_trgm GIN). Each word of the query must appear, in any order; when that
  look-up comes back full, a second one asks for the words as word starts (" word", see
  deskbook.normalize) so a rare prefix match still outranks a crowd of fragments. A prefix
  range over the start of the name finds the names that start with the query.
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
from typing import Any, NamedTuple

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.db.models import Patient
from deskbook.errors import DatabaseError
from deskbook.normalize import (
    SIDE_SEPARATOR,
    fold_digits,
    is_arabic,
    patient_name_norm,
    phone_query_prefixes,
    search_terms,
    search_text,
)
from deskbook.phones import KEY_MIN, typed_digits

MAX_RESULTS = 50
CANDIDATES = 100
# Beyond this many matches the total is "more than COUNT_CAP": counting every "mohammed" of a
# million patients would cost what the search itself is built to avoid.
COUNT_CAP = 1000
TRIGRAM = 3
_TOP = "\U0010ffff"  # sorts after every character: lo <= x < lo + _TOP means x starts with lo
_LATIN_ARTICLES = ("al", "el")

# The Arabic side of name_norm (" en words | ar words"); the same text as the 0002 index
# expression, because both engines match an expression index by its exact shape. Without an
# Arabic name it is the English side (instr/strpos give 0), which exact-name look-ups use.
ARABIC_SIDE = {
    "sqlite": "substr(patient.name_norm, instr(patient.name_norm, '| ') + 2)",
    "postgresql": "substr(patient.name_norm, strpos(patient.name_norm, '| ') + 2)",
}
_COLUMNS = {
    "mrn": "patient.mrn",
    "national_id": "patient.national_id",
    "phone_norm": "patient.phone_norm",
    "name_norm": "patient.name_norm",
}

# Ranks, best first; alphabetical (folded name, then MRN) only inside one rank.
EXACT_ID, EXACT_NAME, NAME_START, WORD_START, FRAGMENT = range(5)


@dataclass(frozen=True)
class _Query:
    raw: str  # stripped, digits folded: what an MRN or national id is compared with
    name: str  # folded like Patient.name_norm
    phones: tuple[str, ...]  # national-number prefixes when the query is a phone number
    mrns: tuple[str, ...] = ()  # whole MRNs the query stands for (bare digits)

    @property
    def has_digit(self) -> bool:
        return any(ch.isdigit() for ch in self.raw)

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
    return _Query(raw=raw, name=search_text(query), phones=phones)


# -- the look-ups, described once -----------------------------------------------------------


@dataclass(frozen=True)
class Equal:
    """Rows whose column is one of values: an index equality seek."""

    column: str  # a key of _COLUMNS, or "arabic" for ARABIC_SIDE
    values: tuple[str, ...]
    # False: only re-finds rows a counted look-up matches, to rank them; then the page
    # (MAX_RESULTS) is all it needs to find.
    counted: bool = True

    @property
    def limit(self) -> int:
        return CANDIDATES if self.counted else MAX_RESULTS


@dataclass(frozen=True)
class Prefix:
    """The first rows, in index order, whose column starts with value: one index range."""

    column: str
    value: str
    counted: bool = True

    @property
    def limit(self) -> int:
        return CANDIDATES if self.counted else MAX_RESULTS


@dataclass(frozen=True)
class Words:
    """Rows whose folded name holds every word, anywhere (lead "") or at the start of a name
    word (lead " "), in any order: the trigram index.

    Each word is its own index term rather than the query being one phrase: a phrase must
    also be adjacent, and proving that "sarah alqah" is nowhere means reading the huge
    posting lists of its common trigrams ("ah ", " al") to the end. Words too short for a
    trigram are checked on the rows the others found."""

    words: tuple[str, ...]
    lead: str
    counted: bool = True
    limit: int = CANDIDATES


@dataclass(frozen=True)
class Digits:
    """Patients whose phone or guardian's phone holds this run of digits anywhere: a prefix
    range of patient_phone_key, which holds every suffix of 4+ digits of both numbers."""

    digits: str
    counted: bool = True
    limit: int = CANDIDATES


Lookup = Equal | Prefix | Words | Digits


@dataclass(frozen=True)
class SearchPlan:
    first: tuple[Lookup, ...]  # always run
    starts: Words | None  # run when the fragment look-up came back full


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
    if parsed.name and not parsed.has_digit:
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
            first.append(Words(words, ""))
            bare = search_terms(parsed.name)
            if bare != words:
                # "Al-Rashid" also finds a Rashid written without the article: the bare name
                # as a word start (as a fragment it would also find "Harashid").
                first.append(Words(bare, " "))
            starts = Words(words, " ", counted=False)
    return SearchPlan(tuple(first), starts)


# -- rendering: the same description as SQL text on both engines -----------------------------

_KEYS = "patient.id, patient.name_norm, patient.mrn, patient.national_id, patient.phone_norm"


class _Sql:
    """SQL text for one engine. PostgreSQL gets every value as a literal: the planner must see
    a LIKE pattern to use the text_pattern_ops index (a generic plan for `LIKE $1` cannot, and
    psycopg prepares a statement once it has run 5 times), and no statement is built or
    compiled per search (that was a third of the client's time). SQLite gets `?` parameters."""

    def __init__(self, dialect: str, tenant_id: uuid.UUID) -> None:
        self.dialect = dialect
        self.tenant_id = tenant_id
        self.params: list[str] = []

    @property
    def postgres(self) -> bool:
        return self.dialect == "postgresql"

    def value(self, value: str) -> str:
        if self.postgres:
            return _pg_literal(value)
        self.params.append(value)
        return "?"

    def column(self, column: str) -> str:
        return ARABIC_SIDE[self.dialect] if column == "arabic" else _COLUMNS[column]

    def render(self, lookup: Lookup, tag: int, limit: int, keys: bool) -> str:
        """One look-up as a SELECT of the candidate keys (and its tag), or of the id only."""
        what = f"{tag} AS lookup, {_KEYS}" if keys else "patient.id"
        if isinstance(lookup, Words):
            return self._words(lookup, what, limit)
        tenant = self.value(self.tenant_id.hex) if not self.postgres else f"'{self.tenant_id}'"
        if isinstance(lookup, Digits):
            # digits is COLLATE "C" on PostgreSQL, so this range is a btree range under any
            # database collation, with literals or parameters alike; "9" + 1 is ":".
            low = lookup.digits
            high = low[:-1] + chr(ord(low[-1]) + 1)
            join = "JOIN" if self.postgres else "CROSS JOIN"  # SQLite: the keys drive
            return (
                f"SELECT {what} FROM patient_phone_key AS k {join} patient "
                f"ON patient.id = k.patient_id WHERE k.tenant_id = {tenant} "
                f"AND k.digits >= {self.value(low)} AND k.digits < {self.value(high)} "
                f"LIMIT {limit}"
            )
        head = f"SELECT {what} FROM patient WHERE patient.tenant_id = {tenant}"
        expression = self.column(lookup.column)
        if isinstance(lookup, Equal):
            values = ", ".join(self.value(v) for v in lookup.values)
            return f"{head} AND {expression} IN ({values}) LIMIT {limit}"
        # In index order, so the first rows are a walk down one range, never a sort of every
        # match. On PostgreSQL that order is ~<~, the one text_pattern_ops keeps (a plain
        # ORDER BY under the database collation could not use the index).
        if self.postgres:
            condition = f"{expression} LIKE {self.value(_escape_like(lookup.value) + '%')}"
            order = f"{expression} USING ~<~"
        else:
            low, high = self.value(lookup.value), self.value(lookup.value + _TOP)
            condition = f"{expression} >= {low} AND {expression} < {high}"
            order = expression
        return f"{head} AND {condition} ORDER BY {order} LIMIT {limit}"

    def _words(self, lookup: Words, what: str, limit: int) -> str:
        terms = [lookup.lead + word for word in lookup.words]
        indexed = [term for term in terms if len(term) >= TRIGRAM]
        checked = [term for term in terms if len(term) < TRIGRAM]
        if not indexed:
            indexed, checked = [lookup.lead + " ".join(lookup.words)], []
        if self.postgres:
            conditions = [
                f"patient.name_norm LIKE {self.value('%' + _escape_like(term) + '%')}"
                for term in indexed
            ]
            conditions += [f"strpos(patient.name_norm, {self.value(term)}) > 0" for term in checked]
            return (
                f"SELECT {what} FROM patient WHERE patient.tenant_id = '{self.tenant_id}' "
                f"AND {' AND '.join(conditions)} LIMIT {limit}"
            )
        match = self.value(" AND ".join('"' + term.replace('"', '""') + '"' for term in indexed))
        tenant = self.value(self.tenant_id.hex)
        filters = "".join(
            f" AND instr(patient.name_norm, {self.value(term)}) > 0" for term in checked
        )
        # CROSS JOIN fixes the loop order in SQLite: the full-text match drives and each hit
        # is one rowid seek into patient, whatever the statistics say.
        return (
            f"SELECT {what} FROM patient_fts CROSS JOIN patient "
            "ON patient.rowid = patient_fts.rowid "
            f"WHERE patient_fts MATCH {match} AND patient.tenant_id = {tenant}"
            f"{filters} LIMIT {limit}"
        )


def _union(selects: list[str], all_rows: bool = True) -> str:
    if len(selects) == 1:
        return selects[0]
    glue = " UNION ALL " if all_rows else " UNION "
    return glue.join(f"SELECT * FROM ({sql}) AS lookup_{n}" for n, sql in enumerate(selects))


def _run(session: Session, sql: _Sql, statement: str) -> Any:
    connection = session.connection()
    if sql.postgres:
        # Literal SQL with no parameters; `%` is doubled for the driver's paramstyle.
        return connection.exec_driver_sql(statement.replace("%", "%%"))
    return connection.exec_driver_sql(statement, tuple(sql.params))


def _pg_literal(value: str) -> str:
    """A PostgreSQL escape-string constant. E'' reads backslashes the same way whatever the
    server's standard_conforming_strings says, so doubling them and the quotes is complete."""
    if "\x00" in value:
        raise ValueError("NUL in a search term")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- running and ranking ---------------------------------------------------------------------


class _Candidate(NamedTuple):
    lookup: int
    id: uuid.UUID
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
    parsed = _Query(parsed.raw, parsed.name, parsed.phones, mrns)
    dialect = session.get_bind().dialect.name
    found: dict[uuid.UUID, _Candidate] = {}
    returned: Counter[int] = Counter()

    def take(lookups: tuple[Lookup, ...], offset: int) -> None:
        sql = _Sql(dialect, tenant_id)
        selects = [
            sql.render(lookup, offset + n, lookup.limit, keys=True)
            for n, lookup in enumerate(lookups)
        ]
        for row in _run(session, sql, _union(selects)):
            candidate = _Candidate(row[0], _uuid(row[1]), *row[2:])
            returned[candidate.lookup] += 1
            found.setdefault(candidate.id, candidate)

    take(plan.first, 0)
    fragments = next((n for n, lookup in enumerate(plan.first) if isinstance(lookup, Words)), None)
    if (
        plan.starts is not None
        and fragments is not None
        and returned[fragments] >= plan.first[fragments].limit
        and sum(1 for c in found.values() if _rank(c, parsed) <= WORD_START) < limit
    ):
        # The fragment look-up came back full and holds too few word-start matches to fill
        # the page, so some may lie beyond it: ask for those alone, so they still rank first.
        take((plan.starts,), len(plan.first))
    total, more = len(found), False
    if count and any(
        returned[n] >= lookup.limit for n, lookup in enumerate(plan.first) if lookup.counted
    ):
        total, more = _count(session, dialect, tenant_id, plan)
    ranked = sorted(found.values(), key=lambda c: (_rank(c, parsed), c.name_norm, c.mrn))
    ids = [c.id for c in ranked[:limit]]
    if not ids:
        return Found([], total, more)
    rows = session.scalars(
        select(Patient).where(col(Patient.tenant_id) == tenant_id, col(Patient.id).in_(ids))
    )
    by_id = {p.id: p for p in rows}
    return Found([by_id[i] for i in ids if i in by_id], total, more)


class Match(NamedTuple):
    """A patient one of the look-ups found, with what deskbook.patient_duplicates compares."""

    lookup: int  # the index of the look-up that found it
    id: uuid.UUID
    name_norm: str
    phone_norm: str


def run_lookups(session: Session, tenant_id: uuid.UUID, lookups: tuple[Lookup, ...]) -> list[Match]:
    """The rows a handful of look-ups find, in one round trip, each bounded by its limit (the
    duplicate check and the near misses; the same index seeks as a search)."""
    if not lookups:
        return []
    sql = _Sql(session.get_bind().dialect.name, tenant_id)
    selects = [sql.render(lookup, n, lookup.limit, keys=True) for n, lookup in enumerate(lookups)]
    return [
        Match(row[0], _uuid(row[1]), row[2], row[5]) for row in _run(session, sql, _union(selects))
    ]


def _count(
    session: Session, dialect: str, tenant_id: uuid.UUID, plan: SearchPlan
) -> tuple[int, bool]:
    """How many distinct patients the counted look-ups match, up to COUNT_CAP: each is
    bounded at COUNT_CAP + 1 rows, so the count costs a bounded walk of the same indexes."""
    sql = _Sql(dialect, tenant_id)
    selects = [
        sql.render(lookup, n, COUNT_CAP + 1, keys=False)
        for n, lookup in enumerate(plan.first)
        if lookup.counted
    ]
    statement = f"SELECT count(*) FROM ({_union(selects, all_rows=False)}) AS matches"
    total = int(_run(session, sql, statement).scalar() or 0)
    return (COUNT_CAP, True) if total > COUNT_CAP else (total, False)


def _uuid(value: Any) -> uuid.UUID:
    # SQLite hands back the stored hex text: driver SQL skips SQLAlchemy's Uuid type.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


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
        if any(side.startswith((query.name, *query.stored_sides)) for side in sides):
            return NAME_START
        if all(" " + word in patient.name_norm for word in query.name.split()):
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
