"""The OCDS connector on what real publishers write (issue 23, items 2, 4
and 6), on the second set of real files (../shared/data/real2/ocds, see its
SOURCES.md) and on minimal releases written here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.base import LoadOptions, load_source
from connectors.companies import read_companies
from connectors.identifiers import (
    SCHEME_ALIASES_FILE,
    canonical_scheme,
    company_key,
    company_key_error,
    uscc_check_char,
)
from connectors.node_store import NodeStore
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError, InvalidIdentifier

PUBLISHERS = ["colombia", "mexico-inai", "nigeria", "paraguay", "taiwan", "ukraine"]


def real_files(folder: Path) -> list[Path]:
    """The publisher's files that hold JSON (Paraguay published one record as
    a 0-byte file; reading such files is another item of the issue)."""
    return [f for f in sorted(folder.rglob("*.json")) if f.stat().st_size > 0]


def load(paths: list[Path], node: Path, mapping: Path | None = None) -> QualityReport:
    report = load_source("ocds", paths, node, LoadOptions(mapping=mapping))
    assert report.rows_read == report.rows_loaded + report.rows_merged + report.rows_rejected
    return report


def table(node: Path, sql: str) -> list[tuple[Any, ...]]:
    with NodeStore(node, read_only=True) as store:
        return store.con.execute(sql).fetchall()


def package(tmp: Path, name: str, releases: list[dict[str, Any]]) -> Path:
    path = tmp / name
    doc = {"uri": name, "version": "1.1", "releases": releases}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def org(pid: str, scheme: str | None, ident: str) -> dict[str, Any]:
    identifier = {"id": ident} if scheme is None else {"scheme": scheme, "id": ident}
    return {"id": pid, "name": f"org {pid}", "identifier": identifier}


def awarded(ocid: str, supplier: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A release in which ``supplier`` bids and wins; ``extra`` replaces fields."""
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": "2024-06-01T00:00:00Z",
        "tag": ["award"],
        "parties": [supplier],
        "tender": {
            "id": "t",
            "tenderPeriod": {"startDate": "2024-03-01", "endDate": "2024-03-31"},
            "tenderers": [{"id": supplier["id"]}],
        },
        "awards": [
            {
                "id": "a1",
                "date": "2024-05-01",
                "status": "active",
                "value": {"amount": 100, "currency": "CNY"},
                "suppliers": [{"id": supplier["id"]}],
            }
        ],
    }
    release.update(extra)
    return release


# -- item 2: every key the connector makes is requestable ----------------------


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_every_key_loaded_from_a_real_publisher_is_requestable_as_is(
    real2_files: Path, tmp_path: Path, publisher: str
) -> None:
    files = real_files(real2_files / "ocds" / publisher)
    mapping = None
    if publisher == "taiwan":  # ids without a scheme: the centre declares it
        mapping = tmp_path / "publisher.yaml"
        mapping.write_text("default_scheme: TW-UBN\n", encoding="utf-8")
    load(files, tmp_path / "node", mapping)
    keys = [
        k
        for (k,) in table(
            tmp_path / "node",
            "SELECT party_key FROM tender_parties UNION SELECT supplier_key FROM tender_bids "
            "UNION SELECT buyer_key FROM tender_bids WHERE buyer_key IS NOT NULL",
        )
    ]
    assert keys
    for key in keys:
        assert company_key(key) == key
        assert company_key_error(key) is None
        # as a bank would write it: lower-case scheme, spaces around
        scheme, _, ident = key.partition(":")
        assert company_key(f" {scheme.lower()} : {ident} ") == key


def test_real_scheme_names_become_org_id_codes(real2_files: Path, tmp_path: Path) -> None:
    ocds = real2_files / "ocds"
    for folder, expected in [
        ("mexico-inai", "MX-RFC:ACT050330C61"),  # written RFC
        ("paraguay", "PY-RUC:80002612-8"),  # the ministry's long Spanish name
        ("colombia", "CO-NIT:860536079"),  # 'Nit de Persona Jurídica'
        ("colombia", "CO-NIT:1012362575-0"),  # 'Nit de Persona Natural'
        ("nigeria", "NGA-DNL:22686163"),  # a publisher's own scheme, kept
        ("ukraine", "UA-EDR:02124775"),
    ]:
        node = tmp_path / folder
        if not node.exists():
            load(real_files(ocds / folder), node)
        keys = {k for (k,) in table(node, "SELECT party_key FROM tender_parties")}
        assert expected in keys, (folder, sorted(keys))


