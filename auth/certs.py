"""SITHS client certificates: parse the forwarded header, verify, read the HSA-ID.

Pure functions, no Flask: ``verify_client_certificate(cert, cas, now)``
returns the identity or raises :class:`CertificateRejected` with a reason code
(for the audit log) and a Swedish explanation (for the person).

What is checked (the proxy has verified the TLS handshake; the app checks
again so that a forged header can never log anybody in):

1. the header holds exactly one parseable X.509 certificate (URL-encoded PEM
   as nginx's ``$ssl_client_escaped_cert``; raw PEM and base64 DER are also
   accepted);
2. it is directly issued by a CA certificate in LAGESBILD_SITHS_CA_FILE:
   issuer name equals the CA's subject, the signature verifies with the CA's
   key, the CA has basicConstraints CA:TRUE (and keyUsage keyCertSign if
   present), and the CA itself is within its validity period;
3. it is within its own validity period;
4. it is meant for client authentication: extendedKeyUsage contains
   clientAuth, keyUsage (if present) allows digitalSignature, and it is not a
   CA certificate;
5. the subject serialNumber is a well-formed HSA-ID.

Revocation (CRL/OCSP) is checked by the proxy (see deploy/README.md).
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HSA_ID_RE = re.compile(r"SE[0-9]{10}-[A-Za-z0-9]{1,20}", re.ASCII)
PEM_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL
)


class CertificateRejected(Exception):
    """The certificate may not log anybody in."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason  # stable code for the audit log and tests
        self.message = message  # Swedish, for the person


class CAFileError(RuntimeError):
    """LAGESBILD_SITHS_CA_FILE cannot be used."""


@dataclass(frozen=True)
class CertIdentity:
    hsa_id: str
    name: str
    fingerprint: str  # sha256 hex of the certificate
    issuer: str
    not_after: datetime


def is_valid_hsa_id(value: str | None) -> bool:
    return isinstance(value, str) and HSA_ID_RE.fullmatch(value) is not None


# ---- parsing --------------------------------------------------------------

MAX_HEADER = 32_768  # a leaf and a few intermediates, URL-encoded PEM
MAX_CHAIN = 4        # intermediates the proxy may forward after the leaf
_PEM_BLOCK = r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\r\n\t ]+?-----END CERTIFICATE-----"
_PEM_ONLY = re.compile(rf"(?:{_PEM_BLOCK}\s*)+", re.ASCII)
_BASE64_ONLY = re.compile(r"[A-Za-z0-9+/=\r\n\t ]+", re.ASCII)


def _malformed(detail: str = "felaktigt format") -> CertificateRejected:
    return CertificateRejected("malformed", f"Klientcertifikatet gick inte att läsa ({detail}).")


def parse_forwarded_chain(header_value: str | None) -> list[x509.Certificate]:
    """The certificates in an X-SSL-Client-Cert header value: the person's own
    first, then (optionally) intermediate CAs the proxy forwards. Strict: the
    value is URL-encoded PEM blocks and whitespace and nothing else, or one
    base64 DER certificate; anything around or between them is refused."""
    if header_value is None or not header_value.strip():
        raise CertificateRejected("missing", "Inget klientcertifikat skickades med begäran.")
    if len(header_value) > MAX_HEADER:
        raise _malformed("för långt certifikathuvud")
    text = header_value.strip()
    if "%" in text:
        text = unquote(text, errors="strict") if _decodable(text) else None
        if text is None:
            raise _malformed()
        text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            if not _PEM_ONLY.fullmatch(text):
                raise _malformed("annat innehåll än PEM-certifikat i huvudet")
            blocks = PEM_RE.findall(text)
            if len(blocks) > 1 + MAX_CHAIN:
                raise _malformed("för många certifikat")
            ders = [base64.b64decode(re.sub(r"\s+", "", b), validate=True) for b in blocks]
        else:
            if not _BASE64_ONLY.fullmatch(text):
                raise _malformed()
            ders = [base64.b64decode(re.sub(r"\s+", "", text), validate=True)]
        chain = [x509.load_der_x509_certificate(der) for der in ders]
    except (ValueError, binascii.Error) as exc:
        if isinstance(exc, CertificateRejected):
            raise
        raise _malformed() from exc
    if any(not _is_ca(c) for c in chain[1:]):
        raise CertificateRejected(
            "malformed", "Begäran innehöll flera certifikat; efter personens eget får bara utfärdar-certifikat följa."
        )
    return chain


