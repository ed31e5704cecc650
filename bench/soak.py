"""Soak: N processes as N front-desk terminals on one database, then every invariant.

    python bench/soak.py --engine postgres --processes 16 --seconds 600
    python bench/soak.py --engine sqlite --processes 8 --seconds 600

Without --db it makes a fresh database (a SQLite file in a temporary folder, or a new database
on the PostgreSQL server of DESKBOOK_TEST_PG_URL), migrates it, seeds the stress clinic, runs,
checks, prints the tally and drops the database (keep it with --keep). Exit status 0 only when
there were no violations, no unexpected errors and exactly one audit event per write.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from deskbook.testing.databases import fresh_database
from deskbook.testing.soak import SoakReport, run_soak


def print_report(report: SoakReport, command: str) -> None:
    data = report.as_dict()
    print(f"$ {command}")
    print(
        f"{data['engine']}: {data['processes']} processes x {data['seconds']} s, "
        f"{data['ops_total']:,} operations ({sum(report.tally.ops.values()):,} succeeded, "
        f"{sum(report.tally.errors.values()):,} refused with a typed error)"
    )
    print("succeeded by operation: " + ", ".join(f"{k} {v:,}" for k, v in data["ops_ok"].items()))
    print(
        "refused by type: "
        + (", ".join(f"{k} {v:,}" for k, v in data["errors_by_type"].items()) or "none")
    )
    print("refused by operation: " + (", ".join(f"{k} {v:,}" for k, v in data["errors"].items())))
    print(
        "nothing to do (no free slot / no live appointment): "
        + ", ".join(f"{k} {v:,}" for k, v in data["skipped"].items())
    )
    for key, message in data["messages"].items():
        print(f"  {key}: {message}")
    print(f"writes {data['writes_ok']:,}, audit events {data['audit_events']:,}")
    print(f"unexpected errors (bugs): {data['unexpected']}")
    print(f"invariant violations: {data['violations'] or 0}")
    for trace in data["tracebacks"]:
        print(trace)
    print("SOUND" if report.sound else "NOT SOUND")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--providers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="a migrated, empty database to use instead of a fresh one")
    parser.add_argument("--keep", action="store_true", help="do not drop the fresh database")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="deskbook-soak-"))
    with contextlib.ExitStack() as stack:
        url = args.db or stack.enter_context(fresh_database(args.engine, folder, keep=args.keep))
        report = run_soak(
            url,
            processes=args.processes,
            seconds=args.seconds,
            patients=args.patients,
            providers=args.providers,
            seed=args.seed,
        )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print_report(report, "python bench/soak.py " + " ".join(argv or sys.argv[1:]))
    if args.keep:
        print(f"database kept: {make_url(url).render_as_string(hide_password=True)}")
    return 0 if report.sound else 1


if __name__ == "__main__":
    sys.exit(main())
