"""What one `/metrics` scrape answers: the counters (this process's, or every process's in multiprocess
mode) plus gauges read from the store and the model registry.

See hub/metrics.py for the list of metrics and why the worker's numbers come from the store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub.dashboard.intake import backlog_by_location
from hub.errors import ConfigError
from hub.metrics import MULTIPROCESS_DIR_ENV
from hub.store.models import Location, SendLedgerEntry
from hub.store.models.base import utcnow

log = logging.getLogger(__name__)
CHAMPION_FILE = "CHAMPION"  # ml/registry.py's documented layout: <root>/<kind>/CHAMPION names the version


def champion_versions(registry_dir: Path) -> dict[str, str]:
    """Model kind -> its champion's version, read from the registry folder without loading models."""
    champions: dict[str, str] = {}
    for marker in sorted(Path(registry_dir).glob(f"*/{CHAMPION_FILE}")):
        version = marker.read_text(encoding="utf-8").strip()
        if version:
            champions[marker.parent.name] = version
    return champions


class StoreCollector:
    """Gauges computed from the store (and the model registry) on every scrape."""

    def __init__(self, engine: Engine, registry_dir: Path | None = None) -> None:
        self._engine = engine
        self._registry_dir = registry_dir

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("hub_store_up", "1 if the store answered this scrape's queries, else 0.")
        try:
            families = self._store_families()
        except sa.exc.SQLAlchemyError as exc:
            # The scrape still answers (with the API's own counters), and says the store is down.
            log.warning("metrics: the store did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
        else:
            up.add_metric([], 1)
            yield up
            yield from families
        if self._registry_dir is not None:
            yield self._champions(self._registry_dir)

    def _store_families(self) -> list[Metric]:
        now = utcnow()
        with Session(self._engine) as session:
            locations = list(session.scalars(sa.select(Location.id).order_by(Location.id)))
            backlogs = {b.location_id: b for b in backlog_by_location(session)}
            ledger = session.execute(
                sa.select(
                    SendLedgerEntry.location_id,
                    SendLedgerEntry.channel,
                    SendLedgerEntry.status,
                    sa.func.count(),
                ).group_by(SendLedgerEntry.location_id, SendLedgerEntry.channel, SendLedgerEntry.status)
            ).all()
        unprocessed = GaugeMetricFamily(
            "hub_events_unprocessed", "Logged deliveries not processed yet.", labels=["location"]
        )
        lag = GaugeMetricFamily(
            "hub_processing_lag_seconds",
            "Now minus the arrival of the oldest unprocessed delivery (0 when none waits).",
            labels=["location"],
        )
        # Registered locations always report (a 0 is information); unregistered ones only while a
        # delivery for them waits (an INSTALL arrives before its location row).
        for location_id in sorted({*locations, *backlogs}):
            backlog = backlogs.get(location_id)
            unprocessed.add_metric([location_id], backlog.unprocessed if backlog else 0)
            lag.add_metric([location_id], backlog.lag_seconds(now) if backlog else 0.0)
        sends = GaugeMetricFamily(
            "hub_send_ledger_entries",
            "Send-ledger entries by outcome (reserved, sent, failed, suppressed, deferred, unknown).",
            labels=["location", "channel", "status"],
        )
        for location_id, channel, status, count in sorted(ledger):
            sends.add_metric([location_id, channel, status], count)
        return [unprocessed, lag, sends]

    @staticmethod
    def _champions(registry_dir: Path) -> Metric:
        info = InfoMetricFamily(
            "hub_model_champion", "The promoted model version each kind scores leads with.", labels=["kind"]
        )
        try:
            champions = champion_versions(registry_dir)
        except OSError as exc:
            log.warning("metrics: cannot read the model registry at %s (%s)", registry_dir, exc.strerror)
            champions = {}
        for kind, version in champions.items():
            info.add_metric([kind], {"version": version})
        return info


class _ThisProcess:
    """This process's own counters (the default registry), when not in multiprocess mode."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def render_metrics(engine: Engine, registry_dir: Path | None = None) -> bytes:
    """The Prometheus text exposition of every hub metric, as one scrape answers it."""
    registry = CollectorRegistry()
    shared = os.environ.get(MULTIPROCESS_DIR_ENV)
    if shared:
        if not Path(shared).is_dir():
            raise ConfigError(
                MULTIPROCESS_DIR_ENV,
                f"is {shared!r}, which is not a directory; create it (empty) before starting the "
                "processes, or unset it to report this process's counters only",
            )
        MultiProcessCollector(registry, path=shared)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(StoreCollector(engine, registry_dir))
    return generate_latest(registry)
