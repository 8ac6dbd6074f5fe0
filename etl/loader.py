"""Load extract files into a new warehouse snapshot and publish it.

One run (:func:`load_paths`) = one snapshot: under the loader lock, copy the
published snapshot (etl/snapshot.py), load the files in order — catalogues
first, then the others in name order; small neighbouring files of one kind
checked together (etl/batch.py), each still all or nothing on its own —
merge the register corrections (etl/apply.py), derive the summaries
(etl/build.py), CHECKPOINT, close and publish atomically. A run whose files
were all already loaded publishes nothing; a run that fails publishes nothing.
"""
from __future__ import annotations

import collections
import datetime as dt
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from etl import readers, rules
from etl.batch import FileLoader
from etl.build import connect_building, refresh_summaries, resort_operations, seed_reference
from etl.results import FileResult, RunResult
from etl.snapshot import SnapshotStore


# ---- which files -------------------------------------------------------------------

def plan(paths: list[Path], source: str | None = None) -> list[FileResult | tuple[Path, str]]:
    """Expand files and folders into (path, kind) in load order; notes for what is skipped.

    Catalogues (kva, vardenheter) come first, then the other files in name order.
    Inside a folder, files that are not extracts are ignored with a note; a file
    named explicitly whose kind cannot be told is rejected.
    """
    todo: list[tuple[Path, str]] = []
    notes: list[FileResult] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                # Every entry is accounted for: nothing in a delivery folder is skipped without a word.
                if child.is_symlink() and not child.exists():
                    notes.append(FileResult(child, None, "ignored", message="ignoreras: länken pekar inte på någon fil"))
                    continue
                if child.is_dir():
                    notes.append(FileResult(child, None, "ignored", message=(
                        "ignoreras: en underkatalog läses inte; ange den som egen sökväg om den ska läsas in")))
                    continue
                if child.name.startswith("."):
                    notes.append(FileResult(child, None, "ignored", message="ignoreras: dold fil"))
                    continue
                kind = source or readers.kind_from_name(child.name)
                if kind and readers.is_extract_name(child.name):
                    todo.append((child, kind))
                else:
                    notes.append(FileResult(child, None, "ignored",
                                            message="ignoreras: inte en extraktfil (spor_, ncr_, vtd_, "
                                                    "vardenheter, kva; .csv, .xlsx eller .parquet)"))
        elif path.is_file():
            kind = source or readers.kind_from_name(path.name)
            if kind is None:
                notes.append(FileResult(path, None, "rejected", message=(
                    "okänd filtyp: namnet börjar inte med spor_, ncr_, vtd_, vardenheter eller kva; "
                    "ange --source")))
            else:
                todo.append((path, kind))
        else:
            notes.append(FileResult(path, None, "rejected", message="filen eller katalogen finns inte"))
    seen: set[Path] = set()
    unique = []
    for path, kind in todo:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, kind))
    unique.sort(key=lambda pk: (rules.KIND_ORDER[pk[1]], pk[0].name, str(pk[0])))
    return [*notes, *unique]


# ---- a run ------------------------------------------------------------------------------------

