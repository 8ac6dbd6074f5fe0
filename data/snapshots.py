"""The layout of the snapshot directory and which snapshot is published:
the part of the snapshot store the read side needs (the writing — lock,
build, publish, roll back — is etl/snapshot.py's SnapshotStore, a subclass).

Layout under ``<data_dir>/warehouse``::

    CURRENT                     the published snapshot id (one line; replaced atomically)
    snapshots/<id>.duckdb       published, never modified again
"""
from __future__ import annotations

from pathlib import Path


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

    def current_path(self) -> Path | None:
        sid = self.current_id()
        return self.path_for(sid) if sid else None

    def published_ids(self) -> list[str]:
        if not self.snapshots.exists():
            return []
        return sorted(p.name[: -len(".duckdb")] for p in self.snapshots.glob("*.duckdb"))
