"""Workflows for operators: the published list, one workflow's versions, validate a draft, dry-run.

Workflows are brokerage-wide definitions; enrollments and leads belong to one location, so every
count and every stored lead read here is the API key's location's, never another's. The work is
the CLI's (hub.workflows.loader, hub.workflows.simulate): these routes only read the store and map
errors to HTTP. A dry run sends nothing: the real engine runs on a private in-memory store with a
recorder in place of GHL (hub.workflows.simulate).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import LocationAuthDep
from api.deps import EngineDep
from hub.compliance.lead_timezone import valid_zone
from hub.store.models import Contact, Enrollment, Location, User, Workflow
from hub.store.models.workflows import ENROLLMENT_STATUSES
from hub.workflows.enrollment import definition_of, latest_version
from hub.workflows.facts import contact_profile
from hub.workflows.loader import LoadedWorkflow, Problem, WorkflowDefinitionError, parse_workflow
from hub.workflows.simulate import simulate
from hub.workflows.simulate_inputs import SimAgent, SimContact, SimulationInputError, validated

router = APIRouter(prefix="/workflows", tags=["workflows"])

# A workflow file is a few KiB; a body this large is a mistake (or an attack), not a workflow.
MAX_YAML_BYTES = 256 * 1024
MAX_EVENTS = 500
YAML_TYPES = ("text/yaml", "application/yaml", "application/x-yaml", "text/plain")
DRAFT_SOURCE = "<request body>"


class NotFound(LookupError):
    """The workflow, version or lead asked for is not there (for this location): a 404."""


class VersionInfo(BaseModel):
    version: int
    active: bool
    checksum: str
    created_at: datetime


class WorkflowSummary(BaseModel):
    id: str
    name: str
    version: int  # the latest
    active: bool  # whether a version of it enrolls new leads
    active_version: int | None
    trigger_types: list[str]
    step_count: int
    locations: list[str] | None  # None: every location
    runs_here: bool  # whether it applies to the API key's location
    enrollments: dict[str, int]  # this location's enrollments by status (every status listed)


class WorkflowDetail(WorkflowSummary):
    description: str | None
    checksum: str
    created_at: datetime
    source_yaml: str
    versions: list[VersionInfo]  # newest first


class ProblemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from hub.workflows.loader.Problem

    line: int | None
    column: int | None
    field: str
    message: str
    severity: str


class ValidationReport(BaseModel):
    valid: bool
    id: str | None
    problems: list[ProblemOut]
    warnings: list[ProblemOut]


class DryRunRequest(BaseModel):
    """What to run (a published workflow or a draft) for whom (an inline lead or a stored one)."""

    model_config = ConfigDict(extra="forbid")

    workflow_id: str | None = Field(None, description="A published workflow's id.")
    version: int | None = Field(None, ge=1, description="With workflow_id: this version (default latest).")
    yaml: str | None = Field(None, max_length=MAX_YAML_BYTES, description="An unpublished draft's YAML.")
    contact: dict[str, Any] | None = Field(None, description="The lead, in SimContact's fields.")
    contact_id: str | None = Field(None, description="A lead of the API key's location, read from the store.")
    events: list[dict[str, Any]] = Field(
        default_factory=list, max_length=MAX_EVENTS, description='e.g. {"after": "3h", "type": ...}'
    )
    start: datetime | None = Field(None, description="When the lead enters (no offset: in tz). Default now.")
    tz: str | None = Field(None, description="Zone of times without an offset and of the output.")
    days: int = Field(90, ge=1, le=3650, description="How far to follow the lead.")

    @model_validator(mode="after")
    def _one_of_each(self) -> DryRunRequest:
        if (self.workflow_id is None) == (self.yaml is None):
            raise ValueError("give exactly one of workflow_id (a published workflow) or yaml (a draft)")
        if (self.contact is None) == (self.contact_id is None):
            raise ValueError("give exactly one of contact (the lead's fields) or contact_id (a stored lead)")
        if self.version is not None and self.workflow_id is None:
            raise ValueError("version goes with workflow_id; a draft has no version")
        return self


# --- plain functions (run in the thread pool) ---------------------------------------------------


def _latest_rows(session: Session) -> list[Workflow]:
    """The newest version of every workflow id."""
    newest = (
        sa.select(Workflow.id, sa.func.max(Workflow.version).label("version"))
        .group_by(Workflow.id)
        .subquery()
    )
    query = sa.select(Workflow).join(
        newest, sa.and_(Workflow.id == newest.c.id, Workflow.version == newest.c.version)
    )
    return list(session.scalars(query.order_by(Workflow.id)))


def _active_versions(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(Workflow.id, Workflow.version).where(Workflow.active.is_(True)))
    return {row.id: row.version for row in rows}


def _enrollment_counts(session: Session, location_id: str) -> dict[str, Counter[str]]:
    """workflow id -> status -> count, for this location's enrollments only."""
    rows = session.execute(
        sa.select(Enrollment.workflow_id, Enrollment.status, sa.func.count())
        .where(Enrollment.location_id == location_id)
        .group_by(Enrollment.workflow_id, Enrollment.status)
    )
    counts: dict[str, Counter[str]] = {}
    for workflow_id, status, count in rows:
        counts.setdefault(workflow_id, Counter())[status] = count
    return counts


