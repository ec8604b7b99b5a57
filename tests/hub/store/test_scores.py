from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hub.store.models import Score
from hub.store.scores import latest_scores
from tests.hub.store.builders import T0, add_contact, add_location


def _score(
    location_id: str, contact_id: str, probability: float, hours: int, kind: str = "conversion"
) -> Score:
    return Score(
        location_id=location_id,
        contact_id=contact_id,
        kind=kind,
        model_version="v1",
        probability=probability,
        tier="warm",
        scored_at=T0 + timedelta(hours=hours),
    )


def test_latest_score_per_contact_kind_and_location(session: Session) -> None:
    for location_id in ("LocA", "LocB"):
        add_location(session, location_id)
        for contact_id in ("Ct1", "Ct2"):
            add_contact(session, location_id, contact_id)
    session.add_all(
        [
            _score("LocA", "Ct1", 0.20, hours=1),
            _score("LocA", "Ct1", 0.70, hours=3),
            _score("LocA", "Ct1", 0.50, hours=2),
            _score("LocA", "Ct1", 0.99, hours=9, kind="churn"),
            _score("LocA", "Ct2", 0.10, hours=1),
            _score("LocB", "Ct1", 0.95, hours=10),
        ]
    )
    session.commit()

    latest = latest_scores(session, "LocA", "conversion")
    assert {contact: score.probability for contact, score in latest.items()} == {"Ct1": 0.70, "Ct2": 0.10}
    only = latest_scores(session, "LocA", "conversion", contact_ids=["Ct2"])
    assert {contact: score.probability for contact, score in only.items()} == {"Ct2": 0.10}
    assert latest_scores(session, "LocA", "churn")["Ct1"].probability == 0.99
    assert latest_scores(session, "LocC", "conversion") == {}


def test_a_tie_on_scored_at_goes_to_the_later_row(session: Session) -> None:
    add_location(session, "LocA")
    add_contact(session, "LocA", "Ct1")
    session.add(_score("LocA", "Ct1", 0.3, hours=1))
    session.flush()
    session.add(_score("LocA", "Ct1", 0.6, hours=1))
    session.commit()
    assert latest_scores(session, "LocA", "conversion")["Ct1"].probability == 0.6
