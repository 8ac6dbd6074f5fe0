"""Every path answers from the guard's rules (issue 9).

- A path that is not in normal form (``//``, ``/./``, ``/../``, a
  backslash, a control character, a trailing dot segment — after Werkzeug has
  percent-decoded it, so ``%2e%2e`` and ``%2f`` count too) is a 404 before
  anything else looks at it: the guard's allowlist matches normal paths only.
- Dash's index shell is served only for the app's pages (``dash.page_registry``):
  any other path Dash's catch-all would answer — under a static prefix, an
  unknown page — is a 404 (the shell is sent with the 404 status for a
  logged-in person's unknown page, so the browser still shows "Sidan finns
  inte"; under a static prefix it is a plain 404).
- Every response that is not a static file is ``Cache-Control: no-store``
  (shared hospital workstations: nothing of a person's data in a browser or
  proxy cache). Fingerprinted assets (``/assets/…?m=…``) are kept a year.
- Dash's front-end config carries no version strings (``python_version``,
  ``dash_version``, ``plotly_version``...).
"""
from __future__ import annotations

import posixpath
import re

from flask import abort, request

#: Static prefixes: files without data, cacheable (Dash fingerprints its bundles).
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/auth/static/")
CATCH_ALL_RULES = ("/", "/<path:path>")
VERSION_KEYS = ("dash_version", "python_version", "dash_version_url", "ddk_version", "plotly_version")


def is_normal(path: str) -> bool:
    """The path as a client should send it: absolute, no empty, "." or ".."
    segment, no backslash or control character."""
    if not path.startswith("/") or "\\" in path or any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return False
    segments = path[1:].split("/")
    inner, last = segments[:-1], segments[-1]
    return all(seg not in ("", ".", "..") for seg in inner) and last not in (".", "..")


def reject_abnormal_paths():
    """before_request, first of all: a path not in normal form is a 404, and so
    is a path under a static prefix that no file route serves (Dash's
    catch-all would answer it with the index shell)."""
    if not is_normal(request.path):
        abort(404)
    rule = request.url_rule.rule if request.url_rule is not None else None
    if request.path.startswith(STATIC_PREFIXES) and (rule is None or rule in CATCH_ALL_RULES):
        abort(404)


def _page_patterns() -> list[re.Pattern]:
    import dash

    out = []
    for page in dash.page_registry.values():
        template = page.get("path_template") or page.get("path")
        if not template:
            continue
        regex = re.sub(r"<[^>]+>", "[^/]+", re.escape(template))  # re.escape leaves < and > alone
        out.append(re.compile(f"^{regex}/?$"))
    return out


_PATTERNS: list[re.Pattern] | None = None


def is_page(path: str) -> bool:
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _page_patterns()
    return path != "/404" and any(p.match(path) for p in _PATTERNS)


def finish_response(response):
    """after_request: the 404 for the shell outside the pages, and no-store."""
    rule = request.url_rule.rule if request.url_rule is not None else None
    if (rule in CATCH_ALL_RULES and request.method in ("GET", "HEAD") and response.status_code == 200
            and not is_page(request.path)):
        response.status_code = 404  # the shell still shows "Sidan finns inte"
    static = request.path.startswith(STATIC_PREFIXES) or request.path in ("/favicon.ico", "/_favicon.ico")
    if not static or response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    elif request.path.startswith("/assets/") and request.args.get("m") and response.status_code == 200:
        # Dash fingerprints the assets it links (?m=<modification time>): a changed
        # file gets a new address, so this one can be kept for a year.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def strip_versions(app) -> None:
    """Dash's _dash-config without version strings (no version to users)."""
    original = app._config

    def config():
        cfg = original()
        for key in VERSION_KEYS:
            cfg.pop(key, None)
        return cfg

    app._config = config
