"""A simulated brokerage end to end through the store: its webhooks processed (website activity
becomes listing interactions), its custom fields synced, its MLS feed imported, then matched with the
rule scorer: matches with reasons, buyers per listing, alerts enrolled for listings new to a lead."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.brokerage_load import load_and_process
from hub.listings.importer import import_listings
from hub.listings.matches import lead_matches, listing_buyers
from hub.listings.preferences import buyer_ids, explicit_preferences, save_custom_fields
from hub.simulator import SimulationConfig, simulate
from hub.simulator.exports import ghl_custom_fields, mls_feed_csv
from hub.store.engine import session_factory
from hub.store.models import Enrollment, Listing, ListingInteraction, ListingMatch
from hub.tenancy import register_location
from hub.workflows import publish_workflow
from hub.workflows.loader import load_workflow
from tasks.listing_matching import match_buyers

TEMPLATE = Path(__file__).resolve().parents[3] / "workflow_templates" / "listing_alert.yaml"


@pytest.fixture(scope="module")
def brokerage():  # type: ignore[no-untyped-def]
    return simulate(SimulationConfig(leads=90, days=21, seed=11, locations=1))


def test_simulated_brokerage_is_matched_from_the_store(brokerage, store_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    location = brokerage.world.locations[0]
    sessions = session_factory(store_engine)
    with sessions() as session, session.begin():
        register_location(session, location.id, name=location.name, timezone=location.timezone)
        save_custom_fields(session, location.id, ghl_custom_fields(location.custom_fields.values()))
    assert load_and_process(sessions, brokerage.deliveries) > 0
    end = max(d.arrival_at for d in brokerage.deliveries)

    with sessions() as session, session.begin():
        kinds = Counter(session.scalars(sa.select(ListingInteraction.kind)))
        # The IDX website's workflow webhooks reached the store as interactions.
        assert kinds["view"] > 0 and kinds["save"] > 0 and kinds["not_interested"] > 0
        report = import_listings(session, location.id, mls_feed_csv(location.listings), name="mls.csv")
        assert report.errors == [] and report.imported == len(location.listings)
        publish_workflow(session, load_workflow(TEMPLATE), now=end)

    with sessions() as session, session.begin():
        buyers = buyer_ids(session, location.id)
        explicit, unreadable = explicit_preferences(session, location.id, buyers)
        assert unreadable == 0 and explicit["budget_max"].notna().sum() > 0
        assert all(isinstance(areas, list) for areas in explicit["areas"].dropna())
        outcome = match_buyers(session, location.id, buyers, None, as_of=end, run_at=end)
    assert outcome.scorer == "rules" and outcome.matches > 0 and outcome.new_for > 0
    assert outcome.enrolled == outcome.new_for  # every buyer with new matches entered listing_alert

    with sessions() as session:
        rows = (
            session.execute(
                sa.select(ListingMatch, Listing.status).join(
                    Listing,
                    sa.and_(
                        Listing.location_id == ListingMatch.location_id, Listing.id == ListingMatch.listing_id
                    ),
                )
            )
            .tuples()
            .all()
        )
        assert {status for _, status in rows} == {"Active"}
        assert all(
            match.reasons and all(isinstance(r, str) and r for r in match.reasons) for match, _ in rows
        )
        rejected = set(
            session.execute(
                sa.select(ListingInteraction.contact_id, ListingInteraction.listing_id).where(
                    ListingInteraction.kind == "not_interested"
                )
            ).tuples()
        )
        assert not rejected & {(m.contact_id, m.listing_id) for m, _ in rows}
        contact_id, listing_id = rows[0][0].contact_id, rows[0][0].listing_id
        best = lead_matches(session, location.id, contact_id)
        assert [m.rank for m in best] == sorted(m.rank for m in best) and best[0].listing.status == "Active"
        assert contact_id in [b.contact_id for b in listing_buyers(session, location.id, listing_id)]
        assert session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == outcome.enrolled

    # The same data again: nothing is new to anyone, so nobody is enrolled again.
    later = end + timedelta(days=2)
    with sessions() as session, session.begin():
        again = match_buyers(session, location.id, buyers, None, as_of=end, run_at=later)
    assert again.matches == outcome.matches and again.new_for == 0 and again.enrolled == 0

    # The listing goes under contract: it leaves every pending match at once.
    with sessions() as session, session.begin():
        update = f"ListingKey,StandardStatus,ListPrice\n{listing_id},Pending,1\n".encode()
        assert import_listings(session, location.id, update).matches_removed >= 1
        assert listing_id not in [
            m.listing.listing_id for m in lead_matches(session, location.id, contact_id)
        ]
        assert listing_buyers(session, location.id, listing_id) == []
