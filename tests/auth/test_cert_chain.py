"""Certificate chains through intermediate CAs, and a strict header parser (issue 9):
real SITHS cards are issued by intermediates ("SITHS e-id Person ID 3 CA v1"
under "SITHS e-id Root CA v2"); a CA file holding only the root refused them."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from auth import certs
from tests.auth.pki import NOW, _key, make_ca, make_leaf, pem


def _intermediate(root_key, root_cert, name="Test SITHS e-id Person ID 3 CA v1", *, days=3650, path_length=0,
                  not_after=None):
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(root_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1)).not_valid_after(not_after or NOW + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def chain():
    root_key, root = make_ca(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test SITHS e-id Root CA v2")]))
    # make_ca's pathLen 0 forbids an intermediate (used below for that case): a root with room for one
    root_key2 = _key()
    root2 = (
        x509.CertificateBuilder().subject_name(root.subject).issuer_name(root.subject)
        .public_key(root_key2.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .sign(root_key2, hashes.SHA256())
    )
    inter_key, inter = _intermediate(root_key2, root2)
    leaf = make_leaf(inter_key, inter)
    expired_key, expired_inter = _intermediate(root_key2, root2, "Utgången mellan-CA",
                                               not_after=NOW - timedelta(days=1))
    return {"root": root2, "root_pathlen0": root, "root_pathlen0_key": root_key, "inter": inter, "leaf": leaf,
            "expired_inter": expired_inter, "leaf_of_expired": make_leaf(expired_key, expired_inter)}


def test_leaf_under_an_intermediate_with_the_root_and_intermediate_in_the_file(chain):
    ident = certs.identify(quote(pem(chain["leaf"]), safe=""), [chain["root"], chain["inter"]])
    assert ident.hsa_id == "SE2321000016-ABC1" and "Person ID 3" in ident.issuer


def test_leaf_under_an_intermediate_forwarded_by_the_proxy_with_only_the_root_in_the_file(chain):
    header = quote(pem(chain["leaf"]) + pem(chain["inter"]), safe="")
    assert certs.identify(header, [chain["root"]]).hsa_id == "SE2321000016-ABC1"
    with pytest.raises(certs.CertificateRejected) as err:  # without the intermediate: no path
        certs.identify(quote(pem(chain["leaf"]), safe=""), [chain["root"]])
    assert err.value.reason == "untrusted_issuer"


def test_an_expired_intermediate_or_a_path_length_breach_is_refused(chain):
    with pytest.raises(certs.CertificateRejected) as err:
        certs.identify(quote(pem(chain["leaf_of_expired"]), safe=""), [chain["root"], chain["expired_inter"]])
    assert err.value.reason == "ca_expired"
    # an intermediate signed by a root whose pathLenConstraint is 0
    key, inter = _intermediate(chain["root_pathlen0_key"], chain["root_pathlen0"])
    leaf = make_leaf(key, inter)
    with pytest.raises(certs.CertificateRejected) as err:
        certs.identify(quote(pem(leaf) + pem(inter), safe=""), [chain["root_pathlen0"]])
    assert err.value.reason == "untrusted_issuer"


@pytest.mark.parametrize("junk", [
    "x{pem}", "{pem}x", "<script>{pem}", "{pem}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    "{pem}; evil=1", "prefix {pem}",
])
def test_the_header_parser_refuses_anything_around_the_pem(chain, junk):
    value = quote(junk.format(pem=pem(chain["leaf"])), safe="")
    with pytest.raises(certs.CertificateRejected) as err:
        certs.parse_forwarded_chain(value)
    assert err.value.reason == "malformed"


def test_the_header_parser_refuses_a_second_leaf_and_oversized_values(chain):
    with pytest.raises(certs.CertificateRejected):
        certs.parse_forwarded_chain(quote(pem(chain["leaf"]) + pem(chain["leaf"]), safe=""))
    with pytest.raises(certs.CertificateRejected):
        certs.parse_forwarded_chain("A" * (certs.MAX_HEADER + 1))
    assert len(certs.parse_forwarded_chain(quote(pem(chain["leaf"]) + pem(chain["inter"]), safe=""))) == 2
