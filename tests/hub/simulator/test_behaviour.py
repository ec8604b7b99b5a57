"""Behaviour follows the latent state: what leads do, what agents do, STOP and DND."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from hub.simulator import Simulation
from hub.simulator.texts import START_KEYWORDS, STOP_KEYWORDS, STOP_PHRASES

from .labels import OPT_TEXTS, WEBSITE_ENGAGEMENT, ms

MINUTE_MS = 60_000


def _unique(sim: Simulation) -> list[tuple[Any, dict[str, Any]]]:
    seen: set[bytes] = set()
    out = []
    for delivery in sim.deliveries:
        if delivery.route == "ghl" and delivery.body in seen:
            continue
        seen.add(delivery.body)
        out.append((delivery, delivery.payload()))
    return out


def _per_contact(sim: Simulation) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for delivery, body in _unique(sim):
        if delivery.route == "workflow":
            counts[body["contact_id"]][body["customData"]["event"]] += 1
        elif body["type"] == "InboundMessage" and body["body"] not in OPT_TEXTS:
            counts[body["contactId"]]["reply"] += 1
        elif body["type"] == "AppointmentCreate":
            counts[body["appointment"]["contactId"]]["booked"] += 1
    return counts


def test_leads_with_higher_true_conversion_probability_engage_more(sim: Simulation) -> None:
    oracle = sim.oracle.leads
    counts = _per_contact(sim)
    p = oracle["p_convert_14d_at_arrival"].to_numpy()
    for what in ("reply", "property_viewed", "booked"):
        n = np.array([counts[c][what] for c in oracle["contact_id"]])
        rho = pd.Series(p).corr(pd.Series(n), method="spearman")
        top, bottom = n[p >= np.quantile(p, 2 / 3)].mean(), n[p <= np.quantile(p, 1 / 3)].mean()
        assert rho > 0.2 and top > 1.5 * bottom, (what, rho, top, bottom)


def test_views_follow_the_leads_latent_taste(sim: Simulation) -> None:
    listings = {listing.listing_id: listing for listing in sim.world.listings}
    by_contact = {c: i for i, c in enumerate(sim.leads.contact_id)}
    gaps, random_gaps, in_area = [], [], []
    rng = np.random.default_rng(0)
    for delivery, body in _unique(sim):
        if delivery.route != "workflow" or body["customData"]["event"] != "property_viewed":
            continue
        i = by_contact[body["contact_id"]]
        location = sim.world.locations[int(sim.leads.location[i])]
        listing = listings[body["customData"]["listing_id"]]
        budget = sim.leads.budget[i]
        gaps.append(abs(np.log(listing.list_price / budget)))
        other = location.listings[rng.integers(len(location.listings))]
        random_gaps.append(abs(np.log(other.list_price / budget)))
        in_area.append(listing.city in {location.markets[m].name for m in sim.leads.markets[i]})
    assert len(gaps) > 500
    assert np.mean(gaps) < 0.6 * np.mean(random_gaps)
    assert np.mean(in_area) > 0.75


def test_stop_is_followed_by_no_inbound_engagement_until_start(sim: Simulation) -> None:
    events: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for delivery, body in _unique(sim):
        if delivery.route == "workflow":
            if body["customData"]["event"] in WEBSITE_ENGAGEMENT:
                # Arrival is after the event; allow for the delivery delay when ordering.
                at = int(delivery.arrival_at.timestamp() * 1000) - 30 * MINUTE_MS
                events[body["contact_id"]].append((at, "engaged"))
        elif body["type"] == "InboundMessage":
            text = body["body"]
            kind = (
                "stop"
                if text in STOP_KEYWORDS + STOP_PHRASES
                else "start"
                if text in START_KEYWORDS
                else "engaged"
            )
            events[body["contactId"]].append((ms(body["dateAdded"]), kind))
    stops = 0
    for timeline in events.values():
        opted_out = False
        for _, kind in sorted(timeline):
            if kind == "stop":
                opted_out, stops = True, stops + 1
            elif kind == "start":
                opted_out = False
            else:
                assert not opted_out, "inbound engagement between a STOP and the next START"
    assert stops >= 5


def test_keyword_stop_sets_sms_dnd_and_no_sms_goes_out_while_it_is_on(sim: Simulation) -> None:
    per_contact: dict[str, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    for delivery, body in _unique(sim):
        if delivery.route == "ghl" and body["type"] in (
            "InboundMessage",
            "OutboundMessage",
            "ContactDndUpdate",
        ):
            at = ms(body["timestamp"] if body["type"] == "ContactDndUpdate" else body["dateAdded"])
            per_contact[body.get("contactId") or body["id"]].append((at, body["type"], body))
    keyword_stops = 0
    for timeline in per_contact.values():
        timeline.sort(key=lambda item: item[0])
        sms_dnd = False
        for position, (at, kind, body) in enumerate(timeline):
            if kind == "ContactDndUpdate":
                sms_dnd = body["dndSettings"]["SMS"]["status"] == "active"
            elif kind == "OutboundMessage" and body["messageType"] == "SMS":
                assert not sms_dnd, "an SMS went out while SMS DND was active"
            elif kind == "InboundMessage" and body["body"] in STOP_KEYWORDS:
                keyword_stops += 1
                after = [
                    b for t, k, b in timeline[position + 1 :] if k == "ContactDndUpdate" and t - at < 10_000
                ]
                assert after and after[0]["dndSettings"]["SMS"]["status"] == "active"
    assert keyword_stops >= 3


def test_agents_differ_in_speed_to_lead(sim: Simulation) -> None:
    created: dict[str, tuple[int, str]] = {}
    first_touch: dict[str, int] = {}
    for _, body in _unique(sim):
        if body.get("type") == "ContactCreate":
            created[body["id"]] = (ms(body["dateAdded"]), body["assignedTo"])
        elif body.get("type") == "OutboundMessage" and body.get("source") == "app":
            first_touch.setdefault(body["contactId"], ms(body["dateAdded"]))
    delays: dict[str, list[float]] = defaultdict(list)
    for contact, (at, agent) in created.items():
        if contact in first_touch:
            delays[agent].append((first_touch[contact] - at) / MINUTE_MS)
    medians = [np.median(v) for v in delays.values() if len(v) >= 10]
    assert len(medians) >= 6
    assert max(medians) > 4 * min(medians)


def test_outcomes_happen(sim: Simulation) -> None:
    oracle = sim.oracle.leads
    assert 0.1 < oracle["converted"].mean() < 0.6
    assert (oracle["won_day"] >= 0).sum() >= 5
    assert (oracle["opted_out_day"] >= 0).sum() >= 5
    assert (oracle["went_cold_day"] >= 0).sum() >= 20
    statuses = {b["status"] for _, b in _unique(sim) if b.get("type") == "OpportunityStatusUpdate"}
    assert {"won", "lost"} <= statuses
    appointments = {
        b["appointment"]["appointmentStatus"] for _, b in _unique(sim) if b.get("type") == "AppointmentUpdate"
    }
    assert {"showed", "noshow"} <= appointments
