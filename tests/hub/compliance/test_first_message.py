"""Guard 5: business name + STOP wording on the first SMS; unsubscribe link + postal address on email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.compliance.decisions import Suppress
from hub.compliance.first_message import OPT_OUT_SENTENCE, has_opt_out_wording, prepare_email, prepare_sms

NOW = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def test_the_first_sms_gets_the_business_name_and_stop_wording() -> None:
    text, notes = prepare_sms(
        "Hi Dana, still looking?",
        business_name="Oak Realty",
        first_sms=True,
        last_opt_out_wording_at=None,
        now=NOW,
    )
    assert text == f"Oak Realty: Hi Dana, still looking? {OPT_OUT_SENTENCE}"
    assert len(notes) == 2


def test_nothing_is_added_twice() -> None:
    body = "Hi Dana, it's Sam at oak realty. Reply STOP to opt out."
    text, notes = prepare_sms(
        body, business_name="Oak Realty", first_sms=True, last_opt_out_wording_at=None, now=NOW
    )
    assert text == body and notes == []


def test_later_texts_repeat_stop_wording_every_30_days() -> None:
    recent = prepare_sms(
        "Hi", business_name="Oak", first_sms=False, last_opt_out_wording_at=NOW - timedelta(days=3), now=NOW
    )
    assert recent[0] == "Hi"
    stale = prepare_sms(
        "Hi", business_name="Oak", first_sms=False, last_opt_out_wording_at=NOW - timedelta(days=31), now=NOW
    )
    assert stale[0].endswith(OPT_OUT_SENTENCE) and not stale[0].startswith("Oak")


def test_opt_out_wording_is_recognised_in_its_usual_forms() -> None:
    for text in ("Reply STOP to opt out", "text stop to end", "STOP to unsubscribe", "reply 'STOP'"):
        assert has_opt_out_wording(text), text
    assert not has_opt_out_wording("Don't stop believing")


def test_email_gets_the_footer_with_escaped_values_and_the_contacts_link() -> None:
    result = prepare_email(
        "<p>Hi</p>",
        business_name="Oak & Sons <Realty>",
        postal_address="1 Main St",
        unsubscribe_url="https://hub.example/u?l={location_id}&c={contact_id}",
        location_id="L 1",
        contact_id="C/1",
    )
    assert isinstance(result, tuple)
    html, _ = result
    assert "Oak &amp; Sons &lt;Realty&gt;" in html and "1 Main St" in html
    assert 'href="https://hub.example/u?l=L%201&amp;c=C%2F1"' in html


def test_email_without_a_postal_address_or_unsubscribe_link_is_suppressed() -> None:
    result = prepare_email(
        "<p>Hi</p>",
        business_name="Oak",
        postal_address=None,
        unsubscribe_url=None,
        location_id="L1",
        contact_id="C1",
    )
    assert isinstance(result, Suppress)
    assert "postal address" in result.reason and "unsubscribe link" in result.reason
