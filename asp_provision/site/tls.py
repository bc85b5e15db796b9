"""Each customer's certificate and key for the run: the site authority's, or the inventory's.

On the local site (and for an inventory host that names none), the internal certificate
authority (``.asp/ca/``) issues the customer's domain a certificate into
``.asp/tls/<customer>/``, renewed as :mod:`asp_provision.site.ca` says. An inventory host
may name its own instead, ``asp_tls_cert`` and ``asp_tls_key``: absolute paths of
readable files. The playbooks get the paths only (``asp_tls``), never a certificate's or
a key's text.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asp_provision.errors import UsageError
from asp_provision.site.ca import CERT_FILE, CertificateAuthority, CertificateError, check_domain
from asp_provision.spec.formats import control_character

CA_FOLDER = "ca"
ISSUED_FOLDER = "tls"
CERT_NAME, KEY_NAME = "tls.crt", "tls.key"  # as the authority writes them, in each folder
CERT_VARIABLE, KEY_VARIABLE = "asp_tls_cert", "asp_tls_key"

# Characters nginx reads differently in a quoted path of its configuration: a quote's end,
# an escape, a variable.
NOT_IN_PATH = ('"', "\\", "$")


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Where a customer's certificate (with its chain) and private key are."""

    certificate: Path
    key: Path

    def variables(self) -> dict[str, str]:
        """The host variable ``asp_tls``."""
        return {"certificate": str(self.certificate), "key": str(self.key)}


def trust_root(asp_dir: Path) -> Path:
    """The authority's certificate: what a client of the local site trusts."""
    return asp_dir / CA_FOLDER / CERT_FILE


def authority(asp_dir: Path, name: str) -> CertificateAuthority:
    """The workspace's certificate authority, made on first use."""
    return CertificateAuthority.open(asp_dir / CA_FOLDER, name)


def own_files(
    where: str, hosts: Mapping[str, Mapping[str, Any]], customers: Iterable[str]
) -> dict[str, TlsFiles]:
    """The certificates an inventory names for ``customers``, checked; none is fine.

    ``where`` names the inventory in messages; ``hosts``: its hosts' variables (plain).
    Paths are files on the host: on this machine for a host reached through the local
    connection, where they are checked now; on another, the playbooks check them there.
    """
    out: dict[str, TlsFiles] = {}
    for customer in sorted(set(customers)):
        values = hosts.get(customer) or {}
        cert, key = values.get(CERT_VARIABLE), values.get(KEY_VARIABLE)
        if cert is None and key is None:
            continue
        prefix = f"{where}: host {customer}"
        if cert is None or key is None:
            given, missing = (
                (CERT_VARIABLE, KEY_VARIABLE)
                if key is None
                else (
                    KEY_VARIABLE,
                    CERT_VARIABLE,
                )
            )
            raise UsageError(f"{prefix} sets {given} without {missing}: set both, or neither")
        here = values.get("ansible_connection") == "local"
        out[customer] = TlsFiles(
            _readable(cert, f"{prefix}, variable {CERT_VARIABLE}", here),
            _readable(key, f"{prefix}, variable {KEY_VARIABLE}", here),
        )
    return out


def _readable(value: Any, where: str, here: bool) -> Path:
    if not isinstance(value, str) or not value.startswith("/"):
        raise UsageError(f"{where}: {value!r} is not an absolute path")
    why = control_character(value)
    if why:
        raise UsageError(f"{where}: {value!r} {why}")
    path = Path(value)
    _nginx_path(path, where)
    if not here:
        return path
    if not path.is_file():
        raise UsageError(f"{where}: {value} is not a file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{where}: {value} cannot be read")
    return path


def _nginx_path(path: Path, where: str) -> None:
    bad = [c for c in NOT_IN_PATH if c in str(path)]
    if bad:
        raise UsageError(
            f"{where}: the path {str(path)!r} holds {bad[0]!r}, which the web server's "
            "configuration cannot take in a file name; use a folder without it"
        )


def issue(
    asp_dir: Path,
    authority_name: str,
    domains: Mapping[str, str],
    own: Mapping[str, TlsFiles] | None = None,
    write: bool = True,
) -> dict[str, TlsFiles]:
    """Each customer's certificate: its own, else one from the site's authority.

    ``domains``: customer -> domain. Every domain is checked before the authority is
    opened or anything is written, so a domain that cannot take a certificate leaves
    nothing behind. ``write`` false (a check run): where the authority's certificates
    are, issuing none.
    """
    own = own or {}
    wanted = {c: d for c, d in domains.items() if c not in own}
    for customer, domain in sorted(wanted.items()):
        try:
            check_domain(domain)
        except CertificateError as exc:
            raise CertificateError(f"{customer}: network.domain: {exc}") from None
    out = {c: own[c] for c in domains if c in own}
    if not wanted:
        return out
    issued = asp_dir / ISSUED_FOLDER
    _nginx_path(issued, "the certificates' folder")
    if not write:
        for customer in wanted:
            out[customer] = TlsFiles(issued / customer / CERT_NAME, issued / customer / KEY_NAME)
        return out
    ca = authority(asp_dir, authority_name)
    issued.mkdir(mode=0o700, parents=True, exist_ok=True)
    for customer, domain in wanted.items():
        made = ca.issue(domain, issued / customer)
        out[customer] = TlsFiles(made.certificate, made.key)
    return out


def forget(asp_dir: Path, customer: str) -> None:
    """Remove the certificate and key the site's authority issued ``customer`` (destroy)."""
    shutil.rmtree(asp_dir / ISSUED_FOLDER / customer, ignore_errors=True)
