"""Every Swedish locality as the patient's home (data/reference/orter.csv:
the 1 323 places of GeoNames with at least 500 inhabitants, licence CC BY 4.0,
built by scripts/build_gazetteer.py), with its county and coordinates.

A home (``hem=`` in the URL) is a region code ("07"), a locality's key — its
name when only one place in Sweden has it ("Ljungby"), else the name and the
county ("Alvik (Stockholm)") — or a town of the unit catalogue (old links).
Matching folds case and å/ä/ö ("angelholm" finds Ängelholm).
"""
from __future__ import annotations

import csv
import functools
from collections import defaultdict
from dataclasses import dataclass

from common.text import fold
from data import reference


@dataclass(frozen=True)
class Locality:
    key: str
    ort: str
    region_kod: str
    lat: float
    lon: float
    invanare: int

    @property
    def label(self) -> str:
        return f"{self.ort} ({reference.region_name(self.region_kod) or self.region_kod})"


@functools.cache
def localities() -> dict[str, Locality]:
    """key -> Locality; of several places with one name in one county, the most populous."""
    with open(reference.REFERENCE_DIR / "orter.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    best: dict[tuple[str, str], dict] = {}
    for r in rows:
        k = (r["ort"], r["region_kod"])
        if k not in best or int(r["invanare"]) > int(best[k]["invanare"]):
            best[k] = r
    counties = defaultdict(set)
    for ort, region in best:
        counties[ort].add(region)
    out = {}
    for (ort, region), r in sorted(best.items()):
        key = ort if len(counties[ort]) == 1 else f"{ort} ({reference.region_name(region)})"
        out[key] = Locality(key, ort, region, float(r["lat"]), float(r["lon"]), int(r["invanare"]))
    return out


@functools.cache
def _by_folded_name() -> dict[str, list[Locality]]:
    out = defaultdict(list)
    for loc in localities().values():
        out[fold(loc.ort)].append(loc)
        out[fold(loc.key)].append(loc)
    return out


def find(text: str | None) -> Locality | None:
    """The locality a home names: its key ("Ljungby", "Alvik (Stockholm)"), its label
    ("Ljungby (Kronoberg)"), or a folded name that only one place has ("angelholm")."""
    if not text:
        return None
    text = text.strip()
    hit = localities().get(text)
    if hit:
        return hit
    for loc in localities().values():
        if loc.label == text:
            return loc
    candidates = {loc.key: loc for loc in _by_folded_name().get(fold(text), [])}
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    if candidates:  # several places of that name: the most populous
        return max(candidates.values(), key=lambda loc: loc.invanare)
    return None


def search(q: str, limit: int = 30) -> list[Locality]:
    """Localities whose name begins with (then contains) the folded query, the most populous first."""
    f = fold(q or "").strip()
    if len(f) < 2:
        return []
    starts, contains = [], []
    for loc in localities().values():
        name = fold(loc.ort)
        if name.startswith(f):
            starts.append(loc)
        elif f in name:
            contains.append(loc)
    starts.sort(key=lambda loc: (-loc.invanare, loc.key))
    contains.sort(key=lambda loc: (-loc.invanare, loc.key))
    return (starts + contains)[:limit]
