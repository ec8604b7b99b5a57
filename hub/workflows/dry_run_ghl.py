"""GHL for a dry run: answers the calls the engine makes the way GHL does, records them, sends nothing.

    ghl = DryRunGHL(location_id, contact)       # contact: GHL-shaped dict (id, phone, dndSettings, ...)
    client = ghl.client()                       # a real GHLClient whose transport is this recorder
    ghl.calls                                   # what would have been sent, in order

It is an httpx.MockTransport behind the real `GHLClient`, so the engine, the guards and the client
run unchanged; only the network is replaced. It answers GET /contacts/{id} from the contact it
holds (a simulation changes its DND and tags as the simulated events say), refuses a send under DND
with a 400 like GHL, and gives every message, task and note an id so the ledger can record it.
Outbound webhook steps get `http_client()`, which records the call and answers 200.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from hub.ghl.client import GHLClient
from hub.ghl.models import DND_BLOCKING
from hub.settings import GHLSettings

BASE_URL = "https://dry-run.ghl.invalid"
# A dry run makes a few dozen calls; GHL's pacing would only make it wait in real time.
UNPACED = 1_000_000


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One call the engine made: what it would have asked GHL (or a webhook receiver) to do."""

    method: str
    path: str
    body: dict[str, Any]
    answer_status: int
    answer_id: str | None = None


@dataclass
class DryRunGHL:
    location_id: str
    contact: dict[str, Any]
    calls: list[RecordedCall] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def client(self) -> GHLClient:
        settings = GHLSettings(base_url=BASE_URL, rate_limit_max=UNPACED, max_attempts=1)
        return GHLClient(
            settings,
            lambda _location: SecretStr("dry-run"),
            transport=httpx.MockTransport(self.handle),
            sleep=lambda _s: None,
        )

    def http_client(self) -> httpx.Client:
        """For webhook steps: records the call, answers 200, reaches nobody."""
        return httpx.Client(transport=httpx.MockTransport(self._webhook))

    def dnd_blocks(self, channel: str) -> bool:
        settings = (self.contact.get("dndSettings") or {}).get(channel) or {}
        return bool(self.contact.get("dnd")) or settings.get("status") in DND_BLOCKING

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        method, path = request.method, request.url.path
        parts = path.strip("/").split("/")
        status, answer, answer_id = self._answer(method, parts, body)
        self.calls.append(RecordedCall(method, path, body, status, answer_id))
        return httpx.Response(status, json=answer)

    def _new_id(self, prefix: str) -> str:
        return f"dry-{prefix}-{next(self._ids)}"

    def _answer(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, Any, str | None]:
        contact = self.contact
        if parts[:1] == ["contacts"] and len(parts) >= 2 and parts[1] != contact["id"]:
            return 404, {"statusCode": 404, "message": "Contact not found"}, None
        if method == "GET" and parts[:1] == ["contacts"] and len(parts) == 2:
            return 200, {"contact": {**contact, "locationId": self.location_id}}, None
        if method == "POST" and parts == ["conversations", "messages"]:
            channel = "Email" if body.get("type") == "Email" else str(body.get("type"))
            if self.dnd_blocks(channel):
                return (
                    400,
                    {"statusCode": 400, "message": f"Cannot send message as DND is active for {channel}."},
                    None,
                )
            message_id = self._new_id("msg")
            return 200, {"conversationId": "dry-conversation", "messageId": message_id}, message_id
        if method == "POST" and parts[2:] == ["tasks"]:
            task_id = self._new_id("task")
            return 201, {"task": {**body, "id": task_id, "contactId": contact["id"]}}, task_id
        if method == "POST" and parts[2:] == ["notes"]:
            note_id = self._new_id("note")
            return 201, {"note": {**body, "id": note_id, "contactId": contact["id"]}}, note_id
        if parts[2:] == ["tags"] and method in ("POST", "DELETE"):
            tags = [t for t in contact.get("tags", []) if method == "POST" or t not in body.get("tags", [])]
            if method == "POST":
                tags += [t for t in body.get("tags", []) if t not in tags]
            contact["tags"] = tags
            return (201 if method == "POST" else 200), {"tags": tags}, None
        if method == "PUT" and parts[:1] == ["opportunities"] and len(parts) == 2:
            return 200, {"opportunity": {"id": parts[1], **body}}, parts[1]
        message = f"dry run: {method} /{'/'.join(parts)} is not simulated"
        return 404, {"statusCode": 404, "message": message}, None

    def _webhook(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        self.calls.append(RecordedCall(request.method, str(request.url), body, 200))
        return httpx.Response(200, json={"ok": True, "dry_run": True})
