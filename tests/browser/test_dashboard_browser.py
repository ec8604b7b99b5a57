"""The dashboard in headless Chromium against the real API process.

Signed GHL webhooks go in over HTTP and are processed the way the background task does it
(drain the location, then wake the live feed through Redis); the page must show the new lead in
its live feed without a reload, and the leads table must show rows from the store.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from hub.cli.processes import api_process
from hub.events.drain import drain_location
from hub.live_feed import notify_activity
from hub.simulator.signing import TEST_PUBLIC_KEY_PEM, sign
from hub.store.engine import make_engine, session_factory
from hub.store.models import Score
from hub.tenancy import register_location
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.slow  # the API process's start-up is most of the ~20 s

LOCATION = "LocMaple01"
TIMEOUT_MS = 15_000


@dataclass
class Stack:
    api: str
    api_key: str
    store_url: str
    redis_url: str


def contact_created(contact_id: str, name: str, source: str) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    first, last = name.split()
    payload: dict[str, Any] = {
        "type": "ContactCreate",
        "locationId": LOCATION,
        "id": contact_id,
        "webhookId": f"wh-{contact_id}",
        "timestamp": now,
        "dateAdded": now,
        "name": name,
        "firstName": first,
        "lastName": last,
        "email": f"{first.lower()}@example.com",
        "source": source,
        "tags": ["buyer"],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def replay_and_process(stack: Stack, body: bytes) -> None:
    """POST a signed delivery, then process it as the background task does and wake the feed."""
    response = httpx.post(
        f"{stack.api}/webhooks/ghl",
        content=body,
        headers={"x-ghl-signature": sign(body), "content-type": "application/json"},
    )
    assert response.json()["status"] == "accepted", response.text
    engine = make_engine(stack.store_url)
    client = redis.Redis.from_url(stack.redis_url)
    try:
        report = drain_location(
            session_factory(engine), LOCATION, on_activity=lambda loc: notify_activity(client, loc)
        )
    finally:
        client.close()
        engine.dispose()
    assert report.processed == 1 and report.errors == 0


@pytest.fixture(scope="module")
def stack(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One API process for the module (its start-up is most of the run time)."""
    tmp_path = tmp_path_factory.mktemp("dashboard")
    redis_url = REDIS_URL.rsplit("/", 1)[0] + "/9"  # the tests' Redis database (tests/conftest.py)
    redis.Redis.from_url(redis_url).flushdb()
    store = tmp_path / "hub.db"
    shutil.copyfile(sqlite_template, store)
    store_url = f"sqlite:///{store}"
    engine = make_engine(store_url)
    with Session(engine) as session, session.begin():
        credentials = register_location(session, LOCATION, name="Maple Realty", timezone="America/Chicago")
    env = {
        "HUB_DATABASE_URL": store_url,
        "HUB_PROCESSING_ENABLED": "false",  # processed in the test, exactly as the task does it
        "HUB_REDIS_URL": redis_url,
        "HUB_WEBHOOK_ED25519_PUBLIC_KEY": TEST_PUBLIC_KEY_PEM,
    }
    with api_process(env, tmp_path / "api.log") as api:
        stack = Stack(api, credentials.api_key, store_url, redis_url)
        replay_and_process(stack, contact_created("CtHot01", "Hattie Hill", "Zillow"))
        replay_and_process(stack, contact_created("CtCold02", "Carl Cole", "Open house"))
        with Session(engine) as session, session.begin():
            # What the scorer writes for a lead (tasks/lead_scoring.py).
            session.add(
                Score(
                    location_id=LOCATION,
                    contact_id="CtHot01",
                    kind="conversion",
                    model_version="conversion-7d-test",
                    probability=0.64,
                    tier="hot",
                    reasons=[{"feature": "replies_24h", "text": "replied to 3 texts in 24 h", "impact": 0.9}],
                )
            )
        engine.dispose()
        yield stack


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def test_a_replayed_webhook_appears_live_and_the_leads_come_from_the_store(stack: Stack, page: Page) -> None:
    console: list[str] = []
    urls: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("request", lambda request: urls.append(request.url))

    page.goto(f"{stack.api}/dashboard#key={stack.api_key}")

    # Signed in from the fragment, which is then dropped from the address bar.
    expect(page.locator("#location-name")).to_contain_text("Maple Realty")
    assert stack.api_key not in page.url
    expect(page.locator("#live-status")).to_have_text("Live")

    # The leads table: rows from the store, hottest first, with the score's reasons.
    rows = page.locator("#leads tbody tr")
    expect(rows).to_have_count(2)
    hot = page.locator('#leads tbody tr[data-contact="CtHot01"]')
    expect(hot).to_contain_text("Hattie Hill")
    expect(hot).to_contain_text("64%")
    expect(hot).to_contain_text("replied to 3 texts in 24 h")
    expect(rows.first).to_have_attribute("data-contact", "CtHot01")
    expect(page.locator('#feed li[data-kind="lead_created"]')).to_have_count(2)
    expect(page.locator("#kpi-leads")).to_have_text("2")

    page.evaluate("window.__sameDocument = true")
    replay_and_process(stack, contact_created("CtLive03", "Lena Lake", "Website"))

    live = page.locator('#feed li[data-contact="CtLive03"][data-kind="lead_created"]')
    expect(live).to_have_count(1)
    expect(live).to_contain_text("Lena Lake")
    expect(page.locator("#feed li").first).to_have_attribute("data-contact", "CtLive03")
    # ...and the panels follow the feed: the new lead is counted and listed, still without a reload.
    expect(page.locator("#kpi-leads")).to_have_text("3")
    expect(page.locator('#leads tbody tr[data-contact="CtLive03"]')).to_contain_text("Lena Lake")
    assert page.evaluate("window.__sameDocument") is True

    # The key travelled in headers only: never in a URL, never in the console.
    assert not [url for url in urls if stack.api_key in url]
    assert not [text for text in console if stack.api_key in text]


def test_a_wrong_key_is_refused_on_the_sign_in_form(stack: Stack, page: Page) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{stack.api}/dashboard")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#api-key", "hub_not-a-real-key")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("not valid")
    expect(page.locator("#app")).to_be_hidden()

    page.fill("#api-key", stack.api_key)
    page.click("#login-form button[type=submit]")
    expect(page.locator('#leads tbody tr[data-contact="CtHot01"]')).to_be_visible()
    assert not [text for text in console if stack.api_key in text]
