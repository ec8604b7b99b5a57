"""A location's compliance settings (`Location.compliance` JSON): what a brokerage may tune.

Settings can narrow a guard (fewer messages a day, email quiet hours on) or supply what a guard
needs (the business name, the consent policy behind its lead forms, the unsubscribe link); no
setting can switch a guard off. Caps have a hard ceiling for that reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.errors import ConfigError

# Above this a daily "cap" would no longer protect anyone; a brokerage asking for more is told so.
MAX_DAILY_CAP = 10
CapChannel = Literal["SMS", "Email", "call_task"]
DEFAULT_DAILY_CAPS: dict[CapChannel, int] = {"SMS": 3, "Email": 3, "call_task": 3}


class SmsConsentPolicy(BaseModel):
    """The location's standing consent: its lead sources collect prior express written consent with
    this wording (market.md (c)3), so contacts from those sources count as consented."""

    model_config = ConfigDict(extra="forbid")

    wording: str = Field(min_length=20, description="The exact consent text shown on the lead forms.")
    sources: list[str] = Field(
        min_length=1, description='Contact `source` values it covers (case-insensitive); "*" = every source.'
    )
    evidence: str | None = Field(None, description="Where the form and its wording can be checked (URL).")
    adopted_at: datetime | None = None

    def covers(self, source: str | None) -> bool:
        """True when a contact with this `source` came through a form under this policy."""
        wanted = {s.strip().lower() for s in self.sources}
        return "*" in wanted or (source is not None and source.strip().lower() in wanted)


class LocationPolicy(BaseModel):
    """Parsed `Location.compliance`; every field optional, defaults are the safe ones."""

    model_config = ConfigDict(extra="forbid")

    business_name: str | None = Field(
        None, description="Name the first SMS must carry (guard 5); defaults to the location's name."
    )
    daily_caps: dict[CapChannel, int] = Field(
        default_factory=lambda: dict(DEFAULT_DAILY_CAPS),
        description=f"Sends per contact per channel per rolling 24 h (guard 6), 1..{MAX_DAILY_CAP}.",
    )
    sms_consent_policy: SmsConsentPolicy | None = None
    email_quiet_hours: bool = Field(False, description="Hold email to the SMS quiet hours too (guard 1).")
    unsubscribe_url: str | None = Field(
        None,
        description="Email unsubscribe link (guard 5); {contact_id} and {location_id} are filled in.",
        pattern=r"^https?://",
    )

    def cap(self, channel: CapChannel) -> int:
        """The location's daily cap for `channel`, never above MAX_DAILY_CAP."""
        value = self.daily_caps.get(channel, DEFAULT_DAILY_CAPS[channel])
        return max(1, min(value, MAX_DAILY_CAP))


def parse_policy(location_id: str, raw: dict[str, Any] | None) -> LocationPolicy:
    """The policy stored for a location; a malformed one raises ConfigError naming the field."""
    try:
        policy = LocationPolicy.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ConfigError(
            f"locations[{location_id}].compliance",
            f"{field}: {first['msg']}; fix the location's compliance settings "
            f"({exc.error_count()} problem(s))",
        ) from None
    for channel, value in policy.daily_caps.items():
        if not 1 <= value <= MAX_DAILY_CAP:
            raise ConfigError(
                f"locations[{location_id}].compliance",
                f"daily_caps.{channel} = {value}; a cap must be between 1 and {MAX_DAILY_CAP}",
            )
    return policy
