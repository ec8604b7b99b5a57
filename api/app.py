"""The FastAPI app: thin routes over hub/, created by `create_app()` (no module-level settings)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from api.processing import ProcessingKicker
from api.routes import dashboard, health, leads, listings, metrics, runs, stream, webhooks, workflows
from hub.errors import ConfigError
from hub.live_feed import ActivitySignal
from hub.settings import Settings, get_settings
from hub.store.engine import check_connection, make_engine, sqlite_file
from hub.webhooks.group_commit import GroupCommitter, commit_deliveries
from hub.webhooks.wal_checkpointer import WalCheckpointer

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the store is connected (and checked) when the app starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database.url)
        check_connection(engine)
        if settings.webhook.dev_mode:
            log.warning(
                "HUB_WEBHOOK_DEV_MODE is on: unsigned webhook deliveries are ACCEPTED. "
                "Never run this way in production."
            )
        app.state.engine = engine
        writer_engine, checkpointer = _intake_writer(settings, engine)
        app.state.intake = GroupCommitter(partial(commit_deliveries, writer_engine))
        app.state.intake.start()
        if checkpointer is not None:
            checkpointer.start()
        app.state.kicker = _start_processing(settings, engine)
        app.state.activity_signal = ActivitySignal(settings.redis.url)
        # Everything alive now lives as long as the app: move it out of the collector's sight, or
        # every full collection re-scans ~200k start-up objects, a 100-350 ms stall of the event
        # loop under load (the receiver's p99; bench/README.md, intake). Undone on shutdown, so a
        # process that builds many apps (the tests) still frees the old ones.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        await app.state.intake.stop()  # every queued delivery is committed and answered first
        if checkpointer is not None:
            checkpointer.stop()
        if writer_engine is not engine:
            writer_engine.dispose()
        await app.state.activity_signal.close()
        if app.state.kicker is not None:
            await app.state.kicker.stop()
        engine.dispose()

    app = FastAPI(
        title="EnterpriseHub",
        version="0.1.0",
        lifespan=lifespan,
        description="Webhook intake, live streams and operator API for GoHighLevel brokerages.",
    )
    app.state.settings = settings
    app.include_router(webhooks.router)
    app.include_router(stream.router)
    app.include_router(leads.router)
    app.include_router(listings.router)
    app.include_router(health.router)
    app.include_router(dashboard.router)
    app.include_router(metrics.router)
    app.include_router(runs.router)
    app.include_router(workflows.router)
    app.add_middleware(metrics.IntakeMetricsMiddleware)
    # Outermost but for Starlette's error middleware: `POST /webhooks/ghl` skips FastAPI's routing
    # and the generic metrics middleware, and counts its own answers.
    app.add_middleware(webhooks.MarketplaceReceiver)
    _document_marketplace_route(app)
    return app


def _document_marketplace_route(app: FastAPI) -> None:
    """Add `POST /webhooks/ghl` (served by ASGI middleware, not a route) to the OpenAPI schema."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        first_build = app.openapi_schema is None
        schema = build_schema()  # FastAPI caches it in app.openapi_schema: amend it once
        if first_build:
            schema["paths"] = {webhooks.MARKETPLACE_PATH: webhooks.MARKETPLACE_OPENAPI, **schema["paths"]}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _intake_writer(settings: Settings, engine: Engine) -> tuple[Engine, WalCheckpointer | None]:
    """The engine the webhook group commit writes with, and on SQLite the WAL checkpointer.

    On SQLite the writer gets an engine of its own whose commits never checkpoint, and a background
    thread checkpoints instead (hub/webhooks/wal_checkpointer.py): a checkpoint inside a commit was
    the receiver's p99. PostgreSQL checkpoints in the background already.
    """
    if sqlite_file(engine.url) is None:  # PostgreSQL, or an in-memory SQLite only this engine sees
        return engine, None
    return make_engine(settings.database.url, wal_autocheckpoint=False), WalCheckpointer(engine)


def _start_processing(settings: Settings, engine: Engine) -> ProcessingKicker | None:
    """Start kicking Prefect background tasks, or explain why it cannot start."""
    if not settings.processing.enabled:
        log.warning("HUB_PROCESSING_ENABLED is off: deliveries are logged but not processed.")
        return None
    from prefect.settings import PREFECT_API_URL

    # Without a server URL Prefect would start a throw-away server inside this process
    # (prefect-notes.md §6): refuse instead of silently losing task runs.
    if not PREFECT_API_URL.value():
        raise ConfigError(
            "PREFECT_API_URL",
            "is not set, so webhook events cannot be processed; start the stack with `hub up`, "
            "point PREFECT_API_URL at your Prefect server, or set HUB_PROCESSING_ENABLED=false",
        )
    from tasks.process_events import process_location_events

    kicker = ProcessingKicker(
        engine,
        process_location_events.delay,
        sweep_interval_s=settings.processing.sweep_interval_s,
        linger_s=settings.processing.linger_s,
    )
    kicker.start()
    return kicker
