"""The step types of the workflow language, one pydantic model each, told apart by `type`.

Like a prefect.yaml step, every step has a reserved `id` (named steps, referenced by `next`,
branches, goals and the send ledger) and an optional `next`, which defaults to the following step;
the reserved target `end` finishes the enrollment. Unknown fields are errors, so a typo never turns
into a silently ignored setting.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.workflows.durations import Duration
from hub.workflows.events import EVENT_TYPES

STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
END = "end"
WORKFLOW_ID_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
LEAD_AGENT = "lead_agent"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)


class EventMatch(Strict):
    """An event, optionally with a condition on it and the contact (`event.<field>`, `tags`, ...)."""

    event: EventType = Field(description="Event type (GHL webhook type or one of ours).")
    if_: str | None = Field(None, alias="if", description="Condition; see docs/workflows.md.")


class StepBase(Strict):
    id: str = Field(pattern=STEP_ID_PATTERN, description="Unique step name: lower_snake_case.")
    next: str | None = Field(None, description="Step to run next; default the following one; `end` ends.")
    description: str | None = None


class EmailContentSpec(Strict):
    subject: str = Field(min_length=1, description="Jinja2 template.")
    html: str = Field(min_length=1, description="Jinja2 template (HTML; values are escaped).")


class SendSms(StepBase):
    """Text the lead. The engine adds the business name and STOP wording where guard 5 needs them."""

    type: Literal["send_sms"]
    body: str = Field(min_length=1, description="Jinja2 template of the text.")
    fallback_email: EmailContentSpec | None = Field(
        None, description="Sent instead when SMS is impossible and enrollment.channels.failover is on."
    )


class SendEmail(StepBase):
    """Email the lead. The engine appends the unsubscribe link and the postal address."""

    type: Literal["send_email"]
    subject: str = Field(min_length=1, description="Jinja2 template.")
    html: str = Field(min_length=1, description="Jinja2 template (HTML; values are escaped).")
    fallback_sms: str | None = Field(
        None, description="Text sent instead when email is impossible and failover is on."
    )


class SendListingAlert(StepBase):
    """Send the lead their best new listing matches (from `match_listings`): a short list by SMS or
    cards by email, through the normal send path (every compliance guard applies). A listing is
    never alerted to the same lead twice; the step is skipped when there is nothing new or the lead
    already had `max_per_week` alerts in the last 7 days."""

    type: Literal["send_listing_alert"]
    channel: Literal["SMS", "Email"] = Field("SMS", description="Channel to try first.")
    max_listings: int = Field(3, ge=1, le=10, description="Listings named in one alert.")
    max_per_week: int = Field(
        2, ge=1, le=7, description="Alerts a lead may get in any 7 days, from any workflow."
    )
    min_score: float | None = Field(None, ge=0, description="Leave out matches scoring below this.")
    intro: str | None = Field(None, description="Jinja2 template of the first line.")
    listing_url: str | None = Field(
        None,
        pattern=r"^https?://\S*\{listing_id\}\S*$",
        description="Link to each listing; `{listing_id}` is replaced, e.g. https://site/l/{listing_id}.",
    )


class CreateCallTask(StepBase):
    """A GHL task for an agent to call the lead, due inside the lead's calling hours."""

    type: Literal["create_call_task"]
    title: str = Field(min_length=1, description="Jinja2 template.")
    body: str | None = Field(None, description="Jinja2 template.")
    due_in: Duration = Field(timedelta(0), description="Due this long after the step runs.")
    assign_to: str = Field(LEAD_AGENT, description="`lead_agent` (the contact's agent) or a GHL user id.")


class Wait(StepBase):
    """Pause: for a duration, until a time of day in the lead's zone, or until an event (with timeout)."""

    type: Literal["wait"]
    duration: Duration | None = None
    until_time: time | None = Field(None, description="Local time of day in the lead's time zone.")
    on_days: list[Weekday] | None = Field(None, description="With until_time: only these weekdays.")
    for_event: EventMatch | None = None
    timeout: Duration | None = Field(None, description="With for_event: give up after this long.")
    on_event: str | None = Field(None, description="With for_event: step when the event came.")
    on_timeout: str | None = Field(None, description="With for_event: step after the timeout.")

    @model_validator(mode="after")
    def _one_kind(self) -> Wait:
        kinds = [k for k in ("duration", "until_time", "for_event") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a wait needs exactly one of duration, until_time or for_event"
                + (f" (got {', '.join(kinds)})" if kinds else "")
            )
        if (self.for_event is None) != (self.timeout is None):
            raise ValueError("for_event and timeout go together: a wait for an event always has a timeout")
        if self.for_event is None and (self.on_event or self.on_timeout):
            raise ValueError("on_event / on_timeout only apply to a wait with for_event")
        if self.on_days is not None and self.until_time is None:
            raise ValueError("on_days only applies to a wait with until_time")
        return self


