"""Operator API: run a deployment for one location, and follow the run live (SSE).

`POST /runs/{flow}/{deployment}` starts `flow/deployment` (prefect.yaml) with `location_id` set from
the request's location — which the API key must own — so a key for location A can never start a
flow run over location B's data. Training flows are refused: their promoted model scores every
location, so they belong to the operator, not to one location's key. The run is created with an
idempotency key, scoped to the location: the `Idempotency-Key` header, or a hash of the request
body, so a retried request returns the run it already created instead of starting a second one.

`GET /runs/{id}/stream` replays the run's state history as SSE events (`event: state`, the state id
as the SSE id so a reconnect with `Last-Event-ID` resumes), polls until the run is final, then
sends one `event: end` with the final state, the flow's result (when results are persisted, as the
stack's flow workers do) and its artifacts, and closes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import arun_deployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.settings import PREFECT_API_URL
from pydantic import BaseModel, Field

from api.auth import LocationAuthDep, require_location

router = APIRouter(tags=["runs"])
# Flows whose result is shared by every location: a training run promotes the brokerage-wide model
# that scores all of them, so one location's key must not start it (`hub run` is the operator's way).
BROKERAGE_WIDE_FLOWS = frozenset({"train-lead-model", "train-churn-model", "train-listing-ranker"})
POLL_S = 1.0  # a flow run's states change in seconds (worker poll, subprocess start), not milliseconds


class RunRequest(BaseModel):
    location: str = Field(description="The GHL locationId the run is for; the API key must own it.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Flow parameters; `location_id` is set from `location`."
    )


class RunCreated(BaseModel):
    run_id: UUID
    deployment: str
    location: str
    state: str = Field(description="The run's state now: SCHEDULED for a new run.")
    idempotency_key: str
    stream: str = Field(description="Follow the run here (SSE).")


def idempotency_key(location: str, deployment: str, parameters: dict[str, Any], header: str | None) -> str:
    """The client's key, or one derived from the request; always prefixed by the location, because
    Prefect matches keys per deployment and another location's equal key must not find this run."""
    if header:
        return f"{location}:{header}"
    body = json.dumps({"deployment": deployment, "parameters": parameters}, sort_keys=True, default=str)
    return f"{location}:body-{hashlib.sha256(body.encode()).hexdigest()[:32]}"


def _require_prefect() -> None:
    # Without a URL Prefect would start a throw-away server inside the API (prefect-notes.md §6).
    if not PREFECT_API_URL.value():
        raise HTTPException(
            503, "PREFECT_API_URL is not set, so runs cannot be started; run the stack with `hub up`"
        )


def _unreachable(exc: httpx.TransportError) -> HTTPException:
    return HTTPException(503, f"the Prefect server at PREFECT_API_URL does not answer ({type(exc).__name__})")


@router.post(
    "/runs/{flow_name}/{deployment_name}",
    status_code=202,
    summary="Run a deployment for one location",
    responses={403: {"description": "The key belongs to another location"}, 404: {}, 422: {}},
)
async def trigger_run(
    flow_name: str,
    deployment_name: str,
    body: RunRequest,
    auth: LocationAuthDep,
    idempotency_key_header: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Repeat it to get the same run back, not a new one."),
    ] = None,
) -> RunCreated:
    """Start `flow_name/deployment_name` (e.g. `build-features/nightly`) over the location's data."""
    require_location(auth, body.location)
    if flow_name in BROKERAGE_WIDE_FLOWS:
        raise HTTPException(
            403,
            f"{flow_name} trains the model every location shares, so a location's key cannot start it; "
            f"the operator runs it with `hub run {flow_name}` (or its nightly schedule does)",
        )
    if body.parameters.get("location_id", body.location) != body.location:
        raise HTTPException(403, "parameters.location_id must be the request's location (or left out)")
    _require_prefect()
    name = f"{flow_name}/{deployment_name}"
    parameters = {**body.parameters, "location_id": body.location}
    key = idempotency_key(body.location, name, body.parameters, idempotency_key_header)
    try:
        async with get_client() as client:
            flow_run = await _create_run(client, name, parameters, key)
    except httpx.TransportError as exc:
        raise _unreachable(exc) from None
    return RunCreated(
        run_id=flow_run.id,
        deployment=name,
        location=body.location,
        state=flow_run.state.type.value if flow_run.state else "UNKNOWN",
        idempotency_key=key,
        stream=f"/runs/{flow_run.id}/stream",
    )


