"""The GHL endpoints the client calls: method, pinned `Version` header, and whether a replay is safe.

`Version` is required per endpoint; the v2 specs pin 2021-04-15 for every Conversations endpoint and
2021-07-28 for Contacts and Opportunities (ghl-api.md §3.1). GHL's 2026 SDKs default to `v3` or
2023-02-21; this is a v2 client, so the dates stay pinned here.

`idempotent` drives the retry rule in `hub.ghl.transport`: replaying an idempotent call after a
timeout or 5xx cannot change the outcome; replaying the others could send a second text, or create
a second note, task or contact.
"""

from __future__ import annotations

from dataclasses import dataclass

CONVERSATIONS_VERSION = "2021-04-15"
CONTACTS_VERSION = "2021-07-28"


@dataclass(frozen=True)
class Endpoint:
    """A GHL endpoint as the request path sees it."""

    name: str
    method: str
    version: str
    idempotent: bool


SEND_MESSAGE = Endpoint("send_message", "POST", CONVERSATIONS_VERSION, idempotent=False)
GET_CONTACT = Endpoint("get_contact", "GET", CONTACTS_VERSION, idempotent=True)
UPDATE_CONTACT = Endpoint("update_contact", "PUT", CONTACTS_VERSION, idempotent=True)
# With the location's "Allow Duplicate Contact" setting on, a replayed upsert may create a second
# contact (ghl-api.md §3.3), so upsert is treated as a create.
UPSERT_CONTACT = Endpoint("upsert_contact", "POST", CONTACTS_VERSION, idempotent=False)
SEARCH_CONTACTS = Endpoint("search_contacts", "POST", CONTACTS_VERSION, idempotent=True)
ADD_TAGS = Endpoint("add_tags", "POST", CONTACTS_VERSION, idempotent=True)
REMOVE_TAGS = Endpoint("remove_tags", "DELETE", CONTACTS_VERSION, idempotent=True)
CREATE_NOTE = Endpoint("create_note", "POST", CONTACTS_VERSION, idempotent=False)
CREATE_TASK = Endpoint("create_task", "POST", CONTACTS_VERSION, idempotent=False)
GET_PIPELINES = Endpoint("get_pipelines", "GET", CONTACTS_VERSION, idempotent=True)
UPDATE_OPPORTUNITY = Endpoint("update_opportunity", "PUT", CONTACTS_VERSION, idempotent=True)
UPDATE_OPPORTUNITY_STATUS = Endpoint("update_opportunity_status", "PUT", CONTACTS_VERSION, idempotent=True)
