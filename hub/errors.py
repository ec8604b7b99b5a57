"""One error tree for EnterpriseHub.

Every error the domain raises derives from :class:`HubError`; the API maps these to HTTP in one
place and only Prefect tasks decide what to retry.

    HubError
    ├── ConfigError                  a setting is missing or malformed (names the env var)
    │   └── ServiceUnreachableError  a configured server (database, Redis, GHL) cannot be reached
    ├── StoreError                   the store refused an operation (integrity, migration state)
    ├── GHLError                     the GHL API answered with an error or could not be reached
    │   ├── GHLAuthError             401/403: bad or expired token, missing scope, wrong location
    │   ├── GHLNotFoundError         404: the contact / opportunity / resource does not exist
    │   ├── GHLValidationError       400/422: GHL rejected the body; `.detail` holds its message
    │   ├── GHLRateLimitError        429 after every retry; `.retry_after_s` says when to try again
    │   ├── GHLServerError           5xx after every retry
    │   ├── GHLTransportError        timeout or connection failure after every retry
    │   ├── GHLOutcomeUnknownError   a send/create may have taken effect (timeout or 5xx after the
    │   │                            request left); never retried, the caller must reconcile
    │   └── CircuitOpenError         the per-location breaker is open; no request was sent
    ├── WebhookError                 an inbound delivery is unacceptable
    │   ├── SignatureError           missing or invalid signature
    │   └── PayloadError             malformed JSON or a field of the wrong type
    ├── WorkflowError                a workflow definition or enrollment is invalid
    ├── ListingImportError           a listings file cannot be imported at all (names the columns)
    ├── SimulationError              the simulator was asked for something impossible
    └── ModelError                   ml/: a model cannot be trained, saved, loaded or compared
        └── TrainingDataError        the data given to ml/ is unusable (names the column)

Messages say what to do, and never contain a token or other secret.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class of every EnterpriseHub error."""


class ConfigError(HubError):
    """Raised when a setting is missing or malformed; `setting` names the environment variable."""

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {message}")


class ServiceUnreachableError(ConfigError):
    """Raised when the server a setting points at (database, Redis, GHL) cannot be reached."""


class StoreError(HubError):
    """Raised when the store refuses an operation (integrity violation, schema out of date)."""


class GHLError(HubError):
    """Raised when a GHL API call fails; carries the HTTP status (0 when nothing was answered)."""

    def __init__(
        self, message: str, *, status: int = 0, location_id: str | None = None, detail: object = None
    ) -> None:
        self.status = status
        self.location_id = location_id
        self.detail = detail
        super().__init__(message)


class GHLAuthError(GHLError):
    """Raised on 401/403: the location's token is invalid, expired or lacks the scope."""


class GHLNotFoundError(GHLError):
    """Raised on 404: the resource does not exist in that location."""


class GHLValidationError(GHLError):
    """Raised on 400/422: GHL rejected the request body; `detail` holds GHL's message."""


class GHLRateLimitError(GHLError):
    """Raised when 429s persist after every retry; `retry_after_s` says when the bucket refills."""

    def __init__(self, message: str, *, retry_after_s: float, **kwargs: object) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class GHLServerError(GHLError):
    """Raised when GHL answers 5xx after every retry."""


class GHLTransportError(GHLError):
    """Raised on timeouts and connection failures after every retry."""


class GHLOutcomeUnknownError(GHLError):
    """Raised when a non-idempotent call (a send, a create) failed after the request left us.

    A read timeout, a dropped connection or a 5xx on e.g. POST /conversations/messages does not mean
    the message was not sent, so the client does not retry it; the caller (the send ledger) must
    reconcile, e.g. by looking for the message in the contact's conversation.
    """


class CircuitOpenError(GHLError):
    """Raised without sending anything while a location's circuit breaker is open."""


class WebhookError(HubError):
    """Raised when an inbound webhook delivery is unacceptable."""


class SignatureError(WebhookError):
    """Raised when a delivery has no signature header or the signature does not verify."""


class PayloadError(WebhookError):
    """Raised when a delivery is not valid JSON or a field has the wrong type; names the field."""


class WorkflowError(HubError):
    """Raised when a workflow definition or an enrollment is invalid."""


class ListingImportError(HubError):
    """Raised when a listings file cannot be imported at all: unreadable, not CSV/JSON, or missing a
    required column (the message names the missing and the unrecognised columns). Problems with
    single rows never raise: they are reported per row and every valid row is imported."""


class SimulationError(HubError):
    """Raised when the simulator is asked for an impossible brokerage (e.g. zero agents)."""


class ModelError(HubError):
    """Raised when ml/ cannot train, save, load, promote or score a model (e.g. no champion yet)."""


class TrainingDataError(ModelError):
    """Raised when data given to ml/ is unusable; `column` names the offending column, if one."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        self.column = column
        super().__init__(f"column {column!r}: {message}" if column is not None else message)
