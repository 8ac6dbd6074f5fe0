"""The care coordinator's views in Chromium against a real gunicorn server.

Every test ends with no browser console errors and no request to another
host (asserted by the ``page`` fixture in conftest.py).
"""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, parse_qsl, unquote, urlparse

import pytest

pytestmark = pytest.mark.browser

GRID = "#jf-grid"


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def wait_query(page, **expected):
    """Wait until the address bar's query has these parameters (None = absent)."""
    def ok():
        q = query(page)
        return all((k not in q) if v is None else q.get(k) == str(v) for k, v in expected.items())
    for _ in range(100):
        if ok():
            return query(page)
        page.wait_for_timeout(100)
    raise AssertionError(f"URL {page.url} saknar {expected}")


def grid_rows(page) -> list[dict]:
    """The grid's rows after its filter and sort, as the grid holds them."""
    return page.evaluate(
        """(id) => { const api = window.dash_ag_grid.getApi(id); const rows = [];
                     api.forEachNodeAfterFilterAndSort(n => rows.push(n.data)); return rows; }""",
        "jf-grid",
    )


def wait_rows(page, predicate=lambda rows: len(rows) > 0, what="rader i tabellen"):
    page.wait_for_selector(f"{GRID} .ag-row", state="attached")
    for _ in range(150):
        rows = grid_rows(page)
        if predicate(rows):
            return rows
        page.wait_for_timeout(100)
    raise AssertionError(f"väntade på {what}")


def pick_kva(page, text: str, option: str):
    """Type into the procedure search and pick the suggestion starting with ``option``."""
    page.click("#jf-kva")
    search = page.locator("input.dash-dropdown-search")
    search.wait_for()
    search.press_sequentially(text, delay=60)
    opt = page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(rf"^{option} – "))
    opt.first.wait_for()
    page.recorder.dash_idle()  # the suggestions for every keystroke have arrived
    opt.first.click()
    page.wait_for_function(f"() => document.querySelector('#jf-kva-value').innerText.startsWith('{option} ')")


def header_texts(page) -> list[str]:
    return [t.strip() for t in page.locator(f"{GRID} .ag-header-cell-text").all_inner_texts()]


