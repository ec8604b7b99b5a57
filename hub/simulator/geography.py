"""US metros the simulated brokerages work in, and the time-zone arithmetic leads need.

A metro carries what real contact data carries: a state, the metro's phone area codes, and areas
(suburbs / neighbourhoods) with a postal code, a centre point and a price factor relative to the
metro's median home price. Leads who relocate come from other metros, so a location sees contacts
from several states and time zones (Phoenix has no DST — a classic quiet-hours trap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Area:
    """A suburb or neighbourhood: listings sit in it, buyers ask for it."""

    name: str
    postal_code: str
    lat: float
    lon: float
    price_factor: float


@dataclass(frozen=True, slots=True)
class Metro:
    """A metro area: the market of one brokerage location."""

    city: str
    state: str
    timezone: str
    area_codes: tuple[str, ...]
    median_price: int
    areas: tuple[Area, ...]


METROS: tuple[Metro, ...] = (
    Metro(
        "Austin",
        "TX",
        "America/Chicago",
        ("512", "737"),
        540_000,
        (
            Area("South Austin", "78704", 30.243, -97.769, 1.25),
            Area("Round Rock", "78664", 30.508, -97.678, 0.85),
            Area("Cedar Park", "78613", 30.505, -97.820, 0.95),
            Area("Pflugerville", "78660", 30.439, -97.620, 0.75),
            Area("Leander", "78641", 30.578, -97.853, 0.80),
            Area("Westlake", "78746", 30.296, -97.803, 2.10),
        ),
    ),
    Metro(
        "Phoenix",
        "AZ",
        "America/Phoenix",
        ("602", "480", "623"),
        450_000,
        (
            Area("Scottsdale", "85251", 33.494, -111.926, 1.70),
            Area("Tempe", "85281", 33.425, -111.940, 1.05),
            Area("Mesa", "85201", 33.437, -111.845, 0.85),
            Area("Gilbert", "85234", 33.353, -111.789, 1.10),
            Area("Glendale", "85301", 33.539, -112.186, 0.80),
        ),
    ),
    Metro(
        "Denver",
        "CO",
        "America/Denver",
        ("303", "720"),
        600_000,
        (
            Area("Highlands", "80211", 39.766, -105.020, 1.35),
            Area("Aurora", "80012", 39.699, -104.837, 0.80),
            Area("Lakewood", "80226", 39.710, -105.080, 0.95),
            Area("Littleton", "80120", 39.597, -105.011, 1.05),
            Area("Arvada", "80002", 39.795, -105.096, 0.95),
        ),
    ),
    Metro(
        "Tampa",
        "FL",
        "America/New_York",
        ("813", "727"),
        420_000,
        (
            Area("South Tampa", "33629", 27.920, -82.508, 1.60),
            Area("Brandon", "33511", 27.905, -82.289, 0.85),
            Area("Wesley Chapel", "33543", 28.187, -82.354, 0.95),
            Area("St. Petersburg", "33701", 27.772, -82.639, 1.15),
            Area("Riverview", "33569", 27.849, -82.318, 0.80),
        ),
    ),
    Metro(
        "Charlotte",
        "NC",
        "America/New_York",
        ("704", "980"),
        410_000,
        (
            Area("Dilworth", "28203", 35.208, -80.855, 1.55),
            Area("Ballantyne", "28277", 35.055, -80.820, 1.20),
            Area("Matthews", "28105", 35.117, -80.710, 0.95),
            Area("Huntersville", "28078", 35.410, -80.843, 0.95),
            Area("Concord", "28025", 35.409, -80.580, 0.75),
        ),
    ),
    Metro(
        "Nashville",
        "TN",
        "America/Chicago",
        ("615", "629"),
        480_000,
        (
            Area("East Nashville", "37206", 36.180, -86.740, 1.15),
            Area("Franklin", "37064", 35.925, -86.869, 1.70),
            Area("Murfreesboro", "37130", 35.846, -86.391, 0.75),
            Area("Hendersonville", "37075", 36.304, -86.620, 0.95),
            Area("Antioch", "37013", 36.060, -86.672, 0.65),
        ),
    ),
    Metro(
        "Seattle",
        "WA",
        "America/Los_Angeles",
        ("206", "425", "253"),
        820_000,
        (
            Area("Ballard", "98107", 47.668, -122.384, 1.15),
            Area("Bellevue", "98004", 47.616, -122.201, 1.80),
            Area("Renton", "98055", 47.470, -122.200, 0.80),
            Area("Kirkland", "98033", 47.681, -122.209, 1.45),
            Area("Tacoma", "98403", 47.262, -122.459, 0.60),
        ),
    ),
    Metro(
        "Columbus",
        "OH",
        "America/New_York",
        ("614", "380"),
        300_000,
        (
            Area("German Village", "43206", 39.948, -82.993, 1.45),
            Area("Dublin", "43017", 40.099, -83.114, 1.40),
            Area("Westerville", "43081", 40.126, -82.929, 1.10),
            Area("Hilliard", "43026", 40.033, -83.158, 1.05),
            Area("Grove City", "43123", 39.881, -83.093, 0.85),
        ),
    ),
    Metro(
        "Atlanta",
        "GA",
        "America/New_York",
        ("404", "678", "770"),
        430_000,
        (
            Area("Buckhead", "30305", 33.832, -84.385, 1.90),
            Area("Decatur", "30030", 33.775, -84.296, 1.25),
            Area("Marietta", "30060", 33.953, -84.550, 0.90),
            Area("Alpharetta", "30009", 34.075, -84.294, 1.35),
            Area("Smyrna", "30080", 33.884, -84.514, 0.95),
        ),
    ),
    Metro(
        "Las Vegas",
        "NV",
        "America/Los_Angeles",
        ("702", "725"),
        440_000,
        (
            Area("Summerlin", "89135", 36.106, -115.327, 1.45),
            Area("Henderson", "89052", 35.999, -115.102, 1.15),
            Area("North Las Vegas", "89031", 36.259, -115.170, 0.80),
            Area("Spring Valley", "89147", 36.111, -115.279, 0.90),
            Area("Enterprise", "89183", 35.992, -115.158, 0.90),
        ),
    ),
)

# Where relocating buyers come from, beyond the metros above: state, zone, area code, postal code.
ORIGINS: tuple[tuple[str, str, str, str], ...] = (
    ("CA", "America/Los_Angeles", "415", "94110"),
    ("CA", "America/Los_Angeles", "310", "90034"),
    ("NY", "America/New_York", "917", "10025"),
    ("IL", "America/Chicago", "312", "60614"),
    ("NJ", "America/New_York", "201", "07030"),
    ("MA", "America/New_York", "617", "02130"),
    ("MI", "America/Detroit", "313", "48201"),
    ("MN", "America/Chicago", "612", "55408"),
    ("OR", "America/Los_Angeles", "503", "97214"),
    ("HI", "Pacific/Honolulu", "808", "96814"),
    ("AK", "America/Anchorage", "907", "99501"),
)


def metro_of_location(index: int) -> Metro:
    """The metro of the index-th location (locations cycle through the metros)."""
    return METROS[index % len(METROS)]


@lru_cache(maxsize=4096)
def utc_offset_ms(timezone: str, day_start_ms: int) -> int:
    """UTC offset of `timezone` at noon UTC of the given day, in milliseconds (DST-aware)."""
    moment = datetime.fromtimestamp(day_start_ms / 1000 + 12 * 3600, UTC)
    offset = moment.astimezone(ZoneInfo(timezone)).utcoffset() or timedelta(0)
    return int(offset.total_seconds() * 1000)


def local_iso(ms: int, timezone: str) -> str:
    """ISO-8601 time with the zone's offset, as GHL writes appointment start/end times."""
    moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(timezone))
    return moment.isoformat(timespec="seconds")
