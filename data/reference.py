"""Reference data shipped with the product: the 21 regions and the built-in
KVÅ catalogue (about 100 common surgical groups with Swedish titles, and
5-character codes under them). Used by the ETL (validation, demo) and the app
(search, titles) alike; loaded files may add or replace titles in the
warehouse's ``kva`` table.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

#: Cataract groups come from Nationella Kataraktregistret, every other group from SPOR.
NCR_GROUPS = frozenset({"CJC", "CJD", "CJE"})


@dataclass(frozen=True)
class Region:
    kod: str
    namn: str
    residensstad: str
    lat: float
    lon: float


def _read(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


@functools.cache
def regions() -> dict[str, Region]:
    """The 21 regions by two-digit county code, in code order."""
    return {
        r["region_kod"]: Region(r["region_kod"], r["namn"], r["residensstad"], float(r["lat"]), float(r["lon"]))
        for r in _read("regioner.csv")
    }


def region_name(kod: str | None) -> str | None:
    region = regions().get(kod or "")
    return region.namn if region else None


@functools.cache
def kva_groups() -> dict[str, str]:
    """Built-in KVÅ groups: code -> Swedish title."""
    return {r["kod"]: r["titel"] for r in _read("kva_grupper.csv")}


@functools.cache
def kva_search_terms() -> dict[str, tuple[str, ...]]:
    """Everyday words per KVÅ group for the search ("knäprotes", "ljumske",
    "galla", "halsmandlar"), from kva_sokord.csv (grupp;sokord, terms separated by |)."""
    return {r["grupp"]: tuple(t.strip() for t in r["sokord"].split("|") if t.strip())
            for r in _read("kva_sokord.csv")}


@functools.cache
def kva_codes() -> dict[str, str]:
    """Built-in 5-character KVÅ codes: code -> Swedish title (may be empty)."""
    path = REFERENCE_DIR / "kva_koder.csv"
    if not path.exists():
        return {}
    return {r["kod"]: r["titel"] for r in _read("kva_koder.csv")}


def source_for_group(kva_grupp: str) -> str:
    """'ncr' for the cataract groups, 'spor' for every other group."""
    return "ncr" if kva_grupp.upper() in NCR_GROUPS else "spor"
