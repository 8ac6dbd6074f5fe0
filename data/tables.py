"""Table definitions: what a question's answer looks like as a table, for
the screen's grid, the CSV and XLSX files and their title block alike.

A question module (data/questions/) defines its columns (:class:`Column`:
key, Swedish header, kind) and builds a :class:`Table` from its result: the
rows, the title block (product, group, source and data date, window, level,
filters, suppression, demo marker) and the file name. The API's files, the
screen's download buttons and the grid's columns all come from that one
definition, so they cannot disagree (Datasette's rule: one view computes its
data once; HTML, JSON and CSV are renderers of it).

Column kinds and what a file holds:

============ ============================================================
``text``     the text (``label`` columns: the Swedish label of a code)
``count``    a count of operations; a suppressed row's count 1..k-1 is "<k"
``int``      a whole number
``days``     a wait in days, unrounded
``share``    a share 0..1, unrounded
``km``       a distance in km
``date``     an ISO date
============ ============================================================
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

KINDS = ("text", "count", "int", "days", "share", "km", "date")
NUMERIC_KINDS = ("count", "int", "days", "share", "km")
PRODUCT_TITLE = "Nationell lägesbild – väntetider till operation"
#: A count withheld (secondary suppression) so that a small count elsewhere cannot be derived.
WITHHELD = "dold"


@dataclass(frozen=True)
class Column:
    key: str                  # the field of the row (and the grid's column id)
    header: str               # Swedish, the same on screen and in every file
    kind: str = "text"
    screen: bool = True       # shown in the grid; files always hold every column
    value: Callable[[Mapping], object] | None = field(default=None, compare=False)  # derived from the row

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.key!r}")

    def get(self, row: Mapping):
        return self.value(row) if self.value is not None else row.get(self.key)


@dataclass(frozen=True)
class Table:
    """Rows with their columns, title block and file name: what a file holds."""

    columns: tuple[Column, ...]
    rows: Sequence[Mapping]
    title: tuple[str, ...] = ()
    file_stem: str = "lagesbild"
    sheet: str = "Data"
    suppress_below: int = 5

    def cell(self, row: Mapping, column: Column):
        """The value a file writes for a cell: unrounded numbers, None for a
        missing or suppressed statistic, "<k" for a suppressed small count,
        "dold" for a count withheld so that another row's cannot be derived."""
        value = column.get(row)
        if column.kind == "count" and row.get("n_suppressed") and value is None:
            return WITHHELD
        if column.kind == "count" and row.get("suppressed") and (
                value is None or (isinstance(value, (int, float)) and 0 < value < self.suppress_below)):
            return f"<{self.suppress_below}"
        return value

    def matrix(self) -> list[list]:
        return [[self.cell(r, c) for c in self.columns] for r in self.rows]

    def filename(self, ext: str) -> str:
        return f"{self.file_stem}.{ext}"


def title_block(*, kva: str, titel: str | None, source_text: str, scope_text: str, filters_text: str,
                suppress_below: int, demo: bool, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The title block every file of the product starts with."""
    lines = [
        f"{PRODUCT_TITLE}: {kva} {titel or ''}".strip(),
        source_text,
        scope_text,
        f"Filter: {filters_text}",
        *extra,
        f"Färre än {suppress_below} operationer: ingen statistik visas (antal anges som <{suppress_below}). "
        f"Antal som anges som {WITHHELD} (och deras andelar) visas inte, så att ett litet antal inte kan "
        "räknas fram ur summor.",
        "Värdena är oavrundade. Väntetid i dagar; andelar i procent.",
    ]
    if demo:
        lines.append("DEMODATA – påhittade uppgifter, inte verkliga väntetider")
    lines.append(f"Uttaget {dt.date.today().isoformat()}")
    return tuple(line for line in lines if line)
