"""The score panels: tier counts and the lead table, from each lead's newest score."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.dashboard import lead_rows, tier_counts
from tests.api.dashboard_queries.rows import OTHER, T0, add_message, add_score
from tests.hub.leads import payloads as p
from tests.hub.store.builders import add_contact


def test_tier_counts_use_each_leads_newest_score_and_order_by_probability(db: Session) -> None:
    for contact_id in ("A", "B", "C", "D"):
        add_contact(db, p.LOC, contact_id)
    add_score(db, "A", "churn", 0.9, "critical", scored_at=T0)
    add_score(db, "A", "churn", 0.2, "low", scored_at=T0 + timedelta(days=1))  # newest wins
    add_score(db, "B", "churn", 0.65, "high")
    add_score(db, "C", "churn", 0.7, "high")
    add_score(db, "D", "churn", 0.85, "critical")
    add_score(db, "D", "conversion", 0.5, "hot")
    add_contact(db, OTHER, "Z")
    add_score(db, "Z", "churn", 0.95, "critical", location_id=OTHER)

    churn = tier_counts(db, p.LOC, "churn")
    assert [(t.tier, t.leads, t.min_probability, t.max_probability) for t in churn] == [
        ("critical", 1, 0.85, 0.85),
        ("high", 2, 0.65, 0.7),
        ("low", 1, 0.2, 0.2),
    ]
    assert [(t.tier, t.leads) for t in tier_counts(db, p.LOC, "conversion")] == [("hot", 1)]


def test_lead_rows_put_the_hottest_scored_leads_first_with_their_reasons(db: Session) -> None:
    add_contact(db, p.LOC, "Old", name="Olga Old", date_added=T0 - timedelta(days=3))
    add_contact(db, p.LOC, "New", name="Ned New", date_added=T0)
    add_contact(db, p.LOC, "Hot", name="Hattie Hot", date_added=T0 - timedelta(days=9), sms_opted_out=True)
    add_contact(db, p.LOC, "Warm", name="Walt Warm", date_added=T0)
    add_contact(db, p.LOC, "Gone", name="Gone", deleted=True)
    reasons = [{"feature": f"f{i}", "text": f"reason {i}", "impact": 1.0 - i / 10} for i in range(5)]
    add_score(db, "Hot", "conversion", 0.61, "hot", reasons=reasons)
    add_score(db, "Hot", "churn", 0.1, "low")
    add_score(db, "Warm", "conversion", 0.2, "warm")
    add_message(db, "Warm", "outbound", T0 + timedelta(minutes=1))

    table = lead_rows(db, p.LOC)
    assert table.total == 4
    assert [row.contact_id for row in table.rows] == ["Hot", "Warm", "New", "Old"]
    hot = table.rows[0]
    assert hot.conversion is not None and hot.churn is not None
    assert (hot.name, hot.conversion.probability, hot.conversion.tier, hot.churn.tier) == (
        "Hattie Hot",
        0.61,
        "hot",
        "low",
    )
    assert hot.conversion.reasons == ["reason 0", "reason 1", "reason 2"]
    assert (hot.sms_opted_out, hot.stage, table.rows[1].stage) == (True, "new", "contacted")
    assert table.rows[2].conversion is None
    assert [row.contact_id for row in lead_rows(db, p.LOC, limit=2).rows] == ["Hot", "Warm"]
    assert lead_rows(db, OTHER).total == 0
