"""The exported JSON Schema: in step with the models, usable by a validator, no guard switches."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from hub.workflows.schema import SCHEMA_FILE, export_json_schema, schema_text, write_json_schema

TEMPLATES = SCHEMA_FILE.parent


def test_the_shipped_schema_file_is_the_current_export() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "workflow_templates/workflow.schema.json is stale: run "
        "`python -c 'from hub.workflows import write_json_schema; write_json_schema()'`"
    )


def test_write_json_schema_writes_valid_json(tmp_path: Path) -> None:
    target = write_json_schema(tmp_path / "schema.json")
    assert json.loads(target.read_text())["title"] == "EnterpriseHub workflow"


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_template_validates_against_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), export_json_schema())


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    schema = export_json_schema()
    bad_type = {"id": "x", "name": "x", "steps": [{"id": "a", "type": "send_fax"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_type, schema)
    extra = {
        "id": "x",
        "name": "x",
        "enrollment": {"quiet_hours": False},
        "steps": [{"id": "a", "type": "send_sms", "body": "hi"}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(extra, schema)


def test_no_property_anywhere_in_the_schema_can_disable_a_guard() -> None:
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(export_json_schema())
    suspicious = {
        n
        for n in names
        if any(
            word in n.lower()
            for word in (
                "quiet",
                "dnd",
                "consent",
                "guard",
                "compliance",
                "opt_out",
                "optout",
                "skip",
                "ignore",
            )
        )
    }
    assert suspicious == set()
    assert "stop_on_reply" in names and "frequency_caps" in names  # the knobs that exist only narrow
