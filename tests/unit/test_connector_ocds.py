"""OCDS -> tender_parties and tender_bids, on the 10 real fixture files and on
small made-up releases for the cases the fixtures do not have.

Expectations for the real files are computed here from the raw JSON with the
plain json module and a deliberately simple reading (latest tenderers list,
awards by id, parties by id), not through the connector or its merge.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import LoadOptions, load_source
from connectors.identifiers import uscc_check_char, uscc_error
from connectors.node_store import NodeStore
from connectors.ocds.merge import merge_releases, release_sort_key
from connectors.quality import QualityReport
from trusted_space.core.errors import InputError

FILES = [
    "collection_file.json",
    "ocds-213czf-000-00001.json",
    "record-package-1-2.json",
    "record-package-1.json",
    "record-package_1.1.json",
    "release-package-1-2.json",
    "release-package-1.json",
    "release-package_1.1-1.json",
    "release-package_1.1-2.json",
    "release-package_encoding-iso-8859-1.json",
]
VALID_USCC = "91350100M000100Y43"


# -- helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def ocds(real_data: Path) -> Path:
    return real_data / "ocds"


def load(paths: list[Path], node: Path, replace: bool = False) -> QualityReport:
    report = load_source("ocds", paths, node, LoadOptions(replace=replace))
    assert_totals(report)
    return report


def assert_totals(report: QualityReport) -> None:
    assert report.rows_read == report.rows_loaded + report.rows_merged + report.rows_rejected
    # Every refused row is named: one rejection per rejected row.
    assert report.rows_rejected == len(report.rejections)


def rows(node: Path, table: str, key: str) -> dict[str, dict[str, Any]]:
    with NodeStore(node, read_only=True) as store:
        cur = store.con.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        return {r[names.index(key)]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def bids(node: Path) -> dict[str, dict[str, Any]]:
    return rows(node, "tender_bids", "bid_id")


def parties(node: Path) -> dict[str, dict[str, Any]]:
    return rows(node, "tender_parties", "party_key")


def warning(report: QualityReport, text: str) -> str:
    found = [w for w in report.warnings if text in w]
    assert len(found) == 1, (text, report.warnings)
    return found[0]


def raw_documents(path: Path) -> list[Any]:
    """The file's top-level JSON, read whole (fine for a test): a list of
    packages for collection_file.json, else one package."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    doc = json.loads(text)
    return doc if isinstance(doc, list) else [doc]


