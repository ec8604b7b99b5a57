"""Typed, tolerant reads of one GHL payload object, with errors that name the field.

Real traffic bends the documented types (ghl-api.md §1): numbers arrive as strings ("450000"),
postal codes as numbers, `tags` as a comma string on workflow webhooks (§1.1), booleans as
"true", times as ISO strings or epoch seconds. `Fields` accepts all of those. A value that cannot
mean what the field needs (`tags: 5`, `monetaryValue: "lots"`) raises PayloadError saying which
event, which field, what was expected and what came.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hub.errors import PayloadError
from hub.store.models.base import GHL_ID_LENGTH

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
# Epoch values above this are milliseconds (1e11 s is the year 5138).
_EPOCH_MS_THRESHOLD = 100_000_000_000


def describe(value: object) -> str:
    """A short, safe description of an offending value for an error message."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


class Fields:
    """Read access to one JSON object of an event of type `event_type`; `path` prefixes field names
    in errors (e.g. "appointment.")."""

    def __init__(self, data: Mapping[str, Any], *, event_type: str, path: str = "") -> None:
        self.data = data
        self.event_type = event_type
        self.path = path

    def error(self, name: str, expected: str, value: object = None, *, missing: bool = False) -> PayloadError:
        where = f"{self.event_type}: field '{self.path}{name}'"
        if missing:
            return PayloadError(f"{where} is missing; {expected}")
        return PayloadError(f"{where} is {describe(value)}; expected {expected}")

    def _first(self, names: tuple[str, ...]) -> tuple[str, Any]:
        """The first of `names` present with a non-empty value (camelCase and snake_case spellings)."""
        for name in names:
            value = self.data.get(name)
            if value is not None and value != "":
                return name, value
        return names[0], None

    def raw(self, *names: str) -> Any:
        return self._first(names)[1]

    def text(self, *names: str) -> str | None:
        name, value = self._first(names)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(name, "a string", value)
        text = str(value).strip()
        return text or None

    def ident(self, *names: str) -> str | None:
        """A GHL id: short, no whitespace. Numeric ids are accepted as their decimal text."""
        name, value = self._first(names)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(name, "an id string", value)
        text = str(value).strip()
        if not text:
            return None
        if len(text) > GHL_ID_LENGTH or any(char.isspace() for char in text):
            raise self.error(name, f"a GHL id (at most {GHL_ID_LENGTH} characters, no spaces)", value)
        return text

    def required_ident(self, *names: str, why: str) -> str:
        value = self.ident(*names)
        if value is None:
            raise self.error(names[0], why, missing=True)
        return value

    def number(self, *names: str) -> float | None:
        name, value = self._first(names)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.error(name, "a number", value)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            # "450000", "450,000", "$450,000.00": workflow custom values are always strings.
            cleaned = value.strip().replace(",", "").replace("_", "").lstrip("$").strip()
            if _NUMBER.match(cleaned):
                return float(cleaned)
        raise self.error(name, 'a number (or a numeric string like "450000")', value)

    def integer(self, *names: str) -> int | None:
        number = self.number(*names)
        if number is None:
            return None
        if not number.is_integer():
            raise self.error(names[0], "a whole number", number)
        return int(number)

    def boolean(self, *names: str) -> bool | None:
        name, value = self._first(names)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.error(name, "true or false", value)

    def time(self, *names: str) -> datetime | None:
        """ISO-8601 (`...Z`, `...-05:00`, naive read as UTC) or epoch seconds / milliseconds."""
        name, value = self._first(names)
        if value is None:
            return None
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            value = float(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if abs(value) >= _EPOCH_MS_THRESHOLD else value
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                raise self.error(name, "a time (ISO-8601 or epoch seconds)", value) from None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                raise self.error(name, "an ISO-8601 time like 2026-09-10T15:02:11Z", value) from None
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        raise self.error(name, "a time (ISO-8601 string or epoch seconds)", value)

    def strings(self, *names: str) -> tuple[str, ...] | None:
        """A list of strings, or a comma-separated string (workflow webhooks send `tags` so, §1.1).
        An explicit empty list is kept: for `tags` it means "no tags left"."""
        name = next((n for n in names if n in self.data and self.data[n] is not None), None)
        if name is None:
            return None
        value = self.data[name]
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list | tuple):
            items: list[str] = []
            for item in value:
                if isinstance(item, bool) or not isinstance(item, str | int | float):
                    raise self.error(name, "a list of strings (or a comma-separated string)", value)
                text = str(item).strip()
                if text:
                    items.append(text)
            return tuple(items)
        raise self.error(name, "a list of strings (or a comma-separated string)", value)

    def nested(self, name: str) -> Fields | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(name, "an object", value)
        return Fields(value, event_type=self.event_type, path=f"{self.path}{name}.")

    def objects(self, name: str) -> list[Fields]:
        """A list of objects (e.g. `customFields: [{id, value}]`); absent means an empty list."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise self.error(name, "a list of objects", value)
        return [
            Fields(item, event_type=self.event_type, path=f"{self.path}{name}[{index}].")
            for index, item in enumerate(value)
        ]
