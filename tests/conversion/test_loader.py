"""The conversion loader on real files and a real SQLite database."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.conversion.helpers import reconciliation, records, rejects

import asp_conversion_sources  # isort: skip
from asp_conversion import ConversionError, convert  # isort: skip

FIELDS = {
    "id": "string",
    "name": "string",
    "email": "email",
    "balance": "decimal",
    "opened": "date",
    "orders": "integer",
}
HEADER = "id,name,email,balance,opened,orders\n"
GOOD = (
    HEADER + "C1,Ann Lee,ann@old.example.com,1200.50,2019-03-01,12\n"
    "C2,Bo Ek,bo@old.example.com,-3.10,2020-12-31,0\n"
    'C3,"Quoted, with a comma",cy@old.example.com,,2021-01-15,\n'
)


class Site:
    """A source file, the application's database and the conversion folder."""

    def __init__(self, root: Path, text: str, name: str = "customers.csv") -> None:
        self.source = root / name
        self.source.write_text(text, encoding="utf-8")
        self.db = root / "site" / "application" / "users.db"
        self.folder = root / "site" / "application" / "conversion"

    def write(self, text: str) -> None:
        self.source.write_text(text, encoding="utf-8")

    def convert(self, fields: dict[str, str] | None = None, key: str = "id", **kw: bool) -> dict:
        fmt = "jsonl" if self.source.suffix == ".jsonl" else "csv"
        outcome = convert(
            str(self.source), fmt, key, fields or FIELDS, str(self.db), str(self.folder), **kw
        )
        return outcome.as_dict()


def counts(result: dict) -> tuple[int, int, int, int, int]:
    return (
        result["read"],
        result["loaded"],
        result["updated"],
        result["unchanged"],
        result["rejected"],
    )


