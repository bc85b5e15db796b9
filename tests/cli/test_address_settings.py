"""The address settings of asp-provision.toml: a bad one is a clear error naming it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from asp_provision.config import load_settings
from asp_provision.errors import ConfigError
from tests.cli.helpers import run_cli


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    wanted = settings.address_request()
    assert (wanted.pool, wanted.prefix) == (ipaddress.IPv4Network("10.0.0.0/8"), 24)


@pytest.mark.parametrize(
    ("toml", "field", "says"),
    [
        ('address_pool = "10.0.0.0"', "address_pool", "with its prefix length"),
        ('address_pool = "10.0.0.1/8"', "address_pool", "has host bits set"),
        ('address_pool = "mail.example"', "address_pool", "not an IPv4 network"),
        ('address_pool = "fd00::/8"', "address_pool", "not an IPv4 network"),
        ('address_pool = "10.0.0.0/8\\n"', "address_pool", "control characters"),
        ("address_pool = 10", "address_pool", "string"),
        ("subnet_prefix = 8", "subnet_prefix", "greater than or equal to 16"),
        ("subnet_prefix = 30", "subnet_prefix", "less than or equal to 27"),
        (
            'address_pool = "192.168.0.0/16"\nsubnet_prefix = 24\naddress_pool_x = 1',
            "address_pool_x",
            "Extra inputs",
        ),
        ('address_pool = "192.168.7.0/24"\nsubnet_prefix = 20', "subnet_prefix", "at least 24"),
    ],
)
def test_a_bad_setting_is_named(tmp_path: Path, toml: str, field: str, says: str) -> None:
    (tmp_path / "asp-provision.toml").write_text(toml + "\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path)
    assert refused.value.field == field
    assert says in refused.value.message


def test_the_command_line_reports_it_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "asp-provision.toml").write_text('address_pool = "10.0.0.0/33"\n')
    result = run_cli("plan", cwd=tmp_path)
    assert result.returncode in (1, 2)
    assert "asp-provision.toml: address_pool: not an IPv4 network" in result.stderr
    assert "Traceback" not in result.stderr
