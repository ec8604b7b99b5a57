"""What a claimed batch of enrollments reads before its steps run, read in bulk.

Run one at a time, a `send_sms` step read its contact, location, pinned workflow version, five
send-history queries and its ledger slot: about a dozen statements per step, most of the
dispatcher's CPU (bench/README.md, "Workflow dispatch"). `BatchFacts.load` reads the same for the
whole batch in a handful of queries; the runner and the sender then take them from here.

Freshness, because the guards decide on these facts:
- Facts older than `max_age_s` are read again (for the enrollments not yet run) before the next
  enrollment runs, so a STOP, DND or reply stored by event processing reaches the guards at most
  that much later than it would one step at a time. The send path still re-checks DND with GHL
  right before every send, and the ledger reservation stays the lock against double sends.
- A contact's history is dropped as soon as this batch reserves a send to it, so a second
  enrollment of the same lead in the batch sees that send (caps, first-message wording) exactly
  as it would have one step at a time: its next read is a fresh, single-contact query.
- Enrollment rows are NOT prefetched: each is read just before it runs, as before, so an exit or
  hold that processing wrote meanwhile is never overwritten by a stale copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.compliance.guards import SendHistory
from hub.sending.history import ContactKey, for_channel, send_histories, send_history
from hub.sending.ledger import LedgerKey
from hub.store.models import Contact, Enrollment, Location, SendLedgerEntry, Workflow
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.enrollment import definition_of

MAX_AGE_S = 2.0


class BatchFacts:
    """Bulk-read facts of the enrollments `ids`, for one `now` (module docstring)."""

    def __init__(
        self,
        session: Session,
        ids: Sequence[int],
        *,
        now: datetime,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session, self._now, self._max_age_s, self._clock = session, now, max_age_s, clock
        self._waiting = list(ids)
        self._loaded_at = -float("inf")
        self._histories: dict[ContactKey, SendHistory] = {}
        self._slots: set[tuple[int, str, str, str]] = set()
        self._definitions: dict[tuple[str, int], WorkflowDefinition] = {}
        self._rows: list[object] = []

    def before_run(self, enrollment_id: int) -> None:
        """Call before running each enrollment: re-reads everything still waiting when stale."""
        if self._clock() - self._loaded_at > self._max_age_s:
            self._load(self._waiting)
        if enrollment_id in self._waiting:
            self._waiting.remove(enrollment_id)

    def _load(self, ids: Sequence[int]) -> None:
        session = self._session
        self._loaded_at = self._clock()
        if not ids:
            return
        heads = session.execute(
            sa.select(
                Enrollment.id,
                Enrollment.location_id,
                Enrollment.contact_id,
                Enrollment.workflow_id,
                Enrollment.workflow_version,
            ).where(Enrollment.id.in_(ids))
        ).all()
        keys = {(row.location_id, row.contact_id) for row in heads}
        locations = sorted({loc for loc, _ in keys})
        # Into the session's identity map, overwriting older copies: the runner's session.get
        # then finds them without a query.
        fresh = sa.select(Contact).where(
            Contact.location_id.in_(locations), Contact.id.in_(sorted({c for _, c in keys}))
        )
        contacts = session.scalars(fresh.execution_options(populate_existing=True)).all()
        places = session.scalars(
            sa.select(Location).where(Location.id.in_(locations)).execution_options(populate_existing=True)
        ).all()
        self._rows = [*contacts, *places]  # the identity map holds rows weakly: keep them alive
        self._histories = send_histories(session, keys, now=self._now)
        self._slots = {
            tuple(row)  # type: ignore[misc]
            for row in session.execute(
                sa.select(
                    SendLedgerEntry.enrollment_id,
                    SendLedgerEntry.step_id,
                    SendLedgerEntry.channel,
                    SendLedgerEntry.attempt_key,
                ).where(SendLedgerEntry.enrollment_id.in_(ids))
            )
        }
        self._load_definitions({(row.workflow_id, row.workflow_version) for row in heads})

    def _load_definitions(self, versions: set[tuple[str, int]]) -> None:
        missing = versions - self._definitions.keys()
        if not missing:
            return
        workflow_ids = sorted({workflow_id for workflow_id, _ in missing})
        for row in self._session.scalars(sa.select(Workflow).where(Workflow.id.in_(workflow_ids))):
            if (row.id, row.version) in missing:
                self._definitions[(row.id, row.version)] = definition_of(row)

    def definition(self, enrollment: Enrollment) -> WorkflowDefinition | None:
        """The enrollment's pinned version, if the batch read it (None: read it the usual way)."""
        return self._definitions.get((enrollment.workflow_id, enrollment.workflow_version))

    def history(self, location_id: str, contact_id: str, channel: str, now: datetime) -> SendHistory:
        """The contact's send history, as `send_history` would read it now."""
        found = self._histories.get((location_id, contact_id)) if now == self._now else None
        if found is None:
            return send_history(self._session, location_id, contact_id, now=now, channel=channel)
        return for_channel(found, channel)

    def may_have_slot(self, key: LedgerKey) -> bool:
        """False only when the batch read no ledger row for this slot (then `find` can be skipped:
        the reservation's unique key still refuses a row someone wrote since)."""
        return (key.enrollment_id, key.step_id, key.channel, key.attempt) in self._slots

    def reserved(self, location_id: str, contact_id: str, key: LedgerKey) -> None:
        """This batch reserved a send: the contact's history must be read again before its next."""
        self._histories.pop((location_id, contact_id), None)
        self._slots.add((key.enrollment_id, key.step_id, key.channel, key.attempt))
