"""Great-circle distances (data/geo.py) against an independent formula."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from data import geo


def law_of_cosines_km(lat1, lon1, lat2, lon2, r=6371.0088):
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return r * math.acos(max(-1.0, min(1.0, c)))


def test_stockholm_goteborg():
    d = geo.haversine_km(59.3293, 18.0686, 57.7089, 11.9746)
    assert d == pytest.approx(law_of_cosines_km(59.3293, 18.0686, 57.7089, 11.9746), rel=1e-9)
    assert 395 < d < 400  # the known great-circle distance is about 397 km


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_points_in_sweden_match_the_law_of_cosines(seed):
    rng = np.random.default_rng(seed)
    lat1, lat2 = rng.uniform(55, 69, 50), rng.uniform(55, 69, 50)
    lon1, lon2 = rng.uniform(11, 24, 50), rng.uniform(11, 24, 50)
    got = geo.haversine_km(lat1, lon1, lat2, lon2)
    expected = [law_of_cosines_km(*args) for args in zip(lat1, lon1, lat2, lon2)]
    assert got == pytest.approx(expected, rel=1e-9)


def test_zero_distance_and_missing_coordinates():
    assert geo.haversine_km(60.0, 15.0, 60.0, 15.0) == 0.0
    assert math.isnan(geo.haversine_km(60.0, 15.0, float("nan"), 15.0))


def test_region_seat_and_town_position():
    assert geo.region_seat("14") == (57.7089, 11.9746)  # Göteborg, seat of Västra Götaland
    assert geo.region_seat("99") is None
    towns = pd.DataFrame({"ort": ["Umeå", "Lund"], "lat": [63.83, 55.70], "lon": [20.26, 13.19]})
    assert geo.town_position(towns, "umeå ") == (63.83, 20.26)
    assert geo.town_position(towns, "Kiruna") is None and geo.town_position(towns, "") is None


def test_with_distance_adds_a_sortable_column():
    rows = pd.DataFrame({"id": ["a", "b", "c"], "lat": [57.7089, 59.3293, None], "lon": [11.9746, 18.0686, None]})
    out = geo.with_distance(rows, geo.region_seat("01"))
    assert "avstand_km" not in rows.columns  # the input is not modified
    assert out["avstand_km"].iloc[1] == pytest.approx(0.0, abs=1e-9)
    assert out["avstand_km"].iloc[0] == pytest.approx(law_of_cosines_km(59.3293, 18.0686, 57.7089, 11.9746))
    assert math.isnan(out["avstand_km"].iloc[2])
    assert list(out.sort_values("avstand_km")["id"]) == ["b", "a", "c"]
    assert geo.with_distance(rows, None)["avstand_km"].isna().all()


def test_distances_from_row_dicts_match_the_frame_version():
    rows = [{"id": "a", "lat": 57.7089, "lon": 11.9746}, {"id": "b", "lat": 59.3293, "lon": 18.0686},
            {"id": "c", "lat": None, "lon": None}]
    got = geo.distances_km(rows, geo.region_seat("01"))
    frame = geo.with_distance(pd.DataFrame(rows), geo.region_seat("01"))
    assert got["a"] == pytest.approx(frame["avstand_km"].iloc[0]) and got["b"] == pytest.approx(0.0, abs=1e-9)
    assert got["c"] is None
    assert geo.distances_km(rows, None) == {"a": None, "b": None, "c": None}
    assert geo.distances_km([], (60.0, 15.0)) == {}
