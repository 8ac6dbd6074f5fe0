"""Fixtures for the auth tests: a test PKI and proxy-mode apps."""
from __future__ import annotations

import pytest

from tests.auth.pki import build_pki
from tests.conftest import make_settings

TRUSTED = "10.1.2.3"
UNTRUSTED = "192.0.2.50"


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return build_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def proxy_settings(data_dir, pki):
    return make_settings(data_dir, auth_mode="proxy", trusted_proxies=f"{TRUSTED},127.0.0.1/32",
                         siths_ca_file=pki.ca_file)


@pytest.fixture
def proxy_app(proxy_settings):
    from app import create_app

    server = create_app(proxy_settings)
    server.config["TESTING"] = True
    return server
