"""What a load reports: one result per file and one per run, with Swedish number formats."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FileResult:
    path: Path
    kind: str | None
    outcome: str                      # loaded | rejected | unchanged | ignored
    rows_total: int = 0
    accepted: int = 0
    rejected: int = 0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    details: list[tuple] = field(default_factory=list)   # (line, column, value, reason), first few
    replaced: int = 0                 # earlier records replaced (corrections / resubmissions)
    cancelled: int = 0                # records deleted by 'makulerad'
    file_id: int | None = None
    sha256: str | None = None
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)   # seconds per step (for benchmarks)

    def mark(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class RunResult:
    files: list[FileResult]
    snapshot_id: str | None           # the published snapshot, None when nothing was published
    seconds: float = 0.0
    replaced: int = 0                 # register records replaced by a correction (post_id seen before)
    cancelled: int = 0                # register records deleted by status = makulerad
    phases: dict[str, float] = field(default_factory=dict)   # seconds per run-level step

    @property
    def any_rejected(self) -> bool:
        return any(f.outcome == "rejected" for f in self.files)



def fmt_int(n: int) -> str:
    """1234567 -> '1 234 567'."""
    return f"{n:,}".replace(",", " ")


def fmt_pct(share: float, limit: float | None = None) -> str:
    """0.125 -> '12,5 %'. Beside a ``limit`` (0.05), with as many decimals as it
    takes for the figure not to read as the limit itself (5,01 %, not 5,0 %)."""
    for decimals in (1, 2, 3, 4):
        text = f"{share * 100:.{decimals}f}"
        if limit is None or share == limit or float(text) != round(limit * 100, decimals):
            return text.replace(".", ",") + " %"
    return text.replace(".", ",") + " %"


def rows_summary(accepted: int, rejected: int) -> str:
    """'2 345 godkända, 3 avvisade rader' / '1 godkänd, 1 avvisad rad' (Swedish number agreement)."""
    ok = "godkänd" if accepted == 1 else "godkända"
    bad = "avvisad rad" if rejected == 1 else "avvisade rader"
    return f"{fmt_int(accepted)} {ok}, {fmt_int(rejected)} {bad}"


def count_noun(n: int, one: str, many: str) -> str:
    """count_noun(1, 'fil', 'filer') -> '1 fil'."""
    return f"{fmt_int(n)} {one if n == 1 else many}"

