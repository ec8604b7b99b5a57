"""The optional Redis connection (HUB_REDIS_URL): made on demand, checked, never at import time."""

from __future__ import annotations

import redis

from hub.errors import ConfigError, ServiceUnreachableError

SETTING = "HUB_REDIS_URL"


def connect_redis(url: str, *, timeout_s: float = 3.0) -> redis.Redis:
    """A checked client for `url`; ServiceUnreachableError names HUB_REDIS_URL when it does not answer."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    except ValueError as exc:
        raise ConfigError(SETTING, f"is not a Redis URL ({exc}); use redis://host:6379/0") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        where = client.connection_pool.connection_kwargs
        raise ServiceUnreachableError(
            SETTING,
            f"Redis at {where.get('host')}:{where.get('port')} did not answer ({type(exc).__name__}); "
            "start it, fix the URL, or unset HUB_REDIS_URL to run without Redis",
        ) from None
    return client
