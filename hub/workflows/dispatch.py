"""The dispatcher core: run every due enrollment step, at most once, under every guard.

    report = dispatch_due(Session, client, now=datetime.now(UTC))

One call: reconcile sends of uncertain outcome (hub.sending.reconcile), then claim due enrollments
in batches (hub.workflows.claims), read what their steps need in bulk (hub.workflows.batch_facts)
and run each (hub.workflows.runner) in the batch's session, giving the claim back in the
enrollment's last commit. One enrollment at a time (the default), that last commit (the transition,
a send's settlement and audit) is the next enrollment's reservation commit or the batch's end
(group commit, `_run_one`): one commit per send, and the batch's audit rows go in one INSERT per
commit (hub.sending.audit.write_at_commit).

Concurrency (`concurrent=True`, opt-in, not the default): a batch's leads run side by side in ONE
thread. Not the default because on a quiet box 2 of 1,000 bench sends ended "unknown" without
reaching GHL: the rate-limit wait sits inside httpcore's trace hook, on a connection already taken,
and a long wait there can outlive the keep-alive connection, so the request fails after it "started"
and must be treated as possibly sent (at-most-once holds; the lead goes to review, not texted).
Each
lead's enrollments run in a greenlet (SQLAlchemy's `greenlet_spawn`) on an asyncio loop; at the
two GHL calls of a send (the fresh DND check and the send itself, `hub.ghl.transport.yield_point`)
a lead waits for its rate-limit slot and GHL's answer while the others run. Database work never
overlaps: the loop runs one greenlet at a time, and a lead yields only with nothing uncommitted in
the shared session, so another lead's commit or rollback never touches its work. One lead's
enrollments run one after the other, so caps and first-message checks see the batch's earlier sends
to that lead exactly as they would sequentially. Every guard and the ledger reservation committed
before the send are unchanged (hub.sending.sender).

A worker that dies keeps its claims until their lease runs out; the next worker then takes the
enrollment over and finds any half-done send in the ledger as `reserved`, which it reconciles
instead of sending again. An unexpected error in one enrollment is recorded on it (visible in the
audit trail and the report) and does not stop the others.
The Prefect flow `dispatch_workflow_steps` wraps this function; it has no Prefect code itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import greenlet_spawn

from hub.ghl.client import GHLClient
from hub.sending.audit import record, write_at_commit
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
_LOCAL = threading.local()
# session.get(Enrollment, id, populate_existing=True), built once: session.get builds its statement
# on every call, and this read runs once per step.
_FRESH_ENROLLMENT = (
    sa.select(Enrollment).where(Enrollment.id == sa.bindparam("id")).execution_options(populate_existing=True)
)
_ENROLLMENTS = cast(sa.Table, Enrollment.__table__)
_UPDATES: dict[tuple[str, ...], sa.Update] = {}  # by the set of changed columns (_write_transition)


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
    concurrent: bool = False,
) -> DispatchReport:
    """Run up to `limit` due enrollments (of one location, or all) as of `now`.

    `prefetch=False` reads every fact one step at a time, as before batch_facts existed: the
    baseline of bench/bench_dispatch.py and the reference the batch path is tested against.
    `concurrent=False` (or a caller already inside an event loop) runs a batch's enrollments one
    after the other, each GHL call blocking the thread (module docstring)."""
    report = DispatchReport(worker or uuid.uuid4().hex)
    deps = EngineDeps(client, http=http, webhook_secrets=webhook_secrets)
    with session_factory() as session:
        report.reconciled = reconcile(session, now=now, location_id=location_id)
        session.commit()
    if not concurrent or _in_event_loop():
        _claim_and_run(session_factory, deps, report, now, location_id, limit, lease, prefetch, None)
    else:
        runner = _thread_runner()
        stack = AsyncExitStack()
        runner.run(stack.enter_async_context(client.concurrent()))
        try:
            _claim_and_run(session_factory, deps, report, now, location_id, limit, lease, prefetch, runner)
        finally:
            runner.run(stack.aclose())
    report.sends = deps.tally
    return report


def _thread_runner() -> asyncio.Runner:
    """This thread's event loop, kept between calls: the GHL client's connections live on it
    (hub.ghl.transport.RequestPath.concurrent). It ends with the thread."""
    runner: asyncio.Runner | None = getattr(_LOCAL, "runner", None)
    if runner is None:
        runner = _LOCAL.runner = asyncio.Runner()
    return runner


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _claim_and_run(
    session_factory: Callable[[], Session],
    deps: EngineDeps,
    report: DispatchReport,
    now: datetime,
    location_id: str | None,
    limit: int,
    lease: timedelta,
    prefetch: bool,
    runner: asyncio.Runner | None,
) -> None:
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
        with _batch_session(session_factory) as session:
            facts = BatchFacts(session, ids, now=now) if prefetch else None
            if runner is None:
                _run_chain(session, deps, ids, now, report, facts, group_commit=True)
                session.commit()  # the batch's last enrollment (group commit, _run_one)
            else:
                chains = _by_lead(session, ids)
                runner.run(_gather(_run_chain, [(session, deps, c, now, report, facts) for c in chains]))


@contextmanager
def _batch_session(session_factory: Callable[[], Session]) -> Iterator[Session]:
    """The batch's session, on one connection for the whole batch: a session on the engine checks a
    connection out of the pool (with a ping) and back in (with a rollback) around every commit.
    Its audit rows are written together at each commit (hub.sending.audit.write_at_commit)."""
    if not isinstance(session_factory, sessionmaker):
        with session_factory() as session:
            write_at_commit(session)
            yield session
        return
    with session_factory() as probe:
        engine = probe.get_bind()
    with engine.connect() as connection, session_factory(bind=connection) as session:
        write_at_commit(session)
        yield session


async def _gather(fn: Callable[..., None], calls: list[tuple[object, ...]]) -> None:
    tasks = [asyncio.ensure_future(greenlet_spawn(fn, *args)) for args in calls]
    try:
        await asyncio.gather(*tasks)
    finally:
        # If one lead's run raised past _run_one (the worker is going down), stop the others here
        # like a crash would (a send in flight stays `reserved` for reconcile): the thread's loop
        # outlives this call and must not resume them later.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _by_lead(session: Session, ids: Sequence[int]) -> list[list[int]]:
    """The claimed ids grouped by lead (location, contact), in claim order."""
    rows = session.execute(
        sa.select(Enrollment.id, Enrollment.location_id, Enrollment.contact_id).where(Enrollment.id.in_(ids))
    ).all()
    lead = {row.id: (row.location_id, row.contact_id) for row in rows}
    chains: dict[object, list[int]] = {}
    for enrollment_id in ids:
        chains.setdefault(lead.get(enrollment_id, enrollment_id), []).append(enrollment_id)
    session.commit()  # end the read's transaction: each lead's work starts its own
    return list(chains.values())


def _run_chain(
    session: Session,
    deps: EngineDeps,
    ids: Sequence[int],
    now: datetime,
    report: DispatchReport,
    facts: BatchFacts | None,
    group_commit: bool = False,
) -> None:
    for enrollment_id in ids:
        _run_one(session, deps, enrollment_id, now, report, facts, group_commit)


def _run_one(
    session: Session,
    deps: EngineDeps,
    enrollment_id: int,
    now: datetime,
    report: DispatchReport,
    facts: BatchFacts | None,
    group_commit: bool = False,
) -> None:
    """Run one claimed enrollment. `group_commit` (one enrollment at a time only): its last
    transition, with its send's settlement and audit, is committed by the next enrollment's first
    commit (its ledger reservation) or at the end of the batch: one commit per send instead of two.
    A crash or an unexpected error in the next enrollment before that commit loses the transition
    and the settlement, never the reservation: the send stays `reserved` and is reconciled, never
    sent again, and the enrollment runs again when its claim expires."""
    if facts is not None:
        facts.before_run(enrollment_id)
    # Read just before it runs (never from the batch's read): processing may have exited or held it.
    enrollment = session.execute(_FRESH_ENROLLMENT, {"id": enrollment_id}).scalar_one_or_none()
    if enrollment is None or enrollment.claimed_by != report.worker:
        return
    try:
        result = run_enrollment(
            session,
            deps,
            enrollment,
            now=now,
            facts=facts,
            release_for=report.worker,
            commit_last=not group_commit,
        )
    except Exception as exc:  # one broken enrollment must not stop the batch; it is recorded below
        session.rollback()
        log.exception("enrollment %s failed unexpectedly", enrollment_id)
        report.errors.append(f"enrollment {enrollment_id}: {type(exc).__name__}: {exc}")
        _record_error(session, enrollment_id, exc, now)
    else:
        report.steps += result.steps
        report.statuses[result.status] += 1
        if enrollment.claimed_by != report.worker:
            if group_commit:
                _write_transition(session, enrollment)
            return  # released in the run's last commit
    release(session, enrollment_id, report.worker)
    session.commit()


def _write_transition(session: Session, enrollment: Enrollment) -> None:
    """Write the enrollment's changed columns now, with a cached Core UPDATE, and take it out of
    the session: the same UPDATE the ORM's flush would send at the next statement, in the same
    transaction, without the unit of work's bookkeeping (it cost more CPU than the statement).
    Nothing reads this copy again: an enrollment is read afresh before it runs (_FRESH_ENROLLMENT)."""
    state = sa.inspect(enrollment)
    values: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        added, _, deleted = state.attrs[prop.key].history
        if added and (not deleted or added[0] != deleted[0]):  # as the ORM: changed values only
            values[prop.columns[0].name] = added[0]
    session.expunge(enrollment)  # first: the UPDATE's autoflush must not write it the ORM's way too
    if values:
        columns = tuple(sorted(values))
        statement = _UPDATES.get(columns)
        if statement is None:
            statement = _UPDATES[columns] = (
                sa.update(_ENROLLMENTS)
                .where(_ENROLLMENTS.c.id == sa.bindparam("_id"))
                .values({column: sa.bindparam(f"_{column}") for column in columns})
            )
        session.execute(statement, {"_id": enrollment.id, **{f"_{k}": v for k, v in values.items()}})


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
