"""Trust in the reverse proxy: the TCP peer address *and* a secret only the proxy holds.

``TrustedProxyMiddleware`` wraps the WSGI app: a request is from the proxy
when its peer (REMOTE_ADDR as gunicorn sees it) is in
LAGESBILD_TRUSTED_PROXIES and — when LAGESBILD_PROXY_SECRET is set (required
in production) — it carries that secret in ``X-Lagesbild-Proxy-Secret``
(compared in constant time). A certificate is public, so the address alone
would let anyone who reaches gunicorn from a trusted host be anyone; the
secret is set by nginx (``proxy_set_header``) and never by a browser.
For such requests it applies werkzeug's ProxyFix (one hop:
X-Forwarded-For/-Proto/-Host/-Port); for every other request it removes the
X-Forwarded-* and X-SSL-Client-Cert headers so no later code can be fooled
by them. The secret header is removed from every request. The original peer address is kept in
``environ["lagesbild.peer_addr"]`` and the verdict in
``environ["lagesbild.trusted_proxy"]``.
"""
from __future__ import annotations

import hmac
import ipaddress
from typing import Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

PEER_KEY = "lagesbild.peer_addr"
TRUSTED_KEY = "lagesbild.trusted_proxy"
UNTRUSTED_CERT_KEY = "lagesbild.cert_header_from_untrusted"
CERT_ENVIRON = "HTTP_X_SSL_CLIENT_CERT"
SECRET_ENVIRON = "HTTP_X_LAGESBILD_PROXY_SECRET"
SECRET_HEADER = "X-Lagesbild-Proxy-Secret"
WRONG_SECRET_KEY = "lagesbild.proxy_secret_wrong"
_STRIP = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
          "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED", CERT_ENVIRON)


class ProxyConfigError(ValueError):
    pass


def parse_networks(entries: Iterable[str]) -> tuple:
    """IP addresses and CIDR networks from LAGESBILD_TRUSTED_PROXIES."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ProxyConfigError(
                f"LAGESBILD_TRUSTED_PROXIES: {entry!r} är varken en IP-adress eller ett nät (CIDR)."
            ) from exc
    return tuple(nets)


def is_trusted(addr: str | None, networks) -> bool:
    if not addr or not networks:
        return False
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


class TrustedProxyMiddleware:
    def __init__(self, app, networks, secret: str | None = None):
        self.app = app
        self.networks = networks
        self.secret = secret.encode() if secret else None
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=0)

    def _secret_ok(self, environ) -> bool:
        if self.secret is None:
            return True
        sent = environ.get(SECRET_ENVIRON, "").encode("latin-1", "replace")
        return hmac.compare_digest(sent, self.secret)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        environ[PEER_KEY] = peer
        trusted = is_trusted(peer, self.networks)
        if trusted and not self._secret_ok(environ):
            trusted = False
            environ[WRONG_SECRET_KEY] = True
        environ.pop(SECRET_ENVIRON, None)
        environ[TRUSTED_KEY] = trusted
        if trusted:
            return self.fixed(environ, start_response)
        environ[UNTRUSTED_CERT_KEY] = bool(environ.get(CERT_ENVIRON))
        for key in _STRIP:
            environ.pop(key, None)
        return self.app(environ, start_response)
