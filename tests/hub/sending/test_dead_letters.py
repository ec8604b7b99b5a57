"""Dead letters: a send whose outcome GHL never told us (GHLOutcomeUnknownError, no echo) lands in a
visible review state, listed with its reason by `hub workflows dead-letters`, and is settled only by
a person; failed enrollments are listed too. Real dispatcher, stand-in over HTTP, real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.cli import app
from hub.errors import WorkflowError
from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.sending.audit import contact_audit
from hub.sending.dead_letters import REVIEW_AFTER, dead_letters, review_send
from hub.settings import GHLSettings, get_settings
from hub.store.models import SendLedgerEntry
from hub.workflows import dispatch_due, enroll
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.hub.workflows.conftest import token_for
from tests.hub.workflows.ghl_faults import FaultyGHL

FLOW = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
    - {id: pause, type: wait, duration: 1d}
""")
BROKEN = workflow_yaml("- {id: oops, type: move_stage, pipeline: Buyers, stage: Won}", workflow_id="broken")


@pytest.fixture
def cli_store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI reads HUB_DATABASE_URL: point it at the test's store."""
    monkeypatch.setenv("HUB_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def lost_answer(make_session: sessionmaker[Session], standin: StandinHandle) -> None:
    with make_session() as session:
        add_location(session)
        contact = add_lead(session)
        standin.admin.seed_contacts("L1", [ghl_contact(contact)])
        publish(session, FLOW)
        enroll(session, location_id="L1", contact_id="C1", workflow_id="wf", now=T0, reason="t")
        session.commit()
    lossy = GHLClient(
        GHLSettings(base_url=standin.base_url, max_attempts=2, backoff_max_s=0.01),
        token_for,
        transport=FaultyGHL(lose=1),
        sleep=lambda _s: None,
    )
    with lossy:
        assert dispatch_due(make_session, lossy, now=T0).sends == {"unknown": 1}


def test_an_unknown_send_without_echo_is_flagged_for_review_once(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    lost_answer(make_session, standin)
    soon = T0 + timedelta(minutes=30)
    with make_session() as session:
        [item] = dead_letters(session, now=soon)
    assert item.kind == "uncertain_send" and item.state.startswith("waiting for GHL's echo until")
    late = T0 + REVIEW_AFTER + timedelta(minutes=1)
    assert dispatch_due(make_session, ghl, now=late).reconciled.needs_review == [item.id]
    assert dispatch_due(make_session, ghl, now=late + timedelta(hours=1)).reconciled.needs_review == []
    with make_session() as session:
        [item] = dead_letters(session, now=late)
        assert item.state == "needs review" and "no OutboundMessage echo" in item.reason
        assert (item.workflow_id, item.step_id, item.channel) == ("wf", "hello", "SMS")
        kinds = [i.kind for i in contact_audit(session, "L1", "C1")]
        assert kinds.count("workflow_send_needs_review") == 1
        row = session.get(SendLedgerEntry, item.id)
        assert row is not None and row.status == "unknown"  # never re-sent, never guessed
    assert len(standin.admin.collection("L1", "messages")) == 1


def test_a_person_settles_it_and_it_leaves_the_list(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    lost_answer(make_session, standin)
    late = T0 + timedelta(hours=3)
    with make_session() as session:
        [item] = dead_letters(session, now=late)
        with pytest.raises(WorkflowError, match="does not exist"):
            review_send(session, item.id, sent=True, by="sam", now=late, location_id="L2")
        with pytest.raises(WorkflowError, match="--by"):
            review_send(session, item.id, sent=True, by=" ", now=late)
        row = review_send(session, item.id, sent=False, by="sam", now=late, note="not in the thread")
        session.commit()
        assert row.status == "failed" and row.reason == "reviewed by sam: it was not sent (not in the thread)"
        assert dead_letters(session, now=late) == []
        with pytest.raises(WorkflowError, match="is failed, not unknown"):
            review_send(session, item.id, sent=True, by="sam", now=late)


def test_failed_enrollments_are_dead_letters_with_their_reason(
    make_session: sessionmaker[Session], ghl: GHLClient
) -> None:
    with make_session() as session:
        add_location(session)
        add_lead(session)
        publish(session, BROKEN)
        enroll(session, location_id="L1", contact_id="C1", workflow_id="broken", now=T0, reason="t")
        session.commit()
    # The location has no pipeline "Buyers" (never synced from GHL): the step fails visibly.
    dispatch_due(make_session, ghl, now=T0)
    with make_session() as session:
        items = dead_letters(session, now=T0 + timedelta(minutes=1))
        assert [(i.kind, i.workflow_id, i.step_id) for i in items] == [
            ("failed_enrollment", "broken", "oops")
        ]
        assert "no pipeline 'Buyers'" in items[0].reason
        assert dead_letters(session, now=T0, location_id="L2") == []


def test_the_cli_lists_and_settles_dead_letters(
    make_session: sessionmaker[Session], standin: StandinHandle, cli_store: str
) -> None:
    lost_answer(make_session, standin)
    runner = CliRunner()
    listed = runner.invoke(app, ["workflows", "dead-letters", "--days", "36500"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "uncertain_send" in listed.output and "wf / hello (SMS)" in listed.output
    assert "needs review" in listed.output  # T0 is long past: GHL's echo window is over
    with make_session() as session:
        ledger_id = session.scalars(sa.select(SendLedgerEntry.id)).one()
    settled = runner.invoke(app, ["workflows", "review-send", str(ledger_id), "--sent", "--by", "sam"])
    assert settled.exit_code == 0, settled.output
    assert "is now sent: reviewed by sam: GHL did send it" in settled.output
    empty = runner.invoke(app, ["workflows", "dead-letters", "--days", "36500"])
    assert empty.exit_code == 0 and "no dead letters" in empty.output