def test_one_company_under_rfc_and_mx_rfc_is_one_key(tmp_path: Path) -> None:
    a = package(tmp_path, "a.json", [awarded("ocds-a-1", org("x", "RFC", "ACT050330C61"))])
    b = package(
        tmp_path,
        "b.json",
        [awarded("ocds-b-1", org("y", "Registro Federal de Contribuyentes", "ACT050330C61"))],
    )
    c = package(tmp_path, "c.json", [awarded("ocds-c-1", org("z", "MX-RFC", "ACT050330C61"))])
    load([a, b, c], tmp_path / "node")
    assert table(tmp_path / "node", "SELECT DISTINCT supplier_key FROM tender_bids") == [
        ("MX-RFC:ACT050330C61",)
    ]
    bank = tmp_path / "bank.csv"
    bank.write_text(
        "company_ref,company_id\n"
        "R1,MX-RFC:ACT050330C61\nR2,rfc:ACT050330C61\n"
        "R3,Registro Federal de Contribuyentes de México:ACT050330C61\n"
        "R4,NGA-DNL:22686163\nR5,Nit de Persona Jurídica:860536079\n",
        encoding="utf-8",
    )
    assert [c.key for c in read_companies(bank)] == [
        "MX-RFC:ACT050330C61",
        "MX-RFC:ACT050330C61",
        "MX-RFC:ACT050330C61",
        "NGA-DNL:22686163",
        "CO-NIT:860536079",
    ]


def test_the_alias_table_names_a_source_for_every_alias() -> None:
    with SCHEME_ALIASES_FILE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert canonical_scheme(row["alias"]) == row["code"]
        assert canonical_scheme(row["code"]) == row["code"]  # codes are canonical
    assert canonical_scheme("CN-USCC") == canonical_scheme("统一社会信用代码") == "USCC"


def test_schemes_a_key_cannot_carry_are_refused_on_both_sides(tmp_path: Path) -> None:
    for bad in ("", "   ", "A\x00B", "X" * 129):
        with pytest.raises(InvalidIdentifier):
            canonical_scheme(bad)
    path = package(tmp_path, "p.json", [awarded("ocds-p-1", org("x", "urn:x", "1"))])
    report = load([path], tmp_path / "node")
    assert any(
        r.field == "parties[0].identifier.scheme" and "colon" in r.reason for r in report.rejections
    )


