"""The layout of the snapshot directory and which snapshot is published:
the part of the snapshot store the read side needs (the writing — lock,
build, publish, roll back — is etl/snapshot.py's SnapshotStore, a subclass).

Layout under ``<data_dir>/warehouse``::

    CURRENT                     the published snapshot id (one line; replaced atomically)
    snapshots/<id>.duckdb       published, never modified again
    snapshots/<id>.json         its manifest: size in bytes, whether the run changed data, counts

A published file is checked against its manifest and with a cheap query
whenever it is opened (:func:`verify`): a truncated or damaged snapshot is
noticed before it serves anything.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


class DamagedSnapshot(RuntimeError):
    """A published snapshot whose file does not match its manifest or cannot be read."""


class SnapshotDir:
    def __init__(self, warehouse_dir: Path | str):
        self.root = Path(warehouse_dir)
        self.snapshots = self.root / "snapshots"
        self.pointer = self.root / "CURRENT"

    def current_id(self) -> str | None:
        try:
            value = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def path_for(self, snapshot_id: str) -> Path:
        return self.snapshots / f"{snapshot_id}.duckdb"

    def manifest_path(self, snapshot_id: str) -> Path:
        return self.snapshots / f"{snapshot_id}.json"

    def manifest(self, snapshot_id: str) -> dict | None:
        try:
            return json.loads(self.manifest_path(snapshot_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def check_file(self, snapshot_id: str) -> str | None:
        """Why the snapshot's file cannot be trusted (Swedish), or None: missing,
        or of another size than its manifest says (a truncated copy). One stat()."""
        path = self.path_for(snapshot_id)
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return f"ögonblicksbilden {snapshot_id} saknas"
        manifest = self.manifest(snapshot_id)
        if manifest is not None and manifest.get("size") is not None and manifest["size"] != size:
            return (f"ögonblicksbilden {snapshot_id} är skadad: filen är {size} byte, "
                    f"men var {manifest['size']} byte när den publicerades")
        return None

    def current_path(self) -> Path | None:
        sid = self.current_id()
        return self.path_for(sid) if sid else None

    def published_ids(self) -> list[str]:
        if not self.snapshots.exists():
            return []
        return sorted(p.name[: -len(".duckdb")] for p in self.snapshots.glob("*.duckdb"))


def verify(con, snapshot_id: str) -> None:
    """A cheap integrity query on an opened snapshot: the small tables and the
    first and last blocks of the operations table must read."""
    try:
        con.execute("SELECT count(*) FROM sources").fetchall()
        con.execute("SELECT count(*) FROM units").fetchall()
        con.execute("SELECT min(operation_datum), max(operation_datum), count(*) FROM operations").fetchall()
    except Exception as exc:  # noqa: BLE001 - any failure means the file cannot be trusted
        raise DamagedSnapshot(f"ögonblicksbilden {snapshot_id} går inte att läsa: {type(exc).__name__}") from exc
