"""The GHL boundary: a typed API v2 client (`GHLClient`) and a local stand-in server for tests."""

from __future__ import annotations

from hub.ghl.client import GHLClient
from hub.ghl.rate_limit import InProcessRateLimiter, RateLimiter, RedisRateLimiter
from hub.ghl.transport import TokenProvider

__all__ = ["GHLClient", "InProcessRateLimiter", "RateLimiter", "RedisRateLimiter", "TokenProvider"]
