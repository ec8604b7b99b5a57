"""Guards 3 and 4 at send time: no SMS after a STOP, and no automated marketing SMS without consent.

Recording the STOP is hub.compliance.opt_out's job (and the lead state's); here the recorded
`sms_opted_out` flag is honoured on every send, whatever GHL's DND says later (our own record stays,
COMPLIANCE.md guard 3). Consent (market.md (c)3, [C7]) is either recorded on the contact (source,
time, wording) or given by the location's standing policy for the lead source the contact came from;
otherwise the SMS is skipped with a reason that says what to record. GHL's deliverability guidance
asks to reconfirm opt-in every 18 months (market.md (c)8, [G19]); an older record no longer counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.compliance.decisions import Channel, Suppress
from hub.compliance.policy import LocationPolicy

CONSENT_MAX_AGE = timedelta(days=548)  # 18 months


def check_opt_out(
    channel: Channel,
    opted_out: bool,
    opted_out_at: datetime | None,
    evidence: Mapping[str, Any] | None = None,
    phone: str | None = None,
) -> Suppress | None:
    """Guard 3: the contact sent STOP (or an equivalent); SMS stays off until they send START.
    Guard 8: a carrier's opt-out or dead-number report (hub.compliance.carrier) counts the same,
    for the number it was reported for: a contact whose phone changed since may be texted."""
    if channel != "SMS" or not opted_out:
        return None
    when = f" on {opted_out_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if opted_out_at else ""
    carrier = (evidence or {}).get("carrier")
    if isinstance(carrier, Mapping):
        reported_for = carrier.get("phone")
        if reported_for and phone and _digits(reported_for) != _digits(phone):
            return None
        return Suppress(
            "opt_out",
            f"SMS to this number was suppressed{when} by a carrier report, {carrier.get('rule')}; "
            "only the contact's START or a new phone number lifts it",
            True,
        )
    return Suppress("opt_out", f"the contact opted out of SMS{when}; only START re-subscribes", True)


def _digits(phone: object) -> str:
    return "".join(ch for ch in str(phone) if ch.isdigit())


def check_consent(
    channel: Channel,
    consent: Mapping[str, Any] | None,
    source: str | None,
    policy: LocationPolicy,
    now: datetime,
) -> tuple[Suppress | None, str]:
    """Guard 4 for SMS: (None, what the consent rests on) or (Suppress, ""). Other channels pass."""
    if channel != "SMS":
        return None, ""
    recorded, problem = _recorded_consent(consent, now)
    if recorded:
        return None, recorded
    standing = policy.sms_consent_policy
    if standing is not None and standing.covers(source):
        return None, f"location consent policy for source {source!r}: {standing.wording[:80]!r}"
    why = problem or "no consent recorded on the contact"
    hint = (
        "record consent on the contact (source, at, wording) or add the lead source to the "
        "location's sms_consent_policy"
    )
    if standing is not None:
        why += f"; the location's consent policy does not cover source {source!r}"
    return Suppress("consent", f"{why}; {hint}", failover_ok=True), ""


def _recorded_consent(consent: Mapping[str, Any] | None, now: datetime) -> tuple[str, str]:
    if not consent:
        return "", ""
    missing = [key for key in ("source", "wording") if not str(consent.get(key) or "").strip()]
    at = _parse_time(consent.get("at") or consent.get("time"))
    if at is None:
        missing.append("at")
    if missing:
        return "", f"the consent recorded on the contact lacks {', '.join(missing)}"
    assert at is not None
    if now - at > CONSENT_MAX_AGE:
        return "", f"the consent recorded on {at:%Y-%m-%d} is older than 18 months and must be reconfirmed"
    return f"consent recorded {at:%Y-%m-%d} via {consent['source']}", ""


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
