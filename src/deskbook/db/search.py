"""Patient search: exact identifier first, then "starts with", then name fragment; top 50.

Every look-up is an index seek bounded by CANDIDATES rows, so a search costs about the same
on a thousand patients as on a million, and all of a query's look-ups go in one round trip:

- Identifiers (MRN, national id, phone) are prefix ranges over btree indexes, walked in index
  order (SQLite: the 0001 indexes with `col >= lo AND col < lo || U+10FFFF`; PostgreSQL: the
  0002 text_pattern_ops indexes with a literal `LIKE 'lo%'` ordered `USING ~<~`). An exact
  match is the first entry of its own range. A query with a digit never touches the trigram
  index, so an MRN can never turn into a scan of every name.
- Names of 3 characters or more go through the trigram index (SQLite: FTS5 `patient_fts`;
  PostgreSQL: pg_trgm GIN). Each word of the query must appear, in any order; when that
  look-up comes back full, a second one asks for the words as word starts (" word", see
  deskbook.normalize) so a rare prefix match still outranks a crowd of fragments.
- Names of 1–2 characters cannot make a trigram, so they are prefix ranges over the first
  word of the English and of the Arabic name (btree and expression indexes from 0002).

When more than CANDIDATES patients match one look-up, the ones shown come from the first
CANDIDATES of it: always the same ones (stable), not the alphabetical first of everyone; the
receptionist types on and the list narrows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Engine, Select, bindparam, select, text, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

from deskbook.db.models import Patient
from deskbook.errors import DatabaseError
from deskbook.normalize import fold_digits, is_arabic, phone_query_prefixes, search_text

MAX_RESULTS = 50
CANDIDATES = 100
TRIGRAM = 3
_TOP = "\U0010ffff"  # sorts after every character: lo <= x < lo + _TOP means x starts with lo

# The Arabic side of name_norm (" en words | ar words"); the same text as the 0002 index
# expression, because both engines match an expression index by its exact shape.
ARABIC_SIDE = {
    "sqlite": "substr(patient.name_norm, instr(patient.name_norm, '| ') + 2)",
    "postgresql": "substr(patient.name_norm, strpos(patient.name_norm, '| ') + 2)",
}

EXACT, STARTS, FRAGMENT = 0, 1, 2


@dataclass(frozen=True)
class _Query:
    raw: str  # stripped, digits folded: what an MRN or national id is compared with
    name: str  # folded like Patient.name_norm
    phones: tuple[str, ...]  # national-number prefixes when the query is a phone number

    @property
    def has_digit(self) -> bool:
        return any(ch.isdigit() for ch in self.raw)

    @property
    def identifiers(self) -> tuple[str, ...]:
        upper = self.raw.upper()
        return (self.raw,) if upper == self.raw else (self.raw, upper)


def _parse(query: str) -> _Query:
    raw = fold_digits(query).strip()
    looks_like_phone = bool(raw) and all(ch.isdigit() or ch in "+-() " for ch in raw)
    phones = tuple(phone_query_prefixes(raw)) if looks_like_phone else ()
    return _Query(raw=raw, name=search_text(query), phones=phones)


class _Candidate(NamedTuple):
    id: uuid.UUID
    name_norm: str
    mrn: str
    national_id: str | None
    phone_norm: str


# Candidates are ranked on these few columns; only the winners are loaded as whole rows.
# Plain table columns, not ORM attributes: candidate look-ups run as Core statements (SQLite)
# or SQL text (PostgreSQL, _pg_lookups), which skips the ORM's per-statement work.
_PATIENT = Patient.__table__  # type: ignore[attr-defined]
_KEYS = (
    _PATIENT.c.id,
    _PATIENT.c.name_norm,
    _PATIENT.c.mrn,
    _PATIENT.c.national_id,
    _PATIENT.c.phone_norm,
)
_KEY_SQL = "patient.id, patient.name_norm, patient.mrn, patient.national_id, patient.phone_norm"

Lookup = Select[Any] | TextualSelect


def search_patients(
    session: Session, tenant_id: uuid.UUID, query: str, limit: int = MAX_RESULTS
) -> list[Patient]:
    """The tenant's patients matching query, best first, at most `limit` (never above 50).
    Ties are broken by the folded name, then the MRN, so the order is stable."""
    limit = max(0, min(limit, MAX_RESULTS))
    parsed = _parse(query)
    if limit == 0 or not (parsed.raw and (parsed.name or parsed.phones)):
        return []
    dialect = session.get_bind().dialect.name
    first, starts = (
        _pg_lookups(tenant_id, parsed)
        if dialect == "postgresql"
        else planned_lookups(dialect, tenant_id, query)
    )
    found: dict[uuid.UUID, _Candidate] = {}

    def take(lookups: list[Lookup] | list[str]) -> None:
        if not lookups:
            return
        connection = session.connection()
        if isinstance(lookups[0], str):
            # PostgreSQL: literal SQL, so no statement is built or compiled per search (that
            # was a third of the client's time); `%` is doubled for the driver's paramstyle.
            sql = str(lookups[0])
            if len(lookups) > 1:
                sql = "SELECT * FROM ({}) AS candidate".format(
                    " UNION ALL ".join(f"({lookup})" for lookup in lookups)
                )
            rows: Any = connection.exec_driver_sql(sql.replace("%", "%%"))
        else:
            # One round trip for all of them: each keeps its own LIMIT inside its subquery.
            combined = union_all(*(select(lookup.subquery()) for lookup in lookups))  # type: ignore[union-attr]
            rows = connection.execute(combined if len(lookups) > 1 else lookups[0])  # type: ignore[arg-type]
        for row in rows:
            found.setdefault(row[0], _Candidate(*row))

    take(first)
    # The fragment look-up came back full and holds too few word-start matches to fill the
    # page, so some may lie beyond it: ask for those alone, so they still rank first.
    words = parsed.name.split()
    if (
        starts
        and sum(1 for c in found.values() if _holds(c, words, "")) >= CANDIDATES
        and sum(1 for c in found.values() if _holds(c, words, " ")) < limit
    ):
        take(starts)
    ranked = sorted(found.values(), key=lambda c: (_rank(c, parsed), c.name_norm, c.mrn))
    ids = [c.id for c in ranked[:limit]]
    if not ids:
        return []
    rows = session.scalars(
        select(Patient).where(Patient.tenant_id == tenant_id, Patient.id.in_(ids))
    )
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in ids if i in by_id]


def planned_lookups(
    dialect: str, tenant_id: uuid.UUID, query: str
) -> tuple[list[Lookup], list[Lookup]]:
    """The index look-ups a query makes: those that always run, and the word-start one that
    runs when the name-fragment look-up came back full. search_patients uses these on
    SQLite; on PostgreSQL it sends the same look-ups as text (_pg_lookups): keep them alike."""
    parsed = _parse(query)
    names = _Names(dialect, tenant_id)
    first: list[Lookup] = list(_identifier_lookups(names, parsed))
    starts: list[Lookup] = []
    if parsed.name and not parsed.has_digit:
        if len(parsed.name) < TRIGRAM:
            first.append(_first_word_lookup(names, parsed.name))
        else:
            words = parsed.name.split()
            first.append(_trigram_lookup(names, words, ""))
            starts.append(_trigram_lookup(names, words, " "))
    return first, starts


def _pg_lookups(tenant_id: uuid.UUID, parsed: _Query) -> tuple[list[str], list[str]]:
    """planned_lookups for PostgreSQL as SQL text: the same look-ups, with every value a
    literal, so the planner sees the patterns (see _prefix_lookup)."""
    base = f"SELECT {_KEY_SQL} FROM patient WHERE patient.tenant_id = '{tenant_id}'"

    def prefix(expression: str, value: str) -> str:
        pattern = _pg_literal(_escape_like(value) + "%")
        return (
            f"{base} AND {expression} LIKE {pattern} "
            f"ORDER BY {expression} USING ~<~ LIMIT {CANDIDATES}"
        )

    def trigram(words: list[str], lead: str) -> str:
        terms = [lead + word for word in words]
        indexed = [term for term in terms if len(term) >= TRIGRAM]
        checked = [term for term in terms if len(term) < TRIGRAM]
        if not indexed:
            indexed, checked = [lead + " ".join(words)], []
        conditions = [
            f"patient.name_norm LIKE {_pg_literal('%' + _escape_like(term) + '%')}"
            for term in indexed
        ]
        conditions += [f"strpos(patient.name_norm, {_pg_literal(term)}) > 0" for term in checked]
        return f"{base} AND {' AND '.join(conditions)} LIMIT {CANDIDATES}"

    idents = ", ".join(_pg_literal(value) for value in parsed.identifiers)
    if not parsed.has_digit:
        first = [
            f"{base} AND patient.mrn IN ({idents})",
            f"{base} AND patient.national_id IN ({idents})",
        ]
    else:
        first = [
            prefix(f"patient.{column}", value)
            for column in ("mrn", "national_id")
            for value in parsed.identifiers
        ]
        first += [prefix("patient.phone_norm", value) for value in parsed.phones]
    starts: list[str] = []
    if parsed.name and not parsed.has_digit:
        if len(parsed.name) < TRIGRAM:
            if is_arabic(parsed.name):
                first.append(prefix(ARABIC_SIDE["postgresql"], parsed.name))
            else:
                first.append(prefix("patient.name_norm", " " + parsed.name))
        else:
            words = parsed.name.split()
            first.append(trigram(words, ""))
            starts.append(trigram(words, " "))
    return first, starts


def _pg_literal(value: str) -> str:
    """A PostgreSQL escape-string constant. E'' reads backslashes the same way whatever the
    server's standard_conforming_strings says, so doubling them and the quotes is complete."""
    if "\x00" in value:
        raise ValueError("NUL in a search term")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _holds(candidate: _Candidate, words: list[str], lead: str) -> bool:
    return all(lead + word in candidate.name_norm for word in words)


