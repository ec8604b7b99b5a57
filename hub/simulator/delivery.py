"""From events to HTTP deliveries: envelope, compact JSON, signature, and GHL's delivery noise.

Every marketplace event gets the envelope real deliveries carry (ghl-api.md §1.3): `appId`,
`versionId`, a UUID `webhookId` per delivery and a `timestamp` (send time, later than the
resource's `dateAdded`). The body is compact JSON, signed with Ed25519 over its exact bytes
(`X-GHL-Signature`, §2.1–2.2). Workflow-action deliveries are unsigned and carry axios headers
(§1.1). Noise: a share of signed deliveries is delivered twice with identical bytes 10–70 minutes
apart (a 429 retry, §4.2), and arrival = send time + network delay with a heavy tail, sorted by
arrival, so a contact's events sometimes arrive out of order.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from hub.simulator import signing
from hub.simulator.identifiers import Draws, iso_ms

Route = Literal["ghl", "workflow"]
MINUTE_MS = 60_000
_SIGN_BATCH = 2_048


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP POST as the receiver would see it: route, headers and the exact body bytes."""

    seq: int
    arrival_at: datetime
    route: Route
    location_id: str
    headers: dict[str, str]
    body: bytes

    @property
    def signed(self) -> bool:
        """Whether the delivery carries an `X-GHL-Signature` (workflow-action webhooks never do)."""
        return "x-ghl-signature" in self.headers

    def payload(self) -> Any:
        """The decoded JSON body."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Noise:
    """How GHL's delivery misbehaves."""

    duplicate_rate: float
    late_rate: float


# Compact separators as GHL (Node's JSON.stringify) sends them; UTF-8, not \\u escapes. One
# encoder for all: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _encode(payload: dict[str, Any]) -> bytes:
    return _ENCODER.encode(payload).encode("utf-8")


def _network_delay_ms(draws: Draws, noise: Noise) -> int:
    delay = 40 + draws.lognormal_ms(250.0, 0.9)
    if draws.chance(noise.late_rate):
        delay += int(draws.between(1.0, 20.0) * MINUTE_MS)  # a backlog on GHL's side
    return delay


class Timeline:
    """Events as they happen, each enveloped and encoded at once (only its bytes are kept).

    Events outside the window are dropped. The envelope's `timestamp` is the send time: the event
    time plus GHL's processing lag.
    """

    def __init__(self, start_ms: int, end_ms: int, draws: Draws, app_id: str, version_id: str) -> None:
        self.start_ms, self.end_ms = start_ms, end_ms
        self._draws, self._app_id, self._version_id = draws, app_id, version_id
        # (send_ms, route, location_id, body, kind): kind is the type, or workflow:<event>
        self.records: list[tuple[int, Route, str, bytes, str]] = []
        self.counts: Counter[str] = Counter()

    def add(self, ms: int, payload: dict[str, Any], location_id: str, route: Route = "ghl") -> bool:
        """Record an event happening at `ms`; False (nothing recorded) when it falls outside the window."""
        if not self.start_ms <= ms < self.end_ms:
            return False
        draws = self._draws
        if route == "ghl":
            kind = payload["type"]
            send_ms = ms + 60 + draws.exponential_ms(600.0)
            if "appId" not in payload:  # INSTALL carries them as its own fields
                payload["appId"] = self._app_id
                payload["versionId"] = self._version_id
            payload["webhookId"] = draws.uuid()
            payload["timestamp"] = iso_ms(send_ms)
        else:
            kind = f"workflow:{payload['customData']['event']}"
            send_ms = ms + 800 + draws.exponential_ms(3_000.0)  # the workflow runs first
        self.counts[kind] += 1
        self.records.append((send_ms, route, location_id, _encode(payload), kind))
        return True


def _moment(ms: int) -> datetime:
    # Integer arithmetic: ms / 1000 as a float could land a microsecond short of the millisecond.
    return datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=(ms % 1000) * 1000)


def _sign_batch(batch: list[tuple[dict[str, str], bytes]]) -> None:
    for headers, body in batch:
        headers["x-ghl-signature"] = signing.sign(body)


def deliver(timeline: Timeline, draws: Draws, noise: Noise) -> tuple[list[Delivery], dict[str, int]]:
    """Sign and schedule every event of the timeline.

    Returns the deliveries in arrival order and how many there are of each event type
    (`workflow:<event>` for website events), duplicates included.
    """
    pending: list[tuple[int, int, Route, str, dict[str, str], bytes]] = []
    counts = Counter(timeline.counts)
    batch: list[tuple[dict[str, str], bytes]] = []
    # Ed25519 signing releases the GIL, so two worker threads sign finished batches while this
    # thread schedules; signatures are deterministic, so the output does not depend on scheduling.
    with ThreadPoolExecutor(max_workers=2) as signers:
        jobs: list[Future[None]] = []
        for order, (send_ms, route, location_id, body, kind) in enumerate(timeline.records):
            if route == "ghl":
                headers = {"content-type": "application/json"}  # + x-ghl-signature, by a signer
                batch.append((headers, body))
                if len(batch) == _SIGN_BATCH:
                    jobs.append(signers.submit(_sign_batch, batch))
                    batch = []
            else:
                headers = {
                    "content-type": "application/json",
                    "accept": "application/json, text/plain, */*",
                    "user-agent": "axios/1.13.2",
                    "traceparent": f"00-{draws.hex(32)}-{draws.hex(16)}-01",
                }
            arrival_ms = send_ms + _network_delay_ms(draws, noise)
            pending.append((arrival_ms, 2 * order, route, location_id, headers, body))
            if route == "ghl" and draws.chance(noise.duplicate_rate):
                retry_ms = arrival_ms + int(draws.between(10.0, 70.0) * MINUTE_MS)
                pending.append((retry_ms, 2 * order + 1, route, location_id, headers, body))
                counts[kind] += 1
        jobs.append(signers.submit(_sign_batch, batch))
        for job in jobs:
            job.result()
    pending.sort(key=lambda item: (item[0], item[1]))
    deliveries = [
        Delivery(seq, _moment(arrival_ms), route, location_id, headers, body)
        for seq, (arrival_ms, _, route, location_id, headers, body) in enumerate(pending)
    ]
    return deliveries, dict(sorted(counts.items()))


def redeliveries(deliveries: list[Delivery]) -> int:
    """How many signed deliveries repeat an earlier one (GHL retries: same webhookId, same bytes)."""
    signed = [d.headers["x-ghl-signature"] for d in deliveries if d.signed]
    return len(signed) - len(set(signed))  # Ed25519 is deterministic: same bytes, same signature


def repeated_workflow_bodies(deliveries: list[Delivery]) -> int:
    """Workflow deliveries whose body equals an earlier one's (e.g. the same listing viewed twice).

    They are distinct events, not retries: workflow payloads have no id or time (ghl-api.md §1.1),
    so deduplicating them by body hash alone would drop real activity.
    """
    bodies = [d.body for d in deliveries if not d.signed]
    return len(bodies) - len(set(bodies))
