"""Conditions: small expressions over a lead, evaluated by simpleeval (no `eval`, no attributes of
Python objects, no imports), e.g.

    "buyer" in tags and score >= 0.7
    stage == "Showing scheduled" or custom.budget > 400000
    event.kind == "view" and has_tag("investor")

Every name is checked when the workflow loads: an unknown name, an `event.<field>` the event type
does not have, or a construct outside the whitelist is a load-time error naming the step. At run
time a missing value is None, and comparing None with `<`, `>`, `<=`, `>=` is simply false (a lead
with no score is not "score >= 0.7"); any other evaluation error raises ConditionError, which the
engine records on the enrollment, never a silent false.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from simpleeval import DEFAULT_OPERATORS, EvalWithCompoundTypes, InvalidExpression

from hub.errors import WorkflowError
from hub.workflows.events import EVENT_FIELDS

CONTACT_NAMES: dict[str, str] = {
    "first_name": "text",
    "last_name": "text",
    "name": "text",
    "email": "text",
    "phone": "text",
    "source": "text: where the lead came from (Zillow, Website, ...)",
    "tags": "list of text",
    "custom": "custom fields by GHL field id: custom.<id>",
    "state": "text: two-letter state when known",
    "postal_code": "text",
    "timezone": "text: IANA zone when GHL knows it",
    "assigned_user_id": "text: the lead's agent",
    "has_phone": "true/false",
    "has_email": "true/false",
    "stage": "text: stage name of the lead's latest open opportunity",
    "pipeline": "text: pipeline name of that opportunity",
    "opportunity_status": "open / won / lost / abandoned",
    "score": "number 0..1: latest conversion score (None before the first)",
    "tier": "text: conversion tier",
    "churn_score": "number 0..1: latest churn risk",
    "churn_tier": "text: churn tier (low / medium / high)",
    "days_since_created": "number",
    "days_since_inbound": "number: days since the lead last wrote (None if never)",
    "days_since_outbound": "number: days since we or an agent last wrote (None if never)",
}
FUNCTIONS = ("has_tag", "lower", "len", "int", "float", "str", "min", "max", "abs")
_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.IfExp,
    ast.Load,
    ast.And,
    ast.Or,
    ast.Not,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.USub,
    ast.UAdd,
)


class ConditionError(WorkflowError):
    """Raised when a condition cannot be evaluated for a lead (e.g. comparing text with a number)."""


def check_condition(expression: str, *, event_type: str | None = None) -> list[str]:
    """Problems with `expression` (empty when it is fine). `event_type`: the event it may read."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        return [f"condition {expression!r} is not a valid expression ({exc.msg} at column {exc.offset})"]
    problems: list[str] = []
    allowed_names = set(CONTACT_NAMES) | set(FUNCTIONS) | {"True", "False", "None", "true", "false"}
    if event_type is not None:
        allowed_names.add("event")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            problems.append(f"{type(node).__name__} is not allowed in a condition ({expression!r})")
        elif isinstance(node, ast.Name) and node.id not in allowed_names:
            problems.append(_unknown_name(node.id, event_type))
        elif isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
        ):
            problems.append(f"only these functions can be called: {', '.join(FUNCTIONS)}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            problems += _check_attribute(node.value.id, node.attr, event_type)
    return list(dict.fromkeys(problems))


def _unknown_name(name: str, event_type: str | None) -> str:
    if name == "event":
        return "`event` is only available in triggers, goals, exit_on and wait for_event conditions"
    return f"unknown name {name!r}; known: {', '.join(sorted(CONTACT_NAMES))}"


def _check_attribute(base: str, attr: str, event_type: str | None) -> list[str]:
    if base == "event" and event_type is not None:
        fields = EVENT_FIELDS.get(event_type, ())
        if attr not in fields:
            known = ", ".join(fields) or "none"
            return [f"event {event_type} has no field {attr!r}; its fields: {known}"]
    elif base in CONTACT_NAMES and base != "custom":
        return [f"{base} has no attributes (only custom.<field id> and event.<field> do)"]
    return []


def _none_safe(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def safe(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        return compare(left, right)

    return safe


def _contains(container: Any, item: Any) -> bool:
    return container is not None and item in container


_OPERATORS = {
    **DEFAULT_OPERATORS,
    ast.Gt: _none_safe(operator.gt),
    ast.Lt: _none_safe(operator.lt),
    ast.GtE: _none_safe(operator.ge),
    ast.LtE: _none_safe(operator.le),
    ast.In: lambda a, b: _contains(b, a),
    ast.NotIn: lambda a, b: not _contains(b, a),
}


class _Fields:
    """Read-only record for `custom.<id>` / `event.<field>`: a missing key reads as None. It has no
    public attributes, so `x.keys` or `x.get` cannot reach a Python method."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values.get(key)


def evaluate(expression: str, facts: Mapping[str, Any], event: Mapping[str, Any] | None = None) -> bool:
    """The truth of `expression` for a lead's facts (and an event's fields, when given)."""
    tags = [str(t).lower() for t in facts.get("tags") or []]
    functions: dict[str, Callable[..., Any]] = {
        "has_tag": lambda tag: str(tag).lower() in tags,
        "lower": lambda value: value.lower() if isinstance(value, str) else value,
        "len": lambda value: len(value) if value is not None else 0,
        "int": int,
        "float": float,
        "str": str,
        "min": min,
        "max": max,
        "abs": abs,
    }
    names: dict[str, Any] = {name: facts.get(name) for name in CONTACT_NAMES}
    names.update({"true": True, "false": False, "True": True, "False": False, "None": None})
    names["custom"] = _Fields(facts.get("custom") or {})
    if event is not None:
        names["event"] = _Fields(event)
    evaluator = EvalWithCompoundTypes(operators=_OPERATORS, functions=functions, names=names)
    try:
        return bool(evaluator.eval(expression.strip()))
    except (InvalidExpression, TypeError, ValueError, KeyError, ZeroDivisionError) as exc:
        raise ConditionError(f"condition {expression!r} could not be evaluated: {exc}") from None