def test_search_filter_sort_open_unit_and_come_back(page):
    page.goto(page.base_url + "/")
    page.get_by_text("Välj en åtgärd.").wait_for()
    assert page.locator("#lb-demo").inner_text() == "Demodata"
    assert "t.o.m." in page.locator("#lb-data-dates").inner_text()

    # "knä" offers NGB; picking it fills the table from SPOR.
    pick_kva(page, "knä", "NGB")
    rows = wait_rows(page)
    wait_query(page, kva="NGB", period=90, level="unit")
    assert page.locator("#jf-source").inner_text().startswith("Källa: SPOR, data t.o.m. ")
    assert page.locator("#jf-spor-filters").is_visible() and not page.locator("#jf-ncr-filters").is_visible()
    assert header_texts(page)[:3] == ["Enhet", "Region", "Ägarform"]
    assert all(r["href"].endswith("?kva=NGB") for r in rows)

    # Window 365, region level, then back to units with an ASA filter.
    page.get_by_label("365 dagar").check()
    wait_query(page, period=365)
    page.get_by_label("Regioner").check()
    wait_query(page, level="region")
    wait_rows(page, lambda rs: rs and "href" not in rs[0], "regionrader")
    assert header_texts(page)[0] == "Region"
    page.get_by_label("Enheter").check()
    wait_query(page, level="unit")
    before = {r["id"]: r["n"] for r in wait_rows(page, lambda rs: rs and "href" in rs[0])}
    page.get_by_label("ASA 3").check()
    page.get_by_label("ASA 4").check()
    wait_query(page, asa="3,4")
    page.wait_for_function("() => document.querySelector('#jf-source').innerText.includes('ASA 3, 4')")
    after = wait_rows(page, lambda rs: rs and "href" in rs[0])
    assert sum(r["n"] or 0 for r in after) < sum(n or 0 for n in before.values())

    # Sort by median, descending (two clicks on the header).
    header = page.locator(f"{GRID} .ag-header-cell[col-id=median]")
    header.click()
    wait_query(page, sort="median")
    header.click()
    q = wait_query(page, sort="-median")
    medians = [r["median"] for r in grid_rows(page) if r["median"] is not None]
    assert medians == sorted(medians, reverse=True) and len(medians) > 2
    shown = page.locator(f"{GRID} .ag-row[row-index='0'] .ag-cell[col-id=median]").inner_text()
    assert shown == str(round(medians[0] + 1e-9)) or shown == f"{int(medians[0] + 0.5)}"

    # Open the first unit through its link (client-side navigation).
    first = grid_rows(page)[0]
    page.locator(f"{GRID} .ag-row[row-index='0'] a.lb-unit-link").click()
    page.wait_for_url(re.compile(r"/enhet/"))
    assert urlparse(page.url).path == f"/enhet/{first['id']}" and query(page)["kva"] == "NGB"
    page.locator("h1", has_text=first["namn"]).wait_for()
    page.locator("#eh-trend .js-plotly-plot").wait_for()
    page.get_by_role("heading", name="Väntetid per månad, senaste 18 månaderna").wait_for()
    assert "Källa: SPOR" in page.locator("#eh-trend-source").inner_text()

    # Back through the URL: the same view, state restored from the query string.
    page.go_back()
    page.wait_for_url(re.compile(r"/\?"))
    assert query(page) == q
    wait_rows(page)
    assert page.get_by_label("365 dagar").is_checked() and page.get_by_label("ASA 3").is_checked()
    medians_back = [r["median"] for r in grid_rows(page) if r["median"] is not None]
    assert medians_back == medians

    # A reload (or a shared link) restores it too.
    page.reload()
    wait_rows(page)
    assert query(page) == q and page.get_by_label("ASA 4").is_checked()
    assert [r["median"] for r in grid_rows(page) if r["median"] is not None] == medians


def _number(text: str):
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if text in {"", "–"}:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _same(cell, grid_value, field) -> bool:
    if grid_value is None:
        return cell in (None, "", "–")
    if isinstance(grid_value, (int, float)) and not isinstance(grid_value, bool):
        return isinstance(cell, (int, float)) and abs(float(cell) - float(grid_value)) < 1e-6
    return str(cell) == str(grid_value)