def _decodable(text: str) -> bool:
    try:
        unquote(text, errors="strict")
        return True
    except UnicodeDecodeError:
        return False


def parse_forwarded_certificate(header_value: str | None) -> x509.Certificate:
    """The person's own certificate in an X-SSL-Client-Cert header value."""
    return parse_forwarded_chain(header_value)[0]


def load_ca_file(path: Path | str) -> list[x509.Certificate]:
    """The CA certificates (PEM bundle) trusted to issue staff certificates."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CAFileError(f"LAGESBILD_SITHS_CA_FILE {path} kan inte läsas: {exc.strerror}") from exc
    try:
        cas = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CAFileError(
            f"LAGESBILD_SITHS_CA_FILE {path} innehåller inga läsbara PEM-certifikat."
        ) from exc
    usable = [c for c in cas if _is_ca(c)]
    if not usable:
        raise CAFileError(
            f"LAGESBILD_SITHS_CA_FILE {path}: inget av certifikaten är ett CA-certifikat "
            "(basicConstraints CA:TRUE)."
        )
    return usable


# ---- verification ---------------------------------------------------------

def _ext(cert: x509.Certificate, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    bc = _ext(cert, x509.BasicConstraints)
    if bc is None or not bc.ca:
        return False
    ku = _ext(cert, x509.KeyUsage)
    return ku is None or ku.key_cert_sign


def _within(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _chain_to_trusted(cert: x509.Certificate, cas: list[x509.Certificate],
                      intermediates: list[x509.Certificate], now: datetime) -> list[x509.Certificate]:
    """The CAs from the certificate's issuer up to one in the trusted file:
    each link's issuer name and signature, each CA a CA (CA:TRUE,
    keyCertSign), within its validity and its pathLenConstraint. A CA of the
    file is an anchor (the file may hold the root, the issuing CAs, or both);
    the intermediates forwarded by the proxy are only stepping stones."""
    path: list[x509.Certificate] = []
    current = cert
    pool = list(cas) + [c for c in intermediates if c not in cas]
    for _ in range(MAX_CHAIN + 2):
        named = [ca for ca in pool if ca.subject == current.issuer and ca not in path]
        if not named:
            raise CertificateRejected(
                "untrusted_issuer",
                "Certifikatet är inte utfärdat av en betrodd SITHS-utfärdare"
                + (" (utfärdaren saknas i utfärdarfilen)." if path else "."),
            )
        issuer = next((ca for ca in named if _issued_by(current, ca)), None)
        if issuer is None:
            raise CertificateRejected(
                "bad_signature",
                "Certifikatets signatur stämmer inte med den betrodda SITHS-utfärdaren (förfalskat eller fel utfärdare).",
            )
        if not _within(issuer, now):
            raise CertificateRejected("ca_expired", "Utfärdarens certifikat är inte giltigt just nu.")
        bc = _ext(issuer, x509.BasicConstraints)
        if bc is not None and bc.path_length is not None and len(path) > bc.path_length:
            raise CertificateRejected("untrusted_issuer", "Certifikatkedjan är längre än utfärdaren tillåter.")
        path.append(issuer)
        if issuer in cas:
            return path
        current = issuer
    raise CertificateRejected("untrusted_issuer", "Certifikatkedjan är för lång.")


def verify_client_certificate(cert: x509.Certificate, cas: list[x509.Certificate],
                              now: datetime | None = None,
                              intermediates: list[x509.Certificate] = ()) -> CertIdentity:
    """Check the certificate against the trusted CAs (through intermediates in
    the CA file or forwarded after it); return who it identifies."""
    now = now or datetime.now(timezone.utc)
    path = _chain_to_trusted(cert, cas, list(intermediates), now)
    issuer = path[0]

    if now < cert.not_valid_before_utc:
        raise CertificateRejected(
            "not_yet_valid",
            f"Certifikatet gäller först från {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.",
        )
    if now > cert.not_valid_after_utc:
        raise CertificateRejected(
            "expired",
            f"Certifikatet gick ut {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC. Förnya ditt SITHS-kort.",
        )

    bc = _ext(cert, x509.BasicConstraints)
    if bc is not None and bc.ca:
        raise CertificateRejected("not_client_auth", "Ett CA-certifikat kan inte användas för inloggning.")
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if eku is None or ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise CertificateRejected(
            "not_client_auth",
            "Certifikatet är inte avsett för klientautentisering (inloggning). Använd ditt SITHS-legitimeringscertifikat.",
        )
    ku = _ext(cert, x509.KeyUsage)
    if ku is not None and not ku.digital_signature:
        raise CertificateRejected(
            "not_client_auth",
            "Certifikatets nyckelanvändning tillåter inte inloggning (digitalSignature saknas).",
        )

    serials = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    hsa_id = serials[0].value if len(serials) == 1 else None
    if not isinstance(hsa_id, str) or not is_valid_hsa_id(hsa_id):
        raise CertificateRejected(
            "no_hsa_id",
            "Certifikatet saknar ett giltigt HSA-id (serialNumber i certifikatets subjekt).",
        )
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(cns[0].value) if cns else hsa_id
    return CertIdentity(
        hsa_id=hsa_id,
        name=name,
        fingerprint=cert.fingerprint(_sha256()).hex(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
    )


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def identify(header_value: str | None, cas: list[x509.Certificate],
             now: datetime | None = None) -> CertIdentity:
    """Parse and verify a forwarded certificate header in one step."""
    chain = parse_forwarded_chain(header_value)
    return verify_client_certificate(chain[0], cas, now, chain[1:])


class VerifiedCache:
    """Remembers certificates that passed every check, keyed by the forwarded
    header's SHA-256 (the certificate's fingerprint and nothing else), so a
    page's dozens of requests do not repeat the parse and signature check
    (~4 ms of CPU each).

    - Only successes are kept.
    - A hit is honoured for at most ``max_age`` seconds after the check and
      never outside the certificate's validity window (checked on every hit).
    - ``ca_file``: its (inode, size, mtime) is compared on every call; when
      the file changes, the CAs are read again and every cached verdict is
      dropped, so a CA taken out of the file stops logging anyone in at once.
      A file that cannot be read then trusts no one (logged) until it is fixed.
    """

    def __init__(self, cas: list[x509.Certificate], size: int = 1024, max_age: float = 300.0,
                 ca_file: Path | str | None = None):
        import threading
        from collections import OrderedDict

        self.cas = cas
        self.size = size
        self.max_age = max_age
        self.ca_file = Path(ca_file) if ca_file else None
        self._ca_stamp = self._stamp()
        self._lock = threading.Lock()
        self._items: "OrderedDict[str, tuple[CertIdentity, datetime, datetime]]" = OrderedDict()

    def _stamp(self):
        if self.ca_file is None:
            return None
        try:
            st = self.ca_file.stat()
        except OSError:
            return ("missing",)
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _check_ca_file(self) -> None:
        stamp = self._stamp()
        if stamp == self._ca_stamp:
            return
        with self._lock:
            if stamp == self._ca_stamp:
                return
            try:
                cas = load_ca_file(self.ca_file)
            except CAFileError:
                import logging

                logging.getLogger("lagesbild.auth").exception(
                    "SITHS-utfärdarfilen %s kunde inte läsas efter en ändring; ingen betros tills den är rättad",
                    self.ca_file)
                cas = []
            self.cas, self._ca_stamp = cas, stamp
            self._items.clear()

    def identify(self, header_value: str | None, now: datetime | None = None) -> CertIdentity:
        import hashlib

        self._check_ca_file()
        now = now or datetime.now(timezone.utc)
        key = hashlib.sha256((header_value or "").encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
        if hit is not None:
            ident, not_before, checked_at = hit
            fresh = (now - checked_at).total_seconds() <= self.max_age
            if fresh and not_before <= now <= ident.not_after:
                return ident
            with self._lock:
                self._items.pop(key, None)
        chain = parse_forwarded_chain(header_value)
        cert = chain[0]
        ident = verify_client_certificate(cert, self.cas, now, chain[1:])
        with self._lock:
            self._items[key] = (ident, cert.not_valid_before_utc, now)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return ident
