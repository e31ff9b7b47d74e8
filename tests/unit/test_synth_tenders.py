"""The synthetic tender generator: valid codes, sound releases, a realistic bank batch.

Every bid-quick-loan demo and benchmark reads these files, so a silent
regression (an invalid code, a supplier who never bid, a lost invalid
applicant, a spelling variant that no longer happens) would make later tests
pass or fail for the wrong reason.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
import unicodedata
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.identifiers import normalise_uscc, uscc_error
from trusted_space.synth import TenderSynthSummary, generate_tenders
from trusted_space.synth.tenders import (
    APPLICANTS_FILE,
    AWARD_STATUSES,
    CENTRES,
    LEGAL_FORMS,
    REGIONS,
    RELEASES_PER_FILE,
    _population,
    _streams,
)

END = date(2026, 10, 31)
WINDOW_START = date(2020, 11, 1)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
USCC_ID = re.compile(r"^CN-USCC-([0-9A-Z]{18})$")
Release = dict[str, Any]


def _releases(summary: TenderSynthSummary) -> dict[str, list[Release]]:
    out: dict[str, list[Release]] = {}
    for folder, paths in summary.files.items():
        out[folder] = []
        for path in paths:
            out[folder].extend(json.loads(path.read_text(encoding="utf-8"))["releases"])
    return out


def _applicant_rows(summary: TenderSynthSummary) -> list[dict[str, str]]:
    with open(summary.applicants_path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _when(value: str) -> datetime:
    assert ISO.fullmatch(value), value
    return datetime.fromisoformat(value)


def _bidders(releases: list[Release]) -> set[str]:
    return {t["id"] for r in releases for t in r["tender"]["tenderers"]}


def _canonical(name: str) -> str:
    """What a cleaner should make of a name: half-width, no spaces, no legal form."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    for form in sorted(LEGAL_FORMS, key=len, reverse=True):
        if text.endswith(form):
            return text[: -len(form)]
    return text


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> TenderSynthSummary:
    return generate_tenders(1500, 11, tmp_path_factory.mktemp("tenders_small"))


@pytest.fixture(scope="module")
def releases(small: TenderSynthSummary) -> dict[str, list[Release]]:
    return _releases(small)


def test_smoke_run_is_quick_and_reports_progress(tmp_path: Path) -> None:
    stages: list[tuple[str, int, int]] = []
    started = time.perf_counter()
    summary = generate_tenders(
        200, 1, tmp_path, progress=lambda s, done, total: stages.append((s, done, total))
    )
    assert time.perf_counter() - started < 5
    assert sorted(p.name for p in tmp_path.iterdir()) == [APPLICANTS_FILE, "centre_a", "centre_b"]
    assert summary.centres == ("centre_a", "centre_b")
    assert {s for s, _, _ in stages} == {"companies", "centre_a", "centre_b", "bank_applicants"}
    for folder in summary.centres:
        assert (folder, summary.releases[folder], summary.releases[folder]) in stages
    assert summary.applicants == 200  # min(500, companies)
    assert len(_applicant_rows(summary)) == 200


def test_population_codes_are_valid_unique_and_regional() -> None:
    population = _population(_streams(3, 2)[0], 100_000, 2)
    codes = [row.tobytes().decode("ascii") for row in population.chars]
    assert len(set(codes)) == len(codes)
    assert [c for c in codes if uscc_error(c) is not None] == []
    regions = {code for code, _, _ in REGIONS}
    assert all(c[:2] == "91" and c[2:8] in regions for c in codes)
    assert any(c[8:10] == "MA" for c in codes) and any(c[8:17].isdigit() for c in codes)
    # Names are unique even without their legal form, or dropping it would merge firms.
    assert len({_canonical(n) for n in population.names}) == len(codes)


