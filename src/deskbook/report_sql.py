"""What the reports' SQL shares: money and rates as the reports print them, minutes between
two columns on either engine, and a column SQLite's planner must not seek."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    # SQLite hands back floats for NUMERIC arithmetic; str() keeps what it printed.
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else Decimal(0)


def minutes(session: Session, start: Any, end: Any) -> Any:
    """end - start in minutes, as SQL on either engine, for timestamps and for times of day
    (SQLite reads a bare time as a moment of 2000-01-01)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 60
    return (func.julianday(end) - func.julianday(start)) * 1440


def scanned(session: Session, column: Any) -> Any:
    """column as SQLite's planner cannot seek it (+column, the documented way to keep a term
    from choosing an index), for reads that cover most of the tenant's rows. PostgreSQL weighs
    a scan against a seek itself, from its statistics."""
    if session.get_bind().dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)
