"""train_listing_ranker as real Prefect flow runs on a real store holding a small simulated brokerage:
trained from what the store holds, compared with the rule scorer on the held-out later window,
promoted only when it wins, and then served by match_listings; clear errors on too little data."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from flows.match_listings import match_listings
from flows.train_listing_ranker import train_listing_ranker
from hub.errors import TrainingDataError
from hub.settings import get_settings
from hub.store.models import ListingInteraction, ListingMatch
from ml.matching import MATCH_KIND
from ml.matching.simulated import SimulatedMatching
from ml.registry import ModelRegistry
from tasks.listing_ranker_training import load_history
from tests.hub.listings.builders import add_listing
from tests.hub.workflows.builders import add_lead, add_location
from tests.ml.matching.store_brokerage import simulated_brokerage, write_brokerage

EVERY_DAYS = 6.0  # half the default cutoffs: the same split rules, half the training time


@pytest.fixture(scope="module")
def brokerage() -> tuple[SimulatedMatching, datetime]:
    return simulated_brokerage()


@pytest.fixture
def as_of(
    monkeypatch: pytest.MonkeyPatch, hub_env: Path, brokerage: tuple[SimulatedMatching, datetime]
) -> datetime:
    """The brokerage's "now" is the end of its simulated window (as the demo sets it)."""
    end = brokerage[1]
    monkeypatch.setenv("HUB_ML_AS_OF", end.isoformat())
    get_settings.cache_clear()
    return end


def _artifact(key: str) -> str:
    async def read() -> str:
        async with get_client() as client:
            found = [a for a in await client.read_artifacts() if a.key == key]
            return str(max(found, key=lambda a: a.created).data) if found else ""

    return asyncio.run(read())