def test_good_records_are_loaded_typed(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    result = site.convert()
    assert counts(result) == (3, 3, 0, 0, 0)
    assert result["sha256"] == hashlib.sha256(site.source.read_bytes()).hexdigest()
    assert reconciliation(site.folder) == result
    assert rejects(site.folder) == []
    stored = records(site.db)
    assert stored["C1"] == {
        "id": "C1",
        "name": "Ann Lee",
        "email": "ann@old.example.com",
        "balance": "1200.50",  # the digits given, never a binary float
        "opened": "2019-03-01",
        "orders": 12,
    }
    assert stored["C3"]["name"] == "Quoted, with a comma"
    assert stored["C3"]["balance"] is None  # an empty value is null
    assert stored["C3"]["orders"] is None


BAD = (
    HEADER + "C1,Ann Lee,ann@old.example.com,1200.50,2019-03-01,12\n"  # line 2
    "C2,Bo Ek,bo@old.example.com,3.10,2020-12-31,many\n"  # 3: orders not an integer
    "C3,Cy,not-an-email,1.00,2021-01-15,1\n"  # 4: bad email
    "C4,Di,di@old.example.com,1.00,2021-02-30,1\n"  # 5: no such date
    "C5,Ed,ed@old.example.com,1.00,15/01/2021,1\n"  # 6: not ISO
    "C1,Ann again,ann2@old.example.com,1.00,2019-03-01,1\n"  # 7: duplicate of line 2
    ",Nobody,no@old.example.com,1.00,2019-03-01,1\n"  # 8: no key
    "C6,Fay,fay@old.example.com,1.2.3,2019-03-01,1\n"  # 9: bad decimal
    "C7,Too,few\n"  # 10: wrong width
    '"C8","A name\nover two lines",gus@old.example.com,5,2022-06-01,2\n'  # 11-12: good
    "\n"  # 13: blank, skipped
    "C8,Gus twice,gus@old.example.com,5,2022-06-01,2\n"  # 14: duplicate of line 11
    "C9,Ida,ida@old.example.com,7,2022-06-01,3\n"  # 15: good
)


@pytest.mark.parametrize("block", [4096, 3, 1])
def test_bad_records_go_to_rejects_with_their_line_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(asp_conversion_sources, "_BLOCK", block)  # records checked together
    site = Site(tmp_path, BAD)
    result = site.convert()
    assert counts(result) == (12, 3, 0, 0, 9)
    assert sorted(records(site.db)) == ["C1", "C8", "C9"]
    assert records(site.db)["C1"]["name"] == "Ann Lee"  # the first occurrence wins
    assert records(site.db)["C8"]["name"] == "A name\nover two lines"
    rows = rejects(site.folder)
    assert [(r["line"], r["key"]) for r in rows] == [
        ("3", "C2"),
        ("4", "C3"),
        ("5", "C4"),
        ("6", "C5"),
        ("7", "C1"),
        ("8", ""),
        ("9", "C6"),
        ("10", "C7"),
        ("14", "C8"),
    ]
    reasons = {r["line"]: r["reason"] for r in rows}
    assert reasons["3"] == "orders: 'many' is not an integer"
    assert reasons["4"] == "email: 'not-an-email' is not an e-mail address such as name@example.com"
    assert reasons["5"] == "opened: '2021-02-30' is not a real date"
    assert reasons["6"] == "opened: '15/01/2021' is not a date written YYYY-MM-DD"
    assert reasons["7"] == "duplicate key: first seen on line 2"
    assert reasons["8"] == "id: the key is missing"
    assert "balance: '1.2.3' is not a decimal" in reasons["9"]
    assert reasons["10"] == "3 values where the header has 6"
    assert reasons["14"] == "duplicate key: first seen on line 11"


def test_a_second_run_loads_and_updates_nothing(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    site.convert()
    db_before = site.db.read_bytes()
    result = site.convert()
    assert counts(result) == (3, 0, 0, 3, 0)
    assert site.db.read_bytes() == db_before
    assert reconciliation(site.folder)["loaded"] == 0


def test_a_changed_file_updates_changed_records_and_loads_new_ones(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    site.convert()
    site.write(
        HEADER + "C1,Ann Lee,ann@new.example.com,1200.50,2019-03-01,12\n"  # changed email
        "C2,Bo Ek,bo@old.example.com,-3.10,2020-12-31,0\n"  # unchanged
        "C4,Dan New,dan@old.example.com,9,2024-01-01,1\n"  # new
    )
    result = site.convert()
    assert counts(result) == (3, 1, 1, 1, 0)
    stored = records(site.db)
    assert stored["C1"]["email"] == "ann@new.example.com"
    assert sorted(stored) == ["C1", "C2", "C3", "C4"]  # records left out of the file stay
    assert result["sha256"] == hashlib.sha256(site.source.read_bytes()).hexdigest()


def test_check_mode_writes_nothing_and_says_what_would_happen(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    assert counts(site.convert(check=True)) == (3, 3, 0, 0, 0)
    assert not site.db.exists()
    assert not site.folder.exists()
    site.convert()
    site.write(GOOD.replace("Ann Lee", "Ann Berg"))
    before = site.db.read_bytes(), (site.folder / "reconciliation.json").read_bytes()
    assert counts(site.convert(check=True)) == (3, 0, 1, 2, 0)
    assert (site.db.read_bytes(), (site.folder / "reconciliation.json").read_bytes()) == before


def test_a_header_without_a_declared_column_fails_and_writes_nothing(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    with pytest.raises(ConversionError, match="the header has no column 'phone'"):
        site.convert({**FIELDS, "phone": "string"})
    assert not site.db.exists()
    assert not site.folder.exists()


def test_a_source_that_is_not_utf8_leaves_the_previous_load_intact(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    site.convert()
    before = records(site.db), sorted(os.listdir(site.folder))
    site.source.write_bytes(HEADER.encode() + b"C9,Caf\xe9,c@old.example.com,1,2020-01-01,1\n")
    with pytest.raises(ConversionError, match="not UTF-8"):
        site.convert()
    assert (records(site.db), sorted(os.listdir(site.folder))) == before


def test_a_missing_source_is_an_error(tmp_path: Path) -> None:
    site = Site(tmp_path, GOOD)
    site.source.unlink()
    with pytest.raises(ConversionError, match="cannot read"):
        site.convert()


def test_values_and_column_names_are_data(tmp_path: Path) -> None:
    hostile = "{{ lookup('pipe','id') }}"
    site = Site(
        tmp_path,
        "id,it's; DROP TABLE converted_records; --\n"
        f'K1,"{hostile}"\nK2,"\'); DELETE FROM converted_records; --"\n',
    )
    fields = {"id": "string", "it's; DROP TABLE converted_records; --": "string"}
    assert counts(site.convert(fields)) == (2, 2, 0, 0, 0)
    stored = records(site.db)
    assert stored["K1"]["it's; DROP TABLE converted_records; --"] == hostile
    assert stored["K2"]["it's; DROP TABLE converted_records; --"].startswith("');")


def test_jsonl_records_are_checked_and_loaded(tmp_path: Path) -> None:
    site = Site(
        tmp_path,
        '{"id": 7, "amount": 12.10, "when": "2024-02-29", "n": 3}\n'
        "\n"
        '{"id": 8, "amount": "0.5", "when": "2024-02-30", "n": 1}\n'
        '{"id": 9, "amount": 1, "when": null, "n": true}\n'
        '{"id": "010", "amount": 2, "n": "4"}\n'
        "[1, 2]\n"
        "{not json\n",
        name="old.jsonl",
    )
    fields = {"id": "integer", "amount": "decimal", "when": "date", "n": "integer"}
    result = site.convert(fields)
    assert counts(result) == (6, 2, 0, 0, 4)
    stored = records(site.db)
    assert stored["7"] == {"id": 7, "amount": "12.10", "when": "2024-02-29", "n": 3}
    assert stored["10"] == {"id": 10, "amount": "2", "when": None, "n": 4}
    reasons = {r["line"]: r["reason"] for r in rejects(site.folder)}
    assert reasons["3"] == "when: '2024-02-30' is not a real date"
    assert reasons["4"] == "n: 'true' is not an integer"
    assert reasons["6"] == "the line is not a JSON object"
    assert reasons["7"].startswith("the line is not JSON")


def test_jsonl_first_record_must_have_every_declared_column(tmp_path: Path) -> None:
    site = Site(tmp_path, '{"id": "a"}\n{"id": "b", "x": "1"}\n', name="old.jsonl")
    with pytest.raises(ConversionError, match="line 1: the first record has no column 'x'"):
        site.convert({"id": "string", "x": "string"})
