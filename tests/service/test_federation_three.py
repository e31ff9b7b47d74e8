"""A job spanning three spaces, each a real ``tspace serve`` with its own
nodes on 127.0.0.1 (issue 26): the insurer at city A, the hospital group's
data at city B, the CDC's at city C. A peers with B and with C; the job's
providers are all at peers, each judged by its own space's policy, and the
scores equal one space holding both providers (the embedded run), on the
direct lookup and on the blind one (each peer joins its providers' part). The three
ledgers verify together, cross-references included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from products.underwriting.client import client_underwrite
from tests.cli_runner import run_tspace_wide as tspace
from tests.policy_docs import dated_example, write_policy
from tests.service.procs import ServiceDeployment
from tests.service.test_federation import HEALTH  # noqa: F401  (the data's size, read by conftest)
from tests.service.underwriting import AS_OF
from trusted_space.demo import default_model_path
from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV
from trusted_space.space.readonly import ledger_entries, space_public_key
from trusted_space.transport.http import HttpTransport, read_api_key

pytestmark = pytest.mark.slow


def _peer(
    root: Path, here: tuple[str, ServiceDeployment], there: tuple[str, ServiceDeployment]
) -> None:
    """Peer two deployments for underwriting: draft, both stewards approve, both add."""
    (name_a, a), (name_b, b) = here, there
    keys = {n: space_public_key(d.root / "space").hex() for n, d in (here, there)}
    agreement = root / f"{name_a}-{name_b}.json"
    done = tspace(
        "admin", "draft-agreement", "--workdir", str(a.root / "space"), "--peer-key", keys[name_b],
        "--product", "underwriting_score", "--steward", "steward", "--peer-steward", "steward",
        "--out", str(agreement),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for dep in (a, b):
        dep.steward("approve-agreement", str(agreement))
    for (_, dep), (other, far) in ((here, there), (there, here)):
        added = tspace(
            "admin", "add-peer", other, "--url", far.url, "--signing-key", keys[other],
            "--agreement", str(agreement), "--workdir", str(dep.root / "space"),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    checked = tspace("admin", "check-peer", name_b, "--workdir", str(a.root / "space"))
    assert checked.returncode == 0, checked.stderr


@pytest.fixture(scope="module")
def cities(
    tmp_path_factory: pytest.TempPathFactory,
    data: Path,
) -> Iterator[dict[str, ServiceDeployment]]:
    root = tmp_path_factory.mktemp("three")
    hospital = [f"{data}/hospital_visits.csv"]
    cdc = [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"]
    layout = {
        # A's hospital is there for A's steward (an owner appoints one): the job names B's.
        "city-a": ({"hospital": hospital}, ["insurer"]),
        "city-b": ({"hospital-b": hospital}, []),
        "city-c": ({"cdc-c": cdc}, []),
    }
    deps: dict[str, ServiceDeployment] = {}
    try:
        for name, (providers, consumers) in layout.items():
            (root / name).mkdir()
            deps[name] = ServiceDeployment(root / name, providers, consumers)
        policies = root / "policies"
        policies.mkdir()
        for name, owner, kind in (
            ("city-a", "hospital", "hospital"),
            ("city-b", "hospital-b", "hospital"),
            ("city-c", "cdc-c", "cdc"),
        ):
            doc = dated_example(kind, lookup="any", owners=[owner])
            deps[name].steward("publish-model", str(default_model_path()))
            deps[name].steward("publish-policy", str(write_policy(policies, owner, doc)))
        _peer(root, ("city-a", deps["city-a"]), ("city-b", deps["city-b"]))
        _peer(root, ("city-a", deps["city-a"]), ("city-c", deps["city-c"]))
        yield deps
    finally:
        for dep in deps.values():
            dep.stop()


def test_a_job_across_three_spaces_equals_one_space(
    cities: dict[str, ServiceDeployment],
    expected: bytes,
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TEST_ONLY_KEYS_ENV, "1")  # the insurer's node, here: fast keys
    a = cities["city-a"]
    # A batch of 6: the peers join a blind job's masks at once and answer
    # their parts with them (a larger batch, in the background: polled).
    lines = (data / "applicants.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "six.csv").write_text("".join(lines[:7]), encoding="utf-8")
    runs = [
        ("direct_lookup", data / "applicants.csv"),
        ("blind_lookup", data / "applicants.csv"),
        ("blind_lookup", tmp_path / "six.csv"),
    ]
    transport = HttpTransport(a.url, read_api_key(a.keys["insurer"]), patience=60)
    try:
        for engine, applicants in runs:
            client_underwrite(
                transport,
                workdir=tmp_path / "insurer",
                applicants=applicants,
                purpose="underwriting",
                as_of=AS_OF,
                out=tmp_path / f"{engine}-{applicants.stem}.csv",
                providers={"hospital": ["hospital-b"], "cdc": ["cdc-c"]},
                engine=engine,
                timeout=300,
            )
    finally:
        transport.close()
    # Both engines, each provider at its own peer: one space's scores.
    assert (tmp_path / "direct_lookup-applicants.csv").read_bytes() == expected
    assert (tmp_path / "blind_lookup-applicants.csv").read_bytes() == expected
    six = (tmp_path / "blind_lookup-six.csv").read_text(encoding="utf-8-sig").splitlines()
    assert six == expected.decode("utf-8-sig").splitlines()[:7]
    blind = [e for e in ledger_entries(a.root / "space") if e["kind"] == "peer_partial_received"]
    assert sorted(e["details"]["peer"] for e in blind) == ["city-b", "city-b", "city-c", "city-c"]
    accepted = [
        e["details"]["peer"]
        for e in ledger_entries(a.root / "space")
        if e["kind"] == "peer_part_accepted"
    ]
    assert sorted(accepted) == ["city-b"] * 3 + ["city-c"] * 3
    for name in ("city-b", "city-c"):
        cities[name].wait_for(
            "SELECT count(*) FROM ledger WHERE kind = 'peer_job_closed' HAVING count(*) = 3"
        )
    a.wait_for("SELECT count(*) FROM ledger WHERE kind = 'peer_part_closed' HAVING count(*) = 6")
    folders = [x for d in cities.values() for x in ("--workdir", str(d.root / "space"))]
    verified = tspace("ledger", "verify", *folders)
    assert verified.returncode == 0, verified.stderr
    assert "Cross-references between the ledgers hold" in verified.stdout