def raw_units(paths: list[Path]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(ocid, releases in date order) per unit: the releases of one ocid across
    all files, or one record's compiledRelease."""
    groups: dict[str, list[dict[str, Any]]] = {}
    units: list[tuple[str, list[dict[str, Any]]]] = []
    for path in paths:
        for doc in raw_documents(path):
            for release in doc.get("releases", []):
                groups.setdefault(release["ocid"], []).append(release)
            for record in doc.get("records", []):
                if "compiledRelease" in record:
                    units.append((record["ocid"], [record["compiledRelease"]]))
    for ocid, releases in groups.items():
        units.append((ocid, sorted(releases, key=lambda r: dt.datetime.fromisoformat(r["date"]))))
    return units


def plain_id(value: Any) -> str:
    # The fictional example writes "11111111.0"; the connector reads an integer.
    return re.sub(r"^([0-9]+)\.0+$", r"\1", str(value).strip())


def raw_expectations(
    releases: list[dict[str, Any]],
) -> tuple[list[tuple[str, str | None, str]], set[str], int]:
    """(role, award id, identifier id) per expected bid row, the identifier ids
    of the parties, and the number of parties[] entries without identifier."""
    tenderers: list[dict[str, Any]] = []
    awards: dict[str, dict[str, Any]] = {}
    by_id: dict[str, dict[str, Any]] = {}
    for release in releases:
        tender = release.get("tender") or {}
        if tender.get("tenderers"):
            tenderers = tender["tenderers"]
        for award in release.get("awards") or []:
            awards[str(award["id"])] = award
        for party in release.get("parties") or []:
            by_id[party["id"]] = party

    def ident(org: dict[str, Any]) -> str | None:
        org = by_id.get(org.get("id"), org)
        value = (org.get("identifier") or {}).get("id")
        return plain_id(value) if value is not None else None

    bid_rows = [("tenderer", None, ident(t)) for t in tenderers]
    for award_id, award in awards.items():
        bid_rows += [("supplier", award_id, ident(s)) for s in award.get("suppliers") or []]
    last = releases[-1]
    inline = [last.get("buyer") or {}, (last.get("tender") or {}).get("procuringEntity") or {}]
    inline += tenderers + [s for a in awards.values() for s in a.get("suppliers") or []]
    orgs = list(by_id.values()) if by_id else inline
    idents = {i for i in map(ident, orgs) if i is not None}
    unidentified = sum(1 for p in by_id.values() if not p.get("identifier"))
    return [(r, a, i) for r, a, i in bid_rows if i is not None], idents, unidentified


def release(ocid: str = "ocds-test-1", rid: str = "1", **fields: Any) -> dict[str, Any]:
    return {"ocid": ocid, "id": rid, "date": "2024-03-01T10:00:00Z", "tag": ["tender"], **fields}


def package(*releases: dict[str, Any]) -> dict[str, Any]:
    return {"uri": "https://example.org/p", "version": "1.1", "releases": list(releases)}


def org(pid: str, name: str, scheme: str | None, ident: Any, roles: list[str]) -> dict[str, Any]:
    identifier: dict[str, Any] = {"id": ident}
    if scheme is not None:
        identifier["scheme"] = scheme
    return {"id": pid, "name": name, "identifier": identifier, "roles": roles}


def write(path: Path, *docs: Any, sep: str = "\n", encoding: str = "utf-8") -> Path:
    path.write_bytes(sep.join(json.dumps(d, ensure_ascii=False) for d in docs).encode(encoding))
    return path


# -- every real file -------------------------------------------------------------


def test_the_fixture_folder_holds_the_files_these_tests_know(ocds: Path) -> None:
    assert sorted(p.name for p in ocds.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_each_real_file_loads_every_bid_and_party(ocds: Path, tmp_path: Path, name: str) -> None:
    path = ocds / name
    report = load([path], tmp_path)
    expected_bids: Counter[tuple[str, str, str | None, str]] = Counter()
    expected_parties: set[str] = set()
    unidentified = 0
    for ocid, releases in raw_units([path]):
        unit_bids, idents, missing = raw_expectations(releases)
        expected_bids.update((ocid, r, a, i) for r, a, i in unit_bids)
        expected_parties |= idents
        unidentified += missing
    got = bids(tmp_path)
    assert (
        Counter(
            (b["ocid"], b["role"], b["award_id"], b["supplier_key"].split(":", 1)[1])
            for b in got.values()
        )
        == expected_bids
    )
    assert {p["identifier"] for p in parties(tmp_path).values()} == expected_parties
    party_rejections = [r for r in report.rejections if r.field and r.field.startswith("parties[")]
    assert len(party_rejections) == unidentified
    assert report.tables == {
        "tender_parties": len(expected_parties),
        "tender_bids": sum(expected_bids.values()),
    }
    assert not [r for r in report.rejections if r not in party_rejections]
    for bid in got.values():
        assert bid["bid_id"] == (
            f"{bid['ocid']}|{bid['role']}|{bid['award_id'] or '-'}|{bid['supplier_key']}"
        )
        assert bid["supplier_key"] in parties(tmp_path)


def test_the_whole_folder_merges_ocids_across_files_and_refuses_repeated_bids(
    ocds: Path, tmp_path: Path
) -> None:
    report = load([ocds], tmp_path)
    paths = [ocds / n for n in FILES]
    per_unit: Counter[tuple[str, str, str | None, str]] = Counter()
    for ocid, releases in raw_units(paths):
        per_unit.update((ocid, r, a, i) for r, a, i in raw_expectations(releases)[0])
    repeated = sum(n - 1 for n in per_unit.values())
    # Both Compranet record files hold ocid 993235 (2 awards), and DNCP's
    # record and release package both hold 193399 (1 award).
    assert repeated == 3
    assert len(bids(tmp_path)) == len(per_unit)
    duplicates = [r for r in report.rejections if r.reason.startswith("duplicate key (bid_id)")]
    assert len(duplicates) == repeated
    for r in duplicates:
        first = re.search(r" of (.*) row ([0-9]+)$", r.reason)
        assert first is not None and first[2] == "1", r
        assert Path(first[1]).name in {"record-package-1-2.json", "record-package_1.1.json"}
    assert report.files == [str(ocds / n) for n in FILES]
    # CDMX's ocid 063-2015 is in release-package-1 and -1-2: one compiled
    # release, no duplicate; its two releases repeat (ocid, id) across files.
    assert "2" in warning(report, "releases repeating an (ocid, release id)")
    # One staged party row per key: nothing to merge in a fresh node.
    idents: set[str] = set()
    for _ocid, releases in raw_units(paths):
        idents |= raw_expectations(releases)[1]
    assert report.tables["tender_parties"] == len(parties(tmp_path)) == len(idents)
    assert report.rows_merged == 0


def test_collection_file_is_an_array_holding_one_package_of_100_releases(
    ocds: Path, tmp_path: Path
) -> None:
    path = ocds / "collection_file.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, list) and len(doc) == 1
    releases = doc[0]["releases"]
    assert len(releases) == 100
    pairs = [
        (r["ocid"], a["id"], s["id"]) for r in releases for a in r["awards"] for s in a["suppliers"]
    ]
    report = load([path], tmp_path)
    suppliers = [b for b in bids(tmp_path).values() if b["role"] == "supplier"]
    assert len(suppliers) == len(pairs)
    assert all(b["supplier_key"].startswith("PT-NIPPC:") for b in suppliers)
    assert {b["currency"] for b in suppliers} == {"EUR"}
    # 7 awards have a date; the others (and their contracts) have none, so
    # their award date is the release date.
    dates = {r["ocid"]: (r["awards"][0].get("date") or r["date"])[:10] for r in releases}
    assert sum(1 for r in releases if "date" in r["awards"][0]) == 7
    assert {b["ocid"]: str(b["award_date"]) for b in suppliers} == dates
    amounts = {r["ocid"]: r["awards"][0]["value"]["amount"] for r in releases}
    assert {b["ocid"]: float(b["award_amount"]) for b in suppliers} == pytest.approx(amounts)
    assert "amounts in EUR have no rate" in warning(report, "EUR")
    # Rows are the releases' positions in the file: rejections would name them.
    assert report.rows_rejected == 0


def test_fictional_example_merges_six_releases_into_one_ocid(ocds: Path, tmp_path: Path) -> None:
    path = ocds / "ocds-213czf-000-00001.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert len(raw["releases"]) == 6 and len({r["ocid"] for r in raw["releases"]}) == 1
    load([path], tmp_path)
    got = bids(tmp_path)
    assert {(b["role"], b["supplier_key"]) for b in got.values()} == {
        ("tenderer", "GB-COH:11111111"),
        ("tenderer", "GB-COH:22222222"),
        ("supplier", "GB-COH:11111111"),
    }
    supplier = next(b for b in got.values() if b["role"] == "supplier")
    # The award went from pending (release 4) to active (release 5).
    assert supplier["award_status"] == "active"
    assert supplier["award_amount"] == 11000000
    assert supplier["currency"] == "GBP"
    assert str(supplier["award_date"]) == "2010-05-10"
    # The tender period was amended (release 3); release 5 and 6 have no tender.
    assert {str(b["tender_date"]) for b in got.values()} == {"2010-03-01"}
    assert {b["buyer_key"] for b in got.values()} == {"GB-LAC:E09000003"}
    # The party name, not the identifier's legalName.
    assert parties(tmp_path)["GB-COH:11111111"]["name"] == "AnyCorp Cycle Provision"


# -- quirks of the real files ----------------------------------------------------


def test_integer_contract_ids_still_give_the_award_its_signing_date(
    ocds: Path, tmp_path: Path
) -> None:
    path = ocds / "record-package-1.json"
    compiled = json.loads(path.read_text(encoding="utf-8"))["records"][0]["compiledRelease"]
    assert {type(c["id"]) for c in compiled["contracts"]} == {int}
    load([path], tmp_path)
    got = {b["award_id"]: b for b in bids(tmp_path).values()}
    assert set(got) == {"991324", "1322806"}
    assert str(got["991324"]["award_date"]) == "2016-01-29"  # contracts[0].dateSigned
    assert str(got["1322806"]["award_date"]) == compiled["date"][:10]  # no dateSigned
    assert got["1322806"]["award_amount"] == Decimal("37930.71")
    keys = parties(tmp_path)
    assert keys["MX-RFC:GAB0709244G5"]["scheme"] == "MX-RFC"
    assert "IDENTIFICADOR ÚNICO EN COMPRANET:INA450815GV1-048D00001" in keys


def test_the_buyer_without_identifier_is_reported_not_keyed(ocds: Path, tmp_path: Path) -> None:
    report = load([ocds / "record-package-1.json"], tmp_path)
    assert [(r.row, r.field) for r in report.rejections] == [(1, "parties[0].identifier")]
    assert "no party key is invented" in report.rejections[0].reason
    assert {b["buyer_key"] for b in bids(tmp_path).values()} == {None}
    assert not [k for k in parties(tmp_path) if "INAH-195" in k]
    assert "record-package-1.json row 1" in warning(report, "buyer has no party key")
    # The supplier is a tenderer by role, but tender.tenderers lists nobody.
    warning(report, "role 'tenderer' that tender.tenderers does not list")


def test_cdmx_has_no_parties_so_inline_identifiers_give_rfc_keys(
    ocds: Path, tmp_path: Path
) -> None:
    path = ocds / "release-package-1-2.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert not any("parties" in r for r in raw["releases"])
    assert all("scheme" not in r["buyer"]["identifier"] for r in raw["releases"])
    report = load([path], tmp_path)
    got = bids(tmp_path)
    assert {b["buyer_key"] for b in got.values()} == {"MX-RFC:GDF9712054NA"}
    ocids = {r["ocid"] for r in raw["releases"]}
    assert {b["ocid"] for b in got.values()} == ocids
    assert all(o.startswith("OCDS-") for o in ocids)  # upper case, kept as written
    assert set(parties(tmp_path)) == {
        "MX-RFC:GDF9712054NA",
        "MX-RFC:C&C021030KX2",
        "MX-RFC:SCT8411179Q4",
        "MX-RFC:BSM971107ME6",
    }
    warning(report, "without a scheme read as Mexican RFCs")


def test_one_rfc_under_two_spellings_is_one_party_and_a_warning(ocds: Path, tmp_path: Path) -> None:
    report = load([ocds / "release-package-1-2.json"], tmp_path)
    bentley = parties(tmp_path)["MX-RFC:BSM971107ME6"]
    # One tenderer and one supplier spelling per compiled release: a tie, so
    # the first seen (the tenderer's) is kept.
    assert bentley["name"] == "BENTLEY SYSTEMS DE MEXICO SA de CV"
    assert bentley["normalised_name"] == "bentley systems de mexico"
    assert parties(tmp_path)["MX-RFC:C&C021030KX2"]["name"] == "COMUNIC@RTE & CONSULTING SA DE CV"
    spellings = warning(report, "more than one name")
    assert "MX-RFC:BSM971107ME6 (2 spellings)" in spellings
    assert "MX-RFC:C&C021030KX2 (2 spellings)" in spellings
    assert "BENTLEY" not in spellings  # keys and counts only
    bentley_bids = [
        b for b in bids(tmp_path).values() if b["supplier_key"] == "MX-RFC:BSM971107ME6"
    ]
    assert {b["role"] for b in bentley_bids} == {"tenderer", "supplier"}


def test_iso_8859_1_file_is_detected_and_decoded(ocds: Path, tmp_path: Path) -> None:
    path = ocds / "release-package_encoding-iso-8859-1.json"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = load([path], tmp_path)
    names = {p["name"] for p in parties(tmp_path).values()}
    assert "Técnicos Verticales de México," in names
    assert "SECRETARÍA DE FINANZAS" in names
    assert "not UTF-8; read as cp1252" in warning(report, str(path))
    # Its RFC has a letter O where the date needs a zero: kept as written.
    assert "MX-RFC:TTVO711095D2" in parties(tmp_path)
    warning(report, "date part is not a date")


def test_nulls_in_early_releases_give_way_to_later_values(ocds: Path, tmp_path: Path) -> None:
    path = ocds / "release-package_encoding-iso-8859-1.json"
    raw = json.loads(path.read_bytes().decode("latin-1"))
    currencies = [r["awards"][0]["value"]["currency"] for r in raw["releases"]]
    assert currencies == [None, None, "MXN"]
    load([path], tmp_path)
    (supplier,) = [b for b in bids(tmp_path).values() if b["role"] == "supplier"]
    assert (supplier["currency"], str(supplier["award_amount"])) == ("MXN", "193817.35")
    assert supplier["award_status"] == "pending"


def test_non_standard_fields_are_ignored(ocds: Path, tmp_path: Path) -> None:
    path = ocds / "release-package-1.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert all("amountyear" in r["planning"]["budget"] for r in raw["releases"])
    report = load([path], tmp_path)
    assert report.rows_rejected == 0
    assert not [w for w in report.warnings if "amountyear" in w or "planning" in w]
    assert len(bids(tmp_path)) == 3


def test_a_record_with_linked_releases_uses_its_compiled_release(
    ocds: Path, tmp_path: Path
) -> None:
    path = ocds / "record-package_1.1.json"
    record = json.loads(path.read_text(encoding="utf-8"))["records"][0]
    assert all(set(r) == {"date", "tag", "url"} for r in record["releases"])
    load([path], tmp_path)
    assert [(b["role"], b["supplier_key"]) for b in bids(tmp_path).values()] == [
        ("supplier", "PY-RUC:80007525-0")
    ]


def test_a_record_with_only_linked_releases_gives_a_warning_and_no_rows(tmp_path: Path) -> None:
    linked = {"date": "2020-01-01T00:00:00Z", "tag": ["tender"], "url": "https://example.org/r/1"}
    records = {
        "uri": "https://example.org/records",
        "records": [
            {"ocid": "ocds-test-linked", "releases": [linked, dict(linked, tag=["award"])]}
        ],
    }
    report = load([write(tmp_path / "records.json", records)], tmp_path / "node")
    assert report.rows_read == 0
    assert "records.json row 1" in warning(report, "only linked releases")
    assert bids(tmp_path / "node") == {}


def test_a_contract_only_release_gives_a_warning_and_no_rows(ocds: Path, tmp_path: Path) -> None:
    report = load([ocds / "release-package_1.1-2.json"], tmp_path)
    assert report.rows_read == 0
    assert "release-package_1.1-2.json row 1" in warning(report, "neither tenderers nor awards")
    warning(report, "without a buyer")


# -- reading shapes --------------------------------------------------------------


def tender_release(ocid: str, supplier: str, rid: str = "1") -> dict[str, Any]:
    return release(
        ocid,
        rid,
        parties=[org("S", "Supplier", "GB-COH", supplier, ["supplier"])],
        awards=[{"id": "a1", "status": "active", "suppliers": [{"id": "S", "name": "Supplier"}]}],
    )


def test_documents_back_to_back_count_rows_across_documents(tmp_path: Path) -> None:
    first = package(tender_release("ocds-a-1", "01"), tender_release("ocds-a-2", "02"))
    second = package(tender_release("ocds-a-3", "03"), {"id": "no-ocid", "tag": ["tender"]})
    path = write(tmp_path / "two.json", first, second, sep="")
    report = load([path], tmp_path / "node")
    assert {b["ocid"] for b in bids(tmp_path / "node").values()} == {
        "ocds-a-1",
        "ocds-a-2",
        "ocds-a-3",
    }
    # The release without ocid is the 4th of the file, in the second document.
    assert [(r.row, r.field) for r in report.rejections] == [(4, "ocid")]


def test_json_lines_of_releases_records_and_packages(tmp_path: Path) -> None:
    lines = [
        tender_release("ocds-l-1", "01"),
        {"ocid": "ocds-l-2", "compiledRelease": tender_release("ocds-l-2", "02")},
        package(tender_release("ocds-l-3", "03")),
        # A bare record whose releases come before its ocid.
        {"releases": [tender_release("ocds-l-4", "04")], "ocid": "ocds-l-4"},
        dict(tender_release("ocds-l-1", "05", rid="2"), date="2024-04-01T00:00:00Z"),
        # A bare release without ocid: refused, under its line number.
        {"id": "no-ocid", "date": "2024-01-01T00:00:00Z", "tag": ["tender"]},
    ]
    path = write(tmp_path / "lines.jsonl", *lines)
    report = load([path], tmp_path / "node")
    got = bids(tmp_path / "node")
    assert sorted(b["ocid"] for b in got.values()) == [
        "ocds-l-1",
        "ocds-l-2",
        "ocds-l-3",
        "ocds-l-4",
    ]
    # ocds-l-1 lines 1 and 5 are one ocid: merged, the award's supplier replaced
    # by the later release's (same party id, new identifier).
    assert next(b for b in got.values() if b["ocid"] == "ocds-l-1")["supplier_key"] == "GB-COH:05"
    # One row per line: the bare record (line 4) counts once, not per release.
    assert [(r.row, r.field) for r in report.rejections] == [(6, "ocid")]
    assert not [w for w in report.warnings if "linked" in w]


def test_a_json_array_of_packages(tmp_path: Path) -> None:
    path = write(
        tmp_path / "array.json",
        [package(tender_release("ocds-r-1", "01")), package(tender_release("ocds-r-2", "02"))],
    )
    load([path], tmp_path / "node")
    assert len(bids(tmp_path / "node")) == 2


def test_releases_of_one_ocid_merge_in_date_order_across_files(tmp_path: Path) -> None:
    late = tender_release("ocds-d-1", "LATE", rid="2")
    late["date"] = "2024-06-01T00:00:00+08:00"  # 2024-05-31T16:00Z
    late["awards"][0]["value"] = {"amount": 1, "currency": "EURO"}
    early = tender_release("ocds-d-1", "EARLY", rid="1")
    early["date"] = "2024-05-31T20:00:00-06:00"  # 2024-06-01T02:00Z: the later one
    (tmp_path / "in").mkdir()
    write(tmp_path / "in" / "a.json", package(release("ocds-d-0"), early))
    write(tmp_path / "in" / "b.ndjson", package(late))
    report = load([tmp_path / "in"], tmp_path / "node")
    # Merged by date, not by file: a.json's release is the later one and wins
    # the supplier; b.ndjson's award value (not restated by a.json) stays.
    assert parties(tmp_path / "node").keys() == {"GB-COH:EARLY"}
    # The compiled ocid is reported under its first release in load order.
    assert [(Path(r.file).name, r.row, r.field) for r in report.rejections] == [
        ("a.json", 2, "currency")
    ]


def test_ocids_are_compared_exactly_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.json",
        package(tender_release("ocds-x-1", "01"), tender_release("OCDS-X-1", "01")),
    )
    load([path], tmp_path / "node")
    assert {b["ocid"] for b in bids(tmp_path / "node").values()} == {"ocds-x-1", "OCDS-X-1"}


def test_a_unit_straddling_the_staging_batches_is_merged_once(tmp_path: Path) -> None:
    # 999 one-release ocids, then 3 releases of one ocid at positions 1000-1002:
    # the scratch table is read 1000 rows at a time, so the unit is cut in two.
    filler = [tender_release(f"ocds-f-{i}", f"{i}") for i in range(999)]
    people = [
        org("T", "T", "GB-COH", "T1", ["tenderer"]),
        org("U", "U", "GB-COH", "U1", ["supplier"]),
    ]
    spread = [
        release("ocds-s", "1", parties=people, tender={"tenderers": [{"id": "T"}]}),
        release(
            "ocds-s",
            "2",
            date="2024-04-01T00:00:00Z",
            tender={"tenderPeriod": {"startDate": "2024-04-02T00:00:00Z"}},
        ),
        release(
            "ocds-s",
            "3",
            date="2024-05-01T00:00:00Z",
            awards=[{"id": "a", "suppliers": [{"id": "U"}]}],
        ),
    ]
    report = load([write(tmp_path / "big.json", package(*filler, *spread))], tmp_path / "node")
    got = [b for b in bids(tmp_path / "node").values() if b["ocid"] == "ocds-s"]
    # The supplier resolves through release 1's parties and dates from release 2.
    assert sorted((b["role"], b["supplier_key"], str(b["tender_date"])) for b in got) == [
        ("supplier", "GB-COH:U1", "2024-04-02"),
        ("tenderer", "GB-COH:T1", "2024-04-02"),
    ]
    assert report.tables["tender_bids"] == 999 + 2
    assert report.rows_rejected == 0
    assert not [w for w in report.warnings if "neither tenderers nor awards" in w]


def test_utf8_with_bom_and_latin1_with_n_tilde(tmp_path: Path) -> None:
    named = release(
        "ocds-e-1",
        tender={
            "tenderers": [{"name": "Diseño Peña SA", "identifier": {"scheme": "X-ID", "id": "1"}}]
        },
    )
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(package(named), ensure_ascii=False).encode())
    report = load([bom], tmp_path / "n1")
    assert not [w for w in report.warnings if "UTF-8" in w]
    latin = write(tmp_path / "latin.json", package(named), encoding="latin-1")
    report = load([latin], tmp_path / "n2")
    assert parties(tmp_path / "n2")["X-ID:1"]["name"] == "Diseño Peña SA"
    warning(report, "not UTF-8")


