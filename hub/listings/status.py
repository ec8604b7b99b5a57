"""Listing status: RESO StandardStatus values, and the words feeds use for them.

Only `Active` listings are matched and alerted. A listing that leaves Active (under contract,
pending, sold, withdrawn, ...) drops out of every lead's pending matches and is never alerted.
"""

from __future__ import annotations

import re

ACTIVE = "Active"
# RESO Data Dictionary StandardStatus lookup values.
STANDARD_STATUSES = (
    "Active",
    "ActiveUnderContract",
    "ComingSoon",
    "Pending",
    "Closed",
    "Canceled",
    "Expired",
    "Withdrawn",
    "Hold",
    "Delete",
    "Incomplete",
)
_ALIASES = {
    **{status.lower(): status for status in STANDARD_STATUSES},
    "forsale": "Active",
    "new": "Active",
    "undercontract": "ActiveUnderContract",
    "contingent": "ActiveUnderContract",
    "activecontingent": "ActiveUnderContract",
    "backuponly": "ActiveUnderContract",
    "sold": "Closed",
    "cancelled": "Canceled",
    "offmarket": "Withdrawn",
    "temporarilyoffmarket": "Hold",
    "deleted": "Delete",
}


def standard_status(value: str) -> str:
    """The RESO StandardStatus for a feed's status word ("sold" → Closed, "Under Contract" →
    ActiveUnderContract); ValueError naming the accepted values otherwise."""
    key = re.sub(r"[^a-z]", "", value.lower())
    status = _ALIASES.get(key)
    if status is None:
        raise ValueError(
            f"{value!r} is not a listing status; use a RESO StandardStatus ({', '.join(STANDARD_STATUSES)})"
            " or active / pending / sold"
        )
    return status
