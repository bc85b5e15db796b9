"""`docs`: the service definition a customer is handed, from the spec and the catalog."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from asp_provision.errors import SpecsInvalid, UsageError
from asp_provision.scaffold.docs import find_spec, service_definition
from asp_provision.scaffold.new import write_spec
from asp_provision.scaffold.templates import hours, minutes
from tests.scaffold.helpers import ROOT, catalog, deal_values, make, templates

TIERS = ["silver", "gold", "platinum"]


def spec_file(folder: Path, **changes: object) -> Path:
    spec = make(deal_values(**changes), folder / "acme-corp.yaml")
    write_spec(spec)
    assert spec.path is not None
    return spec.path


def document(path: Path, fmt: str = "md") -> str:
    return service_definition(path, catalog(), templates(), fmt)


def html_tree(text: str) -> ET.Element:
    """Parse the HTML as XML: it must be well-formed to parse at all."""
    return ET.fromstring(text)


def texts(root: ET.Element, css_class: str) -> list[str]:
    ul = root.find(f".//ul[@class='{css_class}']")
    assert ul is not None
    return ["".join(li.itertext()).strip() for li in ul.findall("li")]


class _Balance(HTMLParser):
    """Fails on any end tag that does not close the element last opened."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


@pytest.mark.parametrize("tier", TIERS)
def test_markdown_states_the_tiers_scope_and_sla(tmp_path: Path, tier: str) -> None:
    offer = catalog().tiers[tier]
    text = document(spec_file(tmp_path, tier=tier))
    for item in [*offer.support.included, *offer.support.excluded]:
        assert f"- {item}\n" in text
    included = text.index("### What support includes")
    excluded = text.index("### What support does not include")
    assert included < text.index(offer.support.included[-1]) < excluded
    assert excluded < text.index(offer.support.excluded[-1])
    assert f"| First response | within {minutes(offer.response_minutes)} |" in text
    assert f"| Resolution | within {hours(offer.resolution_hours)} |" in text
    assert f"| Availability | {offer.availability_pct}% |" in text
    assert f"| Channels | {', '.join(offer.channels)} |" in text


def test_the_sla_figures_read_as_people_say_them(tmp_path: Path) -> None:
    silver = document(spec_file(tmp_path / "a", tier="silver"))
    assert "within 4 hours |" in silver  # 240 minutes
    assert "business hours, Monday to Friday" in silver
    platinum = document(spec_file(tmp_path / "b", tier="platinum"))
    assert "within 5 minutes |" in platinum
    assert "within 1 hour |" in platinum
    assert "24 hours a day, 7 days a week" in platinum
    assert "99.95%" in platinum


def test_the_sla_in_force_is_the_specs_where_it_says_less_than_the_tier(tmp_path: Path) -> None:
    path = spec_file(tmp_path, tier="gold")
    data = yaml.safe_load(path.read_text())
    data["spec"]["sla"] = {"response_minutes": 60, "channels": ["email"]}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    text = document(path)
    assert "| First response | within 1 hour |" in text
    assert "| Resolution | within 4 hours |" in text
    assert "| Channels | email |" in text


def test_a_tier_change_shows_the_new_tiers_promises_throughout(tmp_path: Path) -> None:
    path = spec_file(tmp_path, tier="silver")
    data = yaml.safe_load(path.read_text())
    data["spec"]["tier"] = "gold"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    for text in (document(path), document(path, "html")):
        # gold: 30-minute response, 4 hours, 24x7, 99.9%, phone; passwords of 12 with MFA,
        # changed every 90 days; sessions of 30 minutes; backups kept 30 days
        assert "within 30 minutes" in text
        assert "within 4 hours" in text
        assert "24 hours a day, 7 days a week" in text
        assert "99.9%" in text
        assert "phone, email, portal" in text
        assert (
            "passwords of at least 12 characters, changed every 90 days, with multi-factor "
            "authentication" in text
        )
        assert "signed out after 30 minutes without activity" in text
        assert "backups kept 30 days" in text
        # and nothing of silver's
        for silver in ("within 24 hours", "business hours", "99.5%", "at least 10 ", "kept 14"):
            assert silver not in text


