"""WCAG 2.1 AA on every page (issue 16), checked with axe-core in Debian's
Chromium at a laptop's width (1400 px) and a phone's (390 px); a screenshot of
each page at both widths is saved in screenshots/ for review.

The person is an admin who may also post notices for a unit, so the Admin page
and the notice forms are checked as their users see them."""
from __future__ import annotations

import re

import pytest

from tests.browser.a11y import screenshot, violations
from tests.watch import PageRecorder

A11Y_USER = ("tillganglig", "tillganglig-losenord-1")
WIDTHS = {"dator": (1400, 1000), "mobil": (390, 844)}


@pytest.fixture(scope="module")
def a11y_state(browser, live_server, browser_data_dir, tmp_path_factory):
    """A logged-in admin with a unit to post notices for (storage state)."""
    from app import create_app
    from auth import devusers, notices
    from tests.auth.support import ensure_account
    from tests.conftest import make_settings

    app = create_app(make_settings(browser_data_dir))
    ensure_account(app, *A11Y_USER, role="admin")
    # the unit that operates NGB most (its Enhet page has a full trend)
    unit = app.extensions["warehouse"].rows(
        "SELECT vardenhet_hsaid FROM operations WHERE kva_grupp = 'NGB' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    notices.grant_unit(app.extensions["auth_db"], devusers.pseudo_hsa_id(A11Y_USER[0]), unit, by="test")
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=username]", A11Y_USER[0])
    page.fill("input[name=password]", A11Y_USER[1])
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u, timeout=15000)
    path = tmp_path_factory.mktemp("a11y") / "state.json"
    context.storage_state(path=str(path))
    context.close()
    return {"state": str(path), "unit": unit}


def _page(browser, state, width):
    w, h = WIDTHS[width]
    context = browser.new_context(storage_state=state, locale="sv-SE", viewport={"width": w, "height": h},
                                  is_mobile=width == "mobil", has_touch=width == "mobil")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.recorder = PageRecorder(page)
    return context, page


