"""The one browser watcher of every browser test: console errors, page
errors, CSP violations, failed requests and every URL a page asked for.
A test page ends with :meth:`PageRecorder.assert_clean`: no console error,
no CSP violation and no request to any host but 127.0.0.1."""
from __future__ import annotations

from urllib.parse import urlparse

# Records CSP violations in the page (Chromium also logs them as console errors).
CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""


class PageRecorder:
    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        page.add_init_script(CSP_PROBE)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        page.on("request", lambda req: self.requests.append(req.url))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url} {req.failure}"))

    def _console(self, msg):
        if msg.type == "error":
            self.console_errors.append(f"{msg.text} @ {msg.location}")

    def off_host(self) -> list[str]:
        out = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in {"data", "blob", "about"}:
                continue
            if parsed.hostname != "127.0.0.1":
                out.append(url)
        return out

    def csp_violations(self) -> list[str]:
        try:
            return self.page.evaluate("window.__csp || []")
        except Exception:  # the page is closed or navigating: Chromium logged them as console errors anyway
            return []

    def assert_clean(self, *, check_csp: bool = False) -> None:
        if check_csp:
            assert self.csp_violations() == [], f"CSP-brott: {self.csp_violations()}"
        assert self.console_errors == [], f"konsolfel i webbläsaren: {self.console_errors}"
        assert self.off_host() == [], f"begäran till annan värd: {self.off_host()}"