def _top_matches(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.execute(
            sa.select(ListingMatch.contact_id, ListingMatch.listing_id).where(ListingMatch.rank == 1)
        )
        return {contact: listing for contact, listing in rows}


def test_trains_from_the_store_promotes_over_the_rules_and_match_listings_serves_it(
    prefect_server: None,
    hub_env: Path,
    store_engine: Engine,
    brokerage: tuple[SimulatedMatching, datetime],
    as_of: datetime,
) -> None:
    data, end = brokerage
    with Session(store_engine) as session, session.begin():
        written = write_brokerage(session, data, end)
    assert written > 2000
    by_rules = match_listings()
    assert {s["scorer"] for s in by_rules} == {"rules"}
    rules_top = _top_matches(store_engine)

    result = train_listing_ranker(every_days=EVERY_DAYS)

    metrics = result["metrics"]
    assert result["promoted"] is True, result["reason"]
    assert metrics["candidate"]["ndcg@10"] > metrics["rules"]["ndcg@10"]
    assert metrics["candidate"]["buyers"] == metrics["rules"]["buyers"] > 50
    registry = ModelRegistry(get_settings().ml.registry_dir)
    assert registry.champion_version(MATCH_KIND) == result["version"]
    _, meta = registry.load_booster(str(result["version"]))
    # Labels end where the held-out window starts: the time split held.
    assert meta["held_out"]["split"]["labels_end"] <= meta["held_out"]["split"]["test_window"][0]
    artifact = _artifact("listing-ranker-summary")
    assert "**promoted**" in artifact and "| candidate |" in artifact and "| rules |" in artifact

    by_model = match_listings()
    assert {s["scorer"] for s in by_model} == {f"model:{result['version']}"}
    model_top = _top_matches(store_engine)
    shared = set(rules_top) & set(model_top)
    assert len(shared) > 50
    changed = sum(rules_top[c] != model_top[c] for c in shared)
    assert changed > len(shared) // 4  # the promoted ranker really reorders buyers' matches


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_ranker_that_loses_to_the_rules_is_registered_but_not_promoted(
    prefect_server: None,
    hub_env: Path,
    store_engine: Engine,
    brokerage: tuple[SimulatedMatching, datetime],
    as_of: datetime,
) -> None:
    """Scramble which listing each interaction before the held-out window was with: the model can
    only learn noise, while the rules still read the buyers' stated preferences."""
    data, end = brokerage
    test_at = pd.Timestamp(end - timedelta(days=14))

    def scrambled(log: pd.DataFrame) -> pd.Series:
        rng = np.random.default_rng(3)
        listing = log["listing_id"].copy()
        for location, rows in log[log["at"] <= test_at].groupby("location_id").groups.items():
            pool = data.feed.loc[data.feed["location_id"] == location, "listing_id"].to_numpy()
            listing.loc[rows] = rng.choice(pool, size=len(rows))
        return listing

    with Session(store_engine) as session, session.begin():
        write_brokerage(session, data, end, listing_of=scrambled)

    result = train_listing_ranker(every_days=EVERY_DAYS)

    assert result["promoted"] is False
    assert "does not beat the rule scorer's" in str(result["reason"])
    registry = ModelRegistry(get_settings().ml.registry_dir)
    assert registry.versions(MATCH_KIND) == [result["version"]]  # registered, for the record
    assert registry.champion_version(MATCH_KIND) is None
    assert "**not promoted**" in _artifact("listing-ranker-summary")
    assert {s["scorer"] for s in match_listings()} == {"rules"}


T_END = datetime.fromisoformat("2026-05-01T00:00:00+00:00")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_too_little_held_out_data_fails_with_the_counts(
    prefect_server: None, hub_env: Path, store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_ML_AS_OF", T_END.isoformat())
    get_settings.cache_clear()
    with Session(store_engine) as session, session.begin():
        add_location(session)
        add_lead(session, contact_id="C1")
        for n in range(6):
            add_listing(session, f"H{n}", list_price=400_000.0 + 10_000 * n)
        # Two months of one buyer's browsing; three new listings in the last 14 days.
        for day, listing in ((60, "H0"), (45, "H1"), (30, "H2"), (10, "H3"), (5, "H4"), (2, "H5")):
            session.add(
                ListingInteraction(
                    location_id="L1",
                    contact_id="C1",
                    listing_id=listing,
                    kind="view",
                    at=T_END - timedelta(days=day),
                )
            )
    with pytest.raises(
        TrainingDataError, match=r"need at least 30 interactions in the held-out window .*; have 3 "
    ):
        train_listing_ranker()
    assert not ModelRegistry(get_settings().ml.registry_dir).versions(MATCH_KIND)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_history_keeps_locations_apart(store_engine: Engine) -> None:
    """Listing and contact ids are only unique within a location: the same MLS id in two locations
    stays two listings, and each interaction keeps its own location's listing."""
    with Session(store_engine) as session, session.begin():
        for location, price in (("L1", 300_000.0), ("L2", 900_000.0)):
            add_location(session, location)
            add_lead(session, location, "C1")
            add_listing(session, "MLS1", location, list_price=price)
            session.add(
                ListingInteraction(
                    location_id=location, contact_id="C1", listing_id="MLS1", kind="save", at=T_END
                )
            )
    with Session(store_engine) as session:
        history = load_history(session, None, until=T_END)
        only_l2 = load_history(session, "L2", until=T_END)
    assert sorted(history.listings["listing_id"]) == ["L1:MLS1", "L2:MLS1"]
    assert history.listings.set_index("listing_id")["list_price"].to_dict() == {
        "L1:MLS1": 300_000.0,
        "L2:MLS1": 900_000.0,
    }
    assert sorted(
        zip(history.interactions["contact_id"], history.interactions["listing_id"], strict=True)
    ) == [
        ("L1:C1", "L1:MLS1"),
        ("L2:C1", "L2:MLS1"),
    ]
    assert list(only_l2.listings["listing_id"]) == ["L2:MLS1"] and only_l2.locations == ["L2"]
