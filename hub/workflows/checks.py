"""Checks a parsed workflow beyond its shape: references, conditions, templates, reachability.

Each finding carries the path of the field it is about (`("steps", 3, "body")`), so the loader can
point at the YAML line, and says what is allowed. Errors stop a workflow from loading; warnings
(an unreachable step) are reported by `validate_folder` and the linter but do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.workflows.conditions import check_condition
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.steps import (
    END,
    Branch,
    CreateCallTask,
    Enroll,
    EventMatch,
    ExitWorkflow,
    Goal,
    NotifyAgent,
    SendEmail,
    SendListingAlert,
    SendSms,
    StepBase,
    Wait,
    Webhook,
    targets,
)
from hub.workflows.templates import check_template

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    path: Path
    message: str
    severity: Literal["error", "warning"] = "error"


def check_definition(workflow: WorkflowDefinition) -> list[Finding]:
    """Every semantic problem of a workflow that parsed."""
    findings: list[Finding] = []
    findings += _check_ids(workflow)
    ids = {step.id for step in workflow.steps}
    for index, step in enumerate(workflow.steps):
        findings += check_step(step, index, ids, workflow.id)
    for index, trigger in enumerate(workflow.triggers):
        if trigger.if_:
            event = trigger.event if trigger.event != "NoInboundReply" else None
            findings += _conditions(trigger.if_, ("triggers", index, "if"), event)
    for index, match in enumerate(workflow.enrollment.exit_on):
        findings += _event_match(match, ("enrollment", "exit_on", index))
    findings += _reachability(workflow)
    return findings


def check_step(step: StepBase, index: int, ids: set[str], workflow_id: str) -> list[Finding]:
    """Problems of one step: dangling jumps, templates, conditions, self-enrollment."""
    base: Path = ("steps", index)
    findings: list[Finding] = []
    jumps = [("next", step.next)] if step.next else []
    for field, target in jumps + targets(step):
        if target != END and target not in ids:
            message = f"step {target!r} does not exist; use one of {', '.join(sorted(ids))} or `end`"
            findings.append(Finding((*base, *_split(field)), message))
    return findings + _check_step(step, base, workflow_id)


def _check_ids(workflow: WorkflowDefinition) -> list[Finding]:
    seen: dict[str, int] = {}
    findings = []
    for index, step in enumerate(workflow.steps):
        if step.id == END:
            findings.append(Finding(("steps", index, "id"), "`end` is reserved (it means: finish)"))
        elif step.id in seen:
            findings.append(
                Finding(
                    ("steps", index, "id"), f"step id {step.id!r} is already used by steps[{seen[step.id]}]"
                )
            )
        seen.setdefault(step.id, index)
    return findings


def _check_step(step: StepBase, base: Path, workflow_id: str) -> list[Finding]:
    found: list[Finding] = []
    if isinstance(step, SendSms):
        found += _templates(step.body, (*base, "body"))
        if step.fallback_email:
            found += _templates(step.fallback_email.subject, (*base, "fallback_email", "subject"))
            found += _templates(step.fallback_email.html, (*base, "fallback_email", "html"), html=True)
    elif isinstance(step, SendEmail):
        found += _templates(step.subject, (*base, "subject"))
        found += _templates(step.html, (*base, "html"), html=True)
        if step.fallback_sms:
            found += _templates(step.fallback_sms, (*base, "fallback_sms"))
    elif isinstance(step, SendListingAlert) and step.intro:
        found += _templates(step.intro, (*base, "intro"))
    elif isinstance(step, CreateCallTask):
        found += _templates(step.title, (*base, "title"))
        if step.body:
            found += _templates(step.body, (*base, "body"))
    elif isinstance(step, NotifyAgent):
        found += _templates(step.message, (*base, "message"))
    elif isinstance(step, Webhook):
        for key, value in step.body.items():
            found += _templates(value, (*base, "body", key))
    elif isinstance(step, Branch):
        for i, case in enumerate(step.branches):
            found += _conditions(case.if_, (*base, "branches", i, "if"), None)
    elif isinstance(step, Goal):
        if step.if_:
            found += _conditions(step.if_, (*base, "if"), step.event)
    elif isinstance(step, Wait) and step.for_event is not None:
        found += _event_match(step.for_event, (*base, "for_event"))
    elif isinstance(step, Enroll | ExitWorkflow) and step.workflow == workflow_id:
        verb = "enroll into" if isinstance(step, Enroll) else "exit"
        found.append(
            Finding((*base, "workflow"), f"a workflow cannot {verb} itself; use `next: end` to finish")
        )
    return found


def _templates(source: str, path: Path, *, html: bool = False) -> list[Finding]:
    return [Finding(path, problem) for problem in check_template(source, html=html)]


def _conditions(expression: str, path: Path, event_type: str | None) -> list[Finding]:
    return [Finding(path, problem) for problem in check_condition(expression, event_type=event_type)]


def _event_match(match: EventMatch, path: Path) -> list[Finding]:
    return _conditions(match.if_, (*path, "if"), match.event) if match.if_ else []


def _reachability(workflow: WorkflowDefinition) -> list[Finding]:
    ids = {step.id for step in workflow.steps}
    reached: set[str] = set()
    pending = [workflow.steps[0].id, *(goal.id for goal in workflow.goals())]
    while pending:
        current = pending.pop()
        if current in reached or current not in ids:
            continue
        reached.add(current)
        step = workflow.step(current)
        pending.append(workflow.following(current))
        pending += [target for _, target in targets(step)]
    return [
        Finding(("steps", i, "id"), f"step {step.id!r} can never be reached", "warning")
        for i, step in enumerate(workflow.steps)
        if step.id not in reached
    ]


def _split(field: str) -> Path:
    """ "branches[2].next" -> ("branches", 2, "next")."""
    parts: list[str | int] = []
    for piece in field.split("."):
        if "[" in piece:
            name, index = piece.rstrip("]").split("[")
            parts += [name, int(index)]
        else:
            parts.append(piece)
    return tuple(parts)
