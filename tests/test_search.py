"""The procedure search finds what care coordinators type (issue 11, part 3).

The table below was written from the KVÅ group titles (data/reference/
kva_grupper.csv) and the words used in health care, not from the search's
rules: the query a coordinator types -> the group that must come first.
Volumes are the demo model's national weights, so "knä" is decided by how
common each procedure is, as in a real snapshot."""
from __future__ import annotations

import pytest

from data import reference, search
from etl.demo_model import GROUP_MODELS

VOLUMES = {kod: int(m.weight * 1000) for kod, m in GROUP_MODELS.items()}
INDEX = search.build_index(reference.kva_groups(), reference.kva_codes(), reference.kva_search_terms())

EXPECTED_FIRST = [
    ("knäprotes", "NGB"), ("knä protes", "NGB"), ("knä", "NGB"), ("kna", "NGB"), ("KNÄ", "NGB"),
    ("nytt knä", "NGB"), ("knäledsprotes", "NGB"),
    ("höftprotes", "NFB"), ("hoftprotes", "NFB"), ("höft", "NFB"), ("protes höft", "NFB"),
    ("höftfraktur", "NFJ"), ("höftrevision", "NFC"),
    ("ljumskbråck", "JAB"), ("ljumske", "JAB"), ("bråck", "JAB"), ("brack", "JAB"),
    ("navelbråck", "JAD"), ("ärrbråck", "JAD"), ("lårbråck", "JAC"),
    ("galla", "JKA"), ("gallsten", "JKA"), ("gallblåsa", "JKA"), ("gallstem", "JKA"),
    ("grå starr", "CJC"), ("gråstarr", "CJC"), ("katarakt", "CJC"), ("katarkt", "CJC"), ("grön starr", "CHD"),
    ("bröstcancer", "HAB"), ("prostata", "KED"), ("prostatacancer", "KEC"), ("prostta", "KED"),
    ("livmoder", "LCD"), ("livmoderhals", "LDC"),
    ("tonsiller", "EMB"), ("halsmandlar", "EMB"), ("mandlar", "EMB"),
    ("ryggkirurgi", "ABC"), ("diskbråck", "ABC"), ("handkirurgi", "ACC"), ("karpaltunnel", "ACC"),
    ("menisk", "NGD"), ("korsband", "NGE"), ("axelprotes", "NBB"), ("rotatorkuff", "NBL"),
    ("åderbråck", "PHB"), ("aderbrack", "PHB"), ("blindtarm", "JEA"), ("hemorrojder", "JHC"),
    ("fetma", "JDF"), ("gastric bypass", "JDF"), ("sköldkörtel", "BAA"), ("pacemaker", "FPE"),
    ("hallux valgus", "NHK"), ("hälsena", "NHL"), ("triggerfinger", "NDM"),
    ("NGB", "NGB"), ("ngb", "NGB"), ("NGB4", "NGB"), ("cjc", "CJC"),
]


@pytest.mark.parametrize("query,first", EXPECTED_FIRST, ids=[q for q, _ in EXPECTED_FIRST])
def test_the_group_a_coordinator_means_comes_first(query, first):
    hits = search.search(INDEX, query, VOLUMES)
    assert hits, f"inga träffar för {query!r}"
    groups = []
    for entry, _ in hits:
        if entry.kod[:3] not in groups:
            groups.append(entry.kod[:3])
    assert groups[0] == first, (query, groups[:5])


def test_the_table_is_large_enough():
    assert len(EXPECTED_FIRST) >= 40


@pytest.mark.parametrize("query", ["zzzz", "qwerty", "xx yy"])
def test_nonsense_finds_nothing(query):
    assert search.search(INDEX, query, VOLUMES) == []


def test_every_word_must_match():
    groups = {e.kod for e, _ in search.search(INDEX, "protes höft", VOLUMES) if e.ar_grupp}
    assert "NFB" in groups and "NGB" not in groups


@pytest.mark.parametrize("a,b,expected", [
    ("katarakt", "katarakt", True), ("katarkt", "katarakt", True), ("kataract", "katarakt", True),
    ("katrakat", "katarakt", False), ("prostta", "prostata", True), ("porstata", "prostata", True),
    ("gall", "galla", True), ("gal", "galla", False),
])
def test_one_edit(a, b, expected):
    assert search.within_one_edit(a, b) is expected


def test_a_better_match_beats_volume():
    """'knäled' itself is a word of NGB's title; a typo match of a bigger group does not outrank it."""
    hits = search.search(INDEX, "knäled", {"NGB": 1, "NFB": 10**6})
    assert hits[0][0].kod == "NGB"


def test_every_group_of_the_catalogue_has_search_terms():
    terms = reference.kva_search_terms()
    assert set(reference.kva_groups()) <= set(terms), set(reference.kva_groups()) - set(terms)
