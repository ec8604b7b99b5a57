"""The sequential dispatcher's group commit: a send's settlement, audit and transition ride on the
next send's reservation commit (hub.workflows.dispatch._run_one), against the GHL stand-in."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.sending.audit import contact_audit
from hub.settings import GHLSettings
from hub.store.models import Enrollment, SendLedgerEntry
from hub.workflows import dispatch_due, enroll
from tests.hub.workflows.builders import T0, add_lead, add_location, ghl_contact, publish, workflow_yaml
from tests.hub.workflows.conftest import token_for

ONE_TEXT = workflow_yaml("""
    - {id: hello, type: send_sms, body: "Hello {{ contact.first_name }}"}
""")


def enroll_leads(make_session: sessionmaker[Session], standin: StandinHandle, count: int) -> None:
    with make_session() as session:
        add_location(session)
        leads = [add_lead(session, contact_id=f"C{i}") for i in range(1, count + 1)]
        standin.admin.seed_contacts("L1", [ghl_contact(lead) for lead in leads])
        publish(session, ONE_TEXT)
        for lead in leads:
            enroll(session, location_id="L1", contact_id=lead.id, workflow_id="wf", now=T0, reason="t")
        session.commit()


def texts(standin: StandinHandle) -> Counter[str]:
    return Counter(m["contactId"] for m in standin.admin.collection("L1", "messages"))


def test_a_batch_commits_once_per_send_and_keeps_every_record(
    make_session: sessionmaker[Session], standin: StandinHandle, ghl: GHLClient
) -> None:
    enroll_leads(make_session, standin, 6)
    engine = make_session.kw["bind"]
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    sa.event.listen(engine, "commit", count)
    try:
        report = dispatch_due(make_session, ghl, now=T0)
    finally:
        sa.event.remove(engine, "commit", count)
    assert report.sends == {"sent": 6} and report.errors == []
    # Reconcile, the claim, one per send (its reservation, carrying the previous send's outcome),
    # the batch's last, the claim that finds nothing more: 10. It was three per send (reservation,
    # settlement, transition): 21.
    assert len(commits) <= 6 + 4
    assert texts(standin) == {f"C{i}": 1 for i in range(1, 7)}
    with make_session() as session:
        rows = session.scalars(sa.select(SendLedgerEntry)).all()
        assert sorted((r.contact_id, r.status) for r in rows) == [(f"C{i}", "sent") for i in range(1, 7)]
        assert {e.status for e in session.scalars(sa.select(Enrollment))} == {"completed"}
        assert all(e.claimed_by is None for e in session.scalars(sa.select(Enrollment)))
        for i in range(1, 7):
            kinds = [item.kind for item in contact_audit(session, "L1", f"C{i}") if item.source == "activity"]
            assert kinds.count("workflow_send") == 1 and kinds.count("workflow_completed") == 1


class BrokenCheckFor(httpx.BaseTransport):
    """Forwards to the stand-in, but the first DND re-check of `contact_id` fails with an error no
    GHL error maps (an unexpected failure on our side of the call)."""

    def __init__(self, contact_id: str) -> None:
        self._inner = httpx.HTTPTransport()
        self.contact_id, self.broken = contact_id, 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/contacts/{self.contact_id}" and self.broken:
            self.broken -= 1
            raise RuntimeError("unexpected failure while re-checking DND")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def test_an_error_in_the_next_lead_never_sends_the_previous_text_again(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    enroll_leads(make_session, standin, 2)
    client = GHLClient(
        GHLSettings(base_url=standin.base_url, max_attempts=1),
        token_for,
        transport=BrokenCheckFor("C2"),
        sleep=lambda _s: None,
    )
    report = dispatch_due(make_session, client, now=T0)
    assert len(report.errors) == 1 and "enrollment 2" in report.errors[0]
    assert texts(standin) == {"C1": 1}
    with make_session() as session:
        # C1's settlement waited for C2's reservation commit and went with C2's rollback. Its
        # reservation was committed before the call, so the row stays "maybe sent", never free:
        # `reserved` (PostgreSQL), or already reconciled to `unknown` where the same worker's next
        # claim got C1 back (SQLite's claim returns every row the worker holds with that lease).
        [row] = session.scalars(sa.select(SendLedgerEntry)).all()
        assert row.contact_id == "C1" and row.status in ("reserved", "unknown")
    # After the claims' lease (5 min) and C2's error retry (5 min): C1 is reconciled, C2 is sent.
    report = dispatch_due(make_session, client, now=T0 + timedelta(minutes=6))
    assert report.errors == [] and report.sends["sent"] == 1
    assert texts(standin) == {"C1": 1, "C2": 1}
    with make_session() as session:
        statuses = dict(session.execute(sa.select(SendLedgerEntry.contact_id, SendLedgerEntry.status)).all())
        assert statuses == {"C1": "unknown", "C2": "sent"}  # no echo of C1's text yet: never re-sent
        assert {e.status for e in session.scalars(sa.select(Enrollment))} == {"completed"}
    client.close()


def test_the_last_transition_writes_only_the_columns_the_run_changed(
    make_session: sessionmaker[Session], standin: StandinHandle
) -> None:
    """_write_transition replaces the ORM's flush with a Core UPDATE: like the flush, it must not
    write back a column the run did not change, which another writer may have set meanwhile."""
    from hub.workflows.dispatch import _write_transition

    enroll_leads(make_session, standin, 1)
    with make_session() as ours, make_session() as theirs:
        enrollment = ours.scalars(sa.select(Enrollment)).one()
        enrollment.status, enrollment.next_run_at = "completed", None  # what the run changed
        ours.commit()  # (the ORM's write of that; nothing dirty now)
        enrollment.exit_reason = "reached the end"
        elsewhere = theirs.get(Enrollment, enrollment.id)
        assert elsewhere is not None
        elsewhere.variants = {"split": "b"}  # a column this run never touched
        theirs.commit()
        _write_transition(ours, enrollment)
        assert enrollment not in ours  # the copy is out of the session: nobody reads it back
        ours.commit()
    with make_session() as check:
        row = check.get(Enrollment, enrollment.id)
        assert row is not None
        assert (row.status, row.exit_reason, row.variants) == ("completed", "reached the end", {"split": "b"})