def _rank(patient: _Candidate, query: _Query) -> int:
    idents = query.identifiers
    if (
        patient.mrn in idents
        or (patient.national_id is not None and patient.national_id in idents)
        or (query.phones and patient.phone_norm in query.phones)
    ):
        return EXACT
    if query.name and _holds(patient, query.name.split(), " "):
        return STARTS
    if query.has_digit and (
        patient.mrn.startswith(idents)
        or (patient.national_id or "").startswith(idents)
        or (query.phones and patient.phone_norm.startswith(query.phones))
    ):
        return STARTS
    return FRAGMENT


class _Names:
    """Unique bind-parameter names, so several look-ups can share one statement."""

    def __init__(self, dialect: str, tenant_id: uuid.UUID) -> None:
        self.dialect = dialect
        self.tenant_id = tenant_id
        self._count = 0

    def next(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"


def _identifier_lookups(names: _Names, query: _Query) -> list[Lookup]:
    """Seeks for MRN, national id and phone. A query with a digit is looked up as the start
    of each; one without can still be an MRN or national id typed whole, but is not taken as
    the start of one ("m" would otherwise list every MRN)."""
    if not query.has_digit:
        return [
            _base(names.tenant_id).where(_PATIENT.c.mrn.in_(query.identifiers)),
            _base(names.tenant_id).where(_PATIENT.c.national_id.in_(query.identifiers)),
        ]
    lookups = [
        _prefix_lookup(names, f"patient.{column}", value)
        for column in ("mrn", "national_id")
        for value in query.identifiers
    ]
    lookups += [_prefix_lookup(names, "patient.phone_norm", value) for value in query.phones]
    return lookups


def _base(tenant_id: uuid.UUID) -> Select[Any]:
    return select(*_KEYS).where(_PATIENT.c.tenant_id == tenant_id)


def _prefix_lookup(names: _Names, expression: str, prefix: str) -> Select[Any]:
    """The first CANDIDATES rows whose `expression` starts with prefix: one index range."""
    if names.dialect == "postgresql":
        # A literal pattern, not a bind parameter: a generic plan for `LIKE $1` cannot use the
        # text_pattern_ops index, and psycopg prepares a statement once it has run 5 times.
        pattern = names.next("pattern")
        condition = text(f"{expression} LIKE :{pattern}").bindparams(
            bindparam(pattern, _escape_like(prefix) + "%", literal_execute=True)
        )
    else:
        lo, hi = names.next("lo"), names.next("hi")
        condition = text(f"{expression} >= :{lo} AND {expression} < :{hi}").bindparams(
            bindparam(lo, prefix), bindparam(hi, prefix + _TOP)
        )
    # In index order, so the first CANDIDATES are a walk down one range, never a sort of every
    # match. On PostgreSQL that order is ~<~, the one text_pattern_ops keeps (a plain ORDER BY
    # under the database collation could not use the index).
    order = f"{expression} USING ~<~" if names.dialect == "postgresql" else expression
    return _base(names.tenant_id).where(condition).order_by(text(order)).limit(CANDIDATES)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _first_word_lookup(names: _Names, name: str) -> Select[Any]:
    if is_arabic(name):
        return _prefix_lookup(names, ARABIC_SIDE[names.dialect], name)
    return _prefix_lookup(names, "patient.name_norm", " " + name)


def _trigram_lookup(names: _Names, words: list[str], lead: str) -> Lookup:
    """The first CANDIDATES patients whose folded name holds every word, anywhere (lead "")
    or at the start of a name word (lead " "), in any order.

    Each word is its own index term rather than the query being one phrase: a phrase must
    also be adjacent, and proving that "sarah alqah" is nowhere means reading the huge
    posting lists of its common trigrams ("ah ", " al") to the end. Words too short for a
    trigram are checked on the rows the others found."""
    terms = [lead + word for word in words]
    indexed = [term for term in terms if len(term) >= TRIGRAM]
    checked = [term for term in terms if len(term) < TRIGRAM]
    if not indexed:
        indexed, checked = [lead + " ".join(words)], []
    params = []
    if names.dialect == "sqlite":
        tenant = names.next("tenant")
        params.append(bindparam(tenant, names.tenant_id.hex))
        match = " AND ".join('"' + term.replace('"', '""') + '"' for term in indexed)
        phrase = names.next("match")
        params.append(bindparam(phrase, match))
        filters = ""
        for term in checked:
            name = names.next("word")
            params.append(bindparam(name, term))
            filters += f" AND instr(patient.name_norm, :{name}) > 0"
        return (
            text(
                # CROSS JOIN fixes the loop order in SQLite: the full-text match drives and
                # each hit is one rowid seek into patient, whatever the statistics say.
                f"SELECT {_KEY_SQL} FROM patient_fts CROSS JOIN patient "
                "ON patient.rowid = patient_fts.rowid "
                f"WHERE patient_fts MATCH :{phrase} AND patient.tenant_id = :{tenant}"
                f"{filters} LIMIT {CANDIDATES}"
            )
            .bindparams(*params)
            .columns(*_KEYS)
        )
    # Literal patterns for the same reason as in _prefix_lookup: the planner must see them.
    conditions = []
    for term in indexed:
        name = names.next("pattern")
        conditions.append(
            text(f"patient.name_norm LIKE :{name}").bindparams(
                bindparam(name, "%" + _escape_like(term) + "%", literal_execute=True)
            )
        )
    for term in checked:
        name = names.next("word")
        conditions.append(
            text(f"strpos(patient.name_norm, :{name}) > 0").bindparams(bindparam(name, term))
        )
    return _base(names.tenant_id).where(*conditions).limit(CANDIDATES)


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
