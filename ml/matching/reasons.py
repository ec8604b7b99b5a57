"""Plain-language reasons for a match, built from the real values of the buyer and the listing.

Each applicable reason has a strength; a match shows its three strongest. Reasons are computed for
the returned top-k matches only (never for every candidate pair), so a Python pass is cheap here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml.matching.encode import Encoded

MAX_REASONS = 3


def money(amount: float) -> str:
    """$15k, $450k, $1.2M — how an agent would say it."""
    if amount >= 999_500:
        return f"${amount / 1_000_000:.1f}M".replace(".0M", "M")
    return f"${round(amount / 1000):,}k"


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def homes(n: int) -> str:
    return "the home" if n == 1 else f"the {n} homes"


def _count(table: Any, key: Any) -> int:
    return int(table.get(key, 0)) if isinstance(table, dict) else 0


def _reasons_for_pair(buyer: dict[str, Any], listing: dict[str, Any]) -> list[str]:
    found: list[tuple[float, str]] = []
    city, kind = listing["city"], listing["property_type"]
    price, beds = listing["list_price"], listing["bedrooms"]
    beds_int = round(beds) if beds == beds else None  # NaN-safe

    musts = buyer["must_haves"]
    if musts:
        wanted = " and ".join(musts) if len(musts) <= 2 else ", ".join(musts[:-1]) + " and " + musts[-1]
        found.append((6.0, f"has the {wanted} you asked for"))
    if city is not None:
        tours = _count(buyer["area_showings"], city)
        saves = _count(buyer["area_saves"], city)
        views = _count(buyer["area_views"], city)
        if tours:
            found.append((5.0 + tours, f"in {city}, where you asked to tour {times(tours)}"))
        elif saves:
            found.append(
                (
                    3.5 + saves / 10,
                    f"in {city}, where you saved {'a home' if saves == 1 else f'{saves} homes'}",
                )
            )
        elif views >= 2:
            found.append((2.5 + views / 100, f"in {city}, where you viewed {views} homes"))
        elif city in buyer["areas"]:
            found.append((3.0, f"in {city}, one of your areas"))
    budget = buyer["budget_max"]
    if budget == budget and budget > 0 and price <= budget:
        under = budget - price
        text = f"{money(under)} under your budget" if under >= 1000 else "right at your budget"
        found.append((3.9, text))
    if beds_int is not None:
        saved = _count(buyer["saved_beds"], beds_int)
        viewed = _count(buyer["viewed_beds"], beds_int)
        if saved:
            found.append((4.0 + saved / 10, f"{beds_int} beds like {homes(saved)} you saved"))
        elif viewed >= 2:
            found.append((2.0 + viewed / 100, f"{beds_int} beds like {viewed} homes you viewed"))
        elif buyer["beds_min"] == buyer["beds_min"] and beds_int >= buyer["beds_min"]:
            found.append((2.2, f"{beds_int} beds (you asked for at least {int(buyer['beds_min'])})"))
    mean = buyer["price_log_mean"]
    if mean == mean and not (budget == budget and budget > 0) and abs(math.log(price) - mean) <= 0.12:
        found.append((2.4, f"priced like the homes you viewed (around {money(math.exp(mean))})"))
    if kind is not None:
        if kind in buyer["property_types"]:
            found.append((1.8, f"a {kind.lower()}, as you asked"))
        else:
            share = buyer["type_weights"].get(kind, 0.0) if isinstance(buyer["type_weights"], dict) else 0.0
            looked = buyer["n_views"] + buyer["n_saves"] + buyer["n_showings"]
            if share >= 0.5 and looked >= 3:
                found.append((1.5, f"a {kind.lower()}, like most homes you looked at"))
    days = listing["days_on_market"]
    if days == days and days <= 7:
        found.append(
            (1.0, "new on the market today" if days < 1 else f"new on the market ({int(days)} days)")
        )
    found.sort(key=lambda item: -item[0])
    return [text for _, text in found[:MAX_REASONS]]


_BUYER_FIELDS = (
    "must_haves",
    "area_showings",
    "area_saves",
    "area_views",
    "areas",
    "budget_max",
    "saved_beds",
    "viewed_beds",
    "beds_min",
    "price_log_mean",
    "property_types",
    "type_weights",
    "n_views",
    "n_saves",
    "n_showings",
)
_LISTING_FIELDS = ("city", "property_type", "list_price", "bedrooms", "days_on_market")


def match_reasons(encoded: Encoded, buyer: NDArray[np.int64], listing: NDArray[np.int64]) -> list[list[str]]:
    """At most MAX_REASONS reasons for each returned (buyer, listing) pair."""
    profiles = encoded.buyers.frame
    feed = encoded.listings.frame
    buyer_rows = {field: profiles[field].to_numpy(dtype=object)[buyer] for field in _BUYER_FIELDS}
    listing_rows = {field: feed[field].to_numpy(dtype=object)[listing] for field in _LISTING_FIELDS}
    out: list[list[str]] = []
    for i in range(buyer.size):
        b = {field: values[i] for field, values in buyer_rows.items()}
        b["budget_max"] = float(b["budget_max"])
        b["beds_min"] = float(b["beds_min"])
        b["price_log_mean"] = float(b["price_log_mean"])
        for field in ("areas", "property_types", "must_haves"):
            b[field] = b[field] if isinstance(b[field], list) else []
        item = {field: values[i] for field, values in listing_rows.items()}
        item["list_price"] = float(item["list_price"])
        item["bedrooms"] = float(item["bedrooms"])
        item["days_on_market"] = float(item["days_on_market"])
        out.append(_reasons_for_pair(b, item))
    return out
