"""A small test PKI made with `cryptography`: a SITHS-like CA and staff certificates.

Real X.509 certificates, real signatures: a trusted CA, an unrelated CA with
the same name (so only the signature tells them apart), and leaf
certificates that are valid, expired, not yet valid, signed by the other CA,
not meant for client authentication, without HSA-ID, or a CA certificate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(timezone.utc)
HSA_ID = "SE2321000016-ABC1"
CA_NAME = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Testmyndigheten"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Test SITHS e-id Person ID CA"),
])


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(name: x509.Name = CA_NAME, *, days: int = 3650):
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(ca_key, ca_cert, *, hsa_id: str | None = HSA_ID, name: str = "Anna Andersson",
              not_before: datetime | None = None, not_after: datetime | None = None,
              eku=(ExtendedKeyUsageOID.CLIENT_AUTH,), digital_signature: bool = True,
              is_ca: bool = False, issuer_name: x509.Name | None = None):
    key = _key()
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"), x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if hsa_id is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, hsa_id))
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(issuer_name or ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=30))
        .not_valid_after(not_after or NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                                     key_encipherment=not digital_signature, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=is_ca, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def header(cert: x509.Certificate) -> str:
    """As nginx's $ssl_client_escaped_cert: URL-encoded PEM."""
    return quote(pem(cert), safe="")


@dataclass
class PKI:
    ca_file: Path
    ca_cert: x509.Certificate
    certs: dict = field(default_factory=dict)

    def header(self, name: str) -> str:
        return header(self.certs[name])


def build_pki(directory: Path) -> PKI:
    ca_key, ca_cert = make_ca()
    other_key, other_cert = make_ca()  # same name, different key: a forgery's issuer
    ca_file = directory / "siths-ca.pem"
    ca_file.write_text(pem(ca_cert), encoding="ascii")
    certs = {
        "valid": make_leaf(ca_key, ca_cert),
        "valid_other_person": make_leaf(ca_key, ca_cert, hsa_id="SE2321000016-XYZ9", name="Bertil Berg"),
        "expired": make_leaf(ca_key, ca_cert, not_before=NOW - timedelta(days=400),
                             not_after=NOW - timedelta(days=1)),
        "not_yet_valid": make_leaf(ca_key, ca_cert, not_before=NOW + timedelta(days=2),
                                   not_after=NOW + timedelta(days=400)),
        "wrong_signature": make_leaf(other_key, other_cert),
        "unknown_issuer": make_leaf(other_key, other_cert, issuer_name=x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "Någon annan CA")])),
        "not_client_auth": make_leaf(ca_key, ca_cert, eku=(ExtendedKeyUsageOID.EMAIL_PROTECTION,)),
        "no_eku": make_leaf(ca_key, ca_cert, eku=()),
        "no_digital_signature": make_leaf(ca_key, ca_cert, digital_signature=False),
        "ca_as_leaf": make_leaf(ca_key, ca_cert, is_ca=True),
        "no_hsa_id": make_leaf(ca_key, ca_cert, hsa_id=None),
        "bad_hsa_id": make_leaf(ca_key, ca_cert, hsa_id="1234567890"),
    }
    return PKI(ca_file=ca_file, ca_cert=ca_cert, certs=certs)


# (certificate name, expected reason code) for every way a certificate is refused
REJECTED = [
    ("expired", "expired"),
    ("not_yet_valid", "not_yet_valid"),
    ("wrong_signature", "bad_signature"),
    ("unknown_issuer", "untrusted_issuer"),
    ("not_client_auth", "not_client_auth"),
    ("no_eku", "not_client_auth"),
    ("no_digital_signature", "not_client_auth"),
    ("ca_as_leaf", "not_client_auth"),
    ("no_hsa_id", "no_hsa_id"),
    ("bad_hsa_id", "no_hsa_id"),
]
