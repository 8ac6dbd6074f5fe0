"""Snapshot store: build the next warehouse file beside the published one and
switch to it atomically.

Layout under ``<data_dir>/warehouse``::

    CURRENT                     the published snapshot id (one line; replaced with os.replace)
    snapshots/<id>.duckdb       published, never modified again
    snapshots/<id>.duckdb.building   a snapshot under construction (removed if a load dies)
    .lock                       held (flock) by the one loader allowed at a time

A reader (data/warehouse.py) only ever opens ``snapshots/<CURRENT>.duckdb``
read-only. A loader killed at any moment leaves CURRENT untouched, so the
previous snapshot keeps serving; the next run removes the leftover
``.building`` file and redoes the work (files already in the published load
history are skipped by content hash).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
from pathlib import Path

from data.snapshots import SnapshotDir

KEEP_SNAPSHOTS = 5
BUILDING_SUFFIX = ".building"


class LoaderBusy(RuntimeError):
    """Another loader holds the warehouse lock."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SnapshotStore(SnapshotDir):
    """The write side of the snapshot directory (the layout and the reading of
    the pointer are data.snapshots.SnapshotDir, shared with the read side)."""

    # ---- writing -------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait: bool = True):
        """Exclusive loader lock. Raises LoaderBusy if ``wait`` is False and it is held."""
        self.snapshots.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / ".lock", "a+")
        try:
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(fh, flags)
            except BlockingIOError as exc:
                raise LoaderBusy(
                    "En annan inläsning pågår redan mot samma datakatalog; försök igen när den är klar."
                ) from exc
            yield
        finally:
            fh.close()

    def remove_stale_builds(self) -> list[Path]:
        """Remove snapshots left half-built by a killed loader. Call under lock()."""
        removed = []
        for path in self.snapshots.glob(f"*{BUILDING_SUFFIX}*"):
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    @staticmethod
    def new_id() -> str:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{stamp}-{secrets.token_hex(3)}"

    def begin(self) -> tuple[str, Path]:
        """Start a new snapshot: a copy of the published one (or an empty file).

        Returns (snapshot_id, path of the file to build). Call under lock().
        """
        self.snapshots.mkdir(parents=True, exist_ok=True)
        sid = self.new_id()
        building = self.snapshots / f"{sid}.duckdb{BUILDING_SUFFIX}"
        current = self.current_path()
        if current is not None and current.exists():
            try:
                shutil.copyfile(current, building)
            except BaseException:  # a full disk mid-copy leaves no half file behind
                building.unlink(missing_ok=True)
                raise
        return sid, building

    def publish(self, snapshot_id: str, building: Path, data_changed: bool = True) -> Path:
        """Make a finished snapshot the current one, atomically. Call under lock().
        Its manifest (size, whether the run changed data) is written first."""
        final = self.path_for(snapshot_id)
        with open(building, "rb+") as fh:
            os.fsync(fh.fileno())
            size = os.fstat(fh.fileno()).st_size
        manifest = self.manifest_path(snapshot_id)
        tmp_manifest = manifest.with_suffix(".json.tmp")
        tmp_manifest.write_text(json.dumps({"id": snapshot_id, "size": size, "data_changed": data_changed,
                                            "published": dt.datetime.now(dt.timezone.utc).isoformat()}),
                                encoding="utf-8")
        os.replace(tmp_manifest, manifest)
        os.replace(building, final)
        tmp_pointer = self.root / f"CURRENT.{snapshot_id}.tmp"
        with open(tmp_pointer, "w", encoding="utf-8") as fh:
            fh.write(snapshot_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_pointer, self.pointer)
        _fsync_dir(self.root)
        self.prune()
        return final

    def abandon(self, building: Path) -> None:
        for path in building.parent.glob(building.name + "*"):
            path.unlink(missing_ok=True)

    def point_to(self, snapshot_id: str) -> None:
        """Roll back (or forward) to an already published snapshot."""
        if not self.path_for(snapshot_id).exists():
            raise FileNotFoundError(f"Ögonblicksbilden {snapshot_id} finns inte.")
        tmp_pointer = self.root / f"CURRENT.{snapshot_id}.tmp"
        tmp_pointer.write_text(snapshot_id + "\n", encoding="utf-8")
        os.replace(tmp_pointer, self.pointer)

    def prune(self, keep: int = KEEP_SNAPSHOTS) -> None:
        """Keep the current snapshot and the ``keep`` newest that changed data
        (rollback points); a run that only recorded rejected files evicts none
        of them (its successor carries its load history anyway)."""
        current = self.current_id()
        ids = self.published_ids()
        changing = [sid for sid in ids if (self.manifest(sid) or {}).get("data_changed", True)]
        kept = set(changing[-keep:]) | {current} | set(ids[-1:])
        for sid in ids:
            if sid not in kept:
                self.path_for(sid).unlink(missing_ok=True)
                Path(str(self.path_for(sid)) + ".wal").unlink(missing_ok=True)
                self.manifest_path(sid).unlink(missing_ok=True)
