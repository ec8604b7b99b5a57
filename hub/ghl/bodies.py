"""Reading a 2xx GHL answer into its pydantic model, or failing with a GHL error that says why.

GHL's conversation endpoints have answered 201 with an empty body (ISS-70) and documented shapes
have been wrong (ISS-54), so a 2xx body is validated, never trusted. A body we cannot read after a
non-idempotent call raises GHLOutcomeUnknownError (the call probably took effect).
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from hub.errors import GHLError
from hub.ghl.endpoints import Endpoint
from hub.ghl.error_map import error_for_bad_body

M = TypeVar("M", bound=BaseModel)


def read_model(
    response: httpx.Response, model: type[M], *, endpoint: Endpoint, location_id: str, key: str | None = None
) -> M:
    """`model` from the JSON body of `response`, or from its `key` field when given."""

    def bad(problem: str) -> GHLError:
        return error_for_bad_body(
            response,
            call=f"{endpoint.method} {response.request.url.path}",
            location_id=location_id,
            idempotent=endpoint.idempotent,
            problem=problem,
        )

    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise bad("not a JSON object")
    if key is not None:
        if key not in data:
            raise bad(f"no `{key}` field")
        data = data[key]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or model.__name__}: {err['msg']}"
            for err in exc.errors()
        )
        raise bad(problem) from None