class BranchCase(Strict):
    if_: str = Field(alias="if", description="Condition; the first true case wins.")
    next: str


class Branch(StepBase):
    """if / elif / else: the first case whose condition holds picks the next step."""

    type: Literal["branch"]
    branches: list[BranchCase] = Field(min_length=1)
    else_: str | None = Field(None, alias="else", description="Step when no case holds; default next.")


class Goal(StepBase):
    """When the event happens, from anywhere in the workflow, the enrollment jumps here."""

    type: Literal["goal"]
    event: EventType
    if_: str | None = Field(None, alias="if")
    on_reach: Literal["continue", "wait", "end"] = Field(
        "continue", description="Reached in sequence without the event: go on, wait for it, or end."
    )


class Variant(Strict):
    name: str = Field(pattern=STEP_ID_PATTERN)
    weight: int = Field(ge=1, description="Relative weight.")
    next: str


class AbSplit(StepBase):
    """Weighted random split, sticky per contact (the same lead always gets the same arm)."""

    type: Literal["ab_split"]
    variants: list[Variant] = Field(min_length=2)


class AddTag(StepBase):
    type: Literal["add_tag"]
    tags: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class RemoveTag(StepBase):
    type: Literal["remove_tag"]
    tags: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class MoveStage(StepBase):
    """Move the lead's open opportunity in `pipeline` to `stage` (names as in GHL)."""

    type: Literal["move_stage"]
    pipeline: str = Field(min_length=1)
    stage: str = Field(min_length=1)


class NotifyAgent(StepBase):
    """Tell the agent: a note on the contact in GHL and an item on the live dashboard."""

    type: Literal["notify_agent"]
    message: str = Field(min_length=1, description="Jinja2 template.")
    user: str = Field(LEAD_AGENT, description="`lead_agent` or a GHL user id.")


class Webhook(StepBase):
    """POST/PUT a JSON body to a URL, signed with HMAC-SHA256 (X-Hub-Signature-256)."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://\S+$")
    method: Literal["POST", "PUT"] = "POST"
    body: dict[str, str] = Field(default_factory=dict, description="Values are Jinja2 templates.")
    secret: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="Name of the signing secret.")


class Enroll(StepBase):
    """Start another workflow for the lead (its own re-entry rules apply)."""

    type: Literal["enroll"]
    workflow: str = Field(pattern=WORKFLOW_ID_PATTERN)


class ExitWorkflow(StepBase):
    """End the lead's enrollment in another workflow."""

    type: Literal["exit"]
    workflow: str = Field(pattern=WORKFLOW_ID_PATTERN)


Step = Annotated[
    SendSms
    | SendEmail
    | SendListingAlert
    | CreateCallTask
    | Wait
    | Branch
    | Goal
    | AbSplit
    | AddTag
    | RemoveTag
    | MoveStage
    | NotifyAgent
    | Webhook
    | Enroll
    | ExitWorkflow,
    Field(discriminator="type"),
]
STEP_MODELS: dict[str, type[StepBase]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in (
        SendSms,
        SendEmail,
        SendListingAlert,
        CreateCallTask,
        Wait,
        Branch,
        Goal,
        AbSplit,
        AddTag,
        RemoveTag,
        MoveStage,
        NotifyAgent,
        Webhook,
        Enroll,
        ExitWorkflow,
    )
}
MESSAGE_STEPS = (SendSms, SendEmail)


def targets(step: StepBase) -> list[tuple[str, str]]:
    """Every (field, step id) a step may jump to, besides its `next`."""
    found: list[tuple[str, str]] = []
    if isinstance(step, Branch):
        found += [(f"branches[{i}].next", case.next) for i, case in enumerate(step.branches)]
        if step.else_:
            found.append(("else", step.else_))
    elif isinstance(step, AbSplit):
        found += [(f"variants[{i}].next", v.next) for i, v in enumerate(step.variants)]
    elif isinstance(step, Wait):
        found += [(name, getattr(step, name)) for name in ("on_event", "on_timeout") if getattr(step, name)]
    return found
