"""What the dispatch benchmarks share: the GHL stand-in in its own process, a throw-away store,
a seeded population of due `send_sms` steps, and a zone where it is calling hours now.

Used by bench/bench_dispatch.py (rate against GHL's limit) and bench/bench_first_sms.py (new-lead
webhook → first text).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.cli.processes import free_port, managed_process
from hub.ghl.standin_admin import StandinAdmin
from hub.store.engine import make_engine, migrate

NOW = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)  # Thursday 12:00 in Chicago: inside every calling window
LIMIT, INTERVAL_S = 100, 10.0  # GHL: 100 requests per 10 s per location
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONSENT = {"source": "website form", "at": "2026-08-01T12:00:00Z", "wording": "I agree to automated texts"}
COMPLIANCE = {
    "business_name": "Oak Realty",
    "unsubscribe_url": "https://hub.example/u/{location_id}/{contact_id}",
    "sms_consent_policy": {"wording": "By submitting you agree to automated texts from us", "sources": ["*"]},
}
ONE_TEXT = """
id: bench_text
name: Bench - one text
steps:
  - {id: hello, type: send_sms, body: "Hi {{ contact.first_name }}, thanks for your interest!"}
"""


def token(location_id: str) -> str:
    return f"tok-bench-{location_id}"


@contextmanager
def standin_process(workdir: Path) -> Iterator[str]:
    """The GHL stand-in in its own process, with GHL's default limits; yields its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "hub.cli", "ghl-standin", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with managed_process(argv, {}, workdir / "standin.log", f"{url}/_standin/requests"):
        yield url


@contextmanager
def bench_database(url: str | None, workdir: Path) -> Iterator[str]:
    """The store: the given URL, else a fresh PostgreSQL database on the local server (dropped after)."""
    if url:
        yield url
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        fallback = f"sqlite:///{workdir / 'bench.db'}"
        print(f"(no PostgreSQL at {PG_ADMIN}: using {fallback})")
        yield fallback
        return
    try:
        yield sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, standin: str, locations: list[str], leads: int) -> None:
    from hub.store.models import Contact, Enrollment, Location
    from hub.workflows.enrollment import publish_workflow
    from hub.workflows.loader import parse_workflow

    migrate(url)
    engine = make_engine(url)
    admin = StandinAdmin(standin)
    with Session(engine) as session, session.begin():
        for location_id in locations:
            session.add(
                Location(
                    id=location_id,
                    name=f"Bench Realty {location_id}",
                    timezone="America/Chicago",
                    postal_address="100 Congress Ave, Austin, TX 78701",
                    compliance=COMPLIANCE,
                )
            )
        session.flush()
        version = publish_workflow(session, parse_workflow(ONE_TEXT, "bench.yaml"), now=NOW).version
    contacts, enrollments = [], []
    for n in range(leads):
        for i, location_id in enumerate(locations):
            contact_id = f"C{n:05d}"
            contacts.append(
                {
                    "location_id": location_id,
                    "id": contact_id,
                    "first_name": "Dana",
                    "name": f"Dana {n}",
                    "phone": f"+1512555{n:04d}",
                    "timezone": "America/Chicago",
                    "consent": CONSENT,
                    "tags": [],
                    "custom_fields": {},
                    "dnd_channels": {},
                }
            )
            enrollments.append(
                {
                    "location_id": location_id,
                    "contact_id": contact_id,
                    "workflow_id": "bench_text",
                    "workflow_version": version,
                    "status": "active",
                    "current_step_id": "hello",
                    # Interleaved by location, as leads of many brokerages arrive: each claimed batch
                    # spans many locations, so no worker waits on one location's rate limit.
                    "next_run_at": NOW - timedelta(hours=1) + timedelta(milliseconds=n * len(locations) + i),
                    "started_at": NOW - timedelta(hours=1),
                    "variants": {},
                    "context": {"visits": {"hello": 1}, "trigger": {}},
                }
            )
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact.__table__), contacts)
        conn.execute(sa.insert(Enrollment.__table__), enrollments)
    engine.dispose()
    for location_id in locations:
        admin.register_location(location_id, token(location_id))
        ghl = [
            {
                "id": c["id"],
                "firstName": "Dana",
                "phone": c["phone"],
                "dnd": False,
                "dndSettings": {"SMS": {"status": "inactive"}},
            }
            for c in contacts
            if c["location_id"] == location_id
        ]
        admin.seed_contacts(location_id, ghl)
    admin.clear_requests()
    admin.close()


def allowed_zone() -> str:
    """An IANA zone where it is now between 11:00 and 17:00 (the lead's calling hours, with margin)."""
    now = datetime.now(UTC)
    candidates = sorted(
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    preferred = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu"]
    for zone in preferred + candidates:
        if 11 <= now.astimezone(ZoneInfo(zone)).hour < 17:
            return zone
    raise AssertionError("some zone is always at midday")