# (name, address, what to wait for): every page and state the issue names.
PAGES = [
    ("jamfor", "/?kva=NGB&period=90", "#jf-grid .ag-row"),
    ("jamfor-undertryckta", "/?kva=NGB&period=30&asa=4", "#jf-grid"),
    ("jamfor-inget-hittat", "/?kva=NGB&period=30&asa=4&prio=A", "#jf-grid"),
    ("jamfor-fel", "/?kva=QQQ&period=90", "main"),
    ("enhet", "/enhet/{unit}?kva=NGB", ".js-plotly-plot"),
    ("nationellt", "/nationellt", ".js-plotly-plot"),
    ("kapacitet", "/kapacitet", "#rk-group-grid .ag-row"),
    ("datakvalitet", "/datakvalitet", "#dq-load-grid .ag-row"),
    ("annonser", "/annonser", "#an-ny"),
    ("om", "/om", "h1"),
    ("admin", "/admin", "h1"),
    ("tillganglighet", "/tillganglighet", "h1"),
    ("sidan-finns-inte", "/finns-inte", "h1"),
]


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name,address,ready", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_has_no_axe_violations(browser, a11y_state, live_server, name, address, ready, width):
    context, page = _page(browser, a11y_state["state"], width)
    try:
        if name == "sidan-finns-inte":
            page.recorder.expected_404.add(live_server + address)
        page.goto(live_server + address.format(unit=a11y_state["unit"]))
        page.locator(ready).first.wait_for()
        page.recorder.dash_idle()
        screenshot(page, name)
        found = violations(page)
        assert found == [], "\n".join(found)
        # Nothing wider than the screen: the page never scrolls sideways (a table scrolls inside itself).
        wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, f"sidan är {wide} px bredare än skärmen"
        # No table's column title is cut short ("Vänta…"): a title is read whole or wraps.
        cut = page.evaluate("""() => [...document.querySelectorAll('.lb-grid .ag-header-cell-text')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
        assert cut == [], f"avkortade kolumnrubriker: {cut}"
        # Nor is any cell's text ("minskar elle…"): a cell's words are read whole or wrap.
        cut = page.evaluate("""() => [...document.querySelectorAll('.lb-grid .ag-cell')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
        assert cut == [], f"avkortade celler: {cut}"
        # A table's caption is read whole without swiping (it was as wide as its table: cut on a phone).
        cut = page.evaluate("""() => [...document.querySelectorAll('caption, .lb-table-caption')]
            .filter(c => c.getBoundingClientRect().width > 1)
            .filter(c => c.getBoundingClientRect().right > (c.closest('.table-responsive') || document.body)
                .getBoundingClientRect().right + 1).map(c => c.textContent)""")
        assert cut == [], f"tabellrubriker utanför skärmen: {cut}"
        page.recorder.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_table_wider_than_the_screen_says_to_swipe(browser, a11y_state, live_server, width):
    """Nationell utveckling's region table has seven columns: on a phone it
    scrolls inside its region and says so above it; on a computer it fits
    and says nothing."""
    context, page = _page(browser, a11y_state["state"], width)
    try:
        page.goto(live_server + "/nationellt")
        page.locator("#nu-region-rows tbody tr").first.wait_for()
        page.recorder.dash_idle()
        region = page.locator("#nu-region-rows").locator("xpath=ancestor::div[contains(@class,'table-responsive')]")
        wide = region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
        assert wide == (width == "mobil")
        hint = region.locator("xpath=preceding-sibling::p[contains(@class,'lb-scroll-hint')]")
        if wide:
            hint.wait_for()
            assert hint.inner_text() == "Tabellen är bredare än skärmen: svep i sidled för fler kolumner."
        else:
            page.wait_for_timeout(200)
            assert hint.count() == 0
        found = violations(page)
        assert found == [], "\n".join(found)
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_login_page_has_no_axe_violations(browser, live_server, width):
    w, h = WIDTHS[width]
    context = browser.new_context(locale="sv-SE", viewport={"width": w, "height": h})
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.locator("form").wait_for()
        screenshot(page, "inloggning")
        found = violations(page)
        assert found == [], "\n".join(found)
        page.fill("input[name=username]", "finns-inte")
        page.fill("input[name=password]", "fel-losenord-1")
        page.locator("form button[type=submit]").first.click()
        page.locator("[role=alert]").first.wait_for()
        screenshot(page, "inloggning-fel")
        found = violations(page)
        assert found == [], "\n".join(found)
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("address", ["/enhet/{unit}?kva=NGB", "/nationellt", "/kapacitet"])
def test_every_chart_has_a_summary_and_its_numbers_as_a_table(browser, a11y_state, live_server, address, width):
    """The text alternative is made from the drawn figure: one sentence, and a
    table with a row per x value and a column per series, in Swedish numbers.
    A time axis ends within the month after its last month at either width
    (a label once stretched it by years on a phone; "jan 2027" was drawn
    after December)."""
    context, page = _page(browser, a11y_state["state"], width)
    try:
        page.goto(live_server + address.format(unit=a11y_state["unit"]))
        page.locator(".js-plotly-plot").first.wait_for()
        page.recorder.dash_idle()
        page.wait_for_function("() => [...document.querySelectorAll('figure.lb-figure')].every("
                               "f => f.querySelector('.lb-fig-summary'))")
        charts = page.evaluate("""() => [...document.querySelectorAll('figure.lb-figure')].map(f => {
            const gd = f.querySelector('.js-plotly-plot');
            const traces = (gd.data || []).filter(t => (t.x && t.x.length) || (t.y && t.y.length));
            const table = f.querySelector('.lb-fig-table table');
            return {summary: f.querySelector('.lb-fig-summary').textContent,
                    live: f.querySelector('.lb-fig-summary').getAttribute('aria-live'),
                    traces: traces.length,
                    points: traces.length ? new Set(traces.flatMap(t => [...(t.orientation === 'h' ? t.y : t.x)]
                                                    .map(String))).size : 0,
                    overshoot: (gd._fullLayout.xaxis.type === 'date' && traces.length) ?
                        (new Date(gd._fullLayout.xaxis.range[1]) - new Date(traces.flatMap(t => [...t.x])
                            .map(x => new Date(x)).reduce((a, b) => a > b ? a : b))) / 864e5 : 0,
                    clipped: [...gd.querySelectorAll('.xtick text, .ytick text, .y2tick text')].filter(t => {
                        const r = t.getBoundingClientRect(), g = gd.getBoundingClientRect();
                        return r.width && (r.left < g.left - 1 || r.right > g.right + 1);
                    }).map(t => t.textContent),
                    rows: table ? table.tBodies[0].rows.length : 0,
                    cols: table ? table.tHead.rows[0].cells.length - 1 : 0,
                    cells: table ? [...table.querySelectorAll('td')].map(td => td.textContent) : []};
        })""")
        assert charts, "the page has charts"
        for chart in charts:
            assert chart["summary"].endswith(".") and len(chart["summary"]) > 20, chart["summary"]
            assert not re.search(r"[.…]\.$", chart["summary"]), chart["summary"]  # one full stop, never "listan.."
            # rounded as the screen rounds: whole days, whole percent (it said "54,3 %" beside a bar of "54 %")
            assert not re.search(r"\d,\d", chart["summary"]), chart["summary"]
            assert chart["live"] == "polite"
            assert chart["overshoot"] < 28, chart  # no tick names a month after the last one
            assert chart["clipped"] == [], f"axeletiketter utanför diagrammet: {chart['clipped']}"
            if chart["traces"]:
                assert chart["rows"] == chart["points"] and chart["cols"] >= 1, chart
                for cell in chart["cells"]:
                    assert cell == "–" or re.fullmatch(r"-?\d{1,3}( \d{3})*", cell.replace("\u00a0", " ")), cell
        found = violations(page)
        assert found == [], "\n".join(found)
        page.recorder.assert_clean()
    finally:
        context.close()


def test_a_notice_is_posted_and_withdrawn_by_keyboard_alone(browser, a11y_state, live_server, browser_data_dir):
    """Kapacitetsannonser's form by keyboard (issue 16, part 2): every field is
    reached with Tab in reading order, the group chosen by typing, the notice
    published with Enter, and the result announced (role=status)."""
    from app import create_app
    from auth import notices
    from tests.conftest import make_settings

    context, page = _page(browser, a11y_state["state"], "dator")
    db = create_app(make_settings(browser_data_dir)).extensions["auth_db"]
    try:
        page.goto(live_server + "/annonser")
        page.locator("#an-ny").wait_for()
        page.recorder.dash_idle()
        focused = "() => document.activeElement.id"
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate(focused) == "an-ny-kva":
                break
        assert page.evaluate(focused) == "an-ny-kva"
        page.keyboard.type("NGB")
        page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(r"^NGB ")).first.wait_for()
        option = "() => (document.activeElement.closest('[role=option]') || {}).innerText || ''"
        for _ in range(20):
            page.keyboard.press("ArrowDown")
            page.wait_for_timeout(60)
            if page.evaluate(option).startswith("NGB "):
                break
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.querySelector('[role=listbox]')")
        # the focus returns to the field when its list closes (Radix moves it in a later frame)
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'an-ny-kva'",
                               timeout=5000)
        order = []
        for _ in range(40):
            page.keyboard.press("Tab")
            order.append(page.evaluate(focused))
            if order[-1] == "an-ny-kontakt":
                break
        assert "an-ny-kontakt" in order and "an-ny-antal" in order, order
        assert order.index("an-ny-antal") < order.index("an-ny-kontakt"), order
        page.keyboard.type("planering.ortopedi@region.se")
        page.keyboard.press("Tab")
        assert page.evaluate(focused) == "an-publicera"
        page.keyboard.press("Enter")
        page.locator("#an-meddelande .alert-success").wait_for()
        assert page.locator("#an-meddelande").get_attribute("role") == "status"
        mine = notices.current(db, enhet=a11y_state["unit"])
        assert [n["kva"] for n in mine] == [["NGB"]]
        page.recorder.assert_clean()
    finally:
        for n in notices.current(db, enhet=a11y_state["unit"]):
            notices.withdraw(db, n["id"], by="test")
        context.close()


