"""Snapshot distribution to many app servers (issue 15): each server has its
own data directory and answers from a local, immutable copy of the published
snapshot. ``python -m etl publish --to DIR...`` copies the loader's current
snapshot into every server's ``warehouse/snapshots`` (file, then manifest,
written under a temporary name and renamed) and then switches each server's
CURRENT atomically; a server picks it up at its next request (one stat() of
CURRENT) and answers each request from one snapshot (data/warehouse.py pins
it). ``python -m etl rollback --to DIR...`` points every server back at the
previous intact snapshot it holds (or at a named one)."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from etl.snapshot import SnapshotStore


class DistributionError(RuntimeError):
    """A copy that cannot be made or checked; the message is Swedish and names the directory."""


@dataclass(frozen=True)
class Distributed:
    target: Path
    snapshot_id: str
    copied: bool          # False: the target already had the file


def _store(data_dir: Path) -> SnapshotStore:
    return SnapshotStore(Path(data_dir) / "warehouse")


def publish_to(source_data_dir: Path, targets: list[Path], snapshot_id: str | None = None) -> list[Distributed]:
    """Copy the source's current (or the named) snapshot to every target and switch its CURRENT."""
    source = _store(source_data_dir)
    sid = snapshot_id or source.current_id()
    if sid is None:
        raise DistributionError(f"Ingen ögonblicksbild är publicerad i {source_data_dir}.")
    problem = source.check_file(sid)
    if problem:
        raise DistributionError(f"Ögonblicksbilden {sid} i {source_data_dir} kan inte spridas: {problem}.")
    done = []
    for target in targets:
        store = _store(target)
        if Path(target).resolve() == Path(source_data_dir).resolve():
            raise DistributionError(f"{target} är källans egen datakatalog.")
        store.snapshots.mkdir(parents=True, exist_ok=True)
        final = store.path_for(sid)
        copied = False
        if not final.exists() or store.check_file(sid):
            tmp = final.with_name(final.name + ".copy")
            try:
                shutil.copyfile(source.path_for(sid), tmp)
                shutil.copyfile(source.manifest_path(sid), store.manifest_path(sid).with_suffix(".json.copy"))
                os.replace(store.manifest_path(sid).with_suffix(".json.copy"), store.manifest_path(sid))
                os.replace(tmp, final)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise DistributionError(f"Kopian till {target} misslyckades: {exc.strerror or exc}. "
                                        "Servern svarar vidare från sin förra ögonblicksbild.") from exc
            copied = True
        problem = store.check_file(sid)
        if problem:
            raise DistributionError(f"Kopian i {target} är inte hel ({problem}); CURRENT är inte ändrad.")
        store.point_to(sid)
        store.prune()
        done.append(Distributed(Path(target), sid, copied))
    return done


def rollback_on(targets: list[Path], snapshot_id: str | None = None) -> list[tuple[Path, str, str | None]]:
    """Point every target at the named snapshot, or at the newest intact one before its current.
    Returns (target, the snapshot now current, the one before). Checks every target before changing any."""
    plan = []
    for target in targets:
        store = _store(target)
        current = store.current_id()
        if snapshot_id:
            if snapshot_id not in store.published_ids() or store.check_file(snapshot_id):
                raise DistributionError(f"{target} har ingen hel ögonblicksbild {snapshot_id}.")
            plan.append((target, snapshot_id, current))
            continue
        older = [s for s in store.published_ids() if current is None or s < current]
        previous = next((s for s in reversed(older) if not store.check_file(s)), None)
        if previous is None:
            raise DistributionError(f"{target} har ingen tidigare hel ögonblicksbild att återställa till.")
        plan.append((target, previous, current))
    for target, sid, _ in plan:
        _store(target).point_to(sid)
    return plan
