"""Fast claims verification (claim_verification) on the embedded deployment.

The private answers (PSI, sealed claims, the hospital's checks under the
insurer's Paillier key) must equal an independent plaintext DuckDB
computation on the same files: on a generated batch with its mix of honest,
inflated, misdated, unknown and invalid claims, and on claims written by hand
to sit on every boundary (the tolerance's edges, two visits on one day, a
stay over two records, one fen above the bill, a lower-case x, a hospital the
group does not run, invalid ids, a person who did not consent).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import LoadOptions
from connectors.identifiers import resident_id_check_char
from connectors.node_store import NodeStore
from products.claims import CLAIMS
from products.claims.batch import read_claims
from products.claims.reference import reference_claims
from products.claims.runner import ClaimRow, claim_rows, run_claims
from tests.cli_runner import run_tspace
from tests.leakcheck import find_canaries, find_in_text
from trusted_space.api import ledger_entries, verify_ledger
from trusted_space.core.errors import InputError, PolicyDenied
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_claims, generate_health

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "policies" / "examples" / "claim_verification.hospital.yaml"
AS_OF = dt.date(2026, 10, 31)
ALL = ["visit_found", "billed_total", "within_bill", "dx_match", "inpatient_days"]
BUCKETS = {"billed_total": {"buckets": [0, 1000, 5000, 10000, 50000, 100000]}}


def resident(body: str) -> str:
    return body + resident_id_check_char(body)


STAY = resident("11010119900307001")  # a stay over two records, two same-day visits
EDGES = resident("31010419820514002")  # one visit, claimed on and around its date
NEAR = resident("44030519760101003")  # visits two days apart: the nearer one matches
CHAIN = resident("51010719650909004")  # a stay over three records
X_BODY = next(
    b for b in (f"3201021970010100{k}" for k in range(10)) if resident_id_check_char(b) == "X"
)
LOWER_X = X_BODY + "X"  # claimed as ...x
STRANGER = resident("65010219880808005")  # valid, never at the hospital

HA, HB, HC, HD, HE = "H310104001", "H110101001", "H440305001", "H320102001", "H999999999"
BOUNDARY_VISITS = (
    "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n"
    f"{STAY},B1,{HA},2026-03-01,inpatient,2026-03-05,E11.9,10000.00\n"
    f"{STAY},B2,{HA},2026-03-05,inpatient,2026-03-09,E11.2,5000.50\n"
    f"{STAY},B3,{HA},2026-05-10,outpatient,,J20.9,300.00\n"
    f"{STAY},B4,{HA},2026-05-10,emergency,,J20.9,700.00\n"
    f"{EDGES},B5,{HB},2026-06-15,outpatient,,I10,250.00\n"
    f"{NEAR},B6,{HB},2026-07-09,outpatient,,K29.7,100.00\n"
    f"{NEAR},B7,{HB},2026-07-11,outpatient,,K29.7,900.00\n"
    f"{CHAIN},B8,{HC},2026-01-10,inpatient,2026-01-20,C34.9,20000.00\n"
    f"{CHAIN},B9,{HC},2026-01-15,inpatient,2026-01-25,C34.9,8000.00\n"
    f"{CHAIN},B10,{HC},2026-01-25,inpatient,2026-02-02,C34.1,4000.00\n"
    f"{CHAIN},B11,{HC},2026-02-03,inpatient,2026-02-05,C34.1,999.00\n"
    f"{LOWER_X},B12,{HD},2026-08-08,emergency,,S52.5,1800.00\n"
)
BAD_CHECK = STAY[:17] + ("0" if STAY[17] != "0" else "1")
IN, OUT, EM = "inpatient", "outpatient", "emergency"
OVER, DX = "within_bill", "dx_match"

# (claim_ref, person, hospital, 2026-MM-DD, type, amount, icd10), (status, failed checks)
# at the default tolerance of one day.
BOUNDARY_CLAIMS: list[tuple[tuple[str, ...], tuple[str, str]]] = [
    (("STAY-ADMIT", STAY, HA, "03-01", IN, "15000.50", "E11"), ("verified", "")),
    (("STAY-SECOND", STAY, HA, "03-05", IN, "15000.50", "E11.2"), ("verified", "")),
    (("STAY-FEN-OVER", STAY, HA, "03-01", "", "15000.51", "E11"), ("mismatch", OVER)),
    (("STAY-DX", STAY, HA, "03-02", "", "100", "J45"), ("mismatch", DX)),
    (("SAME-DAY", STAY, HA, "05-10", "", "1000.00", "J20"), ("verified", "")),
    (("SAME-DAY-OVER", STAY, HA, "05-10", "", "1000.01", ""), ("mismatch", OVER)),
    (("SAME-DAY-TYPED", STAY, HA, "05-10", OUT, "300.01", "J20.9"), ("mismatch", OVER)),
    (("WRONG-TYPE", STAY, HA, "05-10", IN, "100", ""), ("not_found", "")),
    (("EDGE-ON", EDGES, HB, "06-15", "", "250", ""), ("verified", "")),
    (("EDGE-BEFORE", EDGES, HB, "06-14", "", "250", ""), ("verified", "")),
    (("EDGE-AFTER", EDGES, HB, "06-16", "", "250", ""), ("verified", "")),
    (("EDGE-PAST", EDGES, HB, "06-17", "", "250", ""), ("not_found", "")),
    (("EDGE-BEFORE-PAST", EDGES, HB, "06-13", "", "250", ""), ("not_found", "")),
    (("NEAR-TIE", NEAR, HB, "07-10", "", "100.00", ""), ("verified", "")),
    (("NEAR-TIE-OVER", NEAR, HB, "07-10", "", "100.01", ""), ("mismatch", OVER)),
    (("NEAR-LATER", NEAR, HB, "07-11", "", "900.00", ""), ("verified", "")),
    (("CHAIN", CHAIN, HC, "01-25", IN, "32000.00", "C34"), ("verified", "")),
    (("CHAIN-OVER", CHAIN, HC, "01-10", IN, "32000.01", "C34"), ("mismatch", OVER)),
    (("AFTER-CHAIN", CHAIN, HC, "02-03", "", "999", "C34"), ("verified", "")),
    (("LOWER-X", X_BODY + "x", HD, "08-08", EM, "1800", "s525"), ("verified", "")),
    (("OTHER-HOSPITAL", STAY, HE, "05-10", "", "100", ""), ("not_found", "")),
    (("STRANGER", STRANGER, HA, "05-10", "", "100", ""), ("not_found", "")),
    (("BAD-CHECK", BAD_CHECK, HA, "05-10", "", "100", ""), ("invalid", "")),
    (("BAD-LENGTH", STAY[:16], HA, "05-10", "", "100", ""), ("invalid", "")),
    (("BAD-AMOUNT", STAY, HA, "05-10", "", "100.001", ""), ("invalid", "")),
    (("BAD-DATE", STAY, HA, "02-30", "", "100", ""), ("invalid", "")),
]


# Canaries: values that appear nowhere else. The claimant's id, the
# hospital's, its visits' ids and cost and the claimed amount must appear in
# no file or log line of the space; the stranger's id (a claimant the
# hospital does not hold) not even at the hospital.
CANARY = resident("65010219770707777")
CANARY_STRANGER = resident("65010219660606666")
CANARY_HOSPITAL = "HCANARY0001"
CANARY_VISITS = ("CANARY-VISIT-0001", "CANARY-VISIT-0002")
CANARY_COST = "98765.43"
CANARY_CLAIMED = "87654.32"
CANARY_NEEDLES = [CANARY, CANARY_HOSPITAL, *CANARY_VISITS, CANARY_COST, CANARY_CLAIMED, "8765432"]
CANARY_VISIT_LINES = (
    f"{CANARY},{CANARY_VISITS[0]},{CANARY_HOSPITAL},2026-08-01,inpatient,2026-08-09,"
    f"E11.9,{CANARY_COST}\n"
    f"{CANARY},{CANARY_VISITS[1]},{CANARY_HOSPITAL},2026-09-01,outpatient,,I10,120.00\n"
)
CANARY_CLAIMS = [
    ("CANARY-CLAIM", CANARY, CANARY_HOSPITAL, "2026-08-01", IN, CANARY_CLAIMED, "E11"),
    ("CANARY-STRANGER", CANARY_STRANGER, CANARY_HOSPITAL, "2026-08-01", "", "12.34", ""),
]


def claim_line(claim: tuple[str, ...]) -> tuple[str, ...]:
    ref, person, hospital, day, kind, amount, code = claim
    return (ref, person, hospital, f"2026-{day}", kind, amount, code)


# The amounts of the expected bills, where found.
BILLED = {
    "STAY-ADMIT": "15000.50",
    "STAY-SECOND": "15000.50",
    "SAME-DAY": "1000.00",
    "SAME-DAY-TYPED": "300.00",
    "NEAR-TIE": "100.00",
    "NEAR-LATER": "900.00",
    "CHAIN": "32000.00",
    "AFTER-CHAIN": "999.00",
}
DAYS = {"STAY-ADMIT": 8, "CHAIN": 23, "AFTER-CHAIN": 2, "SAME-DAY": 0}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("claims")
    generate_health(3000, 25, out, applicants=30, end_date=AS_OF)
    generate_claims(out / "hospital_visits.csv", out / "claims.csv", 200, 25)
    (out / "boundary_visits.csv").write_text(BOUNDARY_VISITS + CANARY_VISIT_LINES, "utf-8")
    with (out / "claims.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(claim_line(claim) for claim, _ in BOUNDARY_CLAIMS)
        csv.writer(fh).writerows(CANARY_CLAIMS)
    return out


def hospital_files(data: Path) -> list[Path]:
    return [data / "hospital_visits.csv", data / "boundary_visits.csv"]


def verify(data: Path, workdir: Path, **kw: Any):  # type: ignore[no-untyped-def]
    options: dict[str, Any] = {
        "as_of": AS_OF,
        "out": workdir / "result.csv",
        "paillier_preset": TEST_ONLY_PAILLIER_1024,
        **kw,
    }
    return run_claims(
        workdir=workdir, hospital=hospital_files(data), claims=data / "claims.csv", **options
    )


def reference(data: Path, outputs: Sequence[str], **kw: Any) -> list[ClaimRow]:
    return reference_claims(
        hospital=hospital_files(data),
        claims=data / "claims.csv",
        as_of=AS_OF,
        outputs=outputs,
        **kw,
    )


def policy_file(tmp_path: Path, name: str = "policy.yaml", **changes: Any) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        target = doc
        parts = key.split("__")
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def open_dir(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Path:
    return tmp_path_factory.mktemp(f"open-{suite}")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


@pytest.fixture(scope="module")
def open_story(data: Path, open_dir: Path, suite: str) -> tuple[Any, list[str]]:
    """Every output, no policy (an open space), the default tolerance of one
    day; and every log line of the run."""
    handler = _Collect()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        run = verify(data, open_dir, suite=suite)
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    return run, handler.lines


@pytest.fixture(scope="module")
def open_run(open_story: tuple[Any, list[str]]) -> Any:
    return open_story[0]


def test_every_claim_equals_the_plaintext_reference(data: Path, open_run: Any) -> None:
    expected = reference(data, ALL)
    assert [r.cells(ALL) for r in open_run.rows] == [r.cells(ALL) for r in expected]
    statuses = {r.status for r in open_run.rows}
    # The generated mix reaches every status an open space can give.
    assert statuses == {"verified", "mismatch", "not_found", "invalid"}
    failed = {check for r in open_run.rows for check in r.failed}
    assert failed == {"within_bill", "dx_match"}


def test_result_csv_holds_the_rows_in_the_claims_order(
    data: Path, open_run: Any, open_dir: Path
) -> None:
    with (data / "claims.csv").open(encoding="utf-8") as fh:
        refs = [r["claim_ref"] for r in csv.DictReader(fh)]
    with (open_dir / "result.csv").open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["claim_ref", "status", "failed_checks", *ALL, "detail"]
    assert [line[0] for line in lines[1:]] == refs
    written = [[str(c) if c is not None else "" for c in r.csv_cells(ALL)] for r in open_run.rows]
    assert lines[1:] == written


def test_the_boundaries_by_hand(open_run: Any) -> None:
    rows = {r.claim_ref: r for r in open_run.rows}
    for (ref, *_), (status, failed) in BOUNDARY_CLAIMS:
        row = rows[ref]
        assert (row.status, "|".join(row.failed)) == (status, failed), ref
        if ref in BILLED:
            assert str(row.values["billed_total"]) == BILLED[ref], ref
        if ref in DAYS:
            assert row.values["inpatient_days"] == DAYS[ref], ref
    assert rows["SAME-DAY"].values["dx_match"] is True
    assert rows["EDGE-ON"].values["dx_match"] is None  # no diagnosis claimed
    assert rows["BAD-AMOUNT"].detail is not None
    assert rows["BAD-AMOUNT"].detail.column == "claimed_amount"
    assert rows["OTHER-HOSPITAL"].values == {"visit_found": False}


def test_canary_values_appear_in_no_file_or_log_line_of_the_space(
    open_story: tuple[Any, list[str]], open_dir: Path
) -> None:
    run, lines = open_story
    rows = {r.claim_ref: r for r in run.rows}
    assert rows["CANARY-CLAIM"].status == "verified"
    assert str(rows["CANARY-CLAIM"].values["billed_total"]) == CANARY_COST
    assert rows["CANARY-STRANGER"].status == "not_found"
    space = open_dir / "space"
    assert (space / "space.sqlite").exists()
    assert find_canaries(space, [*CANARY_NEEDLES, CANARY_STRANGER]) == []
    assert lines, "the run logs its steps"
    assert find_in_text(lines, [*CANARY_NEEDLES, CANARY_STRANGER]) == []
    # The hospital never receives a claimant it does not hold.
    hospital = open_dir / "nodes" / "hospital"
    assert find_canaries(hospital, [CANARY_STRANGER]) == []
    # The checks can fail: the hospital does hold the canary, the insurer its answer.
    assert find_canaries(hospital, [CANARY]) != []
    assert find_canaries(open_dir, ["CANARY-CLAIM"]) != []


def test_the_example_policy_releases_flags_and_buckets_to_consenting_claimants(
    data: Path, tmp_path: Path, suite: str
) -> None:
    """Under the example policy a claim is the claimant's own: without a
    consent record the hospital withholds it (no_consent); with one, the
    claim is verified on flags and a bucketed bill, as in plaintext."""
    work = tmp_path / "work"
    options: dict[str, Any] = {
        "policies": [EXAMPLE],
        "consent_refs": ["EV-CLAIMS-2026-10"],
        "suite": suite,
    }
    first = verify(data, work, **options)
    assert first.outputs == ["visit_found", "billed_total", "within_bill", "dx_match"]
    boundary = {STAY, EDGES, NEAR, CHAIN, LOWER_X}
    with NodeStore(work / "nodes" / "hospital", read_only=True) as store:
        generated = set(store.subject_ids("hospital")) - boundary
    nobody = reference(data, first.outputs, transforms=BUCKETS, consented=set())
    assert [r.cells(first.outputs) for r in first.rows] == [r.cells(first.outputs) for r in nobody]
    assert {r.claim_ref for r in first.rows if r.status == "no_consent"} >= {
        "STAY-ADMIT",
        "LOWER-X",
    }
    # Those the hospital does not hold are not found, consent or not: a person
    # it never saw, and a claim at a hospital the group does not run (its
    # consent records do not reach another group's claims).
    assert {r.status for r in first.rows if r.claim_ref in ("STRANGER", "OTHER-HOSPITAL")} == {
        "not_found"
    }

    consenting = sorted({STAY, LOWER_X} | set(sorted(generated)[::3]))
    with NodeStore(work / "nodes" / "hospital") as store:
        store.record_consents(
            [
                (p, "insurer", "claim_verification", "claims", dt.date(2027, 12, 31), f"EV-{i}")
                for i, p in enumerate(consenting)
            ]
        )
    second = verify(data, work, **options)
    expected = reference(data, second.outputs, transforms=BUCKETS, consented=set(consenting))
    assert [r.cells(second.outputs) for r in second.rows] == [
        r.cells(second.outputs) for r in expected
    ]
    rows = {r.claim_ref: r for r in second.rows}
    assert rows["STAY-ADMIT"].status == "verified"
    assert rows["STAY-ADMIT"].values["billed_total"] == 10000  # 15000.50 in [10000, 50000)
    assert rows["STAY-FEN-OVER"].failed == ("within_bill",)  # decided on the exact bill
    assert rows["LOWER-X"].values["billed_total"] == 1000
    assert rows["EDGE-ON"].status == "no_consent"
    assert "inpatient_days" not in rows["STAY-ADMIT"].values
    assert second.duties == {"retention_days": 180}
    statuses = {r.status for r in second.rows}
    assert statuses == {"verified", "mismatch", "not_found", "invalid", "no_consent"}


def test_the_policy_sets_the_date_tolerance(data: Path, tmp_path: Path) -> None:
    """A policy's tolerance of 0 days reaches the hospital's computation: a
    claim a day off is no longer found."""
    policy = policy_file(
        tmp_path, output__parameters={"date_tolerance_days": 0}, consent_required=False
    )
    run = verify(data, tmp_path / "work", policies=[policy])
    expected = reference(data, run.outputs, tolerance=0, transforms=BUCKETS)
    assert [r.cells(run.outputs) for r in run.rows] == [r.cells(run.outputs) for r in expected]
    rows = {r.claim_ref: r for r in run.rows}
    assert rows["EDGE-ON"].status == "verified"
    assert rows["EDGE-BEFORE"].status == rows["EDGE-AFTER"].status == "not_found"
    assert rows["NEAR-TIE"].status == "not_found"

    # The ledger records the decision with the tolerance the hospital applied.
    entries = ledger_entries(tmp_path / "work")
    (decision,) = [e["details"] for e in entries if e["kind"] == "policy_decision"]
    assert decision["decision"] == "allow" and decision["product"] == "claim_verification"
    assert decision["obligations"]["parameters"] == {"date_tolerance_days": 0}
    assert verify_ledger(tmp_path / "work") == len(entries)

    # The product card shows the setting, what travels sealed, and the usage.
    card = tspace(
        "product", "card", "claim_verification", "--workdir", str(tmp_path / "work"),
        "--format", "json",
    )  # fmt: skip
    assert card.returncode == 0, card.stderr
    got = json.loads(card.stdout)
    (tolerance,) = got["parameters"]
    assert tolerance["name"] == "date_tolerance_days" and tolerance["default"] == 1
    assert tolerance["set_by_policies"] == {"hospital-claims v1": 0}
    assert [a["name"] for a in got["arguments"]] == [
        "hospital_id", "visit_date", "visit_type", "claimed_fen", "icd10_category",
    ]  # fmt: skip
    sent = sum(r.status != "invalid" for r in run.rows)
    assert [(u["jobs"], u["subjects"]) for u in got["usage"]] == [(1, sent)]
    assert not [c for c in (STAY, EDGES, CANARY, CANARY_HOSPITAL) if c in card.stdout]
    markdown = tspace("product", "card", "claim_verification", "--workdir", str(tmp_path / "work"))
    assert "## Parameters" in markdown.stdout and "hospital-claims v1: 0" in markdown.stdout


def test_a_policy_that_withholds_visit_found_is_refused_before_any_work(
    data: Path, tmp_path: Path
) -> None:
    policy = policy_file(tmp_path, output__features=["within_bill", "billed_total"])
    with pytest.raises(InputError, match="visit_found"):
        verify(data, tmp_path / "work", policies=[policy])
    assert not (tmp_path / "work" / "result.csv").exists()


def test_a_denied_job_writes_nothing(data: Path, tmp_path: Path) -> None:
    with pytest.raises(PolicyDenied) as info:
        verify(data, tmp_path / "work", policies=[EXAMPLE], purpose="underwriting")
    assert any("purpose" in r for r in info.value.reasons)
    assert not (tmp_path / "work" / "result.csv").exists()


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tspace(*args)


def test_the_cli_writes_the_reference_answers_and_says_what_it_found(
    data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.csv"
    hospital = [arg for path in hospital_files(data) for arg in ("--hospital", str(path))]
    result = tspace(
        "claims",
        *hospital,
        "--claims",
        str(data / "claims.csv"),
        "--out",
        str(out),
        "--as-of",
        AS_OF.isoformat(),
        "--allow-future",
        "--outputs",
        "visit_found,within_bill,billed_total",
    )
    assert result.returncode == 0, result.stderr
    outputs = ["visit_found", "billed_total", "within_bill"]
    expected = reference(data, outputs)
    with out.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["claim_ref", "status", "failed_checks", *outputs, "detail"]
    written = [line[:-1] for line in lines[1:]]
    assert written == [[_text(c) for c in r.cells(outputs)] for r in expected]
    counts = {s: sum(r.status == s for r in expected) for s in ("verified", "mismatch")}
    assert f"{counts['verified']} verified, {counts['mismatch']} mismatched" in result.stdout
    assert "invalid claims (the detail column" in result.stderr
    assert "person_id: wrong length 16 (expected 18)" in result.stderr
    assert "… 2 more in" in result.stderr  # ten named, the rest counted


def test_the_cli_refuses_a_denied_job_with_its_reasons(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    result = tspace(
        "claims",
        "--hospital",
        str(data / "hospital_visits.csv"),
        "--claims",
        str(data / "claims.csv"),
        "--out",
        str(out),
        "--as-of",
        AS_OF.isoformat(),
        "--allow-future",
        "--policy",
        str(EXAMPLE),
    )
    assert result.returncode == 2
    assert "consent" in result.stderr and not out.exists()


def _text(value: object) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return "" if value is None else str(value)


# Two hospital groups in one job (issue 25): group A runs HA and HB, group B
# runs HC; STAY is a patient of both. Each group answers every claim of a
# claimant it holds from its own rows, filtered by the claimed hospital_id, so
# the group that does not run a claim's hospital answers zeros, which add
# nothing to the other's answer.
GROUP_A_VISITS = (
    BOUNDARY_VISITS.split("\n", 1)[0]
    + "\n"
    + "".join(
        line + "\n"
        for line in BOUNDARY_VISITS.splitlines()
        if f",{HA}," in line or f",{HB}," in line
    )
)
GROUP_B_VISITS = (
    "person_id,visit_id,hospital_id,visit_date,visit_type,discharge_date,icd10,total_cost\n"
    f"{STAY},G1,{HC},2026-04-02,outpatient,,K29.7,420.00\n"
    f"{STAY},G2,{HC},2026-06-01,inpatient,2026-06-04,E11.9,6000.00\n"
    f"{CHAIN},G3,{HC},2026-01-10,inpatient,2026-01-20,C34.9,20000.00\n"
)
ROUTED_CLAIMS: list[tuple[tuple[str, ...], tuple[str, str]]] = [
    (("A-STAY", STAY, HA, "03-01", IN, "15000.50", "E11"), ("verified", "")),
    (("A-SECOND-HOSPITAL", EDGES, HB, "06-15", "", "250", ""), ("verified", "")),
    (("B-VISIT", STAY, HC, "04-02", "", "420.00", "K29"), ("verified", "")),
    (("B-VISIT-OVER", STAY, HC, "04-02", "", "420.01", ""), ("mismatch", OVER)),
    (("B-STAY-DX", STAY, HC, "06-01", IN, "6000", "J45"), ("mismatch", DX)),
    (("B-ONLY", CHAIN, HC, "01-10", IN, "20000", "C34"), ("verified", "")),
    (("B-NOT-AT-A", CHAIN, HA, "01-10", IN, "20000", "C34"), ("not_found", "")),
    (("NO-GROUP", STAY, HE, "04-02", "", "420", ""), ("not_found", "")),
    (("NOBODY", STRANGER, HC, "04-02", "", "420", ""), ("not_found", "")),
    (("BAD", BAD_CHECK, HC, "04-02", "", "420", ""), ("invalid", "")),
]


def write_claims(path: Path, claims: Sequence[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["claim_ref", "person_id", "hospital_id", "visit_date", "visit_type",
             "claimed_amount", "icd10"]
        )  # fmt: skip
        writer.writerows(claim_line(claim) for claim in claims)
    return path


def run_groups(
    tmp_path: Path,
    visits: dict[str, str],
    claims: Path,
    *,
    outputs: Sequence[str] = ALL,
    policy: Path | None = None,
    consents: dict[str, list[str]] | None = None,
) -> tuple[list[ClaimRow], Any, dict[str, list[Path]]]:
    """One claims job over several hospital groups' nodes (each its own
    visits file); with ``policy``, published for every group, each group
    holding its own consent records (``consents``). The rows, the insurer's
    outcome, and each group's file for the reference."""
    groups = {name: tmp_path / f"{name}.csv" for name in visits}
    for name, path in groups.items():
        path.write_text(visits[name], "utf-8")
    batch = read_claims(claims)
    sent = [c for c in batch if c.valid]
    with EmbeddedDeployment(tmp_path / "work", paillier_preset=TEST_ONLY_PAILLIER_1024) as dep:
        for name, path in groups.items():
            node = dep.provider(name)
            node.load("csv", [path], LoadOptions(replace=True))
            node.offer_datasets()
            node.store.record_consents(
                [
                    (p, "insurer", CLAIMS.name, "claims", dt.date(2027, 12, 31), f"EV-{name}")
                    for p in (consents or {}).get(name, [])
                ]
            )
        if policy is not None:
            dep.steward(governs=list(groups)).publish(policy)
        insurer = dep.consumer("insurer")
        job = insurer.submit_lookup(
            CLAIMS.name,
            [c.person_id for c in sent if c.person_id is not None],
            as_of=AS_OF,
            purpose="claims",
            providers={"hospital": list(groups)},
            features=list(outputs),
            consent_refs=["EV-CLAIMS-2026-10"] if policy is not None else [],
            arguments=[c.arguments() for c in sent],
        )
        assert dep.run_job(insurer, job).state == "succeeded"
        outcome = insurer.outcome(job)
    rows = claim_rows(batch, outputs, outcome.values, outcome.withheld)
    return rows, outcome, {name: [path] for name, path in groups.items()}


