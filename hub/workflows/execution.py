"""What running one step needs (StepContext) and what it decides (a Transition).

Steps never change the enrollment themselves; they return one of:
    Go(step)            continue at `step` (or `end`)
    Sleep(until)        stay on this step until `until` (None: until an event wakes it)
    Finish(status, why) completed / exited / failed (a failure is the dead letter, with its reason)
    Hold(why)           human takeover: stop until an agent resumes the enrollment
and hub.workflows.runner applies it, so every state change happens in one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session

from hub.compliance.guards import WorkflowLimits
from hub.compliance.policy import LocationPolicy
from hub.compliance.quiet_hours import WEEKDAYS, Interval
from hub.ghl.client import GHLClient
from hub.sending.sender import Prefetched
from hub.store.models import Contact, Enrollment, Location
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.facts import lead_facts, template_variables

SecretProvider = Callable[[str, str], SecretStr]
"""`secrets(location_id, name)` -> the webhook signing secret `name` of a location."""


@dataclass(frozen=True, slots=True)
class Go:
    step: str


@dataclass(frozen=True, slots=True)
class Sleep:
    until: datetime | None
    waiting_for_event: bool = False
    transient: bool = False  # a retry after a GHL failure, counted against the retry budget
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Finish:
    status: Literal["completed", "exited", "failed"]
    reason: str


@dataclass(frozen=True, slots=True)
class Hold:
    reason: str


Transition = Go | Sleep | Finish | Hold


@dataclass(slots=True)
class EngineDeps:
    """What the engine talks to: GHL, and (for webhook steps) an HTTP client and the secrets."""

    client: GHLClient
    http: httpx.Client | None = None
    webhook_secrets: SecretProvider | None = None
    max_retries: int = 5  # transient failures of one step before it is dead-lettered
    tally: Counter[str] = field(default_factory=Counter)  # send outcomes of this run, by status


@dataclass(slots=True)
class StepContext:
    session: Session
    deps: EngineDeps
    enrollment: Enrollment
    definition: WorkflowDefinition
    contact: Contact
    location: Location
    policy: LocationPolicy
    now: datetime
    prefetched: Prefetched | None = None  # the dispatcher's bulk read of the batch (batch_facts)
    _facts: dict[str, Any] | None = field(default=None, repr=False)
    _variables: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def facts(self) -> dict[str, Any]:
        if self._facts is None:
            self._facts = lead_facts(self.session, self.contact, now=self.now)
        return self._facts

    @property
    def variables(self) -> dict[str, Any]:
        if self._variables is None:
            trigger = self.enrollment.context.get("trigger") or {}
            self._variables = template_variables(
                self.session, self.contact, self.location, self.policy, trigger
            )
        return self._variables

    @property
    def visit(self) -> str:
        """The enrollment's visit number of its current step (the ledger's attempt key)."""
        visits = self.enrollment.context.get("visits", {})
        return str(visits.get(self.enrollment.current_step_id, 1))

    @property
    def since(self) -> datetime:
        """Start of the enrollment, or the last time an agent resumed it (takeover guard)."""
        cleared = self.enrollment.context.get("takeover_cleared_at")
        return datetime.fromisoformat(cleared) if cleared else self.enrollment.started_at

    def limits(self) -> WorkflowLimits:
        settings = self.definition.enrollment
        window = settings.send_window
        if window is None:
            return WorkflowLimits(caps=dict(settings.frequency_caps))
        days = frozenset(WEEKDAYS.index(d) for d in window.days) if window.days else None
        return WorkflowLimits(
            Interval(window.start, window.end, "workflow send window"), days, dict(settings.frequency_caps)
        )