def load_paths(
    paths: list[Path],
    warehouse_dir: Path,
    source: str | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    on_start: Callable[[Path, int], None] | None = None,
    today: dt.date | None = None,
) -> RunResult:
    """Load files/folders into one new snapshot and publish it (see module doc).

    ``on_start(path, size)`` is called before and ``on_file(result)`` after each file.
    """
    started = time.perf_counter()
    planned = plan([Path(p) for p in paths], source)
    results: list[FileResult] = []
    todo: list[tuple[Path, str]] = []
    for item in planned:
        if isinstance(item, FileResult):
            results.append(item)
            if on_file:
                on_file(item)
        else:
            todo.append(item)
    store = SnapshotStore(warehouse_dir)
    snapshot_id = None
    replaced = cancelled = 0
    phases: dict[str, float] = {}
    if todo:
        with store.lock(wait=False):
            for leftover in store.snapshots.glob("*.building.tmp"):      # spill directories of a killed run
                shutil.rmtree(leftover, ignore_errors=True)
            store.remove_stale_builds()
            current = store.current_path()
            if current is not None and not current.exists():
                raise RuntimeError(
                    f"Lagret är skadat: CURRENT pekar på {current.name}, som saknas. Återställ en tidigare "
                    "ögonblicksbild med `python -m etl rollback` (se `python -m etl snapshots`).")
            sid, building = store.begin()
            spill = building.with_name(building.name + ".tmp")             # DuckDB's temp_directory
            now = dt.datetime.now().replace(microsecond=0)
            con = None
            try:
                con = connect_building(building, spill)
                seed_reference(con)
                file_loader = FileLoader(con, sid, now, today)
                changed = False
                data_changed = False  # only rejected files: published, but no rollback point evicted
                # Read the next files on a helper thread while this one is checked and applied
                # (pyarrow and DuckDB both release the GIL).
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-read") as pool:
                    prepared = _read_ahead(pool, file_loader.prepare, todo)
                    for batch in batches(todo):
                        items = []
                        for path, kind in batch:
                            if on_start:
                                on_start(path, _size(path))
                            items.append((path, kind, next(prepared)))
                        for res in file_loader.load_batch(items):
                            results.append(res)
                            changed |= res.outcome in ("loaded", "rejected")
                            data_changed |= res.outcome == "loaded"
                            if on_file:
                                on_file(res)
                        del items
                t = time.perf_counter()
                phases["files"] = t - started
                stop_after("files")
                if changed:
                    replaced, cancelled = file_loader.merge_registers()
                    from etl.apply import refresh_derived_regions

                    refresh_derived_regions(con)  # a unit moved to another region takes its rows along
                    t = _lap(phases, "merge", t)
                    unsorted = 0 if resort_operations(con, file_loader.unsorted_rows) else file_loader.unsorted_rows
                    t = _lap(phases, "sort", t)
                    refresh_summaries(con, now, unsorted)
                    t = _lap(phases, "summaries", t)
                    con.execute("CHECKPOINT")
                    t = _lap(phases, "checkpoint", t)
                con.close()
                con = None
                t = _lap(phases, "close", t)
                shutil.rmtree(spill, ignore_errors=True)
                if changed:
                    store.publish(sid, building, data_changed=data_changed)
                    snapshot_id = sid
                    _lap(phases, "publish", t)
                else:
                    store.abandon(building)
            except BaseException:
                if con is not None:
                    try:
                        con.close()
                    except Exception:  # noqa: BLE001
                        pass
                shutil.rmtree(spill, ignore_errors=True)
                store.abandon(building)
                raise
    return RunResult(results, snapshot_id, time.perf_counter() - started, replaced, cancelled, phases)


#: Files at most this big are checked together with their neighbours of the same kind.
BATCH_FILE_BYTES = 4_000_000
BATCH_MAX_BYTES = 64_000_000


def batches(todo: list[tuple[Path, str]]) -> list[list[tuple[Path, str]]]:
    """Consecutive small files of one kind form a batch; a big file is a batch of its own."""
    out: list[list[tuple[Path, str]]] = []
    size = 0
    for path, kind in todo:
        small = _size(path) <= BATCH_FILE_BYTES
        if out and small and out[-1][-1][1] == kind and _size(out[-1][-1][0]) <= BATCH_FILE_BYTES \
                and size + _size(path) <= BATCH_MAX_BYTES:
            out[-1].append((path, kind))
            size += _size(path)
        else:
            out.append([(path, kind)])
            size = _size(path)
    return out


#: How far the helper thread may read ahead of the files being applied.
READ_AHEAD_BYTES = 400_000_000
READ_AHEAD_FILES = 64


def _read_ahead(pool, prepare, todo):
    """Yield prepare(path, kind) for each file in order, reading ahead on the pool's
    thread (up to READ_AHEAD_FILES files / READ_AHEAD_BYTES bytes beyond the current)."""
    pending: collections.deque = collections.deque()
    nxt = 0

    def fill():
        nonlocal nxt
        while nxt < len(todo) and (not pending or (
                len(pending) < READ_AHEAD_FILES and sum(size for _, size in pending) < READ_AHEAD_BYTES)):
            path, kind = todo[nxt]
            pending.append((pool.submit(prepare, path, kind), _size(path)))
            nxt += 1

    fill()
    while pending:
        future, _ = pending.popleft()
        fill()
        yield future.result()


def _lap(phases: dict, name: str, since: float) -> float:
    now = time.perf_counter()
    phases[name] = now - since
    stop_after(name)
    return now


STOP_AFTER_ENV = "LAGESBILD_ETL_STOP_AFTER"


def stop_after(phase: str) -> None:
    """A diagnostic hook, inert unless ``LAGESBILD_ETL_STOP_AFTER`` names this
    phase (files, merge, sort, summaries, checkpoint, close): the loader then
    stops itself (SIGSTOP) right after it, so a test or an operator can kill
    it at exactly that point and see that the published snapshot is untouched."""
    if os.environ.get(STOP_AFTER_ENV) == phase:
        os.kill(os.getpid(), signal.SIGSTOP)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
