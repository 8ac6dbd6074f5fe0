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
        self.expected_404: set[str] = set()  # page addresses the test opens knowing they answer 404
        self.dash_in_flight = 0   # Dash callback requests sent and not yet answered
        self.dash_done = 0        # ... answered (or failed) since the page was opened
        page.add_init_script(CSP_PROBE)
        page.on("request", self._sent)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        page.on("request", lambda req: self.requests.append(req.url))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url} {req.failure}"))

    @staticmethod
    def _is_callback(req) -> bool:
        return urlparse(req.url).path.endswith("/_dash-update-component")

    def _sent(self, req):
        if self._is_callback(req):
            self.dash_in_flight += 1

    def _ended(self, req):
        if self._is_callback(req):
            self.dash_in_flight -= 1
            self.dash_done += 1

    def dash_idle(self, since: int = 0, timeout_s: float = 15) -> None:
        """Wait for the event "every Dash callback sent so far has been answered,
        and more than ``since`` have been": after it nothing the page asked for
        can still change the view. (Playwright delivers request events while
        it waits, hence the short waits in between.)"""
        import time

        deadline = time.monotonic() + timeout_s
        while not (self.dash_in_flight == 0 and self.dash_done > since):
            if time.monotonic() > deadline:
                raise AssertionError(f"Dash-anropen blev inte klara ({self.dash_in_flight} pågår, "
                                     f"{self.dash_done} klara)")
            self.page.wait_for_timeout(20)

    def _console(self, msg):
        if msg.type == "error":
            url = (msg.location or {}).get("url", "")
            if "status of 404" in msg.text and url in self.expected_404:
                return
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
