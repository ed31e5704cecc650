"""How long a desk waits before it is told the database is unreachable, and how it comes back.

    python bench/outage.py            # needs the PostgreSQL of DESKBOOK_TEST_PG_URL

A TCP proxy (deskbook.testing.tcp_proxy) stands in front of the server; the shared server itself is
never stopped. Reports, for a Desk call: the time to DatabaseError when the server is down
(connections reset and refused), when it is silent (accepts, never answers), and the first
call after it is back; a link that stalls under a live connection (ended by the call deadline,
DESKBOOK_CALL_DEADLINE, 30 s unless set); a booking whose COMMIT answer is lost, then sent
again under its request id; and what the deadline costs a call. Also the time of a failed
login for an unknown user and for a known one with a wrong password, which should be alike
(one argon2 verification each).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import make_url

from deskbook import Desk
from deskbook.db.deadline import call_deadline
from deskbook.errors import DeskError
from deskbook.testing.clock import future_day
from deskbook.testing.databases import fresh_database
from deskbook.testing.soak_seed import PASSWORD, seed_clinic
from deskbook.testing.tcp_proxy import TcpProxy


def timed(call: Callable[[], object]) -> tuple[float, str]:
    began = time.perf_counter()
    try:
        call()
        outcome = "ok"
    except DeskError as exc:
        outcome = type(exc).__name__
    return (time.perf_counter() - began) * 1000, outcome


def show(what: str, call: Callable[[], object]) -> None:
    ms, outcome = timed(call)
    print(f"{what:<34} {ms:8.1f} ms  {outcome}")


def main() -> None:
    with fresh_database("postgres") as fresh:
        url = make_url(fresh)
        seed = seed_clinic(fresh, patients=20, desks=2)
        with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
            through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
            with Desk.open(through) as desk:
                d = desk.login(seed.desk_usernames[0], PASSWORD)
                provider = seed.provider_ids[0]
                service = seed.provider_services[provider][0]
                day = future_day(1)
                start = d.free_slots(provider, service, day)[0]
                booking = (seed.patient_ids[0], service, provider, start)

                def search() -> object:
                    return d.search_patients("rash")

                show("search, server up", search)
                proxy.down()
                show("search, server down", search)
                show("book, server down", lambda: d.book(*booking))
                proxy.silent()
                show("search, server silent", search)
                proxy.up()
                show("search, first call after it is back", search)
                show("book, after it is back", lambda: d.book(*booking))
                d.search_patients("rash")  # a live connection in the pool, then silence
                proxy.stall()
                show("search, link stalled", search)
                proxy.up()
                show("search, after the stall", search)
                rid, later = uuid.uuid4(), d.free_slots(provider, service, day)[0]
                lost = (seed.patient_ids[1], service, provider, later)
                cut = proxy.cut_at_next_answer
                event.listen(desk.engine, "commit", lambda _conn: cut(), once=True)
                show("book, answer to COMMIT lost", lambda: d.book(*lost, request_id=rid))
                show("book, re-sent with its id", lambda: d.book(*lost, request_id=rid))
                n = 200
                began = time.perf_counter()
                for _ in range(n):
                    d.search_patients("rash")
                per_call = (time.perf_counter() - began) / n * 1000
                began = time.perf_counter()
                for _ in range(n):
                    with call_deadline(30, "bench"):
                        pass
                timer = (time.perf_counter() - began) / n * 1000
                print(f"search, mean of {n}: {per_call:.2f} ms; the deadline's part {timer:.3f} ms")
                unknown = [timed(lambda: desk.login("nobody", "x"))[0] for _ in range(12)]
                wrong = [
                    timed(lambda: desk.login(seed.desk_usernames[1], "x"))[0] for _ in range(4)
                ]
                print(
                    f"failed login, unknown user: median {statistics.median(unknown):.1f} ms; "
                    f"wrong password: median {statistics.median(wrong):.1f} ms"
                )


if __name__ == "__main__":
    main()
