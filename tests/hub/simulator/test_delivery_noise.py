"""GHL's delivery noise: 429 re-deliveries with identical bytes, and out-of-order arrival."""

from __future__ import annotations

from collections import defaultdict

from hub.simulator import Simulation

from .labels import ms

MINUTE_MS = 60_000


def test_deliveries_are_in_arrival_order_with_contiguous_seq(sim: Simulation) -> None:
    assert [d.seq for d in sim.deliveries] == list(range(len(sim.deliveries)))
    arrivals = [d.arrival_at for d in sim.deliveries]
    assert arrivals == sorted(arrivals)


def test_duplicates_share_webhook_id_and_bytes_and_come_10_to_70_minutes_later(sim: Simulation) -> None:
    by_id = defaultdict(list)
    signed = [d for d in sim.deliveries if d.route == "ghl"]
    for delivery in signed:
        by_id[delivery.payload()["webhookId"]].append(delivery)
    repeated = [group for group in by_id.values() if len(group) > 1]
    share = len(repeated) / len(by_id)
    assert 0.005 < share < 0.03, share
    for first, again in repeated:
        assert first.body == again.body and first.headers == again.headers
        gap = (again.arrival_at - first.arrival_at).total_seconds() / 60
        assert 10 <= gap <= 70


def test_arrival_is_after_send_time(sim: Simulation) -> None:
    for delivery in sim.deliveries:
        if delivery.route == "ghl":
            assert int(delivery.arrival_at.timestamp() * 1000) >= ms(delivery.payload()["timestamp"])


def test_some_events_of_a_contact_arrive_before_earlier_ones(sim: Simulation) -> None:
    seen: set[bytes] = set()
    last: dict[str, int] = {}
    inversions = 0
    for delivery in sim.deliveries:
        body = delivery.payload()
        if (
            delivery.route != "ghl"
            or delivery.body in seen
            or body["type"] not in ("InboundMessage", "OutboundMessage", "NoteCreate")
        ):
            continue
        seen.add(delivery.body)
        at = ms(body["dateAdded"])
        if at < last.get(body["contactId"], 0):
            inversions += 1
        last[body["contactId"]] = max(at, last.get(body["contactId"], 0))
    assert inversions >= 10


def test_each_location_is_installed_before_its_other_traffic(sim: Simulation) -> None:
    first_event: dict[str, str] = {}
    installs = defaultdict(set)
    for delivery in sim.deliveries:
        body = delivery.payload()
        if delivery.route == "ghl":
            first_event.setdefault(body["locationId"], body["type"])
            if body["type"] == "INSTALL":
                installs[body["locationId"]].add(body["webhookId"])
    assert set(first_event) == {location.id for location in sim.world.locations}
    assert all(kind == "INSTALL" for kind in first_event.values())
    assert all(len(ids) == 1 for ids in installs.values())