def test_downloads_equal_the_rows_and_columns_on_screen(page):
    grid_filter = {"agarform": {"filterType": "text", "type": "contains", "filter": "offentlig"}}
    url = (page.base_url + "/?kva=NGB&period=365&level=unit&sort=-n&filter="
           + json.dumps(grid_filter, separators=(",", ":")))
    page.goto(url)
    rows = wait_rows(page, lambda rs: rs and all(r["agarform"] == "offentlig" for r in rs),
                     "rader filtrerade på ägarform enligt adressen")
    page.recorder.dash_idle()  # every callback of the page load has answered
    assert grid_rows(page) == rows, "filtret från adressen ska ligga kvar"
    assert "offentlig" in unquote(page.url)
    ns = [r["n"] for r in rows if r["n"] is not None]
    assert ns == sorted(ns, reverse=True)
    headers = header_texts(page)
    fields = page.evaluate(
        "(id) => window.dash_ag_grid.getApi(id).getAllDisplayedColumns().map(c => c.getColId())", "jf-grid")

    with page.expect_download() as dl:
        page.click("#jf-dl-csv")
    raw = open(dl.value.path(), "rb").read()
    assert dl.value.suggested_filename.endswith(".csv")
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV ska vara UTF-8 med BOM"
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][0].startswith("Nationell lägesbild") and any("DEMODATA" in r[0] for r in table[:12] if r)
    _same_as_screen(table, headers, fields, rows)

    with page.expect_download() as dl:
        page.click("#jf-dl-xlsx")
    assert dl.value.suggested_filename.endswith(".xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()), read_only=True).worksheets[0]
    cells = [["" if c is None else c for c in r] for r in ws.iter_rows(values_only=True)]
    shares = {"andel_inom_90", "asa34_andel"}   # the XLSX keeps fractions under a % format; the grid holds percent
    _same_as_screen(cells, headers, fields, rows,
                    parse=lambda field, cell: 100 * cell if field in shares and isinstance(cell, (int, float)) else cell)


def _same_as_screen(table, headers, fields, rows, parse=None):
    """The file holds every column of the table definition: the screen's columns
    under the same headers with the same values, row for row (HSA-id = the grid's id)."""
    parse = parse or (lambda field, cell: cell if field in {"namn", "region_namn", "agarform", "aktualitet"}
                      else _number(cell))
    start = next(i for i, r in enumerate(table) if r and r[0] == headers[0])
    file_headers = [str(h).removesuffix(" (%)") for h in table[start]]   # the CSV says its shares are percent
    assert set(headers) <= set(file_headers) and "HSA-id" in file_headers
    body = [r for r in table[start + 1:] if any(str(c).strip() for c in r)]
    assert len(body) == len(rows)
    for line, grid_row in zip(body, rows):
        cells = dict(zip(file_headers, line))
        assert cells["HSA-id"] == grid_row["id"]
        for field, header in zip(fields, headers):
            value = grid_row["n_txt"] if field == "n" and grid_row["suppressed"] else grid_row.get(field)
            assert _same(parse(field, cells[header]), value, field), (field, cells[header], value)


def test_every_page_is_served_from_this_host(page):
    """Load every view; the fixture fails on any request to another host or console error."""
    page.goto(page.base_url + "/?kva=CJC&period=90")
    rows = wait_rows(page)
    assert page.locator("#jf-ncr-filters").is_visible() and not page.locator("#jf-spor-filters").is_visible()
    assert "Andel ASA 3–4 (365 dagar)" not in header_texts(page)
    page.get_by_text("Endast operationer i narkos").click()
    wait_query(page, narkos=1)
    page.goto(page.base_url + f"/enhet/{rows[0]['id']}?kva=CJC")
    page.locator("#eh-trend .js-plotly-plot").wait_for()
    page.get_by_text("Anestesi", exact=True).wait_for()
    # Plotly's Swedish locale is active: month ticks as Swedish writes them.
    ticks = page.locator("#eh-trend .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"(jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec) \d{4}", t)
                         for t in ticks), ticks
    page.goto(page.base_url + "/enhet/SE9999999999-FINNSINTE")
    page.get_by_text("Okänd enhet").wait_for()
    page.goto(page.base_url + "/om")
    page.get_by_text("Kända begränsningar").wait_for()
    page.get_by_text("Frivillig rapportering.").wait_for()
    page.recorder.expected_404.add(page.base_url + "/finns-inte")
    response = page.goto(page.base_url + "/finns-inte")
    assert response.status == 404  # an unknown page answers 404, and still says so in Swedish
    page.get_by_text("Sidan finns inte").wait_for()
    page.wait_for_load_state("networkidle")
    requested = page.recorder.requests
    assert any("/assets/fonts/inter-latin-400-normal.woff2" in u for u in requested)
    assert any("plotly-locale-sv.js" in u for u in requested)
    assert any("00-bootstrap-5.3.9.min.css" in u for u in requested)
    assert page.recorder.off_host() == []


HEADER_LAYOUT = """(id) => {
  const grid = document.querySelector('#' + id);
  const cells = Array.from(grid.querySelectorAll('.ag-header-cell'))
    .sort((a, b) => a.getBoundingClientRect().left - b.getBoundingClientRect().left);
  return cells.map(cell => {
    const text = cell.querySelector('.ag-header-cell-text');
    const button = cell.querySelector('.ag-header-cell-filter-button');
    const range = document.createRange();
    range.selectNodeContents(text);
    const lines = Array.from(range.getClientRects());
    const textLeft = Math.min(...lines.map(r => r.left)), textRight = Math.max(...lines.map(r => r.right));
    const b = button ? button.getBoundingClientRect() : null;
    const gap = b ? (b.right <= textLeft ? textLeft - b.right : b.left - textRight) : 0;
    return {colId: cell.getAttribute('col-id'), text: text.innerText.trim(), gap: Math.round(gap),
            width: Math.round(cell.getBoundingClientRect().width)};
  });
}"""


@pytest.mark.parametrize("kva,level,expected", [
    ("CJC", "region", ["Region", "Antal enheter", "Antal operationer", "Median (dagar)", "90:e percentil (dagar)",
                       "Andel inom 90 dagar", "Inaktuella enheter"]),
    ("CJC", "unit", ["Enhet", "Region", "Ägarform", "Antal operationer", "Median (dagar)",
                     "90:e percentil (dagar)", "Andel inom 90 dagar", "Aktualitet"]),
    ("NGB", "region", ["Region", "Antal enheter", "Antal operationer", "Median (dagar)", "90:e percentil (dagar)",
                       "Andel inom 90 dagar", "Andel ASA 3–4 (365 dagar)", "Inaktuella enheter", "Avstånd (km)"]),
    ("NGB", "unit", ["Enhet", "Region", "Ägarform", "Antal operationer", "Median (dagar)",
                     "90:e percentil (dagar)", "Andel inom 90 dagar", "Andel ASA 3–4 (365 dagar)",
                     "Aktualitet", "Avstånd (km)"]),
])
def test_every_grid_column_has_its_header_and_no_lone_filter_icon(page, kva, level, expected):
    """Each column, left to right, carries its Swedish header, and its filter
    button sits right after that text (AG Grid's default puts it at the far
    edge of the cell, ~200 px away at region level, where it read as an empty
    column of its own)."""
    hem = "&hem=01" if kva == "NGB" else ""
    page.goto(page.base_url + f"/?kva={kva}&period=365&level={level}{hem}")
    wait_rows(page)
    page.wait_for_timeout(300)  # column widths settle after the rows
    cells = page.evaluate(HEADER_LAYOUT, "jf-grid")
    assert [c["text"] for c in cells] == expected
    for c in cells:
        assert 0 <= c["gap"] <= 12, f"filterknappen för {c['text']!r} står {c['gap']} px från rubriken"
    if (kva, level) == ("CJC", "region"):
        # A click anywhere in a header sorts, not only on its (now compact) text.
        header = page.locator(f"{GRID} .ag-header-cell[col-id=median]")
        box = header.bounding_box()
        header.click(position={"x": 16, "y": box["height"] / 2})
        wait_query(page, sort="median")


def test_logout_from_the_header(browser, live_server):
    """"Logga ut" beside the user's name ends the session in one click (POST with CSRF).
    A login of its own: logout ends the server-side session, which the other
    tests' shared cookie must keep."""
    from tests.browser.conftest import USER

    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.base_url = live_server
    page.goto(live_server + "/login")
    page.fill("input[name=username]", USER[0])
    page.fill("input[name=password]", USER[1])
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u, timeout=15000)
    page.goto(page.base_url + "/om")
    page.get_by_text("Kända begränsningar").wait_for()
    assert page.locator("#lb-user-name").inner_text() != ""
    assert page.locator("#lb-user-hsaid").inner_text().startswith("SE")  # the HSA-ID beside the name
    page.locator("#lb-logout").click()
    page.get_by_text("Du är utloggad").wait_for()
    assert urlparse(page.url).path == "/logout"
    page.goto(page.base_url + "/?kva=NGB")
    page.wait_for_url(re.compile(r"/login"))
    assert "next=" in page.url
    context.close()