def test_negotiated_stricter_terms_are_the_ones_shown(tmp_path: Path) -> None:
    path = spec_file(tmp_path, tier="gold")
    data = yaml.safe_load(path.read_text())
    data["spec"]["security"]["password_policy"] = {"min_length": 16}
    data["spec"]["security"]["session_timeout_minutes"] = 10
    data["spec"]["platform"]["storage"]["backups"]["retention_days"] = 60
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    text = document(path)
    assert "passwords of at least 16 characters, changed every 90 days" in text
    assert "signed out after 10 minutes without activity" in text
    assert "backups kept 60 days" in text


def test_markdown_covers_servers_network_billing_and_onboarding(tmp_path: Path) -> None:
    path = spec_file(tmp_path, tier="gold", seats="50", bandwidth="100", currency="EUR")
    text = document(path)
    # 1500 + 50 x 20 + 100 x 3 = 2800 USD a month, in EUR at 0.92
    assert "| Gold tier | 1,380.00 |" in text
    assert "| 50 seats | 920.00 |" in text
    assert "| 100 Mbps | 276.00 |" in text
    assert "| **Total per month** | **2,576.00** |" in text
    assert "| Charge | EUR per month |" in text
    assert "| Billing contact | Jane Doe (billing@acme.example) |" in text
    assert "| app | 1 | 6 | 24 GB | 100 GB |" in text
    assert "- Address: mail.acme.example" in text
    assert "- Access allowed from: 203.0.113.0/24" in text
    assert "- Go-live: 2026-12-15" in text
    assert "- Billing starts: 2026-12-01" in text
    assert "- Training: 2 sessions for up to 12 of your staff" in text


def test_the_example_specs_have_documents(tmp_path: Path) -> None:
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        assert "## Support tier:" in document(path)
        html_tree(document(path, "html"))
    annual = document(ROOT / "specs" / "northwind-traders.yaml")
    assert "Billed once a year: 6,624.00 EUR" in annual
    assert "- Reporting: monthly reports to mlarsen@northwind.example" in annual
    acme = document(ROOT / "specs" / "acme-corp.yaml")
    assert "| Purchase order | PO-4471 |" in acme
    assert "- Data conversion: 120,000 records from csv" in acme
    assert "single sign-on by SAML" in acme
    assert "- Reporting: a live dashboard, and weekly reports to it@acme.example" in acme


@pytest.mark.parametrize("tier", TIERS)
def test_html_is_well_formed_and_states_scope_and_sla(tmp_path: Path, tier: str) -> None:
    offer = catalog().tiers[tier]
    text = document(spec_file(tmp_path, tier=tier), "html")
    assert text.startswith("<!DOCTYPE html>\n")
    root = html_tree(text)
    checker = _Balance()
    checker.feed(text)
    checker.close()
    assert checker.open == []
    assert texts(root, "included") == offer.support.included
    assert texts(root, "excluded") == offer.support.excluded
    sla = root.find(".//table[@class='sla']")
    assert sla is not None
    cells = ["".join(td.itertext()) for td in sla.iter("td")]
    assert f"within {minutes(offer.response_minutes)}" in cells
    assert f"within {hours(offer.resolution_hours)}" in cells
    assert f"{offer.availability_pct}%" in cells


def test_html_is_self_contained_and_prints_well(tmp_path: Path) -> None:
    text = document(spec_file(tmp_path), "html")
    assert not re.search(r"<(script|link|img|iframe)\b", text)
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", text)
    assert "@media print" in text
    assert "@page" in text


