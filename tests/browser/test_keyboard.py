"""The coordinator's main flow by keyboard alone (issue 16, part 2), in Chromium:
skip link, search with suggestions, filters, the table as one Tab stop with the
arrow keys inside and Enter opening a unit, the unit page's downloads, copy
link; and the phone layout and the printout of Jämför enheter."""
from __future__ import annotations

import re

import pytest

from tests.browser.a11y import screenshot

pytestmark = pytest.mark.browser


def _focused(page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement;
        return {tag: a.tagName, id: a.id, cls: a.className && a.className.baseVal === undefined ? a.className : '',
                text: (a.innerText || a.value || '').slice(0, 80), inGrid: !!a.closest('.lb-grid'),
                visibleFocus: getComputedStyle(a).outlineStyle !== 'none' || getComputedStyle(a).boxShadow !== 'none'}; }""")


def _tab_until(page, predicate, limit=60, shift=False) -> int:
    for n in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        if predicate(_focused(page)):
            return n
    raise AssertionError(f"fokus kom aldrig dit efter {limit} tabbtryck; sist: {_focused(page)}")


def test_the_main_flow_by_keyboard_alone(page):
    page.goto(page.base_url + "/?period=90")
    page.locator("#jf-kva").wait_for()
    page.recorder.dash_idle()
    # The first Tab stop is the skip link; Enter moves to the view.
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "lb-main"
    # The search: the KVÅ group's control is the next stop (not a hidden proxy), typed into, a suggestion chosen.
    _tab_until(page, lambda f: f["id"] == "jf-kva")
    assert _focused(page)["tag"] == "BUTTON"
    page.keyboard.type("knä")
    option = page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(r"^NGB ")).first
    option.wait_for()
    focused_option = "() => (document.activeElement.closest('[role=option]') || {}).innerText || ''"
    for _ in range(20):
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(60)                        # the dropdown moves the focus in its next frame
        if page.evaluate(focused_option).startswith("NGB "):
            break
    assert page.evaluate(focused_option).startswith("NGB "), page.evaluate(focused_option)
    page.keyboard.press("Enter")
    page.locator("#jf-grid .ag-row").first.wait_for()
    assert "NGB" in page.locator("#jf-kva").inner_text()
    # A filter by keyboard: 365 days with the arrow keys in the radio group.
    _tab_until(page, lambda f: f["tag"] == "INPUT" and f["id"].startswith("_dbcprivate") or "jf-period" in (f["id"] or ""))
    page.keyboard.press("ArrowRight")
    page.recorder.dash_idle(since=page.recorder.dash_done - 1)
    # Into the table: one Tab stop, the arrow keys inside, Tab leaves it at once.
    presses = _tab_until(page, lambda f: f["inGrid"])
    assert presses < 40
    assert _focused(page)["visibleFocus"], "the focused cell shows where the focus is"
    page.keyboard.press("ArrowDown")
    inside = _focused(page)
    assert inside["inGrid"]
    page.keyboard.press("Tab")
    after = _focused(page)
    assert not after["inGrid"], f"Tab leaves the table at once, not after every cell: {after}"
    page.keyboard.press("Shift+Tab")
    assert _focused(page)["inGrid"], "Shift+Tab goes back into the table"
    # Enter on a row opens that unit's page.
    row_name = page.evaluate("() => document.activeElement.closest('.ag-row') && "
                             "document.querySelector('#jf-grid .ag-row[row-index=\"' + "
                             "document.activeElement.closest('.ag-row').getAttribute('row-index') + "
                             "'\"] a.lb-unit-link').innerText")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/enhet/"))
    page.locator(".js-plotly-plot").first.wait_for()
    assert row_name in page.locator("h1").inner_text()
    # The unit page's chart as a PNG, from the chart's own button, by keyboard.
    _tab_until(page, lambda f: "modebar-btn" in (f["cls"] or ""), limit=80)
    assert page.evaluate("() => document.activeElement.getAttribute('data-title')") == "Ladda ner diagram som PNG"
    with page.expect_download() as png:
        page.keyboard.press("Enter")
    assert png.value.suggested_filename.endswith(".png")
    # Back to the table by the page's own link, found with Shift+Tab: its CSV download and its link by keyboard.
    _tab_until(page, lambda f: f["id"] == "eh-back", limit=80, shift=True)
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.pathname === '/'")
    page.locator("#jf-grid .ag-row").first.wait_for()
    page.recorder.dash_idle()
    _tab_until(page, lambda f: f["id"] == "jf-dl-csv", limit=80)
    with page.expect_download() as csv:
        page.keyboard.press("Enter")
    assert csv.value.suggested_filename.endswith(".csv")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "jf-copy-link"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#jf-copy-status').innerText.length > 0")
    assert "kopierad" in page.locator("#jf-copy-status").inner_text().lower()


def test_on_a_phone_the_key_columns_come_first_with_the_name_pinned(browser, login_state, live_server):
    context = browser.new_context(storage_state=login_state, locale="sv-SE", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/?kva=NGB&period=90&hem=01")
        page.locator("#jf-grid .ag-row").first.wait_for()
        page.wait_for_function("() => document.querySelector('#jf-grid .ag-pinned-left-header .ag-header-cell')")
        order = page.evaluate("() => window.dash_ag_grid.getApi('jf-grid').getAllDisplayedColumns()"
                              ".map(c => [c.getColId(), c.getPinned()])")
        assert order[0] == ["namn", "left"], order
        assert [c for c, _ in order[1:3]] == ["median", "avstand_km"], order
        # The median is read whole beside the name without swiping; the distance starts at the edge.
        seen = page.evaluate("""() => {
            const grid = document.querySelector('#jf-grid').getBoundingClientRect();
            const edge = id => document.querySelector(`#jf-grid .ag-header-cell[col-id="${id}"]`)
                .getBoundingClientRect();
            return {median: edge('median').right <= grid.right + 1, distance: edge('avstand_km').left < grid.right};
        }""")
        assert seen == {"median": True, "distance": True}, seen
        assert page.locator("text=svep i sidled").is_visible()
        # The page itself never scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(page, "jamfor-mobil-nyckelkolumner")
    finally:
        context.close()


def test_on_a_phone_the_navigation_folds_behind_meny_and_opens_by_keyboard(browser, login_state, live_server):
    context = browser.new_context(storage_state=login_state, locale="sv-SE", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/om")
        toggle = page.locator("#lb-nav-toggle")
        toggle.wait_for()
        link = page.locator("#lb-nav").get_by_role("link", name="Regional kapacitet")
        assert toggle.get_attribute("aria-expanded") == "false" and not link.is_visible()
        assert not page.locator("#lb-logout").is_visible()
        # The header is short: brand, "Meny" and the data dates, no more than a fifth of the screen.
        assert page.locator("#lb-header").bounding_box()["height"] < 844 / 5
        # By keyboard: the skip link, the product's name, then "Meny"; Enter opens it and the links follow it.
        assert _tab_until(page, lambda f: f["id"] == "lb-nav-toggle", limit=3) == 3
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true" and link.is_visible()
        assert page.locator("#lb-logout").is_visible()
        page.keyboard.press("Tab")
        assert _focused(page)["text"] == "Jämför enheter"
        # Escape closes it and gives the focus back to the button.
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false" and not link.is_visible()
        assert _focused(page)["id"] == "lb-nav-toggle"
        # Choosing a page closes the menu.
        page.keyboard.press("Enter")
        link.click()
        page.wait_for_url("**/kapacitet*")
        assert toggle.get_attribute("aria-expanded") == "false" and not link.is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        # Regional kapacitet's table on the phone: the group pinned, and no column title cut short ("Vänta…").
        page.wait_for_function("() => document.querySelector('#rk-group-grid .ag-pinned-left-header .ag-header-cell')")
        cut = page.evaluate("""() => [...document.querySelectorAll('#rk-group-grid .ag-header-cell-text')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
        assert cut == [], cut
        screenshot(page, "meny-stangd")
        page.keyboard.press("Escape")
        toggle.click()
        screenshot(page, "meny-oppen")
    finally:
        context.close()


def test_on_a_laptop_the_navigation_is_always_shown_and_there_is_no_menu_button(page):
    page.goto(page.base_url + "/om")
    page.locator("#lb-nav").get_by_role("link", name="Regional kapacitet").wait_for()
    assert not page.locator("#lb-nav-toggle").is_visible()
    assert page.locator("#lb-logout").is_visible()


def test_the_printout_has_the_view_its_filters_source_and_data_date_without_the_controls(page):
    page.goto(page.base_url + "/?kva=NGB&period=90")
    page.locator("#jf-grid .ag-row").first.wait_for()
    page.recorder.dash_idle()
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    hidden = page.evaluate("""() => ['#lb-header nav', '.lb-skip-link', '#jf-dl-csv', '#jf-copy-link']
        .map(s => document.querySelector(s)).filter(Boolean).map(e => getComputedStyle(e).display)""")
    assert hidden and all(d == "none" for d in hidden), hidden
    text = page.locator("body").inner_text()
    assert "NGB" in text and "SPOR t.o.m." in text and "90 dagar" in text
    assert re.search(r"Utskrivet \d{4}-\d{2}-\d{2} från .*/\?kva=NGB", text), text[:500]
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
