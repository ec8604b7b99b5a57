"""The FastAPI app: thin routes over hub/, created by `create_app()` (no module-level settings)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import health, webhooks
from hub.settings import Settings, get_settings
from hub.store.engine import check_connection, make_engine

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
        yield
        engine.dispose()

    app = FastAPI(
        title="EnterpriseHub",
        version="0.1.0",
        lifespan=lifespan,
        description="Webhook intake, live streams and operator API for GoHighLevel brokerages.",
    )
    app.state.settings = settings
    app.include_router(webhooks.router)
    app.include_router(health.router)
    return app