CUT_CELLS = """(id) => [...document.querySelectorAll('#' + id + ' .ag-center-cols-container .ag-cell')]
  .filter(c => ['namn', 'region_namn'].includes(c.getAttribute('col-id')))
  .map(c => { const inner = c.querySelector('a') || c;
              return {text: c.innerText.trim(), cut: c.scrollWidth > c.clientWidth + 1
                      || inner.scrollWidth > inner.clientWidth + 1}; })"""


@pytest.mark.parametrize("width", [1400, 1024])
def test_unit_and_region_names_wrap_instead_of_being_cut(page, width):
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(page.base_url + "/?kva=NGB&period=365&level=unit")
    wait_rows(page)
    page.wait_for_timeout(300)  # auto row heights settle after the first paint
    cells = page.evaluate(CUT_CELLS, "jf-grid")
    assert cells and all(c["text"] for c in cells)
    assert [c["text"] for c in cells if c["cut"]] == []
    # Long names really take a second line (the row grows), short ones do not.
    heights = page.evaluate("""(id) => [...document.querySelectorAll('#' + id + ' .ag-center-cols-container .ag-row')]
                               .map(r => r.getBoundingClientRect().height)""", "jf-grid")
    assert min(heights) < max(heights)


def test_copy_link_gives_the_address_of_this_view(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base_url)
    page.goto(page.base_url + "/?kva=NGB&period=90&level=unit&asa=3")
    wait_rows(page)
    page.get_by_text("365 dagar", exact=True).click()
    wait_query(page, period="365")
    page.get_by_role("button", name="Kopiera länk").click()
    page.get_by_text("Länken till vyn är kopierad.").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url
    assert parse_qs(urlparse(copied).query) == {"kva": ["NGB"], "period": ["365"], "level": ["unit"], "asa": ["3"]}


