"""Cell parsers for listing feeds: tolerant of how MLS exports and spreadsheets write values
("$450,000", "3.0", "garage; pool", "2026-09-12T10:00/12:00"), strict about what they mean.

Each parser takes a non-empty cell (a CSV string, or a JSON value) and returns the typed value or
raises ValueError with a message that says what was wrong and what is accepted.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

_MONEY_SUFFIX = {"k": 1_000.0, "m": 1_000_000.0}
_LIST_SEPARATORS = re.compile(r"[;|\n]")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not {what}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace("_", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{str(value)!r} is not {what}") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not {what}")
    return number


def money(value: Any) -> float:
    """450000, "$450,000", "450k", "1.2M" → dollars; never negative."""
    if isinstance(value, str):
        cleaned = value.strip().lower().replace("$", "").replace("usd", "").strip()
        scale = 1.0
        if cleaned[-1:] in _MONEY_SUFFIX:
            cleaned, scale = cleaned[:-1], _MONEY_SUFFIX[cleaned[-1]]
        try:
            amount = _number(cleaned, "an amount") * scale
        except ValueError:
            raise ValueError(f"{value!r} is not an amount; write dollars like 450000 or $450,000") from None
    else:
        amount = _number(value, "an amount")
    if amount < 0:
        raise ValueError(f"{value!r} is negative; a price is 0 or more")
    return round(amount, 2)


def whole(value: Any, *, low: int, high: int, what: str) -> int:
    """A whole number in [low, high]; "3.0" is 3, "3.5" is an error."""
    number = _number(value, f"a whole number of {what}")
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number of {what}")
    if not low <= number <= high:
        raise ValueError(f"{value!r} is outside {low}..{high} {what}")
    return int(number)


def decimal(value: Any, *, low: float, high: float, what: str) -> float:
    number = _number(value, f"a number of {what}")
    if not low <= number <= high:
        raise ValueError(f"{value!r} is outside {low:g}..{high:g} {what}")
    return number


def text(value: Any, *, max_length: int) -> str:
    if isinstance(value, dict | list):
        raise ValueError(f"{json.dumps(value)[:60]} is not text")
    result = str(value).strip()
    if len(result) > max_length:
        raise ValueError(f"is {len(result)} characters long; at most {max_length} are kept")
    return result


def postal_code(value: Any) -> str:
    """Kept as text: "02134" must keep its leading zero (a JSON number 2134 cannot, so it is padded
    to five digits as US ZIP codes are)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:05d}"
    result = text(value, max_length=16)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 \-]*", result):
        raise ValueError(f"{result!r} is not a postal code (letters, digits, spaces and '-')")
    return result


def word_list(value: Any) -> list[str]:
    """["garage", "pool"], "garage; pool", "garage|pool" → ["garage", "pool"] (order kept, no repeats).

    Commas separate items only when no ';' or '|' is used, so "Pool, heated" stays one item in a
    ';'-separated cell."""
    if isinstance(value, list):
        items = [text(item, max_length=100) for item in value]
    elif isinstance(value, str):
        raw = value.strip()
        if raw.startswith("["):
            try:
                decoded = json.loads(raw)
            except json.JSONDecodeError:
                raise ValueError(f"{raw[:60]!r} starts like a JSON list but is not one") from None
            return word_list(decoded)
        parts = _LIST_SEPARATORS.split(raw) if _LIST_SEPARATORS.search(raw) else raw.split(",")
        items = [part.strip() for part in parts]
    else:
        raise ValueError(f"{value!r} is not a list; separate items with ';'")
    return list(dict.fromkeys(item for item in items if item))


def _instant(raw: str, zone: ZoneInfo, *, date_of: datetime | None = None) -> datetime:
    raw = raw.strip()
    try:
        if date_of is not None and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", raw):
            # "2026-09-12T10:00/12:00": the end is a time on the start's day (ISO 8601 shorthand).
            return datetime.combine(date_of.date(), time.fromisoformat(raw.zfill(5)), date_of.tzinfo)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{raw!r} is not an ISO date-time like 2026-09-12T10:00") from None
    # A feed without offsets means the office's local time, as MLS open-house times are written.
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def open_houses(value: Any, zone: ZoneInfo) -> list[dict[str, str]]:
    """Open-house times as [{"start", "end"}] in ISO-8601 with offsets.

    Accepts a JSON list of {"start", "end"} objects, or text with one interval per ';' / '|':
    "2026-09-12T10:00/2026-09-12T12:00" or "2026-09-12T10:00/12:00" (naive times are local)."""
    intervals: list[tuple[Any, Any]] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "start" in item:
                intervals.append((item["start"], item.get("end")))
            elif isinstance(item, str):
                intervals.extend(_split_intervals(item))
            else:
                raise ValueError(f"{json.dumps(item)[:60]} is not an interval; use {{start, end}}")
    elif isinstance(value, str):
        raw = value.strip()
        if raw.startswith("["):
            try:
                return open_houses(json.loads(raw), zone)
            except json.JSONDecodeError:
                raise ValueError(f"{raw[:60]!r} starts like a JSON list but is not one") from None
        intervals = _split_intervals(raw)
    else:
        raise ValueError(f"{value!r} is not a list of open-house times")
    result = []
    for start_raw, end_raw in intervals:
        start = _instant(str(start_raw), zone)
        end = _instant(str(end_raw), zone, date_of=start) if end_raw else None
        if end is not None and end <= start:
            raise ValueError(f"open house {start_raw}/{end_raw} ends before it starts")
        entry = {"start": start.isoformat()}
        if end is not None:
            entry["end"] = end.isoformat()
        result.append(entry)
    return result


def _split_intervals(raw: str) -> list[tuple[Any, Any]]:
    pieces = [p.strip() for p in _LIST_SEPARATORS.split(raw) if p.strip()]
    found: list[tuple[Any, Any]] = []
    for piece in pieces:
        start, _, end = piece.partition("/")
        found.append((start, end or None))
    return found
