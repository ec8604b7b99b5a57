"""Deriving conversion / engagement days from deliveries alone, the way a later ML issue must."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from hub.simulator import Simulation
from hub.simulator.texts import START_KEYWORDS, STOP_KEYWORDS, STOP_PHRASES

DAY_MS = 86_400_000
OPT_TEXTS = set(STOP_KEYWORDS) | set(STOP_PHRASES) | set(START_KEYWORDS)
WEBSITE_ENGAGEMENT = {"property_viewed", "property_saved", "showing_requested", "not_interested"}


def ms(iso: str) -> int:
    """Epoch milliseconds of an ISO time."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def observed_days(sim: Simulation) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(converted, engaged) per lead and day, from deliveries only (duplicates removed by webhookId)."""
    index = {contact: i for i, contact in enumerate(sim.leads.contact_id)}
    n, days = sim.leads.n, sim.config.days
    start = sim.config.start_ms
    converted = np.zeros((n, days), dtype=bool)
    engaged = np.zeros((n, days), dtype=bool)
    seen: set[str] = set()
    for delivery in sim.deliveries:
        body = delivery.payload()
        if delivery.route == "workflow":
            if body["customData"]["event"] in WEBSITE_ENGAGEMENT:
                # No event time in a workflow payload: the arrival time is all a receiver has.
                day = (int(delivery.arrival_at.timestamp() * 1000) - start) // DAY_MS
                if day < days:
                    engaged[index[body["contact_id"]], day] = True
            continue
        if body["webhookId"] in seen:
            continue
        seen.add(body["webhookId"])
        kind = body["type"]
        if kind == "InboundMessage" and body["body"] not in OPT_TEXTS:
            engaged[index[body["contactId"]], (ms(body["dateAdded"]) - start) // DAY_MS] = True
        elif kind == "AppointmentCreate":
            appointment = body["appointment"]
            converted[index[appointment["contactId"]], (ms(appointment["dateAdded"]) - start) // DAY_MS] = (
                True
            )
        elif kind == "OpportunityStatusUpdate" and body["status"] == "won":
            # The event time of a status change is only in the envelope's send `timestamp`.
            converted[index[body["contactId"]], (ms(body["timestamp"]) - start) // DAY_MS] = True
    return converted, engaged