def test_back_link_on_the_unit_page_returns_to_the_same_table_view(page):
    grid_filter = {"agarform": {"filterType": "text", "type": "contains", "filter": "offentlig"}}
    page.goto(page.base_url + "/?kva=NGB&period=365&level=unit&asa=2,3&hem=01&sort=avstand_km&filter="
              + json.dumps(grid_filter, separators=(",", ":")))
    rows = wait_rows(page, lambda rs: rs and all(r["agarform"] == "offentlig" for r in rs))
    table = query(page)
    assert table["sort"] == "avstand_km" and table["hem"] == "01"

    page.locator(f"{GRID} .ag-row[row-index='0'] a.lb-unit-link").click()
    page.wait_for_url(re.compile(r"/enhet/"))
    assert urlparse(page.url).path == f"/enhet/{rows[0]['id']}"
    unit_q = query(page)
    assert unit_q["kva"] == "NGB" and dict(parse_qsl(unit_q["fran"])) == table
    page.locator("#eh-trend .js-plotly-plot").wait_for()
    # Another group on the unit page keeps the way back.
    page.locator("#eh-kva").click()
    page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(r"^NFB ")).first.click()
    wait_query(page, kva="NFB")
    assert dict(parse_qsl(query(page)["fran"])) == table

    page.locator("#eh-back").click()
    page.wait_for_url(re.compile(r"/\?"))
    assert query(page) == table
    back_rows = wait_rows(page, lambda rs: rs and all(r["agarform"] == "offentlig" for r in rs))
    assert [r["id"] for r in back_rows] == [r["id"] for r in rows]

    # The browser's Back button (client-side navigation too) keeps the grid filter as well.
    page.locator(f"{GRID} .ag-row[row-index='0'] a.lb-unit-link").click()
    page.wait_for_url(re.compile(r"/enhet/"))
    page.locator("#eh-trend .js-plotly-plot").wait_for()
    page.go_back()
    page.wait_for_url(re.compile(r"/\?"))
    again = wait_rows(page, lambda rs: rs and all(r["agarform"] == "offentlig" for r in rs))
    page.recorder.dash_idle()  # every callback of the navigation has answered
    assert [r["id"] for r in grid_rows(page)] == [r["id"] for r in again] == [r["id"] for r in rows]
    assert query(page) == table
