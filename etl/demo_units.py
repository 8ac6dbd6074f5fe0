"""The fictional unit catalogue of the demo delivery.

Public hospitals (university, county and local hospitals with their clinics)
in every region, private companies and non-profit foundations. Names are
made of nature words ("Björkhaga sjukhus", "Ortopedkliniken, Norrvikens
lasarett") so they are plausible but clearly not real hospitals. Every
HSA-ID starts with DEMO_HSA_PREFIX, which is how the app knows it shows
demo data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data.reference import regions
from data.schema import DEMO_HSA_PREFIX
from etl import demo_model as M


@dataclass
class Unit:
    hsaid: str
    namn: str
    sjukhus: str
    region_kod: str
    agarform: str        # offentlig | privat | ideburen
    ort: str
    lat: float
    lon: float
    specialty: str
    mvo: str
    tier: str            # univ | univ2 | lans | lokal | privat
    size: float          # relative production
    groups: tuple[str, ...]


class _Names:
    """Unique fictional place names from nature words."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()

    def take(self) -> str:
        for _ in range(10_000):
            name = M.NAME_PREFIXES[self.rng.integers(len(M.NAME_PREFIXES))] + \
                M.NAME_SUFFIXES[self.rng.integers(len(M.NAME_SUFFIXES))]
            if name not in self.used and not name.lower().startswith(("sjöbos", "dalda")):
                self.used.add(name)
                return name
        raise RuntimeError("slut på påhittade namn")  # pragma: no cover


def _genitive(name: str) -> str:
    return name if name.endswith(("s", "x", "z")) else name + "s"


def _hospital_name(name: str, tier: str, rng: np.random.Generator) -> str:
    if tier in ("univ", "univ2"):
        return f"{name} universitetssjukhus"
    if tier == "lans":
        return f"{_genitive(name)} lasarett" if rng.random() < 0.5 else f"{name} sjukhus"
    return (f"{_genitive(name)} lasarett", f"{name} sjukhus", f"Närsjukhuset {name}")[rng.integers(3)]


def _place(region_kod: str, town_index: int, rng: np.random.Generator) -> tuple[str, float, float]:
    towns = M.TOWNS[region_kod]
    town, lat, lon = towns[town_index % len(towns)]
    # a few kilometres from the town centre
    return town, round(lat + rng.uniform(-0.02, 0.02), 5), round(lon + rng.uniform(-0.035, 0.035), 5)


def _pick_groups(spec: str, tier: str, rng: np.random.Generator) -> tuple[str, ...]:
    available = M.SPECIALTIES[spec].groups[tier]
    if tier == "privat":
        # private providers pick a profile: the first two groups always, then some more
        keep = [g for i, g in enumerate(available) if i < 2 or rng.random() < 0.55]
    else:
        core = M.SPECIALTIES[spec].groups.get("lokal", available)
        keep = [g for g in available if g in core or rng.random() < 0.85]
    return tuple(keep)


_TIER_SIZE = {"univ": 3.0, "univ2": 2.2, "lans": 2.0, "lokal": 1.0}


def build_units(scale: str, rng: np.random.Generator) -> list[Unit]:
    """The unit catalogue: about 300 units nationally, about 40 at small scale."""
    names = _Names(rng)
    units: list[Unit] = []
    seq: dict[str, int] = {}

    def add(region_kod, namn, sjukhus, agarform, place, spec, tier, size, groups):
        seq[region_kod] = seq.get(region_kod, 0) + 1
        ort, lat, lon = place
        units.append(Unit(
            hsaid=f"{DEMO_HSA_PREFIX}E{region_kod}{seq[region_kod]:03d}",
            namn=namn, sjukhus=sjukhus, region_kod=region_kod, agarform=agarform,
            ort=ort, lat=lat, lon=lon, specialty=spec, mvo=M.SPECIALTIES[spec].mvo,
            tier=tier, size=size * float(rng.lognormal(0.0, 0.35)), groups=groups,
        ))

    region_codes = list(regions())
    small = scale == "small"
    # --- public hospitals -------------------------------------------------
    for r in region_codes:
        n_hospitals = 1 if small else M.REGION_HOSPITALS[r]
        n_univ = M.UNIVERSITY_REGIONS.get(r, 0)
        for h in range(n_hospitals):
            tier = ("univ" if h == 0 else "univ2") if h < n_univ else ("lans" if h == 0 else "lokal")
            sjukhus = _hospital_name(names.take(), tier, rng)
            place = _place(r, h, rng)   # every clinic of a hospital shares its site
            if small:
                clinics = [("orto", 1.0)]
                if r in ("01", "03", "05", "06", "12", "14", "18", "21", "24"):
                    clinics.append(("oga", 1.0))
                if r in ("01", "05", "12", "14", "25"):
                    clinics.append(("kir", 1.0))
            else:
                clinics = M.HOSPITAL_CLINICS[tier]
            for spec, p in clinics:
                if rng.random() >= p:
                    continue
                group_tier = "lans" if tier == "univ2" else tier
                clinic = M.SPECIALTIES[spec].clinic
                add(r, f"{clinic}, {sjukhus}", sjukhus, "offentlig", place, spec, tier,
                    _TIER_SIZE[tier], _pick_groups(spec, group_tier, rng))
    # --- private companies and non-profit foundations -------------------------
    n_public = len(units)
    if small:
        kinds = ["orto", "orto", "oga", "oga", "kir"]
        n_ideburen = 1
    else:
        n_other = round(n_public / 3)          # 25 % of all units
        n_ideburen = round(n_other * 0.18)
        shares = np.array([k[1] for k in M.PRIVATE_KINDS])
        kinds = list(rng.choice([k[0] for k in M.PRIVATE_KINDS], size=n_other - n_ideburen, p=shares / shares.sum()))
    pop = np.array([M.REGION_POPULATION[r] for r in region_codes], dtype=float)
    pop_p = pop / pop.sum()
    patterns = {k[0]: k[2] for k in M.PRIVATE_KINDS}
    for spec in kinds:
        r = region_codes[rng.choice(len(region_codes), p=pop_p)]
        name = names.take()
        namn = patterns[spec][rng.integers(len(patterns[spec]))].format(n=name)
        town_index = 0 if rng.random() < 0.6 else int(rng.integers(len(M.TOWNS[r])))
        add(r, namn, namn.removesuffix(" AB"), "privat", _place(r, town_index, rng), spec, "privat",
            1.3 if spec in ("orto", "oga") else 0.9, _pick_groups(spec, "privat", rng))
    ideburen_specs = list(M.IDEBUREN_CLINICS)
    for i in range(n_ideburen):
        r = region_codes[rng.choice(len(region_codes), p=pop_p)]
        spec = "orto" if small else ideburen_specs[i % len(ideburen_specs)]
        sjukhus = f"Stiftelsen {_genitive(names.take())} sjukhus"
        add(r, f"{M.IDEBUREN_CLINICS[spec]}, {sjukhus}", sjukhus, "ideburen", _place(r, 0, rng), spec, "privat",
            1.4, _pick_groups(spec, "privat", rng))
    units.sort(key=lambda u: u.hsaid)
    return units
