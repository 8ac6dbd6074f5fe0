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
import threading
from collections import OrderedDict

from flask import Flask, current_app
from flask_caching import Cache

from config.settings import Settings
from data.warehouse import Warehouse

cache = Cache()

#: Results kept in this process in front of the shared cache (least recently
#: used out first). Keys hold the snapshot id, so an entry is never stale; a hit
#: saves reading and unpickling a file (or a Redis round trip).
LOCAL_ENTRIES = 256


class LocalResults:
    def __init__(self, size: int = LOCAL_ENTRIES):
        self.size = size
        self._items: "OrderedDict[str, object]" = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


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
    # None with NullCache (benchmarks of the computation): nothing is kept, here either.
    server.extensions["lagesbild_results"] = None if config["CACHE_TYPE"] == "NullCache" else LocalResults()
    pin_snapshot_per_request(server, warehouse)


SNAPSHOT_HEADER = "X-Lagesbild-Snapshot"


def pin_snapshot_per_request(server: Flask, warehouse: Warehouse) -> None:
    """Every request is answered from one snapshot (pinned when it starts) and
    every response names it in X-Lagesbild-Snapshot: with many servers, or
    during a publish, a client can tell which data an answer holds."""
    from flask import g

    @server.before_request
    def _pin():
        try:
            g.lagesbild_snapshot = warehouse.pin()
        except Exception:  # noqa: BLE001 - no snapshot yet, or a damaged one: the views say so
            g.lagesbild_snapshot = None

    @server.after_request
    def _name(response):
        sid = g.get("lagesbild_snapshot")
        if sid:
            response.headers[SNAPSHOT_HEADER] = sid
        return response

    @server.teardown_request
    def _unpin(_exc=None):
        warehouse.unpin()


def get_warehouse() -> Warehouse:
    return current_app.extensions["warehouse"]


def warehouse_with_data() -> Warehouse | None:
    """The app's warehouse when a snapshot with data is published, else None
    (every page's layout starts here and says "Inga data är inlästa ännu")."""
    from data.warehouse import NoData

    wh = get_warehouse()
    try:
        return wh if wh.has_data else None
    except NoData:
        return None


NO_DATA_TEXT = "Inga data är inlästa ännu."
MAINTENANCE_TEXT = ("Tjänsten underhålls: den publicerade ögonblicksbilden kan inte användas just nu. "
                    "Försök igen om en stund; förvaltningen återställer den.")


def no_data_text() -> str:
    """Why a page has nothing to show: nothing loaded yet, or (a damaged snapshot
    and no good one open) maintenance — never the wrong one of the two."""
    wh = get_warehouse()
    return MAINTENANCE_TEXT if wh.damaged and not wh.serving else NO_DATA_TEXT


def get_settings() -> Settings:
    return current_app.config["LAGESBILD_SETTINGS"]


_CACHE_WARNED = {"at": 0.0}


def _cache_down(exc: Exception) -> None:
    """The shared cache (Redis) is unreachable: answer uncached, say so in the log (once a minute)."""
    import logging
    import time

    now = time.monotonic()
    if now - _CACHE_WARNED["at"] > 60:
        _CACHE_WARNED["at"] = now
        logging.getLogger("lagesbild.data").warning(
            "Resultatcachen svarar inte (%s: %s); frågorna räknas utan cache tills den är tillbaka.",
            type(exc).__name__, exc)


def _shared_get(key: str):
    try:
        return cache.get(key)
    except Exception as exc:  # noqa: BLE001 - redis.ConnectionError, a full disk: never a failed page
        _cache_down(exc)
        return None


def _shared_set(key: str, value) -> None:
    try:
        cache.set(key, value)
    except Exception as exc:  # noqa: BLE001
        _cache_down(exc)


def cached(func):
    """Cache a query function's result under (function, snapshot id, arguments):
    in this process (LOCAL_ENTRIES, most recently used) in front of the shared
    Flask-Caching backend (filesystem or Redis), so every worker and server
    computes a question once per snapshot.

    The wrapped function takes the warehouse as first argument; outside a
    Flask app context it is called directly. With ``NullCache`` (benchmarks of
    the computation) nothing is kept, in the process either.
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
        local = current_app.extensions.get("lagesbild_results")
        if local is None:
            return func(wh, *args, **kwargs)
        raw = json.dumps([func.__module__, func.__qualname__, sid, args, kwargs], default=repr, sort_keys=True)
        key = "q:" + hashlib.sha256(raw.encode()).hexdigest()
        hit = local.get(key)
        if hit is not None:
            return hit
        hit = _shared_get(key)
        if hit is None:
            hit = func(wh, *args, **kwargs)
            _shared_set(key, hit)
        local.put(key, hit)
        return hit

    return wrapper