def test_every_party_code_is_valid_and_names_one_organisation(
    releases: dict[str, list[Release]],
) -> None:
    buyer_centre: dict[str, str] = {}
    for folder, items in releases.items():
        for r in items:
            for party in r["parties"]:
                code = USCC_ID.fullmatch(party["id"])
                assert code, party["id"]
                ident = party["identifier"]
                assert ident["scheme"] == "CN-USCC"
                assert ident["id"] == code.group(1)
                assert ident["legalName"] == party["name"]
                assert uscc_error(ident["id"]) is None, ident["id"]
                if party["roles"] == ["buyer"]:
                    assert ident["id"][:2] in {"11", "12"}  # government organ, institution
                    assert buyer_centre.setdefault(ident["id"], folder) == folder
                else:
                    assert ident["id"][:2] == "91"
    assert 40 <= sum(f == "centre_a" for f in buyer_centre.values()) <= 50


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    def files(summary: TenderSynthSummary) -> dict[str, bytes]:
        root = summary.out_dir
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    a = files(generate_tenders(300, 7, tmp_path / "a"))
    b = files(generate_tenders(300, 7, tmp_path / "b"))
    c = files(generate_tenders(300, 8, tmp_path / "c"))
    d = files(generate_tenders(300, 7, tmp_path / "d", applicants=120))
    assert a == b
    shared = a.keys() & c.keys()  # the number of files may differ by seed
    assert {APPLICANTS_FILE, "centre_a/releases-0001.json", "centre_b/releases-0001.json"} <= shared
    for name in shared:
        assert a[name] != c[name], name
    # The batch draws from its own stream: the centres' files do not move.
    assert {k: v for k, v in a.items() if k != APPLICANTS_FILE} == {
        k: v for k, v in d.items() if k != APPLICANTS_FILE
    }
    assert a[APPLICANTS_FILE] != d[APPLICANTS_FILE]


def test_packages_are_ocds_release_packages_of_bounded_size(
    small: TenderSynthSummary, releases: dict[str, list[Release]]
) -> None:
    for k, folder in enumerate(small.centres):
        paths = small.files[folder]
        assert [p.name for p in paths] == [
            f"releases-{i:04d}.json" for i in range(1, len(paths) + 1)
        ]
        assert len(paths) == math.ceil(small.releases[folder] / RELEASES_PER_FILE) >= 2
        assert len(releases[folder]) == small.releases[folder]
        for path in paths:
            text = path.read_text(encoding="utf-8")
            assert "\\u" not in text and CENTRES[k].city in text  # UTF-8, not escaped
            package = json.loads(text)
            assert package["version"] == "1.1"
            assert package["uri"].endswith(path.name)
            assert package["publisher"]["name"] == CENTRES[k].publisher
            _when(package["publishedDate"])
            assert 0 < len(package["releases"]) <= RELEASES_PER_FILE
            # Amounts carry exactly two decimals, as money should.
            amounts = re.findall(r'"amount":([0-9.]+),', text)
            assert len(amounts) == sum(len(r["awards"]) for r in package["releases"])
            assert all(re.fullmatch(r"[1-9][0-9]*\.[0-9]{2}", a) for a in amounts)


def test_every_release_is_well_formed(releases: dict[str, list[Release]]) -> None:
    ocids: set[str] = set()
    for k, items in enumerate(releases.values()):
        prefix = CENTRES[k].ocid_prefix + "-"
        for r in items:
            assert r["ocid"].startswith(prefix) and r["ocid"] not in ocids
            ocids.add(r["ocid"])
            assert r["id"] and r["tag"] == ["tender", "award"]
            assert r["initiationType"] == "tender"
            parties = {p["id"]: p for p in r["parties"]}
            assert len(parties) == len(r["parties"])
            assert parties[r["buyer"]["id"]]["roles"] == ["buyer"]
            assert parties[r["buyer"]["id"]]["name"] == r["buyer"]["name"]

            tender = r["tender"]
            tenderers = {t["id"]: t["name"] for t in tender["tenderers"]}
            assert 3 <= len(tenderers) == len(tender["tenderers"]) <= 8
            assert tender["numberOfTenderers"] == len(tenderers)
            assert set(parties) == set(tenderers) | {r["buyer"]["id"]}
            assert all(parties[t]["name"] == n for t, n in tenderers.items())
            assert tender["title"].startswith(r["buyer"]["name"])

            assert 1 <= len(r["awards"]) <= 2
            suppliers: set[str] = set()
            for award in r["awards"]:
                assert award["id"].startswith(r["ocid"])
                assert award["status"] in AWARD_STATUSES
                assert award["value"]["currency"] == "CNY"
                assert 10_000 <= award["value"]["amount"] <= 50_000_000
                named = {s["id"] for s in award["suppliers"]}
                assert len(named) == (0 if award["status"] == "unsuccessful" else 1)
                assert named <= set(tenderers)
                assert all(tenderers[s["id"]] == s["name"] for s in award["suppliers"])
                suppliers |= named
            for t in tenderers:
                expected = ["tenderer", "supplier"] if t in suppliers else ["tenderer"]
                assert parties[t]["roles"] == expected
            statuses = {a["status"] for a in r["awards"]}
            assert tender["status"] == (
                "complete"
                if "active" in statuses
                else "active"
                if "pending" in statuses
                else "unsuccessful"
                if statuses == {"unsuccessful"}
                else "cancelled"
            )


