"""The YAML workflow engine: language, triggers, enrollments, and the dispatcher core.

    from hub.workflows import load_workflow, publish_workflow, handle_events, dispatch_due

Language: hub.workflows.definition / steps (pydantic), loader (YAML with file:line:field errors),
schema (JSON Schema), conditions (simpleeval), templates (sandboxed Jinja2), preview.
Runtime: triggers + reactions (+ intake.handle_events), enrollment (versions, pinning, hold/resume),
migration (opt-in version moves), runner (steps), dispatch (claims + at-most-once sends through
hub.sending and the guards of hub.compliance). Dry runs: simulate (the real engine on an in-memory
store and a virtual clock, GHL replaced by dry_run_ghl's recorder) returns a timeline.
docs/workflows.md is the language reference.
"""

from __future__ import annotations

from hub.workflows.definition import WorkflowDefinition
from hub.workflows.dispatch import DispatchReport, dispatch_due
from hub.workflows.enrollment import (
    EnrollResult,
    deactivate_workflow,
    enroll,
    publish_workflow,
    resume_enrollment,
)
from hub.workflows.events import WorkflowEvent, from_change
from hub.workflows.intake import EventOutcome, handle_events
from hub.workflows.loader import (
    LoadedWorkflow,
    Problem,
    WorkflowDefinitionError,
    load_workflow,
    parse_workflow,
    validate_folder,
)
from hub.workflows.migration import MigrationReport, migrate_enrollments
from hub.workflows.preview import Preview, preview
from hub.workflows.reactions import react_to_events
from hub.workflows.schema import export_json_schema, write_json_schema
from hub.workflows.triggers import EnrollmentRequest, evaluate_schedules, evaluate_triggers, start_enrollments

__all__ = [
    "DispatchReport",
    "EnrollResult",
    "EnrollmentRequest",
    "EventOutcome",
    "LoadedWorkflow",
    "MigrationReport",
    "Preview",
    "Problem",
    "WorkflowDefinition",
    "WorkflowDefinitionError",
    "WorkflowEvent",
    "deactivate_workflow",
    "dispatch_due",
    "enroll",
    "evaluate_schedules",
    "evaluate_triggers",
    "export_json_schema",
    "from_change",
    "handle_events",
    "load_workflow",
    "migrate_enrollments",
    "parse_workflow",
    "preview",
    "publish_workflow",
    "react_to_events",
    "resume_enrollment",
    "start_enrollments",
    "validate_folder",
    "write_json_schema",
]
