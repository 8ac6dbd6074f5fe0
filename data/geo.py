"""Great-circle distances for the table view's "patient's home region or town".

Pure functions: no warehouse, no Dash. The origin is a region seat
(data/reference regions' lat/lon) or a town (see data.queries.towns()).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data import reference

#: Mean Earth radius in km (IUGG), as the brief specifies.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between points given in decimal degrees.

    Scalars or array-likes (broadcast); NaN where a coordinate is missing.
    """
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype="float64")) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def region_seat(region_kod: str) -> tuple[float, float] | None:
    """(lat, lon) of the region's seat (residensstad), None for an unknown code."""
    region = reference.regions().get(region_kod)
    return (region.lat, region.lon) if region else None


def town_position(towns: pd.DataFrame, ort: str) -> tuple[float, float] | None:
    """(lat, lon) of a town from a frame with columns ort, lat, lon (case-insensitive)."""
    if not ort or towns is None or towns.empty:
        return None
    hit = towns[towns["ort"].str.casefold() == ort.strip().casefold()]
    if hit.empty:
        return None
    return float(hit["lat"].iloc[0]), float(hit["lon"].iloc[0])


def with_distance(rows: pd.DataFrame, origin: tuple[float, float] | None,
                  column: str = "avstand_km") -> pd.DataFrame:
    """A copy of ``rows`` (with lat/lon columns) plus the distance in km from
    ``origin``; the column is NaN for rows without coordinates or no origin."""
    out = rows.copy()
    if origin is None or out.empty:
        out[column] = np.nan
        return out
    out[column] = haversine_km(origin[0], origin[1], out["lat"], out["lon"])
    return out


def distances_km(rows, origin: tuple[float, float] | None) -> dict[str, float | None]:
    """{row id: km from ``origin``} for rows given as dicts with id, lat, lon
    (None where a coordinate or the origin is missing)."""
    rows = list(rows)
    if origin is None or not rows:
        return {str(r["id"]): None for r in rows}
    lat = [np.nan if r.get("lat") is None else r["lat"] for r in rows]
    lon = [np.nan if r.get("lon") is None else r["lon"] for r in rows]
    km = np.atleast_1d(haversine_km(origin[0], origin[1], lat, lon))
    return {str(r["id"]): (None if np.isnan(k) else float(k)) for r, k in zip(rows, km)}