# -- unreadable files: reported, the others load (issue 23 items 11, 14) ---------

UNREADABLE = [
    ('{"releases": [{"ocid": "a", "id": 1},, ]}', "malformed JSON"),
    ('{"releases": [{"ocid": "a"', "malformed JSON"),
    ("[1, 2]", "not an OCDS package"),
    ('{"hello": "world"}', "not an OCDS package"),
    ("", "empty file"),
    ("[]", "an empty JSON array ([]): no package, record or release"),
    ("  \n", "no JSON value in the file"),
]


@pytest.mark.parametrize(("text", "message"), UNREADABLE)
def test_an_unreadable_file_alone_raises_and_nothing_is_written(
    tmp_path: Path, text: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    node = tmp_path / "node"
    with pytest.raises(InputError) as info:
        load_source("ocds", [bad], node)
    assert str(bad) in str(info.value) and message in str(info.value)
    assert bids(node) == {} and parties(node) == {}


@pytest.mark.parametrize(("text", "message"), UNREADABLE)
def test_an_unreadable_file_beside_readable_ones_is_a_file_level_rejection(
    ocds: Path, tmp_path: Path, text: str, message: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = folder / "collection_file.json"
    good.write_bytes((ocds / "collection_file.json").read_bytes())
    bad = folder / "bad.json"
    bad.write_text(text, encoding="utf-8")
    alone = load([good], tmp_path / "alone")
    report = load([folder], tmp_path / "node")
    assert bids(tmp_path / "node") == bids(tmp_path / "alone")
    assert parties(tmp_path / "node") == parties(tmp_path / "alone")
    file_level = [r for r in report.rejections if r.file == str(bad)]
    assert len(file_level) == 1 and file_level[0].row is None, report.rejections
    assert message in file_level[0].reason
    assert report.rows_rejected == alone.rows_rejected + 1
    assert str(bad) in report.files


def test_a_file_cut_off_after_whole_releases_loads_none_of_them(tmp_path: Path) -> None:
    """The releases read before a file's JSON broke are taken back: a file
    loads whole or not at all."""
    whole = json.dumps(package(release("ocds-cut-1", tender={"id": "t"})))
    cut = tmp_path / "cut.json"
    cut.write_text(whole[: whole.index("]}") + 1] + ', {"ocid": "ocds-cut-2"', encoding="utf-8")
    other = write(tmp_path / "ok.json", package(release("ocds-ok-1", tender={"id": "t"})))
    report = load([cut, other], tmp_path / "node")
    units = {r.file for r in report.rejections if r.row is None}
    assert units == {str(cut)}
    staged = load([other], tmp_path / "alone")
    assert report.rows_loaded == staged.rows_loaded
    assert bids(tmp_path / "node") == bids(tmp_path / "alone")


def test_only_unreadable_files_name_each_one(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.write_text("[]", encoding="utf-8")
    b = tmp_path / "b.json"
    b.write_text("{", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_source("ocds", [a, b], tmp_path / "node")
    text = str(info.value)
    assert "none of the 2 files is readable OCDS" in text
    assert str(a) in text and str(b) in text


# -- identifiers -----------------------------------------------------------------


def uscc_release(parties_: list[dict[str, Any]], suppliers: list[str], tenderers: list[str]) -> Any:
    return release(
        "ocds-cn-1",
        parties=parties_,
        buyer={"id": "B"},
        tender={"tenderers": [{"id": t} for t in tenderers]},
        awards=[{"id": 7, "status": "active", "suppliers": [{"id": s} for s in suppliers]}],
    )


def test_uscc_keys_invalid_codes_and_missing_identifiers(tmp_path: Path) -> None:
    assert uscc_error(VALID_USCC) is None
    bad = VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1")
    assert uscc_error(bad) is not None
    fullwidth_lower = "".join(chr(ord(c) + 0xFEE0) for c in VALID_USCC.lower())
    other = "91110000600037341" + uscc_check_char("91110000600037341")
    parties_ = [
        org("B", "甲市公共资源交易中心", "CN-USCC", fullwidth_lower, ["buyer"]),
        org("S1", "乙有限公司", "CN-USCC", bad, ["supplier"]),
        {"id": "S2", "name": "无名公司", "roles": ["tenderer"]},
        org("S3", "丙有限公司", None, f" {other.lower()} ", ["supplier", "tenderer"]),
        org("S4", "丙公司", "CN-ORG", other, ["tenderer"]),
        org("S5", "丁公司", "CN-ORG", "12345678-9", ["tenderer"]),
    ]
    path = write(
        tmp_path / "cn.json",
        package(uscc_release(parties_, ["S1", "S3"], ["S2", "S3", "S4", "S5"])),
    )
    report = load([path], tmp_path / "node")
    keys = parties(tmp_path / "node")
    assert set(keys) == {f"USCC:{VALID_USCC}", f"USCC:{other}", "CN-ORG:12345678-9"}
    assert keys[f"USCC:{other}"]["scheme"] == "USCC"
    rejected = {(r.row, r.field): r.reason for r in report.rejections}
    assert set(rejected) == {
        (1, "parties[1].identifier.id"),
        (1, "parties[2].identifier"),
        (1, "awards[0].suppliers[0]"),
        (1, "tender.tenderers[0]"),
        # S3 and S4 are one code, so as tenderers they are one bid, twice.
        (1, "bid_id"),
    }
    assert "check character" in rejected[(1, "parties[1].identifier.id")]
    assert "(see parties[1].identifier.id)" in rejected[(1, "awards[0].suppliers[0]")]
    assert "no party key is invented" in rejected[(1, "parties[2].identifier")]
    assert "no party key is invented" in rejected[(1, "tender.tenderers[0]")]
    assert rejected[(1, "bid_id")].startswith("duplicate key (bid_id)")
    got = bids(tmp_path / "node")
    assert {b["buyer_key"] for b in got.values()} == {f"USCC:{VALID_USCC}"}
    assert sorted((b["role"], b["supplier_key"], b["award_id"]) for b in got.values()) == [
        ("supplier", f"USCC:{other}", "7"),
        ("tenderer", "CN-ORG:12345678-9", None),
        ("tenderer", f"USCC:{other}", None),
    ]
    # S3 and S4 are one party, named by the first spelling (a tie).
    assert keys[f"USCC:{other}"]["name"] == "丙有限公司"
    assert f"USCC:{other} (2 spellings)" in warning(report, "more than one name")
    assert report.tables == {"tender_parties": 3, "tender_bids": 3}
    assert report.rows_rejected == len(rejected)


def test_names_shared_by_different_keys_are_flagged_not_merged(tmp_path: Path) -> None:
    a = org("A", "甲有限公司", "CN-USCC", VALID_USCC, ["tenderer"])
    other = "91110000600037341" + uscc_check_char("91110000600037341")
    b = org("B", "甲公司", "CN-USCC", other, ["tenderer"])
    rel = release("ocds-cn-2", parties=[a, b], tender={"tenderers": [{"id": "A"}, {"id": "B"}]})
    report = load([write(tmp_path / "p.json", package(rel))], tmp_path / "node")
    assert len(parties(tmp_path / "node")) == 2
    flagged = warning(report, "possible conflicts")
    assert f"USCC:{VALID_USCC} / USCC:{other}" in flagged and "甲" not in flagged


# -- bids --------------------------------------------------------------------------


def test_award_dates_amounts_statuses_and_tender_dates(tmp_path: Path) -> None:
    supplier = {"name": "S", "identifier": {"scheme": "GB-COH", "id": "1"}}
    releases = [
        release(
            "ocds-b-1",
            tender={
                "tenderPeriod": {"startDate": "2024-01-05T09:00:00-06:00"},
                "datePublished": "2023-12-01",
            },
            awards=[
                {
                    "id": "a1",
                    "date": "2024-02-01T23:30:00-06:00",
                    "status": "Active",
                    "value": {"amount": 10.125, "currency": "eur"},
                    "suppliers": [supplier],
                },
                {
                    "id": "a2",
                    "status": "withdrawn",
                    "value": {"amount": 10.135},
                    "suppliers": [supplier],
                },
                {"id": "a3", "value": {"amount": 3}, "suppliers": [supplier]},
            ],
            contracts=[
                {"id": "c1", "awardID": "a2", "dateSigned": "2024-03-09T00:00:00Z"},
                {"id": "c2", "awardID": "a2", "dateSigned": "2024-03-02T00:00:00Z"},
                {"id": "c3", "awardID": "a9", "dateSigned": "2024-01-01T00:00:00Z"},
            ],
        ),
        release(
            "ocds-b-2", tender={"datePublished": "2023-11-30T10:00:00Z", "tenderers": [supplier]}
        ),
        release("ocds-b-3", tender={"tenderers": [supplier]}),
    ]
    report = load([write(tmp_path / "p.json", package(*releases))], tmp_path / "node")
    got = {(b["ocid"], b["award_id"]): b for b in bids(tmp_path / "node").values()}
    a1, a2, a3 = (got[("ocds-b-1", a)] for a in ("a1", "a2", "a3"))
    assert str(a1["award_date"]) == "2024-02-01"  # as written, before the offset
    assert str(a2["award_date"]) == "2024-03-02"  # earliest dateSigned of its contracts
    assert str(a3["award_date"]) == "2024-03-01"  # the release date
    assert (str(a1["award_amount"]), a1["currency"], a1["award_status"]) == (
        "10.12",
        "EUR",
        "active",
    )
    assert (str(a2["award_amount"]), a2["currency"], a2["award_status"]) == ("10.14", None, None)
    assert str(a3["award_amount"]) == "3.00"
    assert {str(b["tender_date"]) for b in (a1, a2, a3)} == {"2024-01-05"}
    assert str(got[("ocds-b-2", None)]["tender_date"]) == "2023-11-30"
    # No tender date published: none, never the release's date (issue 23).
    assert got[("ocds-b-3", None)]["tender_date"] is None
    assert ": 1 (e.g." in warning(report, "bids without a usable date")
    assert "2" in warning(report, "rounded half-even")
    assert "withdrawn (1)" in warning(report, "award statuses other than")
    assert "2 award amount(s) have no currency" in warning(report, "have no currency")


def test_one_bad_row_of_a_release_does_not_take_its_siblings_down(tmp_path: Path) -> None:
    supplier = {"name": "S", "identifier": {"scheme": "GB-COH", "id": "1"}}
    other = {"name": "T", "identifier": {"scheme": "GB-COH", "id": "2"}}
    rel = release(
        "ocds-r-1",
        awards=[
            {"id": "a1", "value": {"amount": 5, "currency": "EURO"}, "suppliers": [supplier]},
            {
                "id": "a2",
                "value": {"amount": 5, "currency": "EUR"},
                "suppliers": [supplier, other, supplier],
            },
            {"suppliers": [supplier]},
        ],
    )
    report = load(
        [write(tmp_path / "p.json", package(release("ocds-r-0"), rel))], tmp_path / "node"
    )
    # a2's two distinct suppliers load although a1 (same release) is refused.
    assert sorted(b["award_id"] for b in bids(tmp_path / "node").values()) == ["a2", "a2"]
    assert sorted((r.row, r.field) for r in report.rejections) == [
        (2, "awards[2].id"),
        (2, "bid_id"),
        (2, "currency"),
    ]
    dup = next(r for r in report.rejections if r.field == "bid_id")
    assert dup.reason == f"duplicate key (bid_id) of {tmp_path / 'p.json'} row 2"
    warning(report, "neither tenderers nor awards")


def test_replace_and_repeated_loads(ocds: Path, tmp_path: Path) -> None:
    path = ocds / "ocds-213czf-000-00001.json"
    first = load([path], tmp_path)
    again = load([path], tmp_path)
    assert again.rows_loaded == 0
    # Parties already known are merged; bids already loaded are refused.
    assert first.rows_merged == 0
    assert again.rows_merged == first.tables["tender_parties"] == 3
    assert {r.reason for r in again.rejections} == {"key (bid_id) already loaded"}
    replaced = load([path], tmp_path, replace=True)
    assert replaced.tables == first.tables and replaced.rows_rejected == 0


def test_a_rate_table_silences_the_currency_warning(ocds: Path, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,base_currency,rate\nGBP,CNY,9.1\n", encoding="utf-8")
    load_source("csv", [rates], tmp_path / "node")
    report = load([ocds / "ocds-213czf-000-00001.json"], tmp_path / "node")
    assert not [w for w in report.warnings if "no rate" in w]
    report = load([ocds / "record-package_1.1.json"], tmp_path / "node")
    assert "PYG" in warning(report, "no rate")


# -- the merge routine --------------------------------------------------------------


def test_merge_objects_key_by_key_and_later_values_win() -> None:
    compiled = merge_releases(
        [
            {
                "ocid": "o",
                "id": "1",
                "tag": ["tender"],
                "tender": {"title": "a", "status": "active"},
            },
            {"ocid": "o", "id": "2", "tag": ["award"], "tender": {"status": "complete"}},
        ]
    )
    assert compiled == {
        "ocid": "o",
        "id": "2",
        "tag": ["compiled"],
        "tender": {"title": "a", "status": "complete"},
    }


def test_merge_explicit_null_removes_a_field() -> None:
    compiled = merge_releases(
        [{"tender": {"title": "a", "value": {"amount": 1}}}, {"tender": {"value": None}}]
    )
    assert compiled["tender"] == {"title": "a"}
    assert merge_releases([{"buyer": {"id": "b", "name": None}}])["buyer"] == {"id": "b"}


def test_merge_arrays_of_objects_by_id_and_replace_other_arrays() -> None:
    compiled = merge_releases(
        [
            {
                "awards": [{"id": "1", "status": "pending"}, {"id": "2", "status": "pending"}],
                "contracts": [{"id": 991324, "title": "x"}],
                "tender": {"submissionMethod": ["written"], "items": [{"description": "no id"}]},
            },
            {
                "awards": [{"id": "1", "status": "active"}, {"id": "3", "status": "pending"}],
                "contracts": [{"id": "991324", "status": "active"}],
                "tender": {"submissionMethod": [None], "items": [{"description": "new"}]},
            },
        ]
    )
    assert compiled["awards"] == [
        {"id": "1", "status": "active"},
        {"id": "2", "status": "pending"},
        {"id": "3", "status": "pending"},
    ]
    # 991324 and "991324" are one contract; the later id text wins, like any value.
    assert compiled["contracts"] == [{"id": "991324", "title": "x", "status": "active"}]
    assert compiled["tender"] == {"submissionMethod": [None], "items": [{"description": "new"}]}


def test_merge_does_not_alias_its_inputs() -> None:
    first = {"tender": {"tenderers": [{"id": "a", "name": "A"}]}}
    compiled = merge_releases([first])
    compiled["tender"]["tenderers"][0]["name"] = "changed"
    assert first["tender"]["tenderers"][0]["name"] == "A"


def test_release_sort_key_orders_across_offsets() -> None:
    dates = ["2024-06-01T00:00:00+08:00", "2024-05-31T20:00:00-06:00", "2024-05-31", None]
    assert sorted(dates, key=release_sort_key) == [
        None,
        "2024-05-31",
        "2024-06-01T00:00:00+08:00",
        "2024-05-31T20:00:00-06:00",
    ]
