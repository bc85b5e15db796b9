"""Each customer's certificate for a run: issued by the site's authority, or the inventory's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography import x509

from asp_provision.errors import UsageError
from asp_provision.site.ca import CertificateError
from asp_provision.site.tls import TlsFiles, issue, own_files, trust_root

LOCAL = {"ansible_connection": "local"}
DOMAINS = {"acme-corp": "mail.acme.example", "globex-bank": "erp.globex.example"}


def test_the_authority_issues_each_domain_its_certificate(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    files = issue(asp, "Example ASP", DOMAINS)
    assert set(files) == set(DOMAINS)
    for customer, domain in DOMAINS.items():
        got = files[customer]
        assert got == TlsFiles(
            asp / "tls" / customer / "tls.crt", asp / "tls" / customer / "tls.key"
        )
        cert = x509.load_pem_x509_certificate(got.certificate.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == [domain]
        assert got.key.stat().st_mode & 0o777 == 0o600
        assert got.variables() == {"certificate": str(got.certificate), "key": str(got.key)}
    assert trust_root(asp).is_file()
    # a second run keeps certificates that are still good
    before = files["acme-corp"].certificate.read_bytes()
    issue(asp, "Example ASP", DOMAINS)
    assert files["acme-corp"].certificate.read_bytes() == before


def test_a_domain_that_cannot_take_a_certificate_leaves_nothing_written(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    bad = {**DOMAINS, "northwind": "crm." + "x" * 64 + ".example"}
    with pytest.raises(CertificateError, match=r"northwind: network\.domain: .*label"):
        issue(asp, "Example ASP", bad)
    assert not asp.exists()


def test_a_check_run_learns_the_paths_and_issues_nothing(tmp_path: Path) -> None:
    asp = tmp_path / ".asp"
    files = issue(asp, "Example ASP", DOMAINS, write=False)
    assert files["acme-corp"].key == asp / "tls" / "acme-corp" / "tls.key"
    assert not asp.exists()


def _own(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "own.crt", tmp_path / "own.key"
    cert.write_text("certificate")
    key.write_text("key")
    return cert, key


def test_an_inventory_certificate_is_used_instead(tmp_path: Path) -> None:
    cert, key = _own(tmp_path)
    hosts = {"acme-corp": {**LOCAL, "asp_tls_cert": str(cert), "asp_tls_key": str(key)}}
    own = own_files("the inventory inventory", hosts, ["acme-corp", "globex-bank"])
    assert own == {"acme-corp": TlsFiles(cert, key)}
    asp = tmp_path / ".asp"
    files = issue(asp, "Example ASP", DOMAINS, own)
    assert files["acme-corp"] == TlsFiles(cert, key)
    assert files["globex-bank"].certificate.parent == asp / "tls" / "globex-bank"
    assert not (asp / "tls" / "acme-corp").exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"asp_tls_cert": "{cert}"}, "sets asp_tls_cert without asp_tls_key: set both, or neither"),
        ({"asp_tls_key": "{key}"}, "sets asp_tls_key without asp_tls_cert"),
        ({"asp_tls_cert": "own.crt", "asp_tls_key": "{key}"}, "'own.crt' is not an absolute path"),
        ({"asp_tls_cert": "{cert}", "asp_tls_key": "{key}.gone"}, r"own\.key\.gone is not a file"),
        ({"asp_tls_cert": "{dir}", "asp_tls_key": "{key}"}, "is not a file"),
        ({"asp_tls_cert": "/srv/$host.crt", "asp_tls_key": "{key}"}, "holds '\\$'"),
    ],
)
def test_an_inventory_certificate_that_cannot_be_used_is_refused(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    cert, key = _own(tmp_path)
    filled = {k: v.format(cert=cert, key=key, dir=tmp_path) for k, v in values.items()}
    filled |= LOCAL
    with pytest.raises(UsageError, match=message) as caught:
        own_files("the inventory inventory", {"acme-corp": filled}, ["acme-corp"])
    assert "the inventory inventory: host acme-corp" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_inventory_key_is_refused(tmp_path: Path) -> None:
    cert, key = _own(tmp_path)
    key.chmod(0)
    hosts = {"acme-corp": {**LOCAL, "asp_tls_cert": str(cert), "asp_tls_key": str(key)}}
    with pytest.raises(UsageError, match=r"asp_tls_key: .* cannot be read"):
        own_files("the inventory inventory", hosts, ["acme-corp"])


def test_files_on_a_host_reached_over_ssh_are_left_to_the_playbooks_to_check(
    tmp_path: Path,
) -> None:
    hosts = {"acme-corp": {"asp_tls_cert": "/etc/ssl/acme.crt", "asp_tls_key": "/etc/ssl/acme.key"}}
    own = own_files("the inventory inventory", hosts, ["acme-corp"])
    assert own["acme-corp"] == TlsFiles(Path("/etc/ssl/acme.crt"), Path("/etc/ssl/acme.key"))
    hosts["acme-corp"]["asp_tls_key"] = "acme.key"
    with pytest.raises(UsageError, match="not an absolute path"):
        own_files("the inventory inventory", hosts, ["acme-corp"])
