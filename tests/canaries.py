"""Canary subjects planted at every provider, for the leak tests: unique
identifiers, names, record ids and amounts that appear nowhere else, so any
copy of one outside its owner's node (or the consumer's own output, where the
product releases it) is a leak."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.identifiers import resident_id_check_char, uscc_check_char

# Health: one person held by the hospital and the CDC, asked about by the insurer.
PERSON = "650102197707077" + "77"
PERSON += resident_id_check_char(PERSON)
VISITS = ("CANARY-VISIT-0001", "CANARY-VISIT-0002")
COST = "98765.43"
REPORT = "CANARY-REPORT-0001"
HEALTH_NEEDLES = [PERSON, *VISITS, COST, REPORT]

# Tenders: one company at each trading centre, asked about by the bank.
COMPANY_A = "91310115MACANARYA"
COMPANY_A += uscc_check_char(COMPANY_A)
COMPANY_B = "91310115MACANARYB"
COMPANY_B += uscc_check_char(COMPANY_B)
NAMES = ("金丝雀甲科技有限公司", "金丝雀乙贸易有限公司")
AMOUNTS = ("8765432.19", "7654321.98")
TENDER_NEEDLES = [COMPANY_A, COMPANY_B, *NAMES, *AMOUNTS]


def plant_health(data: Path) -> None:
    """The canary at the hospital (two visits, one with a unique cost), at the
    CDC (a case report and the diabetes registry) and in the applicants."""
    with (data / "hospital_visits.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{PERSON},{VISITS[0]},H310104001,2026-03-01,inpatient,2026-03-09,E11.9,{COST}\n")
        fh.write(f"{PERSON},{VISITS[1]},H310104001,2026-09-01,outpatient,,I10,120.00\n")
    with (data / "cdc_case_reports.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{PERSON},{REPORT},2026-02-01,A15.0,confirmed\n")
    with (data / "cdc_chronic_registry.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{PERSON},diabetes,2019-05-01\n")
    with (data / "applicants.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"CANARY-APP,{PERSON}\n")


def _release(n: int, company: str, name: str, amount: str) -> dict[str, object]:
    buyer = "11310000000000000"
    buyer += uscc_check_char(buyer)
    return {
        "ocid": f"ocds-canary-000{n}",
        "id": f"ocds-canary-000{n}-01",
        "date": "2026-09-01T10:00:00+08:00",
        "tag": ["tender", "award"],
        "buyer": {"id": "B1", "name": "上海市测试局"},
        "parties": [
            {
                "id": "B1",
                "name": "上海市测试局",
                "roles": ["buyer"],
                "identifier": {"scheme": "CN-USCC", "id": buyer},
            },
            {
                "id": "C1",
                "name": name,
                "roles": ["tenderer", "supplier"],
                "identifier": {"scheme": "CN-USCC", "id": company},
            },
        ],
        "tender": {
            "id": "T1",
            "tenderPeriod": {"startDate": "2026-08-01T09:00:00+08:00"},
            "tenderers": [{"id": "C1", "name": name}],
        },
        "awards": [
            {
                "id": "A1",
                "date": "2026-09-01T10:00:00+08:00",
                "status": "active",
                "value": {"amount": float(amount), "currency": "CNY"},
                "suppliers": [{"id": "C1", "name": name}],
            }
        ],
    }


def plant_tenders(data: Path) -> None:
    """A canary company winning at each centre; the bank asks about both."""
    for n, (centre, company, name, amount) in enumerate(
        [
            ("centre_a", COMPANY_A, NAMES[0], AMOUNTS[0]),
            ("centre_b", COMPANY_B, NAMES[1], AMOUNTS[1]),
        ],
        start=1,
    ):
        package = {
            "uri": "canary",
            "version": "1.1",
            "publishedDate": "2026-10-31T00:00:00+08:00",
            "releases": [_release(n, company, name, amount)],
        }
        (data / centre / "canary.json").write_text(
            json.dumps(package, ensure_ascii=False), encoding="utf-8"
        )
    with (data / "bank_applicants.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"CANARY-LOAN-A,{COMPANY_A}\nCANARY-LOAN-B,{COMPANY_B}\n")
