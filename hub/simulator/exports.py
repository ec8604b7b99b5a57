"""What a simulated location's other systems would hand us: its MLS export and GHL's custom fields.

A brokerage feeds EnterpriseHub listings from an MLS export (CSV with RESO field names) and its
custom-field definitions from GHL's `GET /locations/{id}/customFields`; the demo and the tests build
both from the simulated world, so they go through the same import code as a real brokerage's files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from hub.simulator.listings import Listing
from hub.simulator.world import CustomField

MLS_COLUMNS = (
    "ListingKey",
    "ListingId",
    "StandardStatus",
    "ListPrice",
    "BedroomsTotal",
    "BathroomsTotalDecimal",
    "LivingArea",
    "YearBuilt",
    "PropertySubType",
    "UnparsedAddress",
    "City",
    "PostalCode",
    "Latitude",
    "Longitude",
    "DaysOnMarket",
    "Features",
)


def mls_feed_csv(listings: Sequence[Listing]) -> bytes:
    """A location's listings as the RESO-named CSV an MLS export would be."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MLS_COLUMNS)
    for item in listings:
        writer.writerow(
            [
                item.listing_id,
                item.listing_id,
                item.standard_status,
                item.list_price,
                item.bedrooms_total,
                item.bathrooms_total,
                item.living_area_sqft,
                item.year_built,
                item.property_sub_type,
                item.unparsed_address,
                item.city,
                item.postal_code,
                item.latitude,
                item.longitude,
                "" if item.days_on_market is None else item.days_on_market,
                "; ".join(item.features),
            ]
        )
    return out.getvalue().encode()


def ghl_custom_fields(definitions: Iterable[CustomField]) -> list[dict[str, Any]]:
    """A location's custom fields as the items of GHL's GET /locations/{id}/customFields."""
    return [
        {
            "id": d.id,
            "name": d.name,
            "fieldKey": f"contact.{d.key}",
            "dataType": d.data_type,
            "picklistOptions": list(d.options),
        }
        for d in definitions
    ]
