"""The patient's home anywhere in Sweden (issue 14, part 1): the shipped
gazetteer (GeoNames, data/reference/orter.csv) finds the localities
coordinators type, with their county, and the distances are great-circle
distances from them."""
from __future__ import annotations

import math

import pytest

from data import gazetteer


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    """Independent of data/geo.py: the spherical law of cosines, R = 6 371 km."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return 6371.0 * math.acos(min(1.0, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)))


@pytest.mark.parametrize("typed,name,county", [
    ("Ljungby", "Ljungby", "07"), ("Alvesta", "Alvesta", "07"), ("Kiruna", "Kiruna", "25"),
    ("Åre", "Åre", "23"), ("Överkalix", "Överkalix", "25"), ("angelholm", "Ängelholm", "12"),
    ("LJUNGBY", "Ljungby", "07"), ("Ljungby (Kronoberg)", "Ljungby", "07"), ("overkalix", "Överkalix", "25"),
])
def test_the_localities_coordinators_type(typed, name, county):
    place = gazetteer.find(typed)
    assert place is not None and place.ort == name and place.region_kod == county, (typed, place)


def test_the_label_shows_the_county_and_search_suggests_while_typing():
    assert gazetteer.find("Ljungby").label == "Ljungby (Kronoberg)"
    names = [p.ort for p in gazetteer.search("ljung")]
    assert names[0] == "Ljungby" and "Ljungskile" in names
    assert [p.ort for p in gazetteer.search("ange")][0] == "Ängelholm"
    assert gazetteer.search("x") == [] and gazetteer.find("Atlantis") is None
    assert len(gazetteer.localities()) > 1200


def test_a_name_several_counties_share_is_told_apart_by_county():
    shared = [k for k in gazetteer.localities() if "(" in k]
    assert shared, "Swedish place names repeat across counties"
    place = gazetteer.localities()[shared[0]]
    assert place.key == f"{place.ort} ({place.label.split('(')[1]}"


def test_distances_from_a_home_are_great_circle(app, data_dir):
    from data import geo
    from tests.factories import build_random_warehouse

    ds = build_random_warehouse(data_dir, seed=2, demo=True)
    origin = gazetteer.find("Ljungby")
    rows = [{"id": r.vardenhet_hsaid, "lat": r.lat, "lon": r.lon} for r in ds.units.itertuples()]
    km = geo.distances_km(rows, (origin.lat, origin.lon))
    for r in rows:
        assert km[r["id"]] == pytest.approx(great_circle_km(origin.lat, origin.lon, r["lat"], r["lon"]), rel=1e-3)
    import sys

    with app.test_request_context("/"):
        jamfor = sys.modules["pages.jamfor"]
        wh = app.extensions["warehouse"]
        assert jamfor.hem_origin(wh, "Ljungby") == (origin.lat, origin.lon)
        assert jamfor.hem_label(wh, "Ljungby") == "Ljungby (Kronoberg)"
        assert jamfor.hem_origin(wh, "07") == geo.region_seat("07")
