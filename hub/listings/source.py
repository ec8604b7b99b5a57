"""Reading a listings file (CSV or JSON) into numbered rows of raw cells, before any validation.

CSV: a header row, then one listing per row; comma, semicolon, tab or '|' separated (sniffed);
UTF-8 with or without the BOM spreadsheets add. JSON: a list of objects, or an object holding the
list under `value` (the RESO Web API / OData shape) or `listings`.

Rows are numbered from 1 (the first listing) and, for CSV, carry the file line they start on, so
an error can say "row 3 (line 4)" and a person finds it in any editor.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hub.errors import ListingImportError

SourceFormat = Literal["csv", "json"]
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SourceRow:
    number: int  # 1 = the first listing in the file
    line: int | None  # CSV: the line the row starts on (the header is line 1)
    cells: dict[str, Any]  # column -> raw value ("" / None: empty)
    problem: str | None = None  # the row cannot be read at all (reported, never imported)

    @property
    def where(self) -> str:
        return f"row {self.number}" + (f" (line {self.line})" if self.line is not None else "")


@dataclass(frozen=True, slots=True)
class Source:
    format: SourceFormat
    headers: list[str]
    rows: list[SourceRow]


def detect_format(name: str | None, data: bytes) -> SourceFormat:
    """From the file name's extension, else from the first character of the content."""
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".json":
        return "json"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"[", b"{") else "csv"


def read_source(data: bytes, fmt: SourceFormat, *, name: str = "the file") -> Source:
    if len(data) > MAX_BYTES:
        raise ListingImportError(f"{name} is {len(data) // 1_048_576} MiB; split it into files under 50 MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListingImportError(
            f"{name} is not UTF-8 (byte {exc.start} cannot be decoded); save it as UTF-8 CSV or JSON"
        ) from None
    if not text.strip():
        raise ListingImportError(f"{name} is empty; it needs a header row and one listing per row")
    return _read_json(text, name) if fmt == "json" else _read_csv(text, name)


def _read_csv(text: str, name: str) -> Source:
    first_line = text.splitlines()[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = [h.strip() for h in next(reader)]
        duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
        if duplicated:
            raise ListingImportError(
                f"{name}: the header row names {', '.join(map(repr, duplicated))} more than once; "
                "give every column its own name"
            )
        rows: list[SourceRow] = []
        line = reader.line_num + 1
        for number, record in enumerate(reader, start=1):
            if any(cell.strip() for cell in record):
                cells: dict[str, Any] = dict(zip(headers, record, strict=False))
                extra = [cell for cell in record[len(headers) :] if cell.strip()]
                problem = (
                    f"has {len(record)} cells but the header names {len(headers)} columns "
                    "(an unquoted separator inside a value?)"
                    if extra
                    else None
                )
                rows.append(SourceRow(number, line, cells, problem))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ListingImportError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None
    return Source("csv", headers, _renumber(rows))


def _renumber(rows: list[SourceRow]) -> list[SourceRow]:
    # Blank lines are skipped; rows are numbered among the listings only.
    return [SourceRow(i, row.line, row.cells, row.problem) for i, row in enumerate(rows, start=1)]


def _read_json(text: str, name: str) -> Source:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ListingImportError(
            f"{name} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    items = document
    if isinstance(document, dict):
        for key in ("value", "listings"):
            if isinstance(document.get(key), list):
                items = document[key]
                break
        else:
            raise ListingImportError(
                f"{name}: a JSON object must hold the listings as a list under 'value' or 'listings' "
                f"(found keys: {', '.join(sorted(document)) or 'none'})"
            )
    if not isinstance(items, list):
        raise ListingImportError(f"{name}: JSON must be a list of listing objects")
    headers: dict[str, None] = {}
    rows: list[SourceRow] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            # Kept as a row so that it is reported with its number while the others import.
            rows.append(SourceRow(number, None, {}, f"is {type(item).__name__}, not a listing object"))
            continue
        headers.update(dict.fromkeys(str(k) for k in item))
        rows.append(SourceRow(number, None, {str(k): v for k, v in item.items()}))
    return Source("json", list(headers), rows)
