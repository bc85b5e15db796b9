"""The internal certificate authority: made once, private, and issuing only what serves."""

from __future__ import annotations

import datetime as dt
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from asp_provision.site.ca import CertificateAuthority, CertificateError, check_domain

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _san(path: Path) -> list[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return ext.value.get_values_for_type(x509.DNSName)


def test_the_authority_is_made_once_and_its_key_is_private(tmp_path: Path) -> None:
    folder = tmp_path / ".asp" / "ca"
    ca = CertificateAuthority.open(folder, "Nordic Hosted", NOW)
    assert _mode(folder) == 0o700 and _mode(folder / "ca.key") == 0o600
    constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca is True
    assert "Nordic Hosted internal CA" in ca.certificate.subject.rfc4514_string()
    key = (folder / "ca.key").read_bytes()
    again = CertificateAuthority.open(folder, "Nordic Hosted", NOW + dt.timedelta(days=1))
    assert (folder / "ca.key").read_bytes() == key
    assert again.certificate == ca.certificate


def test_a_domain_gets_a_certificate_the_authority_vouches_for(tmp_path: Path) -> None:
    ca = CertificateAuthority.open(tmp_path / "ca", "ASP", NOW)
    issued = ca.issue("Mail.Acme.Example.", tmp_path / "acme-corp", NOW)
    assert issued.renewed and _san(issued.certificate) == ["mail.acme.example"]
    assert _mode(issued.key) == 0o600
    assert issued.not_after == NOW + dt.timedelta(days=90)
    cert = x509.load_pem_x509_certificate(issued.certificate.read_bytes())
    cert.verify_directly_issued_by(ca.certificate)
    if shutil.which("openssl"):  # and the real tool agrees, as a TLS client would
        check = subprocess.run(
            [
                *("openssl", "verify", "-attime", str(int(NOW.timestamp()))),
                *("-CAfile", str(ca.certificate_path), str(issued.certificate)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0 and ": OK" in check.stdout, check.stderr


def test_a_certificate_is_kept_until_30_days_before_expiry_or_a_change(tmp_path: Path) -> None:
    ca = CertificateAuthority.open(tmp_path / "ca", "ASP", NOW)
    folder = tmp_path / "acme-corp"
    first = ca.issue("mail.acme.example", folder, NOW)
    pem = first.certificate.read_bytes()
    kept = ca.issue("mail.acme.example", folder, NOW + dt.timedelta(days=59))
    assert not kept.renewed and first.certificate.read_bytes() == pem
    renewed = ca.issue("mail.acme.example", folder, NOW + dt.timedelta(days=60))
    assert renewed.renewed and renewed.not_after == NOW + dt.timedelta(days=150)
    moved = ca.issue("mail.acme-corp.example", folder, NOW + dt.timedelta(days=61))
    assert moved.renewed and _san(moved.certificate) == ["mail.acme-corp.example"]
    # a certificate signed by another authority is issued again by this one
    other = CertificateAuthority.open(tmp_path / "other-ca", "Other", NOW)
    foreign = other.issue("mail.acme-corp.example", folder, NOW + dt.timedelta(days=62))
    assert foreign.renewed
    back = ca.issue("mail.acme-corp.example", folder, NOW + dt.timedelta(days=62))
    assert back.renewed
    x509.load_pem_x509_certificate(back.certificate.read_bytes()).verify_directly_issued_by(
        ca.certificate
    )


def test_a_key_others_may_read_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    CertificateAuthority.open(folder, "ASP", NOW)
    (folder / "ca.key").chmod(0o644)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(CertificateError) as caught:
        CertificateAuthority.open(folder, "ASP", NOW)
    assert f"the key {folder / 'ca.key'} may be read by others (mode 0644)" in str(caught.value)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_an_incomplete_authority_is_never_replaced_silently(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    CertificateAuthority.open(folder, "ASP", NOW)
    key = (folder / "ca.key").read_bytes()
    (folder / "ca.crt").unlink()
    with pytest.raises(CertificateError, match=r"incomplete: ca\.key without ca\.crt"):
        CertificateAuthority.open(folder, "ASP", NOW)
    assert (folder / "ca.key").read_bytes() == key


@pytest.mark.parametrize(
    ("domain", "why"),
    [
        ("a" * 64 + ".example", "has a label a certificate cannot take"),
        ("-bad.example", "has a label a certificate cannot take"),
        ("under_score.example", "has a label a certificate cannot take"),
        ("localhost", "is not fully qualified"),
        (".".join(["abcdefghi"] * 26) + ".example", "is longer than 253 characters"),
    ],
)
def test_a_domain_a_certificate_cannot_name_is_a_clear_error(domain: str, why: str) -> None:
    with pytest.raises(CertificateError, match=why):
        check_domain(domain)
