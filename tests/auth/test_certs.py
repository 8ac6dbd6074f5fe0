"""The certificate rules as pure functions (auth/certs.py)."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from auth import certs
from tests.auth.pki import HSA_ID, NOW, REJECTED, header, pem


@pytest.fixture(scope="module")
def cas(pki):
    return certs.load_ca_file(pki.ca_file)


def test_valid_certificate_gives_hsa_id_and_name(pki, cas):
    ident = certs.identify(pki.header("valid"), cas)
    assert ident.hsa_id == HSA_ID
    assert ident.name == "Anna Andersson"
    assert "Test SITHS e-id Person ID CA" in ident.issuer


@pytest.mark.parametrize("name,reason", REJECTED)
def test_each_bad_certificate_is_refused_with_its_reason(pki, cas, name, reason):
    with pytest.raises(certs.CertificateRejected) as info:
        certs.identify(pki.header(name), cas)
    assert info.value.reason == reason
    assert any(ch in info.value.message for ch in "åäöÅÄÖ") or info.value.message  # Swedish text
    assert info.value.message and not info.value.message.startswith(name)


@pytest.mark.parametrize("value,reason", [
    (None, "missing"), ("", "missing"), ("   ", "missing"),
    ("inte ett certifikat", "malformed"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "malformed"),
    ("%2D%2D%2D%2D%2DBEGIN", "malformed"),
])
def test_missing_or_garbage_header(cas, value, reason):
    with pytest.raises(certs.CertificateRejected) as info:
        certs.identify(value, cas)
    assert info.value.reason == reason


def test_other_header_encodings_are_accepted(pki, cas):
    cert = pki.certs["valid"]
    raw_pem = pem(cert)
    tabbed = raw_pem.replace("\n", "\n\t")  # nginx's old $ssl_client_cert style
    der_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()  # HAProxy ssl_c_der,base64
    for value in (raw_pem, tabbed, der_b64, header(cert)):
        assert certs.identify(value, cas).hsa_id == HSA_ID


def test_two_certificates_in_one_header_are_refused(pki, cas):
    two = pem(pki.certs["valid"]) + pem(pki.certs["valid_other_person"])
    with pytest.raises(certs.CertificateRejected) as info:
        certs.identify(two, cas)
    assert info.value.reason == "malformed"


def test_validity_window_uses_the_given_time(pki, cas):
    cert = pki.certs["valid"]
    certs.verify_client_certificate(cert, cas, now=NOW)
    with pytest.raises(certs.CertificateRejected) as info:
        certs.verify_client_certificate(cert, cas, now=NOW + timedelta(days=366))
    assert info.value.reason == "expired"


def test_expired_ca_refuses_its_certificates(tmp_path):
    from tests.auth.pki import make_ca, make_leaf

    key, ca = make_ca(days=1)
    leaf = make_leaf(key, ca)
    with pytest.raises(certs.CertificateRejected) as info:
        certs.verify_client_certificate(leaf, [ca], now=NOW + timedelta(days=3))
    assert info.value.reason in {"ca_expired", "expired"}


@pytest.mark.parametrize("value,ok", [
    ("SE2321000016-ABC1", True), ("SE1234567890-a", True), ("SE1234567890-" + "A" * 20, True),
    ("SE1234567890-" + "A" * 21, False), ("SE123456789-ABC", False), ("se2321000016-ABC1", False),
    ("SE2321000016-", False), ("SE2321000016-AB C", False), ("SE2321000016-ÅÄÖ", False), ("", False),
    ("SE2321000016-ABC1\n", False),
])
def test_hsa_id_format(value, ok):
    assert certs.is_valid_hsa_id(value) is ok


def test_ca_file_errors_are_clear(tmp_path, pki):
    with pytest.raises(certs.CAFileError, match="kan inte läsas"):
        certs.load_ca_file(tmp_path / "saknas.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("skräp")
    with pytest.raises(certs.CAFileError, match="inga läsbara"):
        certs.load_ca_file(junk)
    leaf_only = tmp_path / "leaf.pem"
    leaf_only.write_text(pem(pki.certs["valid"]))
    with pytest.raises(certs.CAFileError, match="CA-certifikat"):
        certs.load_ca_file(leaf_only)


def test_verified_cache_rechecks_validity_and_never_caches_failures(pki, cas):
    cache = certs.VerifiedCache(cas, size=2)
    header_value = pki.header("valid")
    first = cache.identify(header_value)
    assert cache.identify(header_value) is first  # served from the cache
    with pytest.raises(certs.CertificateRejected) as info:
        cache.identify(header_value, now=NOW + timedelta(days=400))
    assert info.value.reason == "expired"
    for _ in range(2):
        with pytest.raises(certs.CertificateRejected):
            cache.identify(pki.header("wrong_signature"))
    cache.identify(pki.header("valid_other_person"))
    cache.identify(pki.header("valid"))
    assert len(cache._items) == 2


def test_cache_refuses_a_certificate_that_expired_after_it_was_cached(tmp_path, pki):
    """Valid when cached, expired a second later: the hit is not honoured."""
    from datetime import datetime, timezone

    from tests.auth.pki import make_ca, make_leaf

    ca_key, ca_cert = make_ca()
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(pem(ca_cert), encoding="ascii")
    now = datetime.now(timezone.utc)
    leaf = make_leaf(ca_key, ca_cert, not_before=now - timedelta(days=1), not_after=now + timedelta(seconds=30))
    cache = certs.VerifiedCache(certs.load_ca_file(ca_file), ca_file=ca_file)
    first = cache.identify(header(leaf), now=now)
    assert cache.identify(header(leaf), now=now + timedelta(seconds=10)) is first  # a hit
    with pytest.raises(certs.CertificateRejected) as info:
        cache.identify(header(leaf), now=now + timedelta(seconds=31))
    assert info.value.reason == "expired"


def test_cache_verdicts_live_a_few_minutes_at_most(pki, cas):
    cache = certs.VerifiedCache(cas, max_age=300)
    first = cache.identify(pki.header("valid"), now=NOW)
    assert cache.identify(pki.header("valid"), now=NOW + timedelta(seconds=299)) is first
    again = cache.identify(pki.header("valid"), now=NOW + timedelta(seconds=301))  # checked afresh
    assert again is not first and again == first


def test_cache_refuses_a_certificate_after_the_ca_file_changes(tmp_path, pki):
    """A CA taken out of the file stops logging anyone in at once, cached or not."""
    import os

    from tests.auth.pki import make_ca

    ca_file = tmp_path / "siths-ca.pem"
    ca_file.write_text(pki.ca_file.read_text())
    cache = certs.VerifiedCache(certs.load_ca_file(ca_file), ca_file=ca_file)
    assert cache.identify(pki.header("valid")).hsa_id == HSA_ID
    _, other_ca = make_ca(x509_name("Annan utfärdare"))
    ca_file.write_text(pem(other_ca), encoding="ascii")
    os.utime(ca_file, ns=(1, 1))  # a different mtime even on a coarse clock
    with pytest.raises(certs.CertificateRejected) as info:
        cache.identify(pki.header("valid"))
    assert info.value.reason == "untrusted_issuer"
    # Put back: trusted again.
    ca_file.write_text(pki.ca_file.read_text())
    assert cache.identify(pki.header("valid")).hsa_id == HSA_ID
    # A broken file trusts no one until it is fixed.
    ca_file.write_text("trasig")
    with pytest.raises(certs.CertificateRejected):
        cache.identify(pki.header("valid"))


def x509_name(cn: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
