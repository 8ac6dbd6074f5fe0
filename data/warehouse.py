"""Read-only access to the published warehouse snapshot.

The app never writes the warehouse. Each thread gets its own DuckDB cursor on
one read-only connection per snapshot; when the ETL publishes a new snapshot
(CURRENT changes), the next query reopens on it. Cheap to check: one stat()
of the pointer file per query.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd

from data.snapshots import DamagedSnapshot, SnapshotDir, verify


class NoData(RuntimeError):
    """No snapshot has been published yet."""


class Warehouse:
    def __init__(self, warehouse_dir: Path | str, threads: int | None = None,
                 memory_limit: str | None = None):
        self.store = SnapshotDir(warehouse_dir)
        self._threads = threads
        self._memory_limit = memory_limit
        self._lock = threading.Lock()
        self._pointer_stat: tuple | None = None
        self._snapshot_id: str | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
        #: Why the published snapshot is not served (Swedish), or None: a damaged
        #: file is never opened; the last good snapshot keeps serving.
        self.damaged: str | None = None

    # ---- snapshot tracking ------------------------------------------------
    def _refresh(self) -> None:
        try:
            st = os.stat(self.store.pointer)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        if key == self._pointer_stat and (self._con is not None or key is None):
            return
        with self._lock:
            if key == self._pointer_stat and (self._con is not None or key is None):
                return
            sid = self.store.current_id()
            if sid is None:
                self._snapshot_id, self._con, self._pointer_stat = None, None, key
                return
            config = {}
            if self._threads:
                config["threads"] = self._threads
            if self._memory_limit:
                config["memory_limit"] = self._memory_limit
            try:
                problem = self.store.check_file(sid)
                if problem:
                    raise DamagedSnapshot(problem)
                con = duckdb.connect(str(self.store.path_for(sid)), read_only=True, config=config)
                try:
                    verify(con, sid)
                except DamagedSnapshot:
                    con.close()
                    raise
            except (DamagedSnapshot, duckdb.Error) as exc:
                # Keep serving the last good snapshot (if any); say why on /healthz.
                import logging

                self.damaged = str(exc) if isinstance(exc, DamagedSnapshot) else \
                    f"ögonblicksbilden {sid} går inte att öppna: {type(exc).__name__}"
                logging.getLogger("lagesbild.data").error("Publicerad ögonblicksbild används inte: %s", self.damaged)
                self._pointer_stat = key
                return
            self.damaged = None
            # The old connection is left to the garbage collector: threads that
            # still hold a cursor on it finish their query undisturbed.
            self._con, self._snapshot_id, self._pointer_stat = con, sid, key

    # ---- one snapshot per request ----------------------------------------
    def pin(self) -> str | None:
        """Answer this thread's request from the snapshot current now, however
        many queries it makes and whatever the ETL publishes meanwhile (no
        response mixes two snapshots). Returns its id (the response names it)."""
        self._refresh()
        self._local.pinned = (self._snapshot_id, self._con)
        return self._snapshot_id

    def unpin(self) -> None:
        self._local.pinned = None

    def _pinned(self):
        pinned = getattr(self._local, "pinned", None)
        return pinned if pinned is not None and pinned[1] is not None else None

    @property
    def snapshot_id(self) -> str | None:
        pinned = self._pinned()
        if pinned is not None:
            return pinned[0]
        self._refresh()
        return self._snapshot_id

    @property
    def serving(self) -> bool:
        """A snapshot is open and answering (it may be an older one when the
        published one is damaged). No refresh: for /healthz."""
        return self._con is not None

    @property
    def has_data(self) -> bool:
        return self.snapshot_id is not None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for this thread on the request's pinned snapshot, else the current one."""
        pinned = self._pinned()
        if pinned is not None:
            sid, con = pinned
            local = self._local
            if getattr(local, "snapshot_id", None) != sid:
                local.cursor = con.cursor()
                local.snapshot_id = sid
            return local.cursor
        self._refresh()
        if self._con is None:
            if self.damaged:
                raise NoData(f"Lagret kan inte användas: {self.damaged}. Återställ med `python -m etl rollback`.")
            raise NoData("Inga data är inlästa ännu. Kör `python -m etl load` eller `make run`.")
        local = self._local
        if getattr(local, "snapshot_id", None) != self._snapshot_id:
            local.cursor = self._con.cursor()
            local.snapshot_id = self._snapshot_id
        return local.cursor

    def df(self, sql: str, params: list | tuple | dict | None = None) -> pd.DataFrame:
        return self.cursor().execute(sql, params or []).df()

    def rows(self, sql: str, params: list | tuple | dict | None = None) -> list[tuple]:
        return self.cursor().execute(sql, params or []).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._snapshot_id, self._pointer_stat = None, None, None
