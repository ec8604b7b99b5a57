"""Settings, one pydantic-settings class per concern, read through one cached accessor.

Every field can be set from the environment (or a `.env` file) under its concern's prefix, e.g.
`HUB_DATABASE_URL`, `HUB_REDIS_URL`, `HUB_GHL_BASE_URL`. `.env.example` lists them all. Nothing here
connects to anything: checking that a server answers is `hub.store.engine` / `hub.bus`'s job, and
they raise `ServiceUnreachableError` naming the setting.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigError

# GHL's published Ed25519 key for `X-GHL-Signature` (ghl-api.md §2.3). Kept as a setting so a key
# rotation is a configuration change, not a release.
GHL_ED25519_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=\n"
    "-----END PUBLIC KEY-----\n"
)


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore")


class DatabaseSettings(BaseSettings):
    """The store: SQLite file by default, PostgreSQL by URL."""

    model_config = _config("HUB_DATABASE_")
    url: str = Field("sqlite:///var/hub.db", description="SQLAlchemy URL of the store (HUB_DATABASE_URL).")
    echo: bool = Field(False, description="Log every SQL statement (HUB_DATABASE_ECHO).")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split(":", 1)[0]
        if not scheme.startswith(("sqlite", "postgresql")):
            raise ValueError(
                f"unsupported scheme {scheme!r}; use sqlite:///path/to/hub.db or "
                "postgresql+psycopg://user@host:5432/dbname"
            )
        return value


class RedisSettings(BaseSettings):
    """Optional Redis: dedupe fast path, pub/sub fan-out, shared GHL rate limiter."""

    model_config = _config("HUB_REDIS_")
    url: str | None = Field(
        None, description="redis://host:6379/0; unset = single host, no Redis (HUB_REDIS_URL)."
    )


class GHLSettings(BaseSettings):
    """The GHL API v2 boundary."""

    model_config = _config("HUB_GHL_")
    base_url: str = Field(
        "https://services.leadconnectorhq.com", description="GHL API base URL (HUB_GHL_BASE_URL)."
    )
    token: SecretStr | None = Field(
        None, description="Default location token when a location has none stored."
    )
    timeout_s: float = Field(10.0, gt=0, description="Per-request timeout in seconds.")
    max_attempts: int = Field(5, ge=1, le=10, description="Attempts per call on 429/5xx/timeouts.")
    backoff_max_s: float = Field(20.0, gt=0, description="Longest single back-off wait.")
    rate_limit_max: int = Field(100, ge=1, description="Requests per interval per location (GHL: 100).")
    rate_limit_interval_s: float = Field(10.0, gt=0, description="Rate-limit interval (GHL: 10 s).")
    breaker_fail_max: int = Field(5, ge=1, description="Consecutive failures that open a location's breaker.")
    breaker_reset_s: float = Field(
        30.0, gt=0, description="Seconds an open breaker waits before a trial call."
    )
    dry_run: bool = Field(False, description="Record what would be sent without calling GHL.")


class WebhookSettings(BaseSettings):
    """Inbound webhook intake."""

    model_config = _config("HUB_WEBHOOK_")
    ed25519_public_key: str = Field(GHL_ED25519_PUBLIC_KEY, description="PEM key for X-GHL-Signature.")
    rsa_public_key: str | None = Field(None, description="PEM key for the legacy X-WH-Signature.")
    dev_mode: bool = Field(False, description="Accept unsigned deliveries. Never in production.")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Larger bodies get 413.")
    timestamp_window_s: int = Field(300, ge=0, description="Replay window for already-seen deliveries.")


class ProcessingSettings(BaseSettings):
    """Near-real-time event processing (Prefect background tasks, micro-batched per location)."""

    model_config = _config("HUB_PROCESSING_")
    enabled: bool = Field(True, description="Kick a Prefect background task per location with new events.")
    batch_size: int = Field(500, ge=1, le=10_000, description="Events per micro-batch.")
    max_batches: int = Field(20, ge=1, description="Micro-batches one task run drains before yielding.")
    sweep_interval_s: float = Field(
        5.0, gt=0, description="How often the API re-checks for unkicked backlog."
    )
    backlog_limit: int = Field(
        50_000, ge=1, description="Unprocessed events above which the receiver answers 429 (GHL retries 429)."
    )
    worker_limit: int = Field(8, ge=1, description="Concurrent task runs per task worker.")
    linger_s: float = Field(
        1.0, ge=0, description="How long a drain keeps polling for new events after the backlog empties."
    )
    poll_s: float = Field(0.05, gt=0, description="Poll interval of a lingering drain.")
    max_drain_s: float = Field(
        30.0, gt=0, description="Longest one processing task run drains before handing back to a new kick."
    )
    dispatch_on_enrol: bool = Field(
        True,
        description="Run a location's due workflow steps right after the batch that made them due. "
        "Off while backfilling history (the demo's replay): the every-minute dispatch flow sends then.",
    )


class MLSettings(BaseSettings):
    """Lead intelligence: where models and reports live, and the prediction horizon."""

    model_config = _config("HUB_ML_")
    registry_dir: Path = Field(Path("var/models"), description="Model registry (.ubj + metadata JSON).")
    reports_dir: Path = Field(Path("var/reports"), description="HTML model reports and feature tables.")
    horizon_days: int = Field(7, ge=1, le=90, description="Days ahead the conversion/churn models predict.")
    cutoff_every_days: int = Field(2, ge=1, description="Spacing of training cutoffs in days.")
    as_of: datetime | None = Field(
        None, description="Score leads as of this moment instead of now (replayed or backfilled histories)."
    )


class Settings(BaseSettings):
    """All settings, composed per concern."""

    model_config = _config("HUB_")
    data_dir: Path = Field(Path("var"), description="Where the SQLite store, models and reports live.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    ghl: GHLSettings = Field(default_factory=GHLSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    processing: ProcessingSettings = Field(default_factory=ProcessingSettings)
    ml: MLSettings = Field(default_factory=MLSettings)


_S = TypeVar("_S", bound=BaseSettings)


def _env_name(prefix: str, loc: tuple[int | str, ...]) -> str:
    return prefix + "_".join(str(part) for part in loc).upper()


def _load(cls: type[_S], prefix: str) -> _S:
    try:
        return cls()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(_env_name(prefix, first["loc"]), first["msg"]) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; raises ConfigError naming the first bad environment variable."""
    database = _load(DatabaseSettings, "HUB_DATABASE_")
    redis = _load(RedisSettings, "HUB_REDIS_")
    ghl = _load(GHLSettings, "HUB_GHL_")
    webhook = _load(WebhookSettings, "HUB_WEBHOOK_")
    processing = _load(ProcessingSettings, "HUB_PROCESSING_")
    ml = _load(MLSettings, "HUB_ML_")
    try:
        return Settings(
            database=database, redis=redis, ghl=ghl, webhook=webhook, processing=processing, ml=ml
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(_env_name("HUB_", first["loc"]), first["msg"]) from None