def test_values_are_text_in_both_formats(tmp_path: Path) -> None:
    name = "{{ 7*7 }} <script>alert(1)</script> | [link](http://x.example)"
    path = spec_file(tmp_path, name=name, contact_name="{% if true %}boom{% endif %}")
    markdown = document(path)
    assert "{{ 7*7 }}" in markdown
    assert "49" not in markdown
    assert "{% if true %}boom{% endif %}" in markdown
    # nothing in a value becomes markup, a link or a table column
    assert "<script>" not in markdown
    assert r"\<script\>alert(1)\</script\> \| \[link\](http://x.example)" in markdown
    html = document(path, "html")
    assert "<script>" not in html
    root = html_tree(html)
    title = root.find(".//h1")
    assert title is not None
    assert title.text == f"Service definition: {name}"
    assert "49" not in html


def test_an_invalid_spec_gets_no_document(tmp_path: Path) -> None:
    path = spec_file(tmp_path)
    path.write_text(path.read_text().replace("tier: gold", "tier: bronze"))
    with pytest.raises(SpecsInvalid) as caught:
        document(path)
    (report,) = caught.value.report.files  # type: ignore[attr-defined]
    assert [d.code for d in report.diagnostics] == ["unknown-tier"]


def test_find_spec(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(ROOT / "specs" / "acme-corp.yaml", specs)
    assert find_spec("acme-corp", specs) == specs / "acme-corp.yaml"
    assert find_spec(str(specs / "acme-corp.yaml"), tmp_path) == specs / "acme-corp.yaml"
    with pytest.raises(UsageError, match=r"no spec for globex: .* does not exist"):
        find_spec("globex", specs)
    with pytest.raises(UsageError, match="no such spec file"):
        find_spec("other.yaml", specs)


def test_unknown_format() -> None:
    with pytest.raises(UsageError, match="use md or html"):
        document(ROOT / "specs" / "acme-corp.yaml", "pdf")


def test_the_support_model_is_stated_in_both_formats() -> None:
    import datetime as dt

    from asp_provision.scaffold.docs import service_definition
    from asp_provision.spec.catalog import load_catalog
    from tests.scaffold.helpers import templates

    root = Path(__file__).resolve().parents[2]
    catalog = load_catalog()
    md = service_definition(root / "specs" / "globex-bank.yaml", catalog, templates(), "md")
    for text in (
        "Nordic Hosted Services AB · document version ",
        f" · {dt.date.today().isoformat()}",
        "| Service manager: Erik Strand | +46 8 555 010 31 | erik.strand@nordic-hosted.example |",
        "| Primary engineer: Sara Holm | +46 70 555 01 32 |",
        "| Nordic Hosted Services AB support desk | +46 8 555 010 00 |",
        "| P2 | within 10 minutes | within 2 hours |",
        "| 2 | Erik Strand (service manager) | 15 |",
        "- availability under 99.95%: 10%",
        "- availability under 98.95%: 50%",
        "fewer than 95% of P1/P2 tickets: 5% more",
        "at most 50% of the month's charge",
        "## Signatures",
        "| For Nordic Hosted Services AB | For Globex Bank plc |",
    ):
        assert text in md, text
    silver = service_definition(root / "specs" / "northwind-traders.yaml", catalog, templates())
    assert "Mon-Fri 08:00-18:00, Europe/Berlin time, except public holidays in DE" in silver
    page = service_definition(root / "specs" / "globex-bank.yaml", catalog, templates(), "html")
    assert "<td>Service manager: Erik Strand</td><td>+46 8 555 010 31</td>" in page
    assert "<h2>Signatures</h2>" in page


def test_listed_training_sessions_and_a_file_conversion_are_described(tmp_path: Path) -> None:
    case = ROOT / "tests" / "spec" / "corpus" / "valid-conversion-and-training-sessions.yaml"
    path = tmp_path / "acme-corp.yaml"
    path.write_text(case.read_text(encoding="utf-8"), encoding="utf-8")
    text = document(path)
    assert "- Training: 2 sessions for up to 2 of your staff" in text
    assert "  - 2026-12-08: Mailbox basics" in text
    assert "- Data conversion: 120,000 records from jsonl" in text
    html = document(path, "html")
    assert "120,000 records from jsonl" in html
    html_tree(html)
