"""Trust in the reverse proxy, decided by the TCP peer address only.

``TrustedProxyMiddleware`` wraps the WSGI app: for requests whose peer
(REMOTE_ADDR as gunicorn sees it) is in LAGESBILD_TRUSTED_PROXIES it applies
werkzeug's ProxyFix (one hop: X-Forwarded-For/-Proto/-Host/-Port); for every
other peer it removes the X-Forwarded-* and X-SSL-Client-Cert headers so no
later code can be fooled by them. The original peer address is kept in
``environ["lagesbild.peer_addr"]`` and the verdict in
``environ["lagesbild.trusted_proxy"]``.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

PEER_KEY = "lagesbild.peer_addr"
TRUSTED_KEY = "lagesbild.trusted_proxy"
UNTRUSTED_CERT_KEY = "lagesbild.cert_header_from_untrusted"
CERT_ENVIRON = "HTTP_X_SSL_CLIENT_CERT"
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
    def __init__(self, app, networks):
        self.app = app
        self.networks = networks
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=0)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        environ[PEER_KEY] = peer
        trusted = is_trusted(peer, self.networks)
        environ[TRUSTED_KEY] = trusted
        if trusted:
            return self.fixed(environ, start_response)
        environ[UNTRUSTED_CERT_KEY] = bool(environ.get(CERT_ENVIRON))
        for key in _STRIP:
            environ.pop(key, None)
        return self.app(environ, start_response)
