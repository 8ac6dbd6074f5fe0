"""Per-app access to the warehouse and the result cache.

``init_data`` attaches one read-only :class:`Warehouse` and one Flask-Caching
instance to the Flask app; query callers use :func:`get_warehouse` and
:func:`cached` (results keyed by snapshot id, so a new load invalidates
everything at once and nothing stale is served).
"""
from __future__ import annotations

import functools
import hashlib
import json

from flask import Flask, current_app
from flask_caching import Cache

from config.settings import Settings
from data.warehouse import Warehouse

cache = Cache()


def init_data(server: Flask, settings: Settings) -> None:
    warehouse = Warehouse(settings.warehouse_dir)
    server.extensions["warehouse"] = warehouse
    config = {"CACHE_DEFAULT_TIMEOUT": 24 * 3600, "CACHE_THRESHOLD": 5000}
    if settings.redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=settings.redis_url)
    elif settings.cache_type == "FileSystemCache":
        cache_dir = settings.effective_cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)
        config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=str(cache_dir))
    else:
        config.update(CACHE_TYPE=settings.cache_type)
    cache.init_app(server, config=config)


def get_warehouse() -> Warehouse:
    return current_app.extensions["warehouse"]


def get_settings() -> Settings:
    return current_app.config["LAGESBILD_SETTINGS"]


def cached(func):
    """Cache a query function's result under (function, snapshot id, arguments).

    The wrapped function takes the warehouse as first argument; outside a
    Flask app context it is called directly.
    """

    @functools.wraps(func)
    def wrapper(wh: Warehouse, *args, **kwargs):
        try:
            current_app._get_current_object()
        except RuntimeError:
            return func(wh, *args, **kwargs)
        sid = wh.snapshot_id
        if sid is None:
            return func(wh, *args, **kwargs)
        raw = json.dumps([func.__module__, func.__qualname__, sid, args, kwargs], default=repr, sort_keys=True)
        key = "q:" + hashlib.sha256(raw.encode()).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            return hit
        result = func(wh, *args, **kwargs)
        cache.set(key, result)
        return result

    return wrapper
