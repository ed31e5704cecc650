"""Patient search benchmark: p50 / p95 / max over a fixed mix of queries at 1,000,000 patients.

    python bench/search_bench.py --db sqlite:////work/benchdata/bench.db
    python bench/search_bench.py --db postgresql+psycopg://postgres@127.0.0.1/deskbook_bench

The same code as `deskbook bench --db URL`; the database is built on first use and reused.
"""

from __future__ import annotations

import argparse

from deskbook.benchmarks import run_bench_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", help="database URL (may be repeated)")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=None, help="passes over the mix")
    args = parser.parse_args()
    for url in args.db or [None]:
        run_bench_command(url, patients=args.patients, rounds=args.rounds)


if __name__ == "__main__":
    main()
