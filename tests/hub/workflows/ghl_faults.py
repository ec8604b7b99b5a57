"""GHL-side faults for integration tests: a transport in front of the real stand-in that loses
GHL's answer after GHL acted (a read timeout), kills the worker right after GHL acted, or refuses
texts to some contacts with a carrier error.

Only GHL's behaviour is simulated; everything on our side runs for real."""

from __future__ import annotations

import json

import httpx


class WorkerKilled(BaseException):
    """The process died: nothing on our side gets to handle it (not an Exception)."""


class FaultyGHL(httpx.BaseTransport):
    """Forwards to the stand-in; for the next `lose` / `kill` sends (POST /conversations/messages)
    it lets the stand-in act, then loses the answer (ReadTimeout) or kills the worker."""

    def __init__(self, *, lose: int = 0, kill: int = 0) -> None:
        self._inner = httpx.HTTPTransport()
        self.lose, self.kill = lose, kill

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        is_send = request.method == "POST" and request.url.path == "/conversations/messages"
        if is_send and self.kill:
            response.read()
            self.kill -= 1
            raise WorkerKilled("killed between GHL's answer and the ledger update")
        if is_send and self.lose:
            response.read()
            self.lose -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self._inner.close()


class CarrierRefusal(httpx.BaseTransport):
    """Forwards to the stand-in, except texts to `contacts`: GHL refuses those with `message` (a
    carrier error, e.g. 21610) and sends nothing. `refused` counts the refusals."""

    def __init__(self, contacts: set[str], message: str) -> None:
        self._inner = httpx.HTTPTransport()
        self.contacts, self.message, self.refused = contacts, message, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/conversations/messages":
            body = json.loads(request.content)
            if body.get("type") == "SMS" and body.get("contactId") in self.contacts:
                self.refused += 1
                return httpx.Response(400, json={"statusCode": 400, "message": self.message})
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
