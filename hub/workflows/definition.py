"""A workflow definition: identity, triggers, enrollment settings and steps (docs/workflows.md).

There is deliberately no field that relaxes a compliance guard: quiet hours, DND, STOP, consent,
first-message content, caps and human takeover are enforced in the send path for every workflow.
Settings here can only narrow them (a send window, lower caps) or choose between two safe reactions
(exit or hold when the lead replies; there is no "keep going").
"""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from hub.compliance.policy import MAX_DAILY_CAP, CapChannel
from hub.workflows.durations import Duration
from hub.workflows.events import SCHEDULED_TRIGGERS
from hub.workflows.steps import (
    END,
    WORKFLOW_ID_PATTERN,
    EventMatch,
    EventType,
    Goal,
    Step,
    StepBase,
    Strict,
    Weekday,
)

TriggerType = EventType | Literal["NoInboundReply"]


class Trigger(Strict):
    """When to enroll a lead: an event (with a condition), a count of events in a window, a score
    crossing, a tier change, or (scheduled) no inbound reply for a while."""

    event: TriggerType
    if_: str | None = Field(None, alias="if", description="Condition on the contact and `event.*`.")
    at_least: int | None = Field(None, ge=2, description="Fire on the Nth such event within `within`.")
    within: Duration | None = None
    model: Literal["conversion", "churn"] = Field("conversion", description="ScoreChanged / TierChanged.")
    crossed_above: float | None = Field(None, ge=0, le=1, description="ScoreChanged: rose past this.")
    crossed_below: float | None = Field(None, ge=0, le=1, description="ScoreChanged: fell past this.")
    became: str | None = Field(None, description="TierChanged: the new tier, e.g. high.")
    no_inbound_for: Duration | None = Field(None, description="NoInboundReply: silence this long.")
    cooldown: Duration | None = Field(None, description="Not again for the same lead within this long.")

    @model_validator(mode="after")
    def _consistent(self) -> Trigger:
        if (self.at_least is None) != (self.within is None):
            raise ValueError("at_least and within go together (e.g. at_least: 3, within: 24h)")
        score_only = self.crossed_above is not None or self.crossed_below is not None
        if score_only and self.event != "ScoreChanged":
            raise ValueError("crossed_above / crossed_below only apply to event ScoreChanged")
        if self.became is not None and self.event != "TierChanged":
            raise ValueError("became only applies to event TierChanged")
        scheduled = self.event in SCHEDULED_TRIGGERS
        if scheduled != (self.no_inbound_for is not None):
            raise ValueError("event NoInboundReply needs no_inbound_for, and only it takes that field")
        if scheduled and self.at_least is not None:
            raise ValueError("NoInboundReply is a schedule; at_least / within do not apply")
        return self


class ReEntry(Strict):
    allowed: bool = Field(False, description="May a lead who finished (or left) enroll again?")
    cooldown: Duration | None = Field(
        None, description="With allowed: not within this long of the last start."
    )


class SendWindowSpec(Strict):
    """When this workflow prefers to send, in the lead's time zone; it only ever narrows quiet hours."""

    start: time
    end: time
    days: list[Weekday] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SendWindowSpec:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:%H:%M}) must be before end ({self.end:%H:%M})")
        return self


class ChannelSettings(Strict):
    prefer: Literal["step", "SMS", "Email"] = Field(
        "step", description="For steps with content for both channels: which to try first."
    )
    failover: bool = Field(
        False, description="Use the step's other-channel content when its channel is blocked."
    )


class EnrollmentSettings(Strict):
    re_entry: ReEntry = Field(default_factory=ReEntry)
    stop_on_reply: Literal["exit", "hold"] = Field(
        "exit", description="An inbound reply exits the enrollment or holds it for an agent (guard 7)."
    )
    on_agent_message: Literal["hold", "exit"] = "hold"
    on_appointment: Literal["exit", "hold"] = "exit"
    exit_on: list[EventMatch] = Field(default_factory=list, description="Events that end the enrollment.")
    send_window: SendWindowSpec | None = None
    frequency_caps: dict[CapChannel, int] = Field(
        default_factory=dict, description=f"Lower per-day caps for this workflow (1..{MAX_DAILY_CAP})."
    )
    channels: ChannelSettings = Field(default_factory=ChannelSettings)

    @field_validator("stop_on_reply", "on_agent_message", "on_appointment", mode="before")
    @classmethod
    def _no_off_switch(cls, value: Any) -> Any:
        if isinstance(value, bool) or value in ("off", "continue", "none", None):
            raise ValueError(
                "automation cannot keep going after a human conversation starts (COMPLIANCE.md "
                "guard 7); choose exit or hold"
            )
        return value

    @field_validator("frequency_caps")
    @classmethod
    def _caps_in_range(cls, caps: dict[str, int]) -> dict[str, int]:
        for channel, cap in caps.items():
            if not 1 <= cap <= MAX_DAILY_CAP:
                raise ValueError(f"{channel}: {cap} is outside 1..{MAX_DAILY_CAP}")
        return caps


class WorkflowDefinition(Strict):
    id: str = Field(pattern=WORKFLOW_ID_PATTERN, description="Stable id: lower_snake_case.")
    name: str = Field(min_length=1)
    version: int | None = Field(None, ge=1, description="Optional; publishing assigns the next one.")
    description: str | None = None
    locations: list[str] | None = Field(None, description="GHL location ids it runs in; omitted = all.")
    triggers: list[Trigger] = Field(default_factory=list)
    enrollment: EnrollmentSettings = Field(default_factory=EnrollmentSettings)
    steps: list[Step] = Field(min_length=1)

    def step(self, step_id: str) -> StepBase:
        """The step named `step_id`; KeyError if there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def has_step(self, step_id: str) -> bool:
        return any(step.id == step_id for step in self.steps)

    def following(self, step_id: str) -> str:
        """The step after `step_id`: its `next`, else the next in the list, else `end`."""
        index = next(i for i, step in enumerate(self.steps) if step.id == step_id)
        explicit = self.steps[index].next
        if explicit:
            return explicit
        return self.steps[index + 1].id if index + 1 < len(self.steps) else END

    def goals(self) -> list[Goal]:
        return [step for step in self.steps if isinstance(step, Goal)]

    def applies_to(self, location_id: str) -> bool:
        return self.locations is None or location_id in self.locations

    def to_json(self) -> dict[str, Any]:
        """The definition as stored in `workflows.definition` (aliases, so it parses back)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
