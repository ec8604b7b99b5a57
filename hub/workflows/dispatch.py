"""The dispatcher core: run every due enrollment step, at most once, under every guard.

    report = dispatch_due(Session, client, now=datetime.now(UTC))

One call: reconcile sends of uncertain outcome (hub.sending.reconcile), then claim due enrollments
in batches (hub.workflows.claims), read what their steps need in bulk (hub.workflows.batch_facts)
and run each (hub.workflows.runner), one after the other in the batch's session, giving the claim
back in the enrollment's last commit. A worker that dies keeps its claims until their lease runs out; the next
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
from hub.workflows.batch_facts import BatchFacts
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
    prefetch: bool = True,
) -> DispatchReport:
    """Run up to `limit` due enrollments (of one location, or all) as of `now`.

    `prefetch=False` reads every fact one step at a time, as before batch_facts existed: the
    baseline of bench/bench_dispatch.py and the reference the batch path is tested against."""
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
        with session_factory() as session:
            facts = BatchFacts(session, ids, now=now) if prefetch else None
            for enrollment_id in ids:
                _run_one(session, deps, enrollment_id, now, report, facts)
    report.sends = deps.tally
    return report


def _run_one(
    session: Session,
    deps: EngineDeps,
    enrollment_id: int,
    now: datetime,
    report: DispatchReport,
    facts: BatchFacts | None,
) -> None:
    if facts is not None:
        facts.before_run(enrollment_id)
    # Read just before it runs (never from the batch's read): processing may have exited or held it.
    enrollment = session.get(Enrollment, enrollment_id, populate_existing=True)
    if enrollment is None or enrollment.claimed_by != report.worker:
        return
    try:
        result = run_enrollment(session, deps, enrollment, now=now, facts=facts, release_for=report.worker)
    except Exception as exc:  # one broken enrollment must not stop the batch; it is recorded below
        session.rollback()
        log.exception("enrollment %s failed unexpectedly", enrollment_id)
        report.errors.append(f"enrollment {enrollment_id}: {type(exc).__name__}: {exc}")
        _record_error(session, enrollment_id, exc, now)
    else:
        report.steps += result.steps
        report.statuses[result.status] += 1
        if enrollment.claimed_by != report.worker:
            return  # released in the run's last commit
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
