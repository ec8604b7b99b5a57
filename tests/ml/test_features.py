"""Feature values on a hand-made lead whose right answers can be worked out by hand."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hub.events import domain as d
from ml.features import BY_NAME, FEATURE_NAMES, FEATURES, features_for_lead
from ml.timeline import build_timeline
from tests.ml.builders import at, make_appointment, make_contact, make_message, make_view

AS_OF = at(days=3, hours=12)  # Thursday 2026-03-05 21:00 UTC


@pytest.fixture(scope="module")
def values() -> dict[str, float]:
    stream = [
        make_contact(),
        make_message(
            at(minutes=5), inbound=False, sender=d.Sender.AUTOMATION, body="Thanks for reaching out"
        ),
        make_message(at(minutes=30), inbound=False, body="Hi, this is Sam"),
        make_message(at(days=1), body="Is 12 Oak St still available?"),
        make_message(at(days=1, hours=1), inbound=False, body="Yes! Want to see it?"),
        make_view(at(days=2), listing="L1", price=400_000, beds=3, city="Round Rock"),
        make_view(at(days=2, hours=1), listing="L2", price=500_000, beds=4, city="Cedar Park"),
        make_view(
            at(days=2, hours=2), listing="L1", price=400_000, beds=3, kind=d.ListingInteractionKind.SAVE
        ),
        make_message(at(days=3, hours=1), body="Can we tour it Saturday?"),
        make_message(at(days=3, hours=2), body="Just looking at options, maybe next year"),
        make_appointment(at(days=3, hours=3), starts=at(days=5)),
        # After the cutoff: must not count.
        make_message(at(days=4), body="Never mind"),
    ]
    timeline = build_timeline(stream)
    return features_for_lead(timeline.events, timeline.profiles.iloc[0], AS_OF)


def test_there_are_at_least_50_documented_features() -> None:
    assert len(FEATURES) >= 50
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    for feature in FEATURES:
        assert feature.meaning and feature.sources and feature.phrase, feature.name
        windows = {"1 d", "3 d", "7 d", "30 d", "decayed", "ever", "latest", "profile"}
        assert feature.window in windows, feature.name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lead_age_days", 3.5),
        ("sms_replies_1d", 2),
        ("sms_replies_7d", 3),
        ("engagements_7d", 6),
        ("engagements_1d", 2),
        ("active_days_7d", 3),
        ("listing_views_30d", 2),
        ("listing_saves_30d", 1),
        ("distinct_listings_viewed_30d", 2),
        ("viewed_price_max_30d", 500_000),
        ("viewed_price_typical_30d", math.exp((2 * math.log(400_000) + math.log(500_000)) / 3)),
        ("viewed_beds_mean_30d", 10 / 3),
        ("viewed_areas_30d", 2),
        ("saves_per_view_30d", 0.5),
        ("speed_to_lead_minutes", 30),
        ("agent_touches_total", 2),
        ("agent_response_hours", 1.0),
        ("agent_reply_share_30d", 1 / 3),
        # Their answer to our 09:30 text came 23.5 h later; to our day-1 reply 48 h later; the
        # second text on day 3 followed their own, so it is no response time.
        ("sms_response_hours", (23.5 + 48) / 2),
        ("days_since_last_inbound_message", 10 / 24),
        ("outbound_since_last_reply", 0),
        ("outbound_messages_7d", 3),
        ("automated_outbound_30d", 1),
        ("high_intent_messages_30d", 1),
        ("low_intent_messages_30d", 1),
        # Intent levels (ml.intent): "still available?" 2, "tour it Saturday?" 3, "maybe next year" 0.
        ("last_message_intent", 0),
        ("mean_message_intent_7d", 5 / 3),
        ("days_since_ready_message", 11 / 24),
        ("days_since_evaluating_message", 11 / 24),
        ("days_since_stalling_message", 10 / 24),
        ("engagements_3d", 6),
        # Ages in days of the six engagements: 2.5, 1.5, 1.5 - 1/24, 1.5 - 2/24, 11/24, 10/24.
        (
            "engagement_decayed_2d",
            sum(math.exp(-age / 2) for age in (2.5, 1.5, 1.5 - 1 / 24, 1.5 - 2 / 24, 11 / 24, 10 / 24)),
        ),
        ("opted_out_now", 0),
        ("appointments_booked_total", 1),
        ("upcoming_appointment", 1),
        ("inbound_share_30d", 0.5),
        ("source_code", 0),
        ("is_seller", 0),
        ("dnd_sms", 0),
    ],
)
def test_feature_value(values: dict[str, float], name: str, expected: float) -> None:
    assert values[name] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_unknown_values_are_nan_not_zero(values: dict[str, float]) -> None:
    assert math.isnan(values["email_response_hours"])  # they never answered an e-mail
    assert math.isnan(values["stage_position"])  # no opportunity in the stream
    assert math.isnan(values["budget"])
    assert math.isnan(values["agent_calls_answered_share_30d"])  # we never called
    assert math.isnan(values["days_since_last_email_open"])


def test_opted_out_now_follows_the_latest_consent_text() -> None:
    stream = [
        make_contact(),
        make_message(at(days=1), body="STOP"),
        make_message(at(days=2), body="START"),
        make_message(at(days=3), body="stop texting me"),
    ]
    timeline = build_timeline(stream)
    profile = timeline.profiles.iloc[0]
    opted = [
        features_for_lead(timeline.events, profile, at(days=n, hours=1))["opted_out_now"] for n in range(4)
    ]
    assert opted == [0, 1, 0, 1]


def test_agent_calls_answered_share_counts_picked_up_calls() -> None:
    stream = [make_contact()]
    for hour, status in ((1, "completed"), (2, "voicemail"), (3, "voicemail"), (4, "completed")):
        call = make_message(at(days=1, hours=hour), inbound=False, channel=d.Channel.CALL, body="")
        stream.append(call._replace(event=replace(call.event, status=status)))
    timeline = build_timeline(stream)
    values = features_for_lead(timeline.events, timeline.profiles.iloc[0], at(days=2))
    assert values["agent_calls_answered_share_30d"] == 0.5


def test_cancelled_appointment_is_not_upcoming_once_the_cancellation_is_known() -> None:
    stream = [
        make_contact(),
        make_appointment(at(days=1), starts=at(days=5)),
        make_appointment(at(days=2), action=d.RecordAction.UPDATED, status="cancelled", starts=at(days=5)),
    ]
    timeline = build_timeline(stream)
    profile = timeline.profiles.iloc[0]
    assert features_for_lead(timeline.events, profile, at(days=1, hours=1))["upcoming_appointment"] == 1
    after = features_for_lead(timeline.events, profile, at(days=2, hours=1))
    assert after["upcoming_appointment"] == 0
    assert after["appointments_cancelled"] == 1


def test_phrases_render_the_actual_values(values: dict[str, float]) -> None:
    assert BY_NAME["sms_replies_1d"].describe(values["sms_replies_1d"], values) == (
        "replied to 2 texts in the last 24 h"
    )
    assert (
        BY_NAME["listing_views_30d"].describe(2, values) == "viewed 2 homes up to $500k in the last 30 days"
    )
    assert BY_NAME["days_since_last_inbound_message"].describe(12.2, values) == "no reply in 12 days"
    assert BY_NAME["speed_to_lead_minutes"].describe(30, values) == (
        "an agent first reached them 30 minutes after they came in"
    )
    assert BY_NAME["source_code"].describe(0, values) == "came from Zillow"
    assert (
        BY_NAME["email_response_hours"].describe(math.nan, values) == "has never answered an e-mail of ours"
    )
    assert BY_NAME["listing_saves_7d"].describe(0, values) == "saved no homes in the last 7 days"


def test_per_message_rates_read_right_above_one(values: dict[str, float]) -> None:
    # Replies per message of ours can pass 1 (a chatty lead); as a share it read "answers 117%".
    describe = {name: BY_NAME[name].describe for name in BY_NAME}
    assert describe["reply_rate_total"](7 / 6, values) == "sends 1.2\u00d7 as many messages as we send them"
    assert describe["reply_rate_total"](1.0, values) == "sends 1\u00d7 as many messages as we send them"
    assert describe["sms_reply_rate_30d"](0.45, values) == (
        "sent 0.45\u00d7 as many texts as we sent them in the last 30 days"
    )
    assert describe["email_open_rate_30d"](2.0, values) == (
        "opened our e-mails 2\u00d7 as often as we delivered them in the last 30 days"
    )


def test_time_of_day_habits_use_the_leads_own_zone_across_dst() -> None:
    def utc(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    stream = [
        make_contact(when=utc("2026-03-01T12:00:00"), timezone="America/Chicago"),
        make_message(utc("2026-03-06T02:30:00")),  # Thursday 20:30 CST: evening
        make_message(utc("2026-03-07T18:00:00")),  # Saturday 12:00 CST: weekend
        make_message(utc("2026-03-09T15:00:00")),  # Monday 10:00 CDT (DST began on March 8)
    ]
    timeline = build_timeline(stream)
    values = features_for_lead(timeline.events, timeline.profiles.iloc[0], utc("2026-03-10T00:00:00"))
    assert values["has_timezone"] == 1
    assert values["evening_share_30d"] == pytest.approx(1 / 3)
    assert values["weekend_share_30d"] == pytest.approx(1 / 3)
    assert values["mean_local_hour_30d"] == pytest.approx((20.5 + 12 + 10) / 3)
