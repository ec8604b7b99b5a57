"""Guards 3 and 4 at send time: STOP recorded, consent recorded or covered by the location's policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.compliance.consent import check_consent, check_opt_out
from hub.compliance.policy import LocationPolicy, SmsConsentPolicy

NOW = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)
RECORDED = {"source": "website form /buy", "at": "2026-05-01T10:00:00Z", "wording": "I agree to texts"}
STANDING = SmsConsentPolicy(wording="By submitting you agree to receive automated texts", sources=["Zillow"])


def test_an_opted_out_contact_gets_no_sms_but_may_get_email() -> None:
    decision = check_opt_out("SMS", True, NOW - timedelta(days=1))
    assert decision is not None and decision.guard == "opt_out" and decision.failover_ok
    assert "2026-09-09" in decision.reason
    assert check_opt_out("Email", True, NOW) is None
    assert check_opt_out("SMS", False, None) is None


def test_recorded_consent_allows_and_says_what_it_rests_on() -> None:
    refused, basis = check_consent("SMS", RECORDED, "Website", LocationPolicy(), NOW)
    assert refused is None
    assert "2026-05-01" in basis and "website form" in basis


def test_incomplete_consent_names_what_is_missing() -> None:
    refused, _ = check_consent("SMS", {"source": "form"}, None, LocationPolicy(), NOW)
    assert refused is not None and refused.guard == "consent"
    assert "lacks wording, at" in refused.reason


def test_consent_older_than_18_months_must_be_reconfirmed() -> None:
    old = {**RECORDED, "at": (NOW - timedelta(days=600)).isoformat()}
    refused, _ = check_consent("SMS", old, None, LocationPolicy(), NOW)
    assert refused is not None and "18 months" in refused.reason


def test_the_locations_standing_policy_covers_its_sources_only() -> None:
    policy = LocationPolicy(sms_consent_policy=STANDING)
    refused, basis = check_consent("SMS", None, "zillow", policy, NOW)
    assert refused is None and "location consent policy" in basis
    refused, _ = check_consent("SMS", None, "Facebook", policy, NOW)
    assert refused is not None and "does not cover source 'Facebook'" in refused.reason


def test_without_any_consent_the_sms_is_skipped_with_what_to_do() -> None:
    refused, _ = check_consent("SMS", None, "Website", LocationPolicy(), NOW)
    assert refused is not None and refused.failover_ok
    assert "record consent on the contact" in refused.reason


def test_email_and_call_tasks_do_not_need_sms_consent() -> None:
    assert check_consent("Email", None, None, LocationPolicy(), NOW) == (None, "")
    assert check_consent("call_task", None, None, LocationPolicy(), NOW) == (None, "")
