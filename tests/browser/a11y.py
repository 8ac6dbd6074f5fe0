"""axe-core in the test browser (issue 16): the engine comes from its npm package
(tests/a11y/package.json, installed by `make test` with `npm ci`), read from
node_modules by the test run and evaluated in the page — never a CDN.

``violations(page)`` runs axe with the WCAG 2.0/2.1 A and AA rules and returns
one readable line per violation and element."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = ROOT / "screenshots"


def axe_source() -> str:
    assert AXE.exists(), (f"axe-core saknas ({AXE}): make test installerar den med "
                          "`npm ci --prefix tests/a11y` (Debians npm)")
    return AXE.read_text(encoding="utf-8")


def violations(page, context: str | None = None) -> list[str]:
    """The page's axe violations at the WCAG 2.1 A/AA tags, as text lines.
    Checked once every table shown is drawn: AG Grid builds its header cells
    and rows a moment after Dash is done, and a header row without its cells
    is not what a person meets."""
    page.wait_for_function("""() => [...document.querySelectorAll('.ag-root-wrapper')].every(g =>
        g.offsetParent === null || (g.querySelector('.ag-header-cell') &&
                                    g.querySelector('.ag-row, .ag-overlay-no-rows-center')))""")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())           # CDP evaluation: not subject to the page's CSP
    result = page.evaluate(
        """async ([tags, context]) => {
            axe.configure({locale: undefined});
            const r = await axe.run(context ? document.querySelector(context) : document,
                                    {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                          html: n.html.slice(0, 200)}))}));
        }""", [TAGS, context])
    lines = []
    for v in result:
        for n in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {n['target']} — {n['html']} — "
                         f"{(n['summary'] or '').splitlines()[-1] if n['summary'] else ''}")
    return lines


def screenshot(page, name: str) -> Path:
    """A full-page screenshot for review: screenshots/NAME-WIDTHpx.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    path = SCREENSHOTS / f"{name}-{width}px.png"
    page.screenshot(path=str(path), full_page=True)
    return path
