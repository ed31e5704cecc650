"""The look-ups of patient search, described once (Equal, Prefix, Words, Digits), and their
rendering as SQL text for each engine (see deskbook.db.search for how a query uses them).
The duplicate check and the near misses run the same look-ups (run_lookups)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

MAX_RESULTS = 50
CANDIDATES = 100
TRIGRAM = 3
LONG_WORD = 5  # letters from which a word start is looked up as the bare word (Sql._words)
_TOP = "\U0010ffff"  # sorts after every character: lo <= x < lo + _TOP means x starts with lo

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


# -- rendering: the same description as SQL text on both engines -----------------------------

_KEYS = "patient.id, patient.name_norm, patient.mrn, patient.national_id, patient.phone_norm"


class Sql:
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
        if lookup.lead:
            # A long word is looked up without its leading space and checked at a word start
            # on the rows found: " m"-style trigrams (a space and a first letter) head the
            # largest posting lists of both indexes, and reading them was most of the cost
            # of "Mohammad Al Rashid" at a million patients (PostgreSQL 41 -> 32 ms, SQLite
            # FTS5 1.8 -> 1.0 ms CPU). A long word is rarely inside another word, so few rows
            # found fail the check. A short word keeps the space: "ali" inside a word is
            # everywhere.
            long = [term for term in indexed if len(term) > LONG_WORD]
            indexed = [term for term in indexed if len(term) <= LONG_WORD]
            indexed += [term[len(lookup.lead) :] for term in long]
            checked += long
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


def union(selects: list[str], all_rows: bool = True) -> str:
    if len(selects) == 1:
        return selects[0]
    glue = " UNION ALL " if all_rows else " UNION "
    return glue.join(f"SELECT * FROM ({sql}) AS lookup_{n}" for n, sql in enumerate(selects))


def run(session: Session, sql: Sql, statement: str) -> Any:
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


def as_uuid(value: Any) -> uuid.UUID:
    # SQLite hands back the stored hex text: driver SQL skips SQLAlchemy's Uuid type.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


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
    sql = Sql(session.get_bind().dialect.name, tenant_id)
    selects = [sql.render(lookup, n, lookup.limit, keys=True) for n, lookup in enumerate(lookups)]
    return [
        Match(row[0], as_uuid(row[1]), row[2], row[5]) for row in run(session, sql, union(selects))
    ]
