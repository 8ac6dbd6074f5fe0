"""The planners', decision-makers' and data stewards' views (issue 12) in
Chromium against the real gunicorn server: each page fills from its URL, its
controls change the view and the URL, the links lead where they say. Every
test ends with no console error and no request off 127.0.0.1 (the ``page``
fixture)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_nationell_utveckling(page):
    page.goto(page.base_url + "/nationellt?kva=NGB&period=365&matt=median")
    page.locator("#nu-tiles a.lb-tile").first.wait_for()
    page.recorder.dash_idle()
    assert page.locator("#nu-tiles a.lb-tile").count() == 21
    assert "Källa: SPOR, data t.o.m." in page.locator("#nu-source").inner_text()
    for graph in ("#nu-trend", "#nu-share", "#nu-regions", "#nu-waiting"):
        page.locator(f"{graph} .js-plotly-plot").wait_for()
    legend = page.locator("#nu-trend .legendtext").all_text_contents()
    assert "Samma månad ett år tidigare" in legend and "Hela riket" in legend
    rows = page.locator("#nu-region-rows tbody tr")
    assert rows.count() >= 5
    # Another measure: the URL follows, the tiles say percent.
    page.get_by_label("Andel inom 90 dagar").check()
    page.wait_for_function("() => new URLSearchParams(location.search).get('matt') === 'andel_inom_90'")
    page.wait_for_function("() => document.querySelector('#nu-tiles .lb-tile-value').innerText.includes('%')")
    # A tile opens that region's Regional kapacitet for the group.
    tile = page.locator("#nu-tiles a.lb-tile").first
    href = tile.get_attribute("href")
    assert href.startswith("/kapacitet?region=") and "kva=NGB" in href
    tile.click()
    page.wait_for_url(re.compile(r"/kapacitet\?"))
    page.locator("#rk-group-grid .ag-row").first.wait_for()
    assert _query(page)["kva"] == "NGB"


def test_nationell_utveckling_for_all_groups_names_its_scope_as_a_sentence(page):
    page.goto(page.base_url + "/nationellt")
    page.locator("#nu-source").filter(has_text="Källa").wait_for()
    assert page.locator("#nu-source").inner_text().startswith("Alla grupper i SPOR · Källa: SPOR")


def test_regional_kapacitet(page):
    page.goto(page.base_url + "/kapacitet?region=07&kva=NGB&period=90")
    page.locator("#rk-group-grid .ag-row").first.wait_for()
    page.recorder.dash_idle()
    assert "Region Kronoberg" in page.locator("#rk-source").inner_text()
    assert page.locator("#rk-group-grid .ag-row").count() >= 5       # every group of the region, not only NGB
    first = page.locator("#rk-group-grid .ag-row[row-index='0'] a.lb-unit-link")
    assert first.get_attribute("href").startswith("/kapacitet?region=07&kva=")
    page.locator("#rk-series .js-plotly-plot").wait_for()
    assert "NGB: väntande, nya och genomförda" in page.locator("#rk-series-title").inner_text()
    link = page.locator("#rk-alt-link")
    if link.count():
        href = link.get_attribute("href")
        assert href.startswith("/?") and "kva=NGB" in href and "hem=07" in href
        link.click()
        page.wait_for_url(re.compile(r"/\?"))
        page.locator("#jf-grid .ag-row").first.wait_for()
        assert _query(page)["hem"] == "07"
        page.go_back()
        page.locator("#rk-group-grid .ag-row").first.wait_for()
    # Another region from the control: the URL follows.
    page.locator("#rk-region").click()
    page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(r"^Skåne$")).first.click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('region') === '12'")
    page.wait_for_function("() => document.querySelector('#rk-source').innerText.includes('Region Skåne')")


def test_datakvalitet(page):
    page.goto(page.base_url + "/datakvalitet")
    page.locator("#dq-source-rows").wait_for()
    page.recorder.dash_idle()
    sources = page.locator("#dq-source-rows tbody tr").all_inner_texts()
    assert any(s.startswith("SPOR") for s in sources) and any("Väntetidsdatabasen" in s for s in sources)
    page.locator("#dq-load-grid .ag-row").first.wait_for()
    assert page.locator("#dq-load-grid .ag-row").count() >= 10
    assert "/api/v1/quality" in page.locator("#dq-download").get_attribute("href")
    stale = page.locator("#dq-stale")
    assert stale.inner_text()


def test_the_navigation_shows_every_view(page):
    page.goto(page.base_url + "/om")
    page.locator("main h1").wait_for()
    text = page.locator("header").inner_text()
    for name in ("Jämför enheter", "Nationell utveckling", "Regional kapacitet", "Datakvalitet", "Om statistiken"):
        assert name in text, name


def test_the_unit_page_shows_both_expected_waits_with_their_names(page):
    page.goto(page.base_url + "/?kva=NGB&period=365&level=unit")
    page.locator("#jf-grid .ag-row[row-index='0'] a.lb-unit-link").click()
    page.wait_for_url(re.compile(r"/enhet/"))
    card = page.locator("#eh-forecast")
    card.locator("dl").wait_for()
    text = card.inner_text()
    assert "Köbaserad (väntetidsdatabasen)" in text and "Registerbaserad (median 90 dagar)" in text
    assert "inget löfte" in text and ("träffsäkra" in text or "För kort historik" in text)


def test_an_annonsor_posts_a_notice_that_shows_in_the_table_and_on_the_unit_page(page, browser_data_dir):
    """Kapacitetsannonser end to end: the form, the role checked on the server,
    the notice beside the unit in Jämför enheter and on its Enhet page, withdrawn."""
    from app import create_app
    from auth import devusers, notices
    from tests.browser.conftest import USER
    from tests.conftest import make_settings

    page.goto(page.base_url + "/?kva=NGB&period=365&level=unit")
    page.locator("#jf-grid .ag-row[row-index='0'] a.lb-unit-link").first.wait_for()
    unit = page.evaluate("() => { const rows = []; window.dash_ag_grid.getApi('jf-grid')"
                         ".forEachNodeAfterFilterAndSort(n => rows.push(n.data.id)); return rows[0]; }")
    app = create_app(make_settings(browser_data_dir))
    db = app.extensions["auth_db"]
    hsa_id = devusers.pseudo_hsa_id(USER[0])
    notices.grant_unit(db, hsa_id, unit, by="test")
    try:
        page.goto(page.base_url + "/annonser")
        page.locator("#an-ny").wait_for()
        page.locator("#an-ny-kva").click()
        page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(r"^NGB ")).first.click()
        page.keyboard.press("Escape")
        page.fill("#an-ny-antal", "15")
        page.fill("#an-ny-villkor", "<b>ASA ≤ 3</b>")
        page.fill("#an-ny-kontakt", "ortopedi.planering@region.se")
        page.click("#an-publicera")
        page.locator("#an-meddelande .alert-success").wait_for()
        page.locator("#an-rows").wait_for()
        assert "Erbjuder 15 patienter NGB" in page.locator("#an-rows").inner_text()
        assert "<b>ASA ≤ 3</b>" in page.locator("#an-rows").inner_text()      # shown as text, not markup
        # edited: the notice into the form, a new number, saved over it
        page.locator("#an-dra-tillbaka-id").click()
        page.locator("[role=listbox] [role=option]").first.click()
        page.click("#an-andra")
        page.wait_for_function("() => document.querySelector('#an-publicera').innerText === 'Spara ändringarna'")
        page.fill("#an-ny-antal", "12")
        page.click("#an-publicera")
        page.wait_for_function("() => document.querySelector('#an-rows') && "
                               "document.querySelector('#an-rows').innerText.includes('Erbjuder 12 patienter NGB')")
        assert len(notices.current(db, enhet=unit)) == 1
        # beside the unit in Jämför enheter
        page.goto(page.base_url + "/?kva=NGB&period=365&level=unit")
        badge = page.locator("#jf-grid .lb-notice-badge").first
        badge.wait_for()
        assert badge.inner_text() == "erbjuder kapacitet"
        # and on its Enhet page
        page.goto(page.base_url + f"/enhet/{unit}?kva=NGB")
        page.locator("#eh-notices").wait_for()
        assert "Erbjuder 12 patienter NGB" in page.locator("#eh-notices").inner_text()
        # withdrawn: gone everywhere
        page.goto(page.base_url + "/annonser")
        page.locator("#an-dra-tillbaka-id").click()
        page.locator("[role=listbox] [role=option]").first.click()
        page.click("#an-dra-tillbaka")
        page.locator("#an-dra-tillbaka-meddelande .alert-success").wait_for()
        assert notices.current(db, enhet=unit) == []
    finally:
        for n in notices.current(db, enhet=unit):
            notices.withdraw(db, n["id"], by="test")
        notices.revoke_unit(db, hsa_id, unit)


def test_the_partial_month_of_d_is_said_as_such(page):
    page.goto(page.base_url + "/?kva=NGB&period=365&level=unit")
    page.locator("#jf-grid .ag-row[row-index='0'] a.lb-unit-link").click()
    page.wait_for_url(re.compile(r"/enhet/"))
    page.locator("#eh-trend .js-plotly-plot").wait_for()
    page.recorder.dash_idle()
    api = page.evaluate("async () => (await (await fetch('/api/v1/trend?kva=NGB')).json())")
    last = api["months"][-1]
    d = api["data_date"]
    import datetime as dt

    day = dt.date.fromisoformat(d)
    partial = (day + dt.timedelta(days=1)).month == day.month
    assert last["partial"] is partial and not any(m["partial"] for m in api["months"][:-1])
    notes = page.locator("#eh-trend .annotation-text").all_text_contents()
    assert (f"t.o.m. {d}" in notes) is partial, notes
