"""GHL-side faults for integration tests: a transport in front of the real stand-in that loses
GHL's answer after GHL acted (a read timeout), or kills the worker right after GHL acted.

Only GHL's behaviour is simulated; everything on our side runs for real."""

from __future__ import annotations

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
