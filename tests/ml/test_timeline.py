"""The lead timeline: one typed row per lead event, from deliveries or from domain events."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd

from hub.events import domain as d
from hub.simulator import Simulation
from ml.catalog import CrmCatalog
from ml.features.columns import source_code
from ml.profiles import PROFILE_COLUMNS, TIMELINE_COLUMNS
from ml.timeline import LeadEvent, Timeline, build_timeline
from tests.ml.builders import LOCATION, at, make_contact, make_message


def test_timeline_has_every_column_typed_and_sorted_by_lead_and_time(timeline: Timeline) -> None:
    events = timeline.events
    assert list(events.columns) == list(TIMELINE_COLUMNS)
    assert isinstance(events["at"].dtype, pd.DatetimeTZDtype)
    assert events["engagement"].dtype == bool
    assert events["price"].dtype == float
    for _, rows in events.groupby("contact_id"):
        assert rows["at"].is_monotonic_increasing


def test_redelivered_webhooks_count_once(sim: Simulation, timeline: Timeline) -> None:
    inbound_ids = {
        body["webhookId"]
        for body in (json.loads(x.body) for x in sim.deliveries if x.route == "ghl")
        if body["type"] == "InboundMessage"
    }
    duplicates = sum(1 for x in sim.deliveries if x.route == "ghl") - len(
        {json.loads(x.body)["webhookId"] for x in sim.deliveries if x.route == "ghl"}
    )
    assert duplicates > 0, "the simulation should contain 429 redeliveries to make this test meaningful"
    rows = timeline.events[
        (timeline.events["kind"] == "message") & (timeline.events["direction"] == "inbound")
    ]
    assert len(rows) == len(inbound_ids)


def test_profiles_are_the_lead_as_created(sim: Simulation, timeline: Timeline) -> None:
    profiles = timeline.profiles
    assert list(profiles.columns) == list(PROFILE_COLUMNS)
    truth = sim.oracle.leads.set_index("contact_id")
    assert set(profiles["contact_id"]) == set(truth.index)
    joined = profiles.merge(truth, left_on="contact_id", right_index=True, suffixes=("", "_true"))
    assert (joined["created_at"] == joined["created_at_true"]).all()
    assert (joined["intent"] == joined["intent_true"]).all()
    assert (joined["known_at"] >= joined["created_at"]).all()
    # Sources arrive as GHL spells them ("Facebook Lead Ad"); the simulator's labels are short names.
    ours = [source_code(s) for s in joined["source"]]
    assert ours == [source_code(s.replace("_", " ")) for s in joined["source_true"]]
    assert len(set(ours)) == 6


def test_stages_and_custom_fields_are_resolved_through_the_catalog(
    timeline: Timeline, catalog: CrmCatalog
) -> None:
    opportunities = timeline.events[timeline.events["kind"] == "opportunity"]
    assert set(opportunities["stage"].dropna()) <= {s.name for s in catalog.stages.values()}
    assert opportunities["stage_position"].notna().all()
    contacts = timeline.events[
        (timeline.events["kind"] == "contact") & (timeline.events["action"] != "partial")
    ]
    assert contacts["budget"].notna().mean() > 0.3
    assert set(contacts["stated_timeline"].dropna()) <= {
        "0-3 months",
        "3-6 months",
        "6-12 months",
        "12+ months",
    }


def test_email_stats_are_matched_to_the_lead_holding_the_address(timeline: Timeline) -> None:
    emails = timeline.events[timeline.events["kind"] == "email"]
    assert len(emails) > 100
    assert Counter(emails["action"])["opened"] > 0
    assert emails["contact_id"].notna().all()


def test_opt_out_texts_are_not_engagement() -> None:
    stream = [
        make_contact(),
        make_message(at(hours=1), body="STOP"),
        make_message(at(hours=2), body="stop texting me"),
        make_message(at(hours=3), body="Can we see it Saturday?"),
        make_message(at(hours=4), body="START"),
    ]
    rows = build_timeline(stream).events
    messages = rows[rows["kind"] == "message"].reset_index(drop=True)
    assert messages["opt"].tolist() == ["opt_out", "opt_out", None, "opt_in"]
    assert messages["engagement"].tolist() == [False, False, True, False]
    assert messages["high_intent"].tolist() == [False, False, True, False]


def test_email_event_before_the_address_is_known_stays_unattributed() -> None:
    stats = d.EmailEvent(kind=d.EmailEventKind.OPENED, raw_event="opened", recipient="late@example.com")
    stream = [
        make_contact("lead-1", email=None),
        LeadEvent(LOCATION, None, at(hours=1), stats),
        make_contact("lead-1", at(hours=2), created=False, email="late@example.com"),
        LeadEvent(LOCATION, None, at(hours=3), stats),
    ]
    rows = build_timeline(stream).events
    opened = rows[rows["kind"] == "email"]
    # Only the open after the address became known is the lead's: a later address never rewrites the past.
    assert opened["at"].tolist() == [pd.Timestamp(at(hours=3))]


def test_events_of_no_lead_are_left_out() -> None:
    install = d.AppInstallChanged(installed=True, app_id="app")
    unknown = d.Unknown(type="InvoiceCreate", payload={})
    stream = [
        make_contact(),
        LeadEvent(LOCATION, None, at(), install),
        LeadEvent(LOCATION, "lead-1", at(), unknown),
    ]
    assert build_timeline(stream).events["kind"].tolist() == ["contact"]


def test_empty_stream_gives_empty_typed_frames() -> None:
    timeline = build_timeline([])
    assert timeline.events.empty and list(timeline.events.columns) == list(TIMELINE_COLUMNS)
    assert timeline.profiles.empty
