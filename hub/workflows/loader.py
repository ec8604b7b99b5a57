"""Load workflows from YAML with errors that name the FILE, LINE and FIELD and say what is allowed.

    workflow = load_workflow("workflow_templates/re_engagement.yaml").definition
    problems = validate_folder("workflow_templates")       # [] when every file is fine

    re_engagement.yaml:14:7: steps[2] (send_sms 'first_touch').body: unknown template variable
    'contcat'; available: contact, agent, business, location, trigger

Parsing keeps PyYAML's node tree (`yaml.compose`), whose marks give every key and value its line;
a pydantic error location (`("steps", 2, "send_sms", "body")`) is walked down that tree, skipping
the discriminator tag pydantic inserts, to the deepest node that exists. Duplicate keys, which
PyYAML would silently collapse to the last one, are errors too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import TypeAdapter, ValidationError

from hub.errors import WorkflowError
from hub.workflows.checks import Finding, check_definition, check_step
from hub.workflows.definition import WorkflowDefinition
from hub.workflows.schema import allowed_fields, describe_path
from hub.workflows.steps import STEP_MODELS, Enroll, ExitWorkflow, Step, StepBase

_STEP: TypeAdapter[StepBase] = TypeAdapter(Step)


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a workflow file: where it is and what to do about it."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}:{self.column}" if self.line is not None else "")
        level = "" if self.severity == "error" else "warning: "
        return f"{where}: {level}{self.field + ': ' if self.field else ''}{self.message}"


class WorkflowDefinitionError(WorkflowError):
    """Raised when a workflow file does not load; `problems` holds every error found, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the workflow definition:\n{listing}")


@dataclass(frozen=True, slots=True)
class LoadedWorkflow:
    definition: WorkflowDefinition
    source_yaml: str
    checksum: str  # sha256 of source_yaml
    path: str
    warnings: tuple[Problem, ...] = ()


def checksum_of(source_yaml: str) -> str:
    return hashlib.sha256(source_yaml.encode()).hexdigest()


def parse_workflow(text: str, source: str = "<string>") -> LoadedWorkflow:
    """Parse and check one workflow; WorkflowDefinitionError lists every error with its line."""
    definition, problems = _parse(text, source)
    errors = [p for p in problems if p.severity == "error"]
    if errors or definition is None:
        raise WorkflowDefinitionError(errors)
    warnings = tuple(p for p in problems if p.severity == "warning")
    return LoadedWorkflow(definition, text, checksum_of(text), source, warnings)


def load_workflow(path: str | Path) -> LoadedWorkflow:
    """Read and parse a workflow file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowDefinitionError(
            [Problem(str(file), None, None, "", f"cannot read the file: {exc}")]
        ) from None
    return parse_workflow(text, str(file))


def validate_folder(path: str | Path) -> list[Problem]:
    """Every problem (errors and warnings) in the *.yaml / *.yml workflows of a folder, including
    duplicate ids and enroll/exit steps naming a workflow the folder does not have."""
    folder = Path(path)
    problems: list[Problem] = []
    loaded: dict[str, tuple[Path, WorkflowDefinition]] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    for file in files:
        definition, found = _parse(file.read_text(encoding="utf-8"), str(file))
        problems += found
        if definition is None:
            continue
        if definition.id in loaded:
            other = loaded[definition.id][0].name
            problems.append(
                Problem(str(file), 1, 1, "id", f"workflow id {definition.id!r} is also used by {other}")
            )
        loaded.setdefault(definition.id, (file, definition))
    for file, definition in loaded.values():
        for index, step in enumerate(definition.steps):
            if isinstance(step, Enroll | ExitWorkflow) and step.workflow not in loaded:
                problems.append(
                    Problem(
                        str(file),
                        None,
                        None,
                        f"steps[{index}].workflow",
                        f"no workflow with id {step.workflow!r} in {folder}",
                    )
                )
    return problems


def _parse(text: str, source: str) -> tuple[WorkflowDefinition | None, list[Problem]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return None, [Problem(source, line, column, "", f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [Problem(source, None, None, "", f"not valid YAML: {exc}")]
    if not isinstance(root, yaml.MappingNode):
        return None, [Problem(source, 1, 1, "", "a workflow file is a mapping with id, name, steps, ...")]
    problems = [
        Problem(source, *mark, describe_path(path, None), message)
        for mark, path, message in _duplicates(root)
    ]
    data = yaml.safe_load(text)
    try:
        definition = WorkflowDefinition.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            line, column = _locate(root, loc)
            problems.append(Problem(source, line, column, describe_path(loc, data), _message(error, loc)))
        # Report the valid steps' own problems too, so one run shows everything to fix.
        for finding in _check_valid_steps(data):
            line, column = _locate(root, finding.path)
            problems.append(Problem(source, line, column, describe_path(finding.path, data), finding.message))
        return None, sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
    for finding in check_definition(definition):
        line, column = _locate(root, finding.path)
        field = describe_path(finding.path, data)
        problems.append(Problem(source, line, column, field, finding.message, finding.severity))
    return definition, sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _check_valid_steps(data: Any) -> list[Finding]:
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        return []
    ids = {str(s["id"]) for s in steps if isinstance(s, dict) and "id" in s}
    workflow_id = str(data.get("id", ""))
    findings: list[Finding] = []
    for index, raw in enumerate(steps):
        try:
            step = _STEP.validate_python(raw)
        except ValidationError:
            continue  # already reported
        findings += check_step(step, index, ids, workflow_id)
    return findings


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        allowed = allowed_fields(loc[:-1])
        hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return f"unknown field {loc[-1]!r}{hint}"
    if kind == "union_tag_invalid":
        return f"unknown step type {error['ctx']['tag']!r}; allowed: {', '.join(STEP_MODELS)}"
    if kind == "union_tag_not_found":
        return f"every step needs a `type`; allowed: {', '.join(STEP_MODELS)}"
    return message


def _duplicates(
    node: yaml.Node, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[int, int], tuple[Any, ...], str]]:
    found = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                mark = (key.start_mark.line + 1, key.start_mark.column + 1)
                found.append((mark, (*path, name), f"key {name!r} appears twice; keep one"))
            seen.add(name)
            found += _duplicates(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += _duplicates(item, (*path, index))
    return found


def _locate(root: yaml.Node, loc: Sequence[Any]) -> tuple[int, int]:
    """Line and column (1-based) of the deepest YAML node along `loc`: the value when it sits on
    its key's line, else the key (a block mapping or list starts on the next line)."""
    node: yaml.Node = root
    key: yaml.Node | None = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                if isinstance(part, str) and part in STEP_MODELS:
                    continue  # pydantic's discriminator tag: not a YAML key
                break
            key, node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            key, node = None, node.value[part]
        else:
            break
    block = isinstance(node, yaml.MappingNode | yaml.SequenceNode)
    if key is not None and block and node.start_mark.line != key.start_mark.line:
        node = key
    return node.start_mark.line + 1, node.start_mark.column + 1
