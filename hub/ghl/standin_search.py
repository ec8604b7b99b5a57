"""POST /contacts/search for the stand-in: the body shape used in practice (ghl-api.md §3.3).

`{"locationId", "page", "pageLimit", "query"?, "filters": [{"field","operator","value"} |
{"group": "AND"|"OR", "filters": [...]}], "sort": [{"field","direction"}]}`. Fields may be dotted
(`dndSettings.SMS.status`); on a list field (`tags`) `eq` means "contains this element".
"""

from __future__ import annotations

from typing import Any

OPERATORS = ("eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range")
_MISSING = object()


def _lookup(contact: dict[str, Any], dotted: str) -> Any:
    value: Any = contact
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _eq(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return any(_eq(item, wanted) for item in value)
    if isinstance(value, str) and isinstance(wanted, str):
        return value.lower() == wanted.lower()
    return bool(value == wanted)


def _contains(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return any(_contains(item, wanted) for item in value)
    return isinstance(value, str) and str(wanted).lower() in value.lower()


def _in_range(value: Any, bounds: Any) -> bool:
    if not isinstance(bounds, dict) or not set(bounds) <= {"gt", "gte", "lt", "lte"}:
        raise ValueError("range value must be an object with gt/gte/lt/lte")
    if value is _MISSING or value is None:
        return False
    checks = {
        "gt": lambda b: value > b,
        "gte": lambda b: value >= b,
        "lt": lambda b: value < b,
        "lte": lambda b: value <= b,
    }
    try:
        return all(checks[name](bound) for name, bound in bounds.items())
    except TypeError:
        return False


def _matches(contact: dict[str, Any], condition: Any) -> bool:
    if not isinstance(condition, dict):
        raise ValueError(f"each filter must be an object, got {condition!r}")
    if "group" in condition:
        group = condition["group"]
        parts = [_matches(contact, sub) for sub in condition.get("filters") or []]
        if group == "AND":
            return all(parts)
        if group == "OR":
            return any(parts)
        raise ValueError(f"group must be AND or OR, got {group!r}")
    field, operator, wanted = condition.get("field"), condition.get("operator"), condition.get("value")
    if not isinstance(field, str) or operator not in OPERATORS:
        raise ValueError(f"filters need a string field and an operator in {OPERATORS}, got {condition!r}")
    value = _lookup(contact, field)
    present = value is not _MISSING and value not in (None, "", [])
    if operator == "exists":
        return present
    if operator == "not_exists":
        return not present
    if operator == "range":
        return _in_range(value, wanted)
    if operator in ("eq", "not_eq"):
        hit = present and _eq(value, wanted)
        return hit if operator == "eq" else not hit
    hit = present and _contains(value, wanted)
    return hit if operator == "contains" else not hit


def _query_hit(contact: dict[str, Any], query: str) -> bool:
    needle = query.lower()
    fields = ("name", "firstName", "lastName", "email", "phone", "companyName")
    return any(needle in str(contact.get(name) or "").lower() for name in fields)


def search(contacts: list[dict[str, Any]], body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The page of contacts matching `body`, and how many match in all. ValueError on a bad body."""
    page, page_limit = body.get("page", 1), body.get("pageLimit", 20)
    if not isinstance(page, int) or page < 1 or not isinstance(page_limit, int) or not 1 <= page_limit <= 500:
        raise ValueError("page must be an integer >= 1 and pageLimit an integer in 1..500")
    hits = [c for c in contacts if all(_matches(c, f) for f in body.get("filters") or [])]
    query = body.get("query")
    if query:
        hits = [c for c in hits if _query_hit(c, str(query))]
    for key in reversed(body.get("sort") or []):
        field, direction = key.get("field"), key.get("direction", "asc")
        if not isinstance(field, str) or direction not in ("asc", "desc"):
            raise ValueError(f"sort entries need a field and direction asc|desc, got {key!r}")
        hits.sort(
            key=lambda c: str(_lookup(c, field) if _lookup(c, field) is not _MISSING else ""),
            reverse=direction == "desc",
        )
    start = (page - 1) * page_limit
    return hits[start : start + page_limit], len(hits)
