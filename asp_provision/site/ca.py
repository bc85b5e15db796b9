"""The ASP's internal certificate authority, for the local site.

Made on first use in ``.asp/ca/``: an EC P-256 key (``ca.key``, mode 0600, in a folder
of mode 0700) and a self-signed certificate (``ca.crt``) valid for ten years. Each
customer's domain gets a certificate signed by it, valid for 90 days; it is issued
again when it is within 30 days of expiry, when the domain changed, or when it was not
signed by this authority. A key readable by anyone but its owner is refused, never
used. Keys are written by this module only, never printed, and never passed as values.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from asp_provision.errors import UserError

CA_VALID = dt.timedelta(days=3650)
CERT_VALID = dt.timedelta(days=90)
RENEW_BEFORE = dt.timedelta(days=30)
KEY_FILE = "ca.key"
CERT_FILE = "ca.crt"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class CertificateError(UserError):
    """A certificate cannot be made: a bad domain, a key with loose permissions."""


def check_domain(domain: str) -> str:
    """``domain`` in lower case, if a certificate can name it; else CertificateError."""
    name = domain.lower().rstrip(".")
    if len(name) > 253:
        raise CertificateError(f"domain '{domain}' is longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise CertificateError(f"domain '{domain}' is not fully qualified")
    for label in labels:
        if not _LABEL.match(label):
            raise CertificateError(
                f"domain '{domain}' has a label a certificate cannot take: '{label}' "
                "(1 to 63 letters, digits or '-', not starting or ending with '-')"
            )
    return name


@dataclass(frozen=True, slots=True)
class Issued:
    """A customer's certificate and key on disk, and whether this call made them."""

    certificate: Path
    key: Path
    not_after: dt.datetime
    renewed: bool


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only, whole or not at all."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CertificateError(
            f"the key {path} may be read by others (mode {mode:04o}); "
            f"make it private (chmod 600 {path}) or remove it to make a new one"
        )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class CertificateAuthority:
    """The authority in ``folder``: its key and certificate, made when missing."""

    def __init__(self, folder: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate):
        self.folder = folder
        self.key = key
        self.certificate = cert

    @property
    def certificate_path(self) -> Path:
        """The authority's certificate: the trust root for clients of the local site."""
        return self.folder / CERT_FILE

    @classmethod
    def open(cls, folder: Path, name: str, now: dt.datetime | None = None) -> CertificateAuthority:
        """The authority in ``folder``, made there first if it has none."""
        key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
        if key_path.exists() != cert_path.exists():
            there, missing = (key_path, cert_path) if key_path.exists() else (cert_path, key_path)
            raise CertificateError(
                f"the certificate authority in {folder} is incomplete: {there.name} without "
                f"{missing.name}; restore it, or remove the folder to make a new one (every "
                "certificate it signed is then issued again)"
            )
        if key_path.exists():
            _check_private(key_path)
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise CertificateError(f"the key {key_path} is not an EC key")
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            return cls(folder, key, cert)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        now = now or dt.datetime.now(dt.UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} internal CA")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + CA_VALID)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_private(key_path, _pem_key(key))
        _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return cls(folder, key, cert)

    def _current(self, cert_path: Path, domain: str, now: dt.datetime) -> x509.Certificate | None:
        """The certificate at ``cert_path`` if it still serves ``domain``."""
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except (OSError, ValueError, x509.ExtensionNotFound):
            return None
        if names.value.get_values_for_type(x509.DNSName) != [domain]:
            return None
        if cert.issuer != self.certificate.subject:
            return None
        try:
            cert.verify_directly_issued_by(self.certificate)
        except (ValueError, TypeError, InvalidSignature):
            return None
        if cert.not_valid_after_utc - now <= RENEW_BEFORE:
            return None
        return cert

    def issue(self, domain: str, folder: Path, now: dt.datetime | None = None) -> Issued:
        """The certificate and key for ``domain`` in ``folder``, issued when needed."""
        name = check_domain(domain)
        now = now or dt.datetime.now(dt.UTC)
        cert_path, key_path = folder / "tls.crt", folder / "tls.key"
        current = self._current(cert_path, name, now) if key_path.exists() else None
        if current is not None:
            _check_private(key_path)
            return Issued(cert_path, key_path, current.not_valid_after_utc, renewed=False)
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + CERT_VALID)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        _write_private(key_path, _pem_key(key))
        chain = cert.public_bytes(serialization.Encoding.PEM)
        _write_public(cert_path, chain)
        return Issued(cert_path, key_path, cert.not_valid_after_utc, renewed=True)
