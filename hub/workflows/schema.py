"""The workflow language as JSON Schema (for editors), and paths into it for error messages.

    export_json_schema()        -> dict, the schema of a workflow file
    write_json_schema(path)     -> writes it (workflow_templates/workflow.schema.json is this output;
                                   a test keeps the shipped file in step with the models)

Editors that understand `# yaml-language-server: $schema=workflow.schema.json` then complete fields
and flag unknown ones while typing.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hub.workflows.definition import WorkflowDefinition
from hub.workflows.steps import STEP_MODELS

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "workflow_templates" / "workflow.schema.json"
SCHEMA_ID = "https://enterprisehub.dev/schemas/workflow.schema.json"


def export_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a workflow file."""
    schema = WorkflowDefinition.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "EnterpriseHub workflow",
    }


def schema_text() -> str:
    return json.dumps(export_json_schema(), indent=2, sort_keys=True) + "\n"


def write_json_schema(path: str | Path = SCHEMA_FILE) -> Path:
    """Write the schema to `path` (default: the one shipped with the templates)."""
    target = Path(path)
    target.write_text(schema_text(), encoding="utf-8")
    return target


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _field(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.annotation
    return None


def model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at `loc` (None inside plain values)."""
    model: type[BaseModel] | None = WorkflowDefinition
    previous: Any = None
    for part in loc:
        if isinstance(part, int):
            previous = part
            continue
        if isinstance(previous, int) and part in STEP_MODELS:
            model = STEP_MODELS[part]
        elif model is not None:
            annotation = _field(model, part)
            model = _nested_model(annotation) if annotation is not None else None
            if part == "steps":
                model = None  # a step's model is known once its type tag follows
        previous = part
    return model


def allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed in the mapping at `loc` (by their YAML spelling)."""
    model = model_at(loc)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def describe_path(loc: tuple[Any, ...], data: Any) -> str:
    """`("steps", 2, "send_sms", "body")` -> "steps[2] (send_sms 'intro').body"."""
    text = ""
    node = data
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if index > 0 and loc[index - 1] == "steps" and isinstance(node, dict):
                text += f" ({node.get('type', '?')} {node.get('id', '?')!r})"
            continue
        if isinstance(node, dict) and part not in node and part in STEP_MODELS:
            continue  # discriminator tag
        text += ("." if text else "") + str(part)
        node = node.get(part) if isinstance(node, dict) else None
    return text


__all__ = ["SCHEMA_FILE", "allowed_fields", "describe_path", "export_json_schema", "write_json_schema"]
