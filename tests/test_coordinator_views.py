"""Jämför enheter tells the truth about the view (issue 11, part 4): the row
count and the filter line include the grid's own column filters, and an
empty table says why — no data for the group at all, the window, or the
filters. Callbacks over HTTP, on a crafted warehouse."""
from __future__ import annotations

import pandas as pd
import pytest

from data import vocabulary as vocab
from tests import dash_calls
from tests.factories import build_warehouse
from tests.test_queries import U, op, unit

GRID_INPUTS = {"jf-period.value": 90, "jf-level.value": "unit", "jf-asa.value": [], "jf-prio.value": [],
               "jf-narkos.value": [], "jf-hem.value": None, "jf-state.data": "", "jf-grid.columnDefs": []}


@pytest.fixture
def client(app, data_dir):
    from tests.auth.support import READER, logged_in_client

    # Two units with NGB operations 100-207 days before the data date, ASA 2 only; NFB has none.
    ops = [op(U[0], "NGB01", 200 + i, 30 + i, asa=2) for i in range(8)] + [op(U[1], "NGB01", 100, 40, asa=2), op(U[1], "JAB11", 0, 20, asa=2)]
    build_warehouse(data_dir, pd.DataFrame([unit(U[0]), unit(U[1], "12")]), pd.DataFrame(ops))
    return logged_in_client(app, *READER)


def _empty_text(client, app, **inputs) -> str:
    values = {**GRID_INPUTS, **{f"jf-{k}.value": v for k, v in inputs.items()}}
    answer = dash_calls.call(client, app, "jf-empty.children", values)
    assert answer["jf-empty"]["style"] == {}
    return str(answer["jf-empty"]["children"])


def test_an_empty_table_says_the_group_has_no_data_at_all(client, app):
    text = _empty_text(client, app, kva="NFB")
    assert "Det finns inga operationer i NFB i de inlästa uppgifterna" in text
    assert "filter" not in text.split("inga data inlästa")[0].lower()


def test_an_empty_table_names_the_window_when_a_longer_one_has_rows(client, app):
    text = _empty_text(client, app, kva="NGB", period=30)
    assert "Inga enheter har operationer i NGB under senaste 30 dagarna före datadatum" in text
    assert "Under senaste 365 dagarna finns 2 enheter: välj ett längre tidsfönster" in text
    assert "filter" not in text


def test_an_empty_table_names_the_filters_when_they_are_the_reason(client, app):
    text = _empty_text(client, app, kva="NGB", period=365, asa=[3])
    assert "med filtren ASA 3" in text and "Utan filter finns 2 enheter" in text


def test_the_count_and_the_filter_line_include_the_grids_column_filter(client, app):
    rows = [{"id": "a", "region_namn": "Kronoberg"}, {"id": "b", "region_namn": "Skåne"},
            {"id": "c", "region_namn": "Stockholm"}]
    defs = [{"field": "namn", "colId": "namn", "headerName": "Enhet"},
            {"field": "region_namn", "colId": "region_namn", "headerName": "Region"},
            {"field": "median", "colId": "median", "headerName": "Median (dagar)"}]
    model = {"region_namn": {"filterType": "text", "type": "contains", "filter": "Kron"},
             "median": {"filterType": "number", "type": "lessThan", "filter": 100}}
    answer = dash_calls.call(client, app, "jf-grid-filter.children", {
        "jf-grid.virtualRowData": rows[:1], "jf-grid.filterModel": model, "jf-grid.rowData": rows,
        "jf-grid.columnDefs": defs, "jf-level.value": "unit"})
    count = next(v for k, v in answer.items() if k.startswith("jf-count"))
    assert count["children"] == "1 av 3 enheter"
    assert answer["jf-grid-filter"]["children"] == "i tabellen: Region innehåller ”Kron”; Median (dagar) < 100"
    unfiltered = dash_calls.call(client, app, "jf-grid-filter.children", {
        "jf-grid.virtualRowData": rows, "jf-grid.filterModel": {}, "jf-grid.rowData": rows,
        "jf-grid.columnDefs": defs, "jf-level.value": "region"})
    assert next(v for k, v in unfiltered.items() if k.startswith("jf-count"))["children"] == "3 regioner"
    assert unfiltered["jf-grid-filter"]["children"] == ""


@pytest.mark.parametrize("model,expected", [
    ({"n": {"filterType": "number", "type": "inRange", "filter": 5, "filterTo": 20.5}}, "n 5–20,5"),
    ({"ort": {"filterType": "text", "operator": "OR", "conditions": [
        {"type": "startsWith", "filter": "Lu"}, {"type": "equals", "filter": "Malmö"}]}},
     "Ort börjar med ”Lu” eller är ”Malmö”"),
    ({"ort": {"filterType": "text", "type": "blank"}}, "Ort är tom"),
    ({"ort": {"filterType": "text", "type": "okänd-typ"}}, None),
    (None, None),
])
def test_grid_filter_in_words(model, expected):
    assert vocab.grid_filter_text(model, {"ort": "Ort"}) == expected


def test_the_region_line_is_not_drawn_when_it_is_the_units_own(client, app):
    """U[0] is the only unit of its region with NGB: its region's line would be its own."""
    answer = dash_calls.call(client, app, "eh-trend.figure", {
        "eh-kva.value": "NGB", "eh-hsa.data": {"id": U[0], "region_kod": "01", "region_namn": "Stockholm",
                                               "fran": "kva=NGB&period=365&asa=2"}})
    names = [t.get("name") for t in answer["eh-trend"]["figure"]["data"]]
    assert not any("Region" in (n or "") for n in names), names
    caption = answer["eh-trend-source"]["children"]
    assert "Region Stockholm visas inte som egen linje" in caption and "filter: ASA 2" in caption
    headline = str(answer["eh-headline"]["children"])
    assert "NGB, senaste 365 dagarna" in headline and "filter: ASA 2 (som i tabellen)" in headline
