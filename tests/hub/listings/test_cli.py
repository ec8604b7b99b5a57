"""`hub listings import` and `hub listings custom-fields` through the real command line app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hub.cli import app
from hub.errors import ListingImportError
from hub.settings import get_settings
from hub.store.models import CustomFieldDefinition, Listing
from tests.hub.listings.builders import feed, feed_row
from tests.hub.workflows.builders import add_location


@pytest.fixture
def hub_store(monkeypatch: pytest.MonkeyPatch, db_url: str, store_engine: Engine) -> Iterator[Engine]:
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    get_settings.cache_clear()
    with Session(store_engine) as session, session.begin():
        add_location(session)
    # No Prefect server for these commands, even when the session's test harness (tests/flows)
    # has put one into Prefect's settings context, which outranks the environment.
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield store_engine
    get_settings.cache_clear()


def test_import_and_custom_fields_commands(hub_store: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    fields = tmp_path / "fields.json"
    fields.write_text(
        json.dumps({"customFields": [{"id": "f1", "name": "Budget", "fieldKey": "contact.budget"}]})
    )
    done = runner.invoke(app, ["listings", "custom-fields", str(fields), "--location", "L1"])
    assert done.exit_code == 0, done.output
    assert "1 custom fields stored for L1; preferences read from: budget" in done.output

    good_and_bad = tmp_path / "feed.csv"
    good_and_bad.write_bytes(feed(feed_row("A1"), feed_row("A2", Zip="787 04!")))
    done = runner.invoke(app, ["listings", "import", str(good_and_bad), "--location", "L1", "--no-announce"])
    assert done.exit_code == 1  # something was rejected: scripts can tell
    assert (
        "row 2 (line 3), listing A2, field PostalCode (column 'Zip'): '787 04!' is not a postal code"
        in done.output
    )
    assert "1 of 2 listings imported into L1 (1 new, 0 updated, 1 rejected" in done.output

    report = runner.invoke(app, ["listings", "import", str(good_and_bad), "--location", "L1", "--json"])
    assert json.loads(report.stdout)["updated"] == 1
    assert "run `hub run match-listings`" in report.stderr  # no Prefect server to tell

    broken = tmp_path / "broken.csv"
    broken.write_text("ListingKey,Cost\nA9,1\n")
    done = runner.invoke(app, ["listings", "import", str(broken), "--location", "L1"])
    # `hub` (hub.cli.main) prints a HubError as one red line and exits 2.
    assert isinstance(done.exception, ListingImportError)
    assert "missing required column(s): StandardStatus" in str(done.exception)
    assert "not recognised: Cost" in str(done.exception)

    with Session(hub_store) as session:
        assert session.scalars(sa.select(Listing.id)).all() == ["A1"]
        assert session.scalars(sa.select(CustomFieldDefinition.key)).all() == ["budget"]
