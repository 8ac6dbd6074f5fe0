"""The built-in KVÅ catalogue and the regions shipped in data/reference/.

The CSV files are read directly (csv module) so the checks do not depend on
data/reference.py; the module's functions are then compared with them.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from data import reference

REF = Path(__file__).resolve().parent.parent / "data" / "reference"
NCR = {"CJC", "CJD", "CJE"}


def _rows(name: str) -> list[dict]:
    raw = (REF / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} must be plain UTF-8 without BOM"
    text = raw.decode("utf-8")          # fails on anything that is not UTF-8
    return list(csv.DictReader(text.splitlines(), delimiter=";"))


@pytest.fixture(scope="module")
def groups() -> list[dict]:
    return _rows("kva_grupper.csv")


@pytest.fixture(scope="module")
def codes() -> list[dict]:
    return _rows("kva_koder.csv")


def _search(rows: list[dict], q: str) -> set[str]:
    """The simplest free-text search a user could expect: case-insensitive substring of the title."""
    return {r["kod"] for r in rows if q.casefold() in r["titel"].casefold()}


def test_about_one_hundred_groups_with_unique_three_letter_codes(groups):
    assert list(groups[0]) == ["kod", "titel", "kalla"]
    kods = [r["kod"] for r in groups]
    assert 90 <= len(kods) <= 120
    assert len(set(kods)) == len(kods)
    assert all(re.fullmatch(r"[A-Z]{3}", k) for k in kods)
    assert kods == sorted(kods)


def test_original_groups_are_kept(groups):
    kods = {r["kod"] for r in groups}
    assert {"CJC", "CJD", "CJE", "NFB", "NGB"} <= kods


def test_kalla_is_ncr_for_cataract_and_spor_for_the_rest(groups):
    for r in groups:
        assert r["kalla"] == ("ncr" if r["kod"] in NCR else "spor"), r
        assert reference.source_for_group(r["kod"]) == r["kalla"]
        assert reference.source_for_group(r["kod"].lower()) == r["kalla"]


def test_titles_are_swedish_and_clean(groups, codes):
    titles = [r["titel"] for r in groups + codes]
    assert all(t.strip() == t and len(t) >= 5 for t in titles)
    assert not any(("Ã" in t or "\ufffd" in t or ";" in t) for t in titles), "mojibake or delimiter in a title"
    with_aao = [t for t in titles if re.search(r"[åäöÅÄÖ]", t)]
    assert len(with_aao) >= 0.3 * len(titles)
    group_titles = {r["kod"]: r["titel"] for r in groups}
    assert group_titles["NGB"] == "Primär protes i knäled"
    assert group_titles["NFB"] == "Primär protes i höftled"


@pytest.mark.parametrize("q, expected", [
    ("knä", {"NGB"}),
    ("KNÄ", {"NGB"}),
    ("gråstarr", {"CJC", "CJD", "CJE"}),
    ("höft", {"NFB"}),
    ("ljumskbråck", {"JAB"}),
    ("gallblåsa", {"JKA"}),
    ("prostata", {"KED"}),
    ("livmoder", {"LCD"}),
    ("menisk", {"NGD"}),
])
def test_searches_find_the_right_groups(groups, q, expected):
    hits = _search(groups, q)
    assert expected <= hits, (q, hits)


def test_gråstarr_finds_only_cataract_groups(groups):
    assert _search(groups, "gråstarr") == NCR


def test_codes_are_five_characters_under_existing_groups(groups, codes):
    assert list(codes[0]) == ["kod", "titel"]
    group_kods = {r["kod"] for r in groups}
    kods = [r["kod"] for r in codes]
    assert len(set(kods)) == len(kods)
    assert all(re.fullmatch(r"[A-Z]{3}[0-9]{2}", k) for k in kods)
    assert {k[:3] for k in kods} == group_kods, "every code has a group and every group has codes"
    per_group = {g: sum(k.startswith(g) for k in kods) for g in group_kods}
    assert all(2 <= n <= 4 for n in per_group.values()), per_group


def test_reference_module_reads_the_same_catalogue(groups, codes):
    assert reference.kva_groups() == {r["kod"]: r["titel"] for r in groups}
    assert reference.kva_codes() == {r["kod"]: r["titel"] for r in codes}


def test_twenty_one_regions():
    rows = _rows("regioner.csv")
    kods = [r["region_kod"] for r in rows]
    assert kods == ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14",
                    "17", "18", "19", "20", "21", "22", "23", "24", "25"]
    assert list(reference.regions()) == kods
    assert reference.region_name("14") == "Västra Götaland"
    for r in rows:
        assert 55.0 < float(r["lat"]) < 69.1 and 10.9 < float(r["lon"]) < 24.2