TWO_GROUPS = {"group_a": GROUP_A_VISITS, "group_b": GROUP_B_VISITS}


def test_two_groups_answer_each_claim_by_its_hospital_id(tmp_path: Path) -> None:
    """A claim is answered by the group that runs its hospital, whichever
    other group holds the claimant too; a claim at a hospital no group runs
    is ``not_found``, never an error of the batch; all as in plaintext over
    both groups' files."""
    claims = write_claims(tmp_path / "claims.csv", [claim for claim, _ in ROUTED_CLAIMS])
    rows, outcome, groups = run_groups(tmp_path, TWO_GROUPS, claims)
    # Group A holds STAY and EDGES; group B STAY and CHAIN (each claim's place counts).
    assert outcome.matched == {"group_a": 6, "group_b": 7}
    got = {r.claim_ref: (r.status, "|".join(r.failed)) for r in rows}
    assert got == {claim[0]: expected for claim, expected in ROUTED_CLAIMS}
    expected_rows = reference_claims(hospital=groups, claims=claims, as_of=AS_OF, outputs=ALL)
    assert [r.cells(ALL) for r in rows] == [r.cells(ALL) for r in expected_rows]
    by_ref = {r.claim_ref: r for r in rows}
    assert str(by_ref["B-VISIT"].values["billed_total"]) == "420.00"  # B's bill alone
    assert str(by_ref["A-STAY"].values["billed_total"]) == "15000.50"  # A's stay alone
    assert by_ref["B-STAY-DX"].values["inpatient_days"] == 3


