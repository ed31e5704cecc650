"""Random sequences of booking, cancelling and rescheduling on one purchase never break
invariant 4 (session numbers 1..k in start order) nor the quota."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskbook.errors import DeskError
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World

# (operation, slot index): book at a slot, or cancel / reschedule the n-th live appointment.
OPS = st.lists(
    st.tuples(st.sampled_from(["book", "cancel", "move"]), st.integers(0, 11)),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_session_numbers_stay_one_to_k(world: World, ops: list[tuple[str, int]]) -> None:
    d = world.login()
    patient = world.patient()
    purchase = world.purchase(patient, world.slp10, quota=4)
    base = future_day(2 + world.counter[0] % 40)  # each example its own days
    slots = [at(base, 8 + n) for n in range(10)]
    for op, n in ops:
        live = [a for a in d.appointments_of(patient) if a.status != "CANCELLED"]
        try:
            if op == "book":
                d.book(
                    patient,
                    world.slp,
                    world.amal if n % 2 else world.badr,
                    slots[n % 10],
                    purchase_id=purchase,
                )
            elif live and op == "cancel":
                d.cancel(live[n % len(live)].id, "")
            elif live:
                d.reschedule(live[n % len(live)].id, slots[(n * 7) % 10])
        except DeskError:
            pass
        live = sorted(
            (a for a in d.appointments_of(patient) if a.status != "CANCELLED"),
            key=lambda a: a.start,
        )
        assert [a.session_number for a in live] == list(range(1, len(live) + 1))
        assert len(live) <= 4
