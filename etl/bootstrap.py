"""``python -m etl bootstrap`` (run by ``make run``): make sure something is loaded.

No published snapshot in LAGESBILD_DATA_DIR → generate the small demo
delivery into ``$LAGESBILD_DATA_DIR/demo-leverans`` (seed 1, ending
yesterday) and load it. Otherwise only say what is loaded. Quick either way.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from etl.snapshot import SnapshotStore

DEMO_DIR_NAME = "demo-leverans"


def needs_demo(warehouse_dir: Path) -> bool:
    store = SnapshotStore(warehouse_dir)
    current = store.current_path()
    return current is None or not current.exists()


def demo_dir(data_dir: Path) -> Path:
    return Path(data_dir) / DEMO_DIR_NAME


def generate_small_demo(out: Path, today: dt.date | None = None):
    from etl.demo import generate_demo

    end = (today or dt.date.today()) - dt.timedelta(days=1)
    out.mkdir(parents=True, exist_ok=True)
    return generate_demo(out, scale="small", seed=1, end_date=end)