def test_a_centre_declares_the_scheme_of_ids_written_without_one(
    real2_files: Path, tmp_path: Path
) -> None:
    files = real_files(real2_files / "ocds" / "taiwan")
    bare = load(files, tmp_path / "bare")
    assert bare.rows_loaded == 0  # 8-digit business numbers: no key is invented
    assert any("default_scheme" in r.reason for r in bare.rejections)
    mapping = tmp_path / "publisher.yaml"
    mapping.write_text("default_scheme: tw-ubn\n", encoding="utf-8")
    declared = load(files, tmp_path / "declared", mapping)
    # only the tenderers the publisher wrote without any id are left out
    assert declared.rows_loaded > 0
    assert all("no identifier (id)" in r.reason for r in declared.rejections)
    keys = {k for (k,) in table(tmp_path / "declared", "SELECT supplier_key FROM tender_bids")}
    assert "TW-UBN:05071926" in keys  # 久裕企業股份有限公司, written "05071926"
    assert any("declared default_scheme" in w for w in declared.warnings)
    # a bad declaration is an error naming the file
    mapping.write_text("default_scheme: 'a:b'\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"publisher\.yaml"):
        load(files, tmp_path / "bad", mapping)
    mapping.write_text("scheme: TW-UBN\n", encoding="utf-8")
    with pytest.raises(InputError, match="default_scheme"):
        load(files, tmp_path / "bad2", mapping)


def test_a_declared_uscc_default_still_checks_the_code(tmp_path: Path) -> None:
    body = "91310115MA1K4QWX0"
    good = body + uscc_check_char(body)
    path = package(
        tmp_path,
        "p.json",
        [
            awarded("ocds-p-1", org("x", None, good.lower())),
            awarded("ocds-p-2", org("y", None, "91310115MA1K4QWX0Z")),
        ],
    )
    mapping = tmp_path / "publisher.json"
    mapping.write_text('{"default_scheme": "CN-USCC"}', encoding="utf-8")
    report = load([path], tmp_path / "node", mapping)
    keys = {k for (k,) in table(tmp_path / "node", "SELECT supplier_key FROM tender_bids")}
    assert keys == {f"USCC:{good}"}
    assert any("not a valid unified social credit code" in r.reason for r in report.rejections)


# -- item 4: a release's publication date is never a bid date -------------------


def test_bid_dates_never_come_from_the_release_date(real2_files: Path, tmp_path: Path) -> None:
    """Mexico INAI publishes awards without a tender period in releases
    dated 2017-09-13, weeks after the awards: the bid date was that day."""
    folder = real2_files / "ocds" / "mexico-inai"
    # each file is one release, not a package
    releases = [json.loads(f.read_text(encoding="utf-8")) for f in real_files(folder)]
    release_days = {r["date"][:10] for r in releases}
    assert release_days == {"2017-09-13"}
    report = load(real_files(folder), tmp_path / "node")
    rows = table(
        tmp_path / "node",
        "SELECT ocid, role, CAST(tender_date AS VARCHAR), CAST(award_date AS VARCHAR) "
        "FROM tender_bids ORDER BY ALL",
    )
    assert rows
    assert not [r for r in rows if r[2] in release_days]
    # every supplier's bid date (tender date, else award date) is on or before its award
    for _, role, tender_date, award_date in rows:
        if role == "supplier":
            assert award_date is not None
            assert (tender_date or award_date) <= award_date
    # the tenderers of the two tenders without a period: loaded, undated, warned
    undated = [r for r in rows if r[1] == "tenderer" and r[2] is None]
    assert len(undated) == 3
    assert ": 3 (e.g." in next(w for w in report.warnings if "without a usable date" in w)


def test_periods_that_end_before_they_start_or_after_the_award_are_warned(
    tmp_path: Path,
) -> None:
    s = org("s", "GB-COH", "1")
    path = package(
        tmp_path,
        "p.json",
        [
            awarded("ocds-w-1", s),  # period 03-01..03-31, award 05-01: fine
            awarded(
                "ocds-w-2",
                s,
                tender={
                    "id": "t",
                    "tenderPeriod": {"startDate": "2024-03-31", "endDate": "2024-03-01"},
                    "tenderers": [{"id": "s"}],
                },
            ),
            awarded(
                "ocds-w-3",
                s,
                tender={
                    "id": "t",
                    "tenderPeriod": {"startDate": "2024-06-01", "endDate": "2024-06-30"},
                    "tenderers": [{"id": "s"}],
                },
            ),
            awarded(
                "ocds-w-4",
                s,
                tender={"id": "t", "tenderPeriod": {"endDate": "2024-04-15"}, "tenderers": []},
            ),
        ],
    )
    report = load([path], tmp_path / "node")
    reversed_ = next(w for w in report.warnings if "end before they start" in w)
    assert ": 1 (e.g." in reversed_ and "row 2" in reversed_
    after = next(w for w in report.warnings if "after their award" in w)
    assert ": 1 (e.g." in after and "row 3" in after
    dates = dict(
        table(
            tmp_path / "node",
            "SELECT ocid, CAST(tender_date AS VARCHAR) FROM tender_bids WHERE role = 'supplier'",
        )
    )
    # the start as published; the end when no start is published
    assert dates == {
        "ocds-w-1": "2024-03-01",
        "ocds-w-2": "2024-03-31",
        "ocds-w-3": "2024-06-01",
        "ocds-w-4": "2024-04-15",
    }
    assert not [w for w in report.warnings if "without a usable date" in w]


# -- item 6: a non-array awards is warned, never dropped silently ----------------


def test_taiwans_awards_object_is_warned_with_the_suppliers_it_holds(
    real2_files: Path, tmp_path: Path
) -> None:
    files = real_files(real2_files / "ocds" / "taiwan")
    inside = 0
    for f in files:
        awards = json.loads(f.read_text(encoding="utf-8"))["awards"]
        assert isinstance(awards, dict)
        inside += sum(len(item.get("suppliers") or []) for item in awards.get("items") or [])
    assert inside > 0
    mapping = tmp_path / "publisher.yaml"
    mapping.write_text("default_scheme: TW-UBN\n", encoding="utf-8")
    report = load(files, tmp_path / "node", mapping)
    found = [w for w in report.warnings if "awards is not an array" in w]
    assert len(found) == 1
    assert f"{inside} supplier entries inside left out: {len(files)} (e.g." in found[0]
    # the tenderers of those releases are still loaded
    roles = dict(table(tmp_path / "node", "SELECT role, count(*) FROM tender_bids GROUP BY role"))
    assert roles.get("tenderer", 0) > 0 and "supplier" not in roles


def test_non_array_tenderers_and_suppliers_are_warned_too(tmp_path: Path) -> None:
    s = org("s", "GB-COH", "1")
    release = awarded("ocds-n-1", s)
    release["tender"]["tenderers"] = {"id": "s"}
    release["awards"][0]["suppliers"] = {"id": "s"}
    report = load([package(tmp_path, "p.json", [release])], tmp_path / "node")
    assert any(
        "tenderers is not an array" in w and "0 supplier entries" in w for w in report.warnings
    )
    assert any("suppliers is not an array" in w for w in report.warnings)
