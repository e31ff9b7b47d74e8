"""The synthetic health generator: valid ids, sane records, a realistic batch.

The generator feeds every demo and benchmark, so a silent regression (an
invalid id, a discharge before admission, a lost invalid applicant) would make
later tests pass or fail for the wrong reason.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from connectors.base import load_source
from connectors.identifiers import (
    normalise_resident_id,
    resident_id_check_char,
    resident_id_error,
)
from trusted_space.synth import HealthSynthSummary, generate_health
from trusted_space.synth.health import (
    ALL_CODES,
    CONDITIONS,
    FILES,
    SEQ_OUTSIDERS,
    SEQ_POPULATION,
    _draw_people,
    _population,
    _streams,
)

END = date(2026, 10, 31)
WINDOW_START = date(2020, 11, 1)
CHRONIC = re.compile(r"^(E1[0-4]|I1[0-5]|C[0-9]|N18|J44)")
MONEY = re.compile(r"^[0-9]+\.[0-9]{2}$")
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _birth(person_id: str) -> date:
    return date(int(person_id[6:10]), int(person_id[10:12]), int(person_id[12:14]))


def _age(person_id: str, on: date) -> int:
    born = _birth(person_id)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _iso(value: str) -> date:
    return date.fromisoformat(value)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> HealthSynthSummary:
    return generate_health(2000, 11, tmp_path_factory.mktemp("synth_small"))


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> HealthSynthSummary:
    return generate_health(20_000, 5, tmp_path_factory.mktemp("synth_medium"))


def test_smoke_run_writes_every_file_with_the_counted_rows(tmp_path: Path) -> None:
    stages: list[tuple[str, int, int]] = []
    summary = generate_health(
        2000, 1, tmp_path, progress=lambda s, done, total: stages.append((s, done, total))
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{f}.csv" for f in FILES)
    for name in FILES:
        with open(summary.paths[name], encoding="utf-8") as fh:
            assert sum(1 for _ in fh) - 1 == summary.rows[name], name
    assert summary.rows["applicants"] == 1000
    assert summary.rows["hospital_visits"] > 2000
    assert {s for s, _, _ in stages} == {"people", "hospital_visits", "cdc", "applicants"}
    assert ("hospital_visits", 2000, 2000) in stages


def test_headers_are_canonical_and_unquoted(small: HealthSynthSummary) -> None:
    first_lines = {n: small.paths[n].read_text(encoding="utf-8").split("\n", 1)[0] for n in FILES}
    assert first_lines == {
        "hospital_visits": "person_id,visit_id,hospital_id,visit_date,visit_type,"
        "discharge_date,icd10,total_cost",
        "cdc_case_reports": "person_id,report_id,report_date,disease_icd10,case_status",
        "cdc_chronic_registry": "person_id,condition,registered_date",
        "applicants": "applicant_ref,person_id",
    }
    assert '"' not in small.paths["hospital_visits"].read_text(encoding="utf-8")


def test_drawn_ids_are_valid_unique_and_match_sex_and_age() -> None:
    # 300k people in ~2M (region, birthday, sex) cells collide thousands of
    # times before the sequence numbers separate them.
    end_day = (END - date(1970, 1, 1)).days
    people = _draw_people(_streams(3)[0], 300_000, end_day, SEQ_POPULATION)
    ids = [row.tobytes().decode("ascii") for row in people.chars]
    assert len(set(ids)) == len(ids)
    sample = np.random.default_rng(0).choice(len(ids), 5000, replace=False)
    for i in sample.tolist():
        pid = ids[i]
        assert resident_id_error(pid) is None, pid
        assert pid[17] == resident_id_check_char(pid[:17])
        assert (int(pid[16]) % 2 == 1) == bool(people.male[i])
        assert 0 <= _age(pid, END) <= 95
        assert 0 <= (int(pid[14:17]) - 1) // 2 < SEQ_POPULATION[1]
    check_x = sum(pid[17] == "X" for pid in ids) / len(ids)
    assert 0.07 < check_x < 0.11  # one check value in eleven


def test_outsiders_never_collide_with_residents() -> None:
    end_day = (END - date(1970, 1, 1)).days
    outsiders = _draw_people(_streams(3)[3], 20_000, end_day, SEQ_OUTSIDERS)
    slots = [(int(r[14:17].tobytes()) - 1) // 2 for r in outsiders.chars]
    assert min(slots) >= SEQ_OUTSIDERS[0]
    assert max(slots) < SEQ_OUTSIDERS[1]


def test_every_record_id_is_valid(small: HealthSynthSummary) -> None:
    seen: set[str] = set()
    for name in ("hospital_visits", "cdc_case_reports", "cdc_chronic_registry"):
        seen |= {r["person_id"] for r in _rows(small.paths[name])}
    bad = {pid: resident_id_error(pid) for pid in seen if resident_id_error(pid) is not None}
    assert bad == {}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate_health(2000, 7, tmp_path / "a")
    b = generate_health(2000, 7, tmp_path / "b")
    c = generate_health(2000, 8, tmp_path / "c")
    d = generate_health(2000, 7, tmp_path / "d", applicants=300)
    for name in FILES:
        assert a.paths[name].read_bytes() == b.paths[name].read_bytes(), name
        assert a.paths[name].read_bytes() != c.paths[name].read_bytes(), name
    # The batch size draws from its own stream: the providers' files do not move.
    for name in ("hospital_visits", "cdc_case_reports", "cdc_chronic_registry"):
        assert a.paths[name].read_bytes() == d.paths[name].read_bytes(), name
    assert a.paths["applicants"].read_bytes() != d.paths["applicants"].read_bytes()


def test_applicants_mix_residents_outsiders_and_invalid_ids(small: HealthSynthSummary) -> None:
    rows = _rows(small.paths["applicants"])
    refs = [r["applicant_ref"] for r in rows]
    assert len(refs) == 1000
    assert refs[0] == "APP000001"
    assert len(set(refs)) == len(refs)
    assert all(re.fullmatch(r"APP[0-9]{6}", ref) for ref in refs)

    raw = [r["person_id"] for r in rows]
    errors = [resident_id_error(normalise_resident_id(v)) for v in raw]
    invalid = [e for e in errors if e is not None]
    assert len(invalid) == small.applicant_mix["invalid"] == 10
    assert any(e.startswith("wrong length") for e in invalid)
    assert any(e.startswith("impossible birth date") for e in invalid)
    assert any(e.startswith("check character") for e in invalid)

    valid = [v for v, e in zip(raw, errors, strict=True) if e is None]
    assert any(v.endswith("x") for v in valid)
    assert any(v != v.strip() for v in valid)
    normalised = {normalise_resident_id(v) for v in valid}
    assert len(normalised) == len(valid)  # no person applies twice

    # Every resident with records is found in the records, and no outsider is.
    with_records: set[str] = set()
    for name in ("hospital_visits", "cdc_case_reports", "cdc_chronic_registry"):
        with_records |= {r["person_id"] for r in _rows(small.paths[name])}
    mix = small.applicant_mix
    assert len(normalised & with_records) == mix["with_records"]
    assert 0 < mix["with_records"] < mix["in_population"]
    assert mix["in_population"] + mix["outsiders"] + mix["invalid"] == 1000
    assert mix["outsiders"] == 50


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_of_200_has_a_lower_case_x(tmp_path: Path, seed: int) -> None:
    summary = generate_health(200, seed, tmp_path, applicants=200)
    raw = [r["person_id"] for r in _rows(summary.paths["applicants"])]
    assert any(v.endswith("x") and resident_id_error(normalise_resident_id(v)) is None for v in raw)
    assert summary.applicant_mix["invalid"] == 2


@pytest.mark.parametrize(("count", "invalid"), [(0, 0), (49, 0), (50, 1), (150, 2)])
def test_invalid_applicant_count(tmp_path: Path, count: int, invalid: int) -> None:
    summary = generate_health(300, 2, tmp_path, applicants=count)
    raw = [r["person_id"] for r in _rows(summary.paths["applicants"])]
    assert len(raw) == count
    assert sum(resident_id_error(normalise_resident_id(v)) is not None for v in raw) == invalid


def test_too_many_applicants_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="applicants"):
        generate_health(100, 1, tmp_path, applicants=500)
    with pytest.raises(ValueError, match="people"):
        generate_health(0, 1, tmp_path)


def test_hospital_visits_are_well_formed(small: HealthSynthSummary) -> None:
    rows = _rows(small.paths["hospital_visits"])
    assert len({r["visit_id"] for r in rows}) == len(rows)
    types = Counter(r["visit_type"] for r in rows)
    assert set(types) == {"outpatient", "inpatient", "emergency"}
    open_stays = 0
    for r in rows:
        visit = _iso(r["visit_date"])
        assert WINDOW_START <= visit <= END
        assert visit >= _birth(r["person_id"])
        assert re.fullmatch(r"H[0-9]{9}", r["hospital_id"])
        assert ICD10.fullmatch(r["icd10"]), r["icd10"]
        assert MONEY.fullmatch(r["total_cost"]), r["total_cost"]
        if r["visit_type"] != "inpatient":
            assert r["discharge_date"] == ""
        elif r["discharge_date"] == "":
            open_stays += 1
            assert (END - visit).days < 30
        else:
            stay = (_iso(r["discharge_date"]) - visit).days
            assert 1 <= stay <= 30
            assert _iso(r["discharge_date"]) <= END
        if r["icd10"].startswith(("O", "Z34")):
            assert int(r["person_id"][16]) % 2 == 0
            assert 18 <= _age(r["person_id"], visit) <= 45
    assert types["inpatient"] > open_stays


def test_costs_follow_the_visit_type(small: HealthSynthSummary) -> None:
    costs: dict[str, list[float]] = {"outpatient": [], "emergency": [], "inpatient": []}
    for r in _rows(small.paths["hospital_visits"]):
        costs[r["visit_type"]].append(float(r["total_cost"]))
    median = {k: float(np.median(v)) for k, v in costs.items()}
    assert 200 < median["outpatient"] < 800
    assert 1000 < median["emergency"] < 3000
    assert 8000 < median["inpatient"] < 60_000


def test_cdc_files_are_well_formed(small: HealthSynthSummary) -> None:
    reports = _rows(small.paths["cdc_case_reports"])
    assert reports
    assert len({r["report_id"] for r in reports}) == len(reports)
    assert {r["case_status"] for r in reports} <= {"confirmed", "probable", "suspected"}
    for r in reports:
        assert WINDOW_START <= _iso(r["report_date"]) <= END
        assert _iso(r["report_date"]) >= _birth(r["person_id"])
        assert r["disease_icd10"] in ALL_CODES

    registry = _rows(small.paths["cdc_chronic_registry"])
    assert registry
    keys = [(r["person_id"], r["condition"]) for r in registry]
    assert len(set(keys)) == len(keys)
    assert {r["condition"] for r in registry} <= set(CONDITIONS)
    for r in registry:
        assert _birth(r["person_id"]) <= _iso(r["registered_date"]) <= END


def test_chronic_diagnoses_rise_with_age(medium: HealthSynthSummary) -> None:
    chronic = {"young": [0, 0], "old": [0, 0]}
    for r in _rows(medium.paths["hospital_visits"]):
        age = _age(r["person_id"], _iso(r["visit_date"]))
        group = "young" if age < 30 else "old" if age >= 60 else None
        if group:
            chronic[group][0] += bool(CHRONIC.match(r["icd10"]))
            chronic[group][1] += 1
    young = chronic["young"][0] / chronic["young"][1]
    old = chronic["old"][0] / chronic["old"][1]
    assert old > 0.15
    assert old > 5 * young


def test_registry_agrees_with_hospital_diagnoses(medium: HealthSynthSummary) -> None:
    diagnosed: dict[str, set[str]] = {}
    for r in _rows(medium.paths["hospital_visits"]):
        diagnosed.setdefault(r["person_id"], set()).add(r["icd10"][:3])
    hypertensive = {"I10", "I11"}
    registered = [
        r["person_id"]
        for r in _rows(medium.paths["cdc_chronic_registry"])
        if r["condition"] == "hypertension" and r["person_id"] in diagnosed
    ]
    agree = sum(bool(diagnosed[p] & hypertensive) for p in registered) / len(registered)
    everyone = sum(bool(d & hypertensive) for d in diagnosed.values()) / len(diagnosed)
    assert agree > 0.7
    assert agree > 4 * everyone


def test_population_shares(medium: HealthSynthSummary) -> None:
    n = medium.people
    visits = _rows(medium.paths["hospital_visits"])
    reports = _rows(medium.paths["cdc_case_reports"])
    registry = _rows(medium.paths["cdc_chronic_registry"])
    with_visits = {r["person_id"] for r in visits}
    assert 0.25 < 1 - len(with_visits) / n < 0.35
    types = Counter(r["visit_type"] for r in visits)
    assert 0.80 < types["outpatient"] / len(visits) < 0.90
    assert 0.05 < types["emergency"] / len(visits) < 0.11
    assert 0.04 < types["inpatient"] / len(visits) < 0.10
    assert 0.02 < len({r["person_id"] for r in reports}) / n < 0.045
    with_cdc = {r["person_id"] for r in reports} | {r["person_id"] for r in registry}
    assert len(with_cdc) / n < 0.2

    end_day = (medium.end_date - date(1970, 1, 1)).days
    people, _ = _population(_streams(medium.seed)[0], n, end_day)
    over_50 = {
        row.tobytes().decode("ascii")
        for row in people.chars
        if _age(row.tobytes().decode("ascii"), medium.end_date) >= 50
    }
    registered_over_50 = {r["person_id"] for r in registry} & over_50
    assert 0.10 < len(registered_over_50) / len(over_50) < 0.20

    inpatient_by_age = {"18-44": [0, 0], "75+": [0, 0]}
    for r in visits:
        age = _age(r["person_id"], _iso(r["visit_date"]))
        group = "18-44" if 18 <= age < 45 else "75+" if age >= 75 else None
        if group:
            inpatient_by_age[group][0] += r["visit_type"] == "inpatient"
            inpatient_by_age[group][1] += 1
    share = {k: a / b for k, (a, b) in inpatient_by_age.items()}
    assert share["75+"] > 1.5 * share["18-44"]


def test_records_load_into_a_node_without_rejections(
    small: HealthSynthSummary, tmp_path: Path
) -> None:
    out = small.out_dir
    report = load_source(
        "csv",
        [
            out / "hospital_visits.csv",
            out / "cdc_case_reports.csv",
            out / "cdc_chronic_registry.csv",
        ],
        tmp_path / "node",
    )
    assert report.rows_rejected == 0, report.rejections[:5]
    assert report.rows_loaded == sum(
        small.rows[n] for n in ("hospital_visits", "cdc_case_reports", "cdc_chronic_registry")
    )
