"""Per-process resources for task runs: one store engine, one optional Redis client."""

from __future__ import annotations

from functools import lru_cache

import redis
from sqlalchemy.orm import Session, sessionmaker

from hub.redis_connection import connect_redis
from hub.settings import get_settings
from hub.store.engine import check_connection, make_engine, session_factory


@lru_cache(maxsize=1)
def store_sessions() -> sessionmaker[Session]:
    engine = make_engine(get_settings().database.url)
    check_connection(engine)
    return session_factory(engine)


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis | None:
    url = get_settings().redis.url
    return connect_redis(url) if url else None