def test_dates_lie_in_the_window_and_follow_the_procedure(
    releases: dict[str, list[Release]],
) -> None:
    for items in releases.values():
        previous = WINDOW_START
        for r in items:
            start = _when(r["tender"]["tenderPeriod"]["startDate"])
            end = _when(r["tender"]["tenderPeriod"]["endDate"])
            awarded = [_when(a["date"]) for a in r["awards"]]
            assert start.date() >= WINDOW_START and max(awarded).date() <= END
            assert end - start >= timedelta(days=19, hours=15)  # 20 days, opening at 09:30
            assert all(a > end for a in awarded)
            assert _when(r["date"]) == max(awarded)
            assert start.date() >= previous  # ocids follow the announcements
            previous = start.date()


def test_shares_of_statuses_lots_and_amounts(releases: dict[str, list[Release]]) -> None:
    awards = [a for items in releases.values() for r in items for a in r["awards"]]
    share = {s: sum(a["status"] == s for a in awards) / len(awards) for s in AWARD_STATUSES}
    assert share["active"] > 0.85
    assert all(share[s] > 0 for s in AWARD_STATUSES)
    amounts = sorted(a["value"]["amount"] for a in awards)
    assert 150_000 < amounts[len(amounts) // 2] < 1_000_000
    every = [r for items in releases.values() for r in items]
    two_lots = sum(len(r["awards"]) == 2 for r in every) / len(every)
    assert 0.08 < two_lots < 0.16


def test_activity_is_skewed(releases: dict[str, list[Release]]) -> None:
    bids: dict[str, int] = defaultdict(int)
    for items in releases.values():
        for r in items:
            for t in r["tender"]["tenderers"]:
                bids[t["id"]] += 1
    counts = sorted(bids.values(), reverse=True)
    top_tenth = sum(counts[: len(counts) // 10]) / sum(counts)
    assert top_tenth > 0.4
    assert counts[len(counts) // 2] < sum(counts) / len(counts) / 2  # median well below mean


def test_some_companies_bid_at_both_centres(
    small: TenderSynthSummary, releases: dict[str, list[Release]], tmp_path: Path
) -> None:
    a, b = (_bidders(releases[f]) for f in small.centres)
    both = a & b
    assert len(both) == small.company_mix["multi_centre"]
    assert 0.10 < len(both) / len(a | b) < 0.25
    assert len(a | b) == small.company_mix["active"]
    single = generate_tenders(200, 1, tmp_path, centres=1)
    assert single.centres == ("centre_a",)
    assert single.company_mix["multi_centre"] == 0


def test_one_company_two_spellings(
    small: TenderSynthSummary, releases: dict[str, list[Release]]
) -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for items in releases.values():
        for r in items:
            for t in r["tender"]["tenderers"]:
                names[t["id"]].add(t["name"])
    twice = {code: spelt for code, spelt in names.items() if len(spelt) > 1}
    assert len(twice) == small.company_mix["two_spellings"] > 0
    assert all(len(spelt) == 2 for spelt in twice.values())
    # The variants are the ones cleaning must undo, and undoing them is enough.
    assert all(len({_canonical(n) for n in spelt}) == 1 for spelt in twice.values())
    canonical = {_canonical(next(iter(spelt))) for spelt in names.values()}
    assert len(canonical) == len(names)
    variants = [n for spelt in twice.values() for n in spelt]
    assert any(re.search(r"[Ａ-Ｚ０-９]", n) for n in variants)  # full-width letters
    assert any("(" in n for n in variants) and any("（" in n for n in variants)
    assert any(n != n.strip() or " " in n or "\u3000" in n for n in variants)
    assert any(not n.endswith(LEGAL_FORMS) for n in variants)


def test_bank_applicants_mix(small: TenderSynthSummary, releases: dict[str, list[Release]]) -> None:
    rows = _applicant_rows(small)
    assert list(rows[0]) == ["company_ref", "company_id"]
    refs = [r["company_ref"] for r in rows]
    assert len(refs) == len(set(refs)) == 500
    assert refs[0] == "LOAN000001"
    assert all(re.fullmatch(r"LOAN[0-9]{6}", ref) for ref in refs)
    mix = small.applicant_mix
    raw = [r["company_id"] for r in rows]

    other = [v for v in raw if re.fullmatch(r"[A-Z]{2}-[A-Z]{3}:[0-9]+", v)]
    assert len(other) == mix["other_scheme"] == 2
    assert not any(v.startswith("CN-") for v in other)
    codes = [v for v in raw if v not in other]
    errors = {v: uscc_error(normalise_uscc(v)) for v in codes}
    invalid = [e for e in errors.values() if e is not None]
    assert len(invalid) == mix["invalid"] == 5
    assert any(e.startswith("wrong length") for e in invalid)
    assert any(e.startswith("check character") for e in invalid)
    assert any("not allowed" in e for e in invalid)

    valid = [v for v, e in errors.items() if e is None]
    assert any(v != v.upper() for v in valid)  # lower case
    assert any(" " in v for v in valid)
    assert sum(v != normalise_uscc(v) for v in valid) == mix["reformatted"] == 10
    normalised = {normalise_uscc(v) for v in valid}
    assert len(normalised) == len(valid)  # nobody applies twice

    population = _population(_streams(small.seed, 2)[0], small.companies, 2)
    known = {row.tobytes().decode("ascii") for row in population.chars}
    outsiders = normalised - known
    assert len(outsiders) == mix["outsiders"] == 25
    a, b = (
        {USCC_ID.fullmatch(c).group(1) for c in _bidders(releases[f])}  # type: ignore[union-attr]
        for f in small.centres
    )
    assert not outsiders & (a | b)
    members = normalised & known
    assert len(members) == mix["in_population"]
    assert len(members & a & b) == mix["multi_centre"] > 0
    assert len(members - a - b) == mix["never_bid"] > 0
    assert len(members & (a ^ b)) == mix["one_centre"] > len(members) / 3


@pytest.mark.parametrize(("count", "invalid"), [(0, 0), (49, 0), (50, 1), (150, 2)])
def test_invalid_applicant_count(tmp_path: Path, count: int, invalid: int) -> None:
    summary = generate_tenders(300, 2, tmp_path, applicants=count)
    raw = [r["company_id"] for r in _applicant_rows(summary)]
    assert len(raw) == count
    codes = [v for v in raw if ":" not in v]
    assert sum(uscc_error(normalise_uscc(v)) is not None for v in codes) == invalid


def test_stale_release_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "centre_a").mkdir()
    stale = tmp_path / "centre_a" / "releases-0099.json"
    stale.write_text("{}", encoding="utf-8")
    notes = tmp_path / "centre_a" / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    generate_tenders(200, 1, tmp_path)
    assert not stale.exists()
    assert notes.exists()
    assert not list(tmp_path.rglob(".*.tmp"))


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="applicants"):
        generate_tenders(200, 1, tmp_path, applicants=400)
    with pytest.raises(ValueError, match="companies"):
        generate_tenders(99, 1, tmp_path)
    with pytest.raises(ValueError, match="centres"):
        generate_tenders(1000, 1, tmp_path, centres=len(CENTRES) + 1)
    with pytest.raises(ValueError, match="centres"):
        generate_tenders(1000, 1, tmp_path, centres=0)