def _summary(
    row: Workflow, location_id: str, active: dict[str, int], counts: dict[str, Counter[str]]
) -> WorkflowSummary:
    definition = definition_of(row)
    mine = counts.get(row.id, Counter())
    return WorkflowSummary(
        id=row.id,
        name=definition.name,
        version=row.version,
        active=row.id in active,
        active_version=active.get(row.id),
        trigger_types=[trigger.event for trigger in definition.triggers],
        step_count=len(definition.steps),
        locations=definition.locations,
        runs_here=definition.applies_to(location_id),
        enrollments={status: mine[status] for status in ENROLLMENT_STATUSES},
    )


def list_workflows(engine: Engine, location_id: str) -> list[WorkflowSummary]:
    with Session(engine) as session:
        active, counts = _active_versions(session), _enrollment_counts(session, location_id)
        return [_summary(row, location_id, active, counts) for row in _latest_rows(session)]


def workflow_detail(engine: Engine, location_id: str, workflow_id: str) -> WorkflowDetail:
    with Session(engine) as session:
        latest = latest_version(session, workflow_id)
        if latest is None:
            raise NotFound(f"no published workflow {workflow_id!r}; GET /workflows lists them")
        versions = session.scalars(
            sa.select(Workflow).where(Workflow.id == workflow_id).order_by(Workflow.version.desc())
        )
        summary = _summary(
            latest, location_id, _active_versions(session), _enrollment_counts(session, location_id)
        )
        return WorkflowDetail(
            **summary.model_dump(),
            description=definition_of(latest).description,
            checksum=latest.checksum,
            created_at=latest.created_at,
            source_yaml=latest.source_yaml,
            versions=[
                VersionInfo(version=v.version, active=v.active, checksum=v.checksum, created_at=v.created_at)
                for v in versions
            ],
        )


def _problems(problems: Iterable[Problem]) -> list[ProblemOut]:
    return [ProblemOut.model_validate(problem) for problem in problems]


def _draft_id(text: str) -> str | None:
    """The `id` a draft that does not load says it has, when it says one (for the report only)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def validate_yaml(text: str) -> ValidationReport:
    """The loader's verdict on a draft: every error and warning with its line, column and field."""
    try:
        loaded = parse_workflow(text, DRAFT_SOURCE)
    except WorkflowDefinitionError as exc:
        return ValidationReport(
            valid=False, id=_draft_id(text), problems=_problems(exc.problems), warnings=[]
        )
    warnings = _problems(loaded.warnings)
    return ValidationReport(valid=True, id=loaded.definition.id, problems=[], warnings=warnings)


def _published(session: Session, workflow_id: str, version: int | None) -> LoadedWorkflow:
    row = (
        latest_version(session, workflow_id)
        if version is None
        else session.get(Workflow, (workflow_id, version))
    )
    if row is None:
        known = list(session.scalars(sa.select(Workflow.version).where(Workflow.id == workflow_id)))
        if not known:
            raise NotFound(f"no published workflow {workflow_id!r}; GET /workflows lists them")
        listed = ", ".join(str(v) for v in sorted(known))
        raise NotFound(f"workflow {workflow_id!r} has no version {version}; its versions: {listed}")
    # The dry run publishes into its own empty store; pinning the version keeps the timeline's
    # "enrolled in ... vN" the stored version's number rather than 1.
    definition = definition_of(row).model_copy(update={"version": row.version})
    return LoadedWorkflow(definition, row.source_yaml, row.checksum, f"{row.id} v{row.version}")


def stored_contact(session: Session, location_id: str, contact_id: str) -> SimContact:
    """A stored lead as the dry run's contact: profile, consent, DND, STOP opt-out, agent.

    Only this location's leads: another location's id reads exactly like a missing one."""
    contact = session.get(Contact, (location_id, contact_id))
    if contact is None:
        raise NotFound(f"no lead {contact_id!r} in this location")
    agent = None
    if contact.assigned_user_id is not None:
        user = session.get(User, (location_id, contact.assigned_user_id))
        if user is not None:
            agent = SimAgent(name=user.name, email=user.email, phone=user.phone)
    profile = contact_profile(contact)  # the fields conditions and templates read, named as here
    raw = {
        "id": contact.id,
        **{key: value for key, value in profile.items() if key != "custom"},
        "custom_fields": profile["custom"],
        # An unusable stored zone is what the send path ignores too (it falls back to state,
        # postal code, phone, then the office): pass none rather than refuse the dry run.
        "timezone": contact.timezone if contact.timezone and valid_zone(contact.timezone) else None,
        "dnd": contact.dnd,
        "dnd_channels": dict(contact.dnd_channels or {}),
        "sms_opted_out": contact.sms_opted_out,
        "consent": contact.consent,
        "date_added": contact.date_added,
        "agent": agent,
    }
    lead: SimContact = validated(SimContact, raw, f"contact {contact_id!r}")
    return lead


