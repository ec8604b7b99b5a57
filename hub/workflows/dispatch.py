"""The dispatcher core: run every due enrollment step, at most once, under every guard.

    report = dispatch_due(Session, client, now=datetime.now(UTC))

One call: reconcile sends of uncertain outcome (hub.sending.reconcile), then claim due enrollments
in batches (hub.workflows.claims) and run each (hub.workflows.runner) in its own session, releasing
the claim afterwards. A worker that dies keeps its claims until their lease runs out; the next
worker then takes the enrollment over and finds any half-done send in the ledger as `reserved`,
which it reconciles instead of sending again. An unexpected error in one enrollment is recorded on
it (visible in the audit trail and the report) and does not stop the others.
The Prefect flow `dispatch_workflow_steps` wraps this function; it has no Prefect code itself.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from hub.ghl.client import GHLClient
from hub.sending.audit import record
from hub.sending.reconcile import ReconcileReport, reconcile
from hub.store.models import Enrollment
from hub.workflows.claims import claim_due, release
from hub.workflows.execution import EngineDeps, SecretProvider
from hub.workflows.runner import run_enrollment

log = logging.getLogger("hub.workflows")

DEFAULT_LEASE = timedelta(minutes=5)
BATCH = 25
ERROR_RETRY = timedelta(minutes=5)


@dataclass(slots=True)
class DispatchReport:
    worker: str
    claimed: int = 0
    steps: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # enrollment status after the run
    sends: Counter[str] = field(default_factory=Counter)  # sent / deferred / suppressed / unknown / ...
    errors: list[str] = field(default_factory=list)
    reconciled: ReconcileReport = field(default_factory=ReconcileReport)


def dispatch_due(
    session_factory: Callable[[], Session],
    client: GHLClient,
    *,
    now: datetime,
    location_id: str | None = None,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
    http: httpx.Client | None = None,
    webhook_secrets: SecretProvider | None = None,
    worker: str | None = None,
) -> DispatchReport:
    """Run up to `limit` due enrollments (of one location, or all) as of `now`."""
    report = DispatchReport(worker or uuid.uuid4().hex)
    deps = EngineDeps(client, http=http, webhook_secrets=webhook_secrets)
    with session_factory() as session:
        report.reconciled = reconcile(session, now=now, location_id=location_id)
        session.commit()
    while report.claimed < limit:
        ids = claim_due(
            session_factory,
            worker=report.worker,
            now=now,
            lease=lease,
            limit=min(BATCH, limit - report.claimed),
            location_id=location_id,
        )
        if not ids:
            break
        report.claimed += len(ids)
        for enrollment_id in ids:
            _run_one(session_factory, deps, enrollment_id, now, report)
    report.sends = deps.tally
    return report


def _run_one(
    session_factory: Callable[[], Session],
    deps: EngineDeps,
    enrollment_id: int,
    now: datetime,
    report: DispatchReport,
) -> None:
    with session_factory() as session:
        enrollment = session.get(Enrollment, enrollment_id)
        if enrollment is None or enrollment.claimed_by != report.worker:
            return
        try:
            result = run_enrollment(session, deps, enrollment, now=now)
        except Exception as exc:  # one broken enrollment must not stop the batch; it is recorded below
            session.rollback()
            log.exception("enrollment %s failed unexpectedly", enrollment_id)
            report.errors.append(f"enrollment {enrollment_id}: {type(exc).__name__}: {exc}")
            _record_error(session, enrollment_id, exc, now)
        else:
            report.steps += result.steps
            report.statuses[result.status] += 1
        release(session, enrollment_id, report.worker)
        session.commit()


def _record_error(session: Session, enrollment_id: int, exc: Exception, now: datetime) -> None:
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        return
    enrollment.next_run_at = now + ERROR_RETRY
    record(
        session,
        enrollment.location_id,
        enrollment.contact_id,
        "workflow_step",
        now=now,
        enrollment_id=enrollment_id,
        step_id=enrollment.current_step_id,
        outcome="error",
        reason=f"{type(exc).__name__}: {exc}; retrying in {ERROR_RETRY}",
    )
