from __future__ import annotations

from sqlalchemy.orm import Session

from hub.store.activity_log import activity_after, append_activity
from tests.hub.store.builders import add_location


def test_replay_resumes_after_the_last_seen_id_within_one_location(session: Session) -> None:
    add_location(session, "LocA")
    add_location(session, "LocB")
    a1 = append_activity(session, "LocA", "lead_scored", {"p": 0.4}, contact_id="Ct1")
    append_activity(session, "LocB", "lead_scored", {"p": 0.9})
    a2 = append_activity(session, "LocA", "message_sent", {"channel": "SMS"})
    a3 = append_activity(session, "LocA", "tier_changed", {"tier": "hot"})
    session.commit()

    assert a1.id < a2.id < a3.id
    assert [item.kind for item in activity_after(session, "LocA")] == [
        "lead_scored",
        "message_sent",
        "tier_changed",
    ]
    assert [item.id for item in activity_after(session, "LocA", after_id=a1.id)] == [a2.id, a3.id]
    assert [item.id for item in activity_after(session, "LocA", after_id=a1.id, limit=1)] == [a2.id]
    assert activity_after(session, "LocA", after_id=a3.id) == []
    assert [item.payload for item in activity_after(session, "LocB")] == [{"p": 0.9}]