def test_a_refused_notice_names_the_field_by_its_label_and_marks_it(browser, a11y_state, live_server):
    """WCAG 3.3.1: the error is told in text naming the field as the form labels
    it, and the field is marked invalid (red and aria-invalid) until it is
    put right. The date fields show and take ISO dates whatever the browser's
    language is."""
    context, page = _page(browser, a11y_state["state"], "dator")
    try:
        page.goto(live_server + "/annonser")
        page.locator("#an-ny").wait_for()
        page.recorder.dash_idle()
        date = page.locator("#an-ny-fran")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date.input_value()) and date.get_attribute("type") == "text"
        assert page.locator("label[for=an-ny-fran]").inner_text() == "Från (ÅÅÅÅ-MM-DD)"
        page.locator("#an-ny-kva").click()
        page.keyboard.type("NGB")
        page.locator("[role=listbox] [role=option]").filter(has_text=re.compile(r"^NGB ")).first.click()
        page.keyboard.press("Escape")
        date.fill("2027-13-01")
        page.locator("#an-publicera").click()
        page.locator("#an-meddelande .alert-danger").wait_for()
        said = page.locator("#an-meddelande").inner_text()
        assert said.startswith("Fältet ”Från (ÅÅÅÅ-MM-DD)” är inget datum"), said
        page.wait_for_function("() => document.querySelector('#an-ny-fran').getAttribute('aria-invalid') === 'true'")
        assert "is-invalid" in date.get_attribute("class")
        assert "an-meddelande" in date.get_attribute("aria-describedby")
        assert page.locator("#an-ny-kontakt").get_attribute("aria-invalid") is None
        found = violations(page)
        assert found == [], "\n".join(found)
        # Another refusal moves the mark to its own field.
        date.fill("2027-01-01")
        page.locator("#an-publicera").click()
        page.wait_for_function("() => document.querySelector('#an-ny-kontakt').getAttribute('aria-invalid') === 'true'")
        assert "”Kontakt (funktionsbrevlåda eller växel)”" in page.locator("#an-meddelande").inner_text()
        assert date.get_attribute("aria-invalid") is None and "is-invalid" not in date.get_attribute("class")
        assert date.get_attribute("aria-describedby") is None
        page.recorder.assert_clean()
    finally:
        context.close()
