from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from hub.store.event_log import append_events
from hub.store.models import Event
from tests.hub.store.builders import make_delivery

# A small key alphabet so that repeats (within a batch and across batches) are common.
keys = st.sampled_from([f"wh-{i}" for i in range(12)])
batches = st.lists(st.lists(keys, max_size=8), min_size=1, max_size=6)


@settings(
    max_examples=40,
    deadline=None,
    # The store is emptied at the start of every example, so sharing the function-scoped session
    # across examples is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=batches)
def test_the_log_holds_each_unique_key_once_with_its_first_delivery(
    session: Session, batches: list[list[str]]
) -> None:
    session.execute(sa.delete(Event))
    first_seen: dict[str, int] = {}
    new_total = 0
    position = 0
    for batch in batches:
        deliveries = []
        for key in batch:
            first_seen.setdefault(key, position)
            deliveries.append(make_delivery(delivery_key=key, payload={"position": position}))
            position += 1
        new_total += append_events(session, deliveries)
    session.commit()

    stored: dict[str, dict[str, int]] = dict(
        session.execute(sa.select(Event.delivery_key, Event.payload)).tuples().all()
    )
    assert set(stored) == set(first_seen)
    assert new_total == len(first_seen)
    assert {key: payload["position"] for key, payload in stored.items()} == first_seen
