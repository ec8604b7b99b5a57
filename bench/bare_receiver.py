"""The baseline for bench_intake.py: a bare FastAPI endpoint that reads the body and answers 200.

No signature check, no parsing, no store: the floor any receiver on this stack stands on.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/webhooks/ghl")
async def receive(request: Request) -> dict[str, str]:
    await request.body()
    return {"status": "accepted"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
