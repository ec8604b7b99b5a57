"""Prometheus metrics: counters where the work happens, gauges read from the store at scrape time.

This module holds the counters (light: the GHL client imports it); the store's gauges and the
scrape itself are hub.dashboard.prometheus.

    hub_webhook_deliveries_total{route, outcome, reason}   API: accepted / duplicate / rejected (why)
    hub_webhook_commit_seconds                             API: wall time of each intake group commit
    hub_webhook_commit_deliveries                          API: deliveries per intake group commit
    hub_ghl_rate_limited_total{endpoint, location}         GHL client: answers with 429
    hub_events_unprocessed{location}                       store: deliveries waiting for processing
    hub_processing_lag_seconds{location}                   store: now - oldest unprocessed arrival
    hub_send_ledger_entries{location, channel, status}     store: sends by outcome
    hub_model_champion_info{kind, version}                 registry: the model each kind scores with
    hub_store_up                                           1 if the store answered this scrape

The API and the task worker are separate processes, so anything the worker does is either read
from the store at scrape time (the same numbers whichever replica is scraped) or, for the GHL
client's 429s, which are stored nowhere, counted with prometheus-client's multiprocess mode: set
PROMETHEUS_MULTIPROC_DIR to one empty directory for every process of the stack and `/metrics`
adds up all of their counters (docs/dashboard.md).

Labels carry ids and outcomes only, never a token, key or URL (a workflow webhook's URL holds the
location's secret).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from prometheus_client import Counter, Histogram

log = logging.getLogger(__name__)

# Set for every process of the stack to add up their counters (prometheus-client multiprocess mode).
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

WEBHOOK_DELIVERIES = Counter(
    "hub_webhook_deliveries",
    "Webhook deliveries answered by the API: accepted (new), duplicate (redelivery), or rejected "
    "with the reason.",
    ["route", "outcome", "reason"],
)
GHL_RATE_LIMITED = Counter(
    "hub_ghl_rate_limited",
    "GHL API answers with 429 Too Many Requests (each one is retried after the rate-limit interval).",
    ["endpoint", "location"],
)


_unwritable: set[str] = set()


def _increment(counter: Counter, metric: str, **labels: str) -> None:
    _guarded(lambda: counter.labels(**labels).inc(), metric)


def _guarded(record: Callable[[], None], metric: str) -> None:
    try:
        record()
    except OSError as exc:
        # Counting must never fail the work it counts (a GHL call, a webhook answer). In
        # multiprocess mode a missing or unwritable directory loses the count; say so once.
        if metric not in _unwritable:
            _unwritable.add(metric)
            log.warning(
                "metrics: cannot record %s (%s: %s); check %s",
                metric,
                type(exc).__name__,
                exc.strerror,
                MULTIPROCESS_DIR_ENV,
            )


def record_delivery(route: str, outcome: str, reason: str = "") -> None:
    """Count one webhook delivery the API answered; `reason` only for rejections."""
    _increment(WEBHOOK_DELIVERIES, "hub_webhook_deliveries", route=route, outcome=outcome, reason=reason)


@functools.cache
def _intake_commit_histograms() -> tuple[Histogram, Histogram]:
    # Created on first use, not at import: in multiprocess mode a metric without labels opens its
    # file when it is created, and a process that never commits (the task worker) needs none.
    # Every 2xx of the receiver waits for its group's commit: its latency is the answer's floor.
    seconds = Histogram(
        "hub_webhook_commit_seconds",
        "Wall time of one durable group commit of webhook deliveries (insert + fsync), seconds.",
        buckets=(0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0),
    )
    deliveries = Histogram(
        "hub_webhook_commit_deliveries",
        "Deliveries committed together in one intake group commit.",
        buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    )
    return seconds, deliveries


def observe_intake_commit(seconds: float, deliveries: int) -> None:
    """Record one group commit of the webhook receiver: its wall time and how many it committed."""

    def record() -> None:
        seconds_histogram, deliveries_histogram = _intake_commit_histograms()
        seconds_histogram.observe(seconds)
        deliveries_histogram.observe(deliveries)

    _guarded(record, "hub_webhook_commit_seconds")


def record_ghl_rate_limited(endpoint: str, location_id: str) -> None:
    """Count one 429 answer from GHL."""
    _increment(GHL_RATE_LIMITED, "hub_ghl_rate_limited", endpoint=endpoint, location=location_id)
