"""Guard 5, message content: who is writing, how to opt out, where the sender is.

* SMS (CTIA, carriers; market.md (c)8, [G19,C14]): the first text a contact gets from us names the
  business and carries STOP wording; the wording is repeated when none of our texts carried it in
  the last 30 days. The engine adds what is missing; authors need not remember.
* Email (CAN-SPAM; market.md (c)9, [C8,C9]): every email carries a working unsubscribe link and the
  location's physical postal address. A location without either cannot send email: the step is
  suppressed with a reason saying what to set, never sent without them.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import quote

from hub.compliance.decisions import Suppress

OPT_OUT_REPEAT = timedelta(days=30)
OPT_OUT_SENTENCE = "Reply STOP to opt out."
# "Reply STOP", "text STOP to ...", "STOP to opt out / unsubscribe / end" all tell the lead how.
_OPT_OUT_WORDING = re.compile(
    r"\b(reply|text|send)\s+[\"']?stop\b|\bstop\b[\"']?\s+to\s+(opt[\s-]?out|unsubscribe|end|cancel|stop)",
    re.IGNORECASE,
)
UNSUBSCRIBE_MARKER = "data-hub-unsubscribe"


def has_opt_out_wording(body: str) -> bool:
    """True when the text already tells the lead how to opt out."""
    return bool(_OPT_OUT_WORDING.search(body))


def prepare_sms(
    body: str,
    *,
    business_name: str,
    first_sms: bool,
    last_opt_out_wording_at: datetime | None,
    now: datetime,
) -> tuple[str, list[str]]:
    """The text to send and notes on what was added (guard 5)."""
    notes: list[str] = []
    text = body.strip()
    if first_sms and business_name.lower() not in text.lower():
        text = f"{business_name}: {text}"
        notes.append("business name added (first SMS)")
    stale = last_opt_out_wording_at is None or now - last_opt_out_wording_at > OPT_OUT_REPEAT
    if (first_sms or stale) and not has_opt_out_wording(text):
        text = f"{text} {OPT_OUT_SENTENCE}"
        notes.append("opt-out wording added" + (" (first SMS)" if first_sms else " (none in 30 days)"))
    return text, notes


def unsubscribe_link(template: str, *, location_id: str, contact_id: str) -> str:
    """The location's unsubscribe URL with this contact's ids filled in (URL-quoted)."""
    return template.replace("{location_id}", quote(location_id, safe="")).replace(
        "{contact_id}", quote(contact_id, safe="")
    )


def prepare_email(
    html_body: str,
    *,
    business_name: str,
    postal_address: str | None,
    unsubscribe_url: str | None,
    location_id: str,
    contact_id: str,
) -> tuple[str, list[str]] | Suppress:
    """The HTML with the compliance footer appended, or Suppress when the location lacks a part."""
    missing = []
    if not (postal_address or "").strip():
        missing.append("a postal address (Location.postal_address)")
    if not (unsubscribe_url or "").strip():
        missing.append("an unsubscribe link (compliance.unsubscribe_url)")
    if missing:
        return Suppress(
            "first_message",
            "email must carry the sender's postal address and an unsubscribe link (CAN-SPAM); "
            f"the location has no {' and no '.join(missing)}",
        )
    assert postal_address is not None and unsubscribe_url is not None
    link = unsubscribe_link(unsubscribe_url, location_id=location_id, contact_id=contact_id)
    footer = (
        '<hr><p style="font-size:12px;color:#666">'
        f"{html.escape(business_name)}<br>{html.escape(postal_address.strip())}<br>"
        f'<a href="{html.escape(link, quote=True)}" {UNSUBSCRIBE_MARKER}="1">Unsubscribe</a>'
        "</p>"
    )
    return f"{html_body.rstrip()}\n{footer}", ["unsubscribe link and postal address added"]