async def _create_run(client: PrefectClient, name: str, parameters: dict[str, Any], key: str) -> FlowRun:
    try:
        deployment = await client.read_deployment_by_name(name)
    except ObjectNotFound:
        raise HTTPException(404, f"no deployment {name!r}; `prefect deployment ls` lists them") from None
    if "location_id" not in (deployment.parameter_openapi_schema or {}).get("properties", {}):
        raise HTTPException(422, f"{name} has no location_id parameter, so it cannot be run for one location")
    try:
        return await arun_deployment(
            deployment.id,
            client=client,
            parameters=parameters,
            timeout=0,  # return the scheduled run at once; the stream follows it
            idempotency_key=key,
            tags=[f"location:{parameters['location_id']}"],
            as_subflow=False,
        )
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code in (409, 422):  # parameters that fail the flow's schema
            raise HTTPException(422, f"{name} refused the parameters: {exc.response.text}") from None
        raise


async def _authorised_run(run_id: UUID, auth: LocationAuthDep) -> FlowRun:
    # A dependency, not a check inside the generator: the 404 must be sent before the stream starts.
    _require_prefect()
    try:
        async with get_client() as client:
            flow_run = await client.read_flow_run(run_id)
    except ObjectNotFound:
        flow_run = None
    except httpx.TransportError as exc:
        raise _unreachable(exc) from None
    # Another location's run answers exactly like a missing one: its existence is not disclosed.
    if flow_run is None or flow_run.parameters.get("location_id") != auth.location_id:
        raise HTTPException(404, f"no run {run_id} for location {auth.location_id}")
    return flow_run


def _state_event(state: State) -> ServerSentEvent:
    return ServerSentEvent(
        id=str(state.id),
        event="state",
        data={
            "type": state.type.value,
            "name": state.name,
            "timestamp": state.timestamp.isoformat(),
            "message": state.message,
        },
    )


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


async def _result(state: State) -> tuple[Any, str | None]:
    """The run's return value, or None and why not."""
    if not state.is_completed():
        return None, state.message or f"the run ended {state.name}"
    try:
        value = await state.aresult(raise_on_failure=False, retry_result_failure=False)
    except Exception as exc:  # a missing or unreadable result must not break the stream: say why
        return None, f"result not available ({type(exc).__name__}): results are persisted by flow workers"
    return _json_safe(value), None


async def _artifacts(client: PrefectClient, run_id: UUID) -> list[dict[str, Any]]:
    artifacts = await client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
    )
    return [
        {"key": a.key, "type": a.type, "description": a.description, "data": _json_safe(a.data)}
        for a in artifacts
    ]


@router.get("/runs/{run_id}/stream", response_class=EventSourceResponse, summary="Follow a run (SSE)")
async def stream_run(
    request: Request,
    flow_run: Annotated[FlowRun, Depends(_authorised_run)],
    last_event_id: Annotated[str | None, Header(description="Resume after this state id.")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every state the run goes through, then `end` with its result and artifacts."""
    seen: set[str] = set()
    async with get_client() as client:
        while True:
            if await request.is_disconnected():
                return
            states = sorted(await client.read_flow_run_states(flow_run.id), key=lambda s: s.timestamp)
            ids = [str(s.id) for s in states]
            if last_event_id in ids:  # a reconnect: skip what the client already has
                seen.update(ids[: ids.index(last_event_id) + 1])
                last_event_id = None
            for state in states:
                if str(state.id) not in seen:
                    seen.add(str(state.id))
                    yield _state_event(state)
            if states and states[-1].is_final():
                break
            await asyncio.sleep(POLL_S)
        final = (await client.read_flow_run(flow_run.id)).state or states[-1]
        result, reason = await _result(final)
        yield ServerSentEvent(
            event="end",
            data={
                "run_id": str(flow_run.id),
                "state": final.type.value,
                "result": result,
                "result_unavailable": reason,
                "artifacts": await _artifacts(client, flow_run.id),
            },
        )
