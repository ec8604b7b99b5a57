"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from hub.store.engine import check_connection

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and store readiness")
async def healthz(engine: EngineDep) -> dict[str, str]:
    """200 when the process is up and the store answers."""
    await run_in_threadpool(check_connection, engine)
    return {"status": "ok"}