def location_inputs(location: Location) -> dict[str, Any]:
    """The location as the dry run's SimLocation: the real settings, not placeholders, so an email
    the location could not send (no postal address or unsubscribe link) is skipped here too."""
    return {
        "id": location.id,
        "name": location.name,
        "timezone": location.timezone,
        "postal_address": location.postal_address,
        "help_text": location.help_text,
        "quiet_hours_start": location.quiet_hours_start,
        "quiet_hours_end": location.quiet_hours_end,
        "compliance": dict(location.compliance or {}),
    }


def dry_run(engine: Engine, location_id: str, request: DryRunRequest) -> dict[str, Any]:
    """The timeline the lead would follow through the workflow, for the caller's location."""
    with Session(engine) as session:
        location = session.get(Location, location_id)
        if location is None:  # the key was valid a moment ago; the location was just removed
            raise NotFound(f"location {location_id!r} is not in the store")
        place = location_inputs(location)
        if request.workflow_id is not None:
            workflow = _published(session, request.workflow_id, request.version)
        else:
            workflow = parse_workflow(request.yaml or "", "yaml")
        lead: SimContact | dict[str, Any] = (
            stored_contact(session, location_id, request.contact_id)
            if request.contact_id is not None
            else dict(request.contact or {})
        )
    # The simulation runs on its own in-memory store: no connection of ours is held meanwhile.
    timeline = simulate(
        workflow,
        lead,
        request.events,
        start=request.start or datetime.now(UTC),
        tz=request.tz,
        location=place,
        horizon=timedelta(days=request.days),
    )
    version = workflow.definition.version if request.workflow_id is not None else None
    return {"dry_run": True, "location_id": location_id, "workflow_version": version, **timeline.to_dict()}


# --- routes --------------------------------------------------------------------------------------


@router.get("", summary="Published workflows (latest versions) with this location's enrollment counts")
async def get_workflows(auth: LocationAuthDep, engine: EngineDep) -> list[WorkflowSummary]:
    """Every workflow id's latest version; `enrollments` counts only the API key's location."""
    return await run_in_threadpool(list_workflows, engine, auth.location_id)


@router.post(
    "/validate",
    summary="Check a workflow YAML draft: every problem with its line, column and field",
    openapi_extra={
        "requestBody": {"required": True, "content": {t: {"schema": {"type": "string"}} for t in YAML_TYPES}}
    },
)
async def post_validate(request: Request, auth: LocationAuthDep) -> ValidationReport:
    """200 with `valid` false and the problems when the draft does not load (that is an answer, not
    an error); 413 over 256 KiB; 415 for a body that is not YAML text; 400 when it is not UTF-8."""
    text = await _yaml_body(request)
    return await run_in_threadpool(validate_yaml, text)


@router.post(
    "/dry-run",
    summary="Dry run: the timeline a lead would follow (sends, deferrals, skips and why); sends nothing",
)
async def post_dry_run(body: DryRunRequest, auth: LocationAuthDep, engine: EngineDep) -> dict[str, Any]:
    """The timeline (`dry_run: true`: nothing was sent) for the API key's location, with its real
    quiet hours, compliance settings and address. 404 for an unknown workflow, version or lead (a
    lead of another location included); 422 for a draft that does not load or a bad input."""
    try:
        return await run_in_threadpool(dry_run, engine, auth.location_id, body)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except WorkflowDefinitionError as exc:
        detail = {"message": str(exc), "problems": [p.model_dump() for p in _problems(exc.problems)]}
        raise HTTPException(422, detail) from None
    except SimulationInputError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/{workflow_id}", summary="One workflow: latest version with its YAML, and every version")
async def get_workflow(workflow_id: str, auth: LocationAuthDep, engine: EngineDep) -> WorkflowDetail:
    """404 naming the id when no version of it is published."""
    try:
        return await run_in_threadpool(workflow_detail, engine, auth.location_id, workflow_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


async def _yaml_body(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in YAML_TYPES:
        shown = content_type or "none"
        raise HTTPException(415, f"Content-Type {shown}: send the YAML as {' or '.join(YAML_TYPES)}")
    limit = f"workflow files are at most {MAX_YAML_BYTES // 1024} KiB"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_YAML_BYTES:
        raise HTTPException(413, f"the body is {int(declared)} bytes; {limit}")
    body = bytearray()
    async for chunk in request.stream():  # a body without Content-Length stops at the limit too
        body += chunk
        if len(body) > MAX_YAML_BYTES:
            raise HTTPException(413, f"the body is over {MAX_YAML_BYTES} bytes; {limit}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(
            400,
            f"the body is not UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}); save it as UTF-8",
        ) from None