def test_a_group_without_consent_cannot_touch_another_groups_claims(tmp_path: Path) -> None:
    """Under consent_required, group B holds STAY without a consent record,
    group A with one: STAY's claims at A's hospitals are verified by A (B
    answers them with zeros, not with a refusal), those at B's hospital are
    no_consent, and one at a hospital no group runs is not_found; all as the
    plaintext reference says with each group's own consents."""
    policy = policy_file(tmp_path, owners=["group_a", "group_b"], output__transforms=BUCKETS)
    outputs = ["visit_found", "billed_total", "within_bill", "dx_match"]
    claims = write_claims(tmp_path / "claims.csv", [claim for claim, _ in ROUTED_CLAIMS])
    consents = {"group_a": [STAY, EDGES], "group_b": []}
    rows, _, groups = run_groups(
        tmp_path, TWO_GROUPS, claims, outputs=outputs, policy=policy, consents=consents
    )
    got = {r.claim_ref: r.status for r in rows}
    assert got["A-STAY"] == "verified"  # B's missing consent does not reach A's claim
    assert got["A-SECOND-HOSPITAL"] == "verified"
    assert {got[r] for r in ("B-VISIT", "B-VISIT-OVER", "B-STAY-DX", "B-ONLY")} == {"no_consent"}
    assert got["NO-GROUP"] == "not_found"  # STAY at a hospital nobody runs: B's consent aside
    assert got["B-NOT-AT-A"] == "not_found"  # CHAIN at A's hospital: A never saw CHAIN
    expected = reference_claims(
        hospital=groups,
        claims=claims,
        as_of=AS_OF,
        outputs=outputs,
        transforms=BUCKETS,
        consented={name: set(people) for name, people in consents.items()},
    )
    assert [r.cells(outputs) for r in rows] == [r.cells(outputs) for r in expected]


def test_two_groups_holding_one_hospital_id_are_refused(tmp_path: Path) -> None:
    """Group B also holds a visit at group A's hospital HA on the claimed
    day: their answers to the claim would be added, so the batch is refused
    naming HA, by the private path and by the plaintext reference alike."""
    shared = GROUP_B_VISITS + f"{STAY},G9,{HA},2026-03-01,inpatient,2026-03-03,E11.9,700.00\n"
    claims = write_claims(tmp_path / "claims.csv", [claim for claim, _ in ROUTED_CLAIMS])
    visits = {"group_a": GROUP_A_VISITS, "group_b": shared}
    with pytest.raises(InputError, match=HA) as private:
        run_groups(tmp_path, visits, claims)
    assert "two hospital groups" in str(private.value) or "两个医院集团" in str(private.value)
    groups = {name: [tmp_path / f"{name}.csv"] for name in visits}
    with pytest.raises(InputError, match=HA):
        reference_claims(hospital=groups, claims=claims, as_of=AS_OF, outputs=ALL)
