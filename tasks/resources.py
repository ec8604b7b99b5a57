"""Per-process resources for task runs: one store engine, one optional Redis client."""

from __future__ import annotations

import os
from functools import lru_cache

import redis
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import ConfigError
from hub.ghl.client import GHLClient
from hub.ghl.rate_limit import InProcessRateLimiter, RedisRateLimiter
from hub.redis_connection import connect_redis
from hub.settings import get_settings
from hub.store.engine import check_connection, make_engine, session_factory
from hub.store.models import Location


@lru_cache(maxsize=1)
def store_sessions() -> sessionmaker[Session]:
    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    return session_factory(engine)


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis | None:
    url = get_settings().redis.url
    return connect_redis(url) if url else None


def location_token(location_id: str) -> SecretStr:
    """The location's GHL token: the env var its `token_ref` names, else HUB_GHL_TOKEN.

    Tokens never live in the store; `token_ref` only says where to find one.
    """
    with store_sessions()() as session:
        ref = session.scalar(sa.select(Location.token_ref).where(Location.id == location_id))
    value = os.environ.get(ref) if ref else None
    if value:
        return SecretStr(value)
    default = get_settings().ghl.token
    if default is None:
        raise ConfigError(ref or "HUB_GHL_TOKEN", f"no GHL token for location {location_id}")
    return default


@lru_cache(maxsize=1)
def ghl_client() -> GHLClient:
    settings = get_settings()
    client = redis_client()
    limiter = (
        RedisRateLimiter.from_settings(client, settings.ghl)
        if client is not None
        else InProcessRateLimiter.from_settings(settings.ghl)
    )
    return GHLClient(settings.ghl, location_token, limiter=limiter)
