"""subject_overlap on the embedded deployment: PSI cardinality between the
hospital's and the CDC's nodes through the space (issue 22, item 13).

The count equals the plaintext DuckDB reference; min_count suppresses at k+1
and releases at k; a policy denies what it does not allow; the space's
folder holds no identifier; and a request the space swaps for one of its
own is refused by the server before it answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.base import LoadOptions
from products.overlap.reference import reference_overlap
from products.overlap.runner import run_overlap
from tests import canaries
from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.policy_docs import dated, exact_overlap_policy, write_policy
from trusted_space.core.errors import PolicyDenied, ProtocolError, TaskAltered
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat import psi
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.product_card import build_card, render_markdown
from trusted_space.protocol.messages import OverlapRequestResult, OverlapResponseResult
from trusted_space.space.engines.cardinality import CardinalityProtocol
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("overlap")
    generate_health(500, 23, out, applicants=10, end_date=AS_OF)
    canaries.plant_health(out)
    return out


def files(data: Path) -> dict[str, list[Path]]:
    return {
        "hospital": [data / "hospital_visits.csv"],
        "cdc": [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"],
    }


def exact_policies(folder: Path, min_count: int) -> list[Path]:
    """Both owners' example policies with ``min_count`` and no privacy: an exact count."""
    folder.mkdir(exist_ok=True)
    return [
        write_policy(folder, name, exact_overlap_policy(name, min_count))
        for name in ("hospital", "cdc")
    ]


def test_overlap_between_two_nodes_equals_the_plaintext_reference(
    data: Path, tmp_path: Path, suite: str
) -> None:
    expected = reference_overlap(**files(data))
    assert expected > 0, "the generated hospital and CDC share people"
    result = run_overlap(
        workdir=tmp_path / "w",
        **files(data),
        as_of=AS_OF,
        suite=suite,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    assert result.outcome.status == "ok"
    assert result.outcome.count == expected
    # Nothing under the space's folder, its database or ledger holds an identifier.
    space = tmp_path / "w" / "space"
    assert find_canaries(space, canaries.HEALTH_NEEDLES) == []
    assert find_in_text(sqlite_text(space / "space.sqlite"), canaries.HEALTH_NEEDLES) == []
    # ... which the providers' own folders do (so the check can fail)
    assert find_canaries(tmp_path / "w" / "nodes" / "hospital", [canaries.PERSON]) != []
    # The CDC's one-job PSI key is gone once it has counted.
    assert list((tmp_path / "w" / "nodes" / "cdc").rglob("*.psi-client.key")) == []
    # The product card names the engine, in both languages.
    card = build_card(tmp_path / "w", "subject_overlap")
    assert "PSI cardinality" in render_markdown(card, "en")
    assert "隐私求交基数" in render_markdown(card, "zh-CN")


def test_min_count_releases_at_k_and_suppresses_at_k_plus_one(data: Path, tmp_path: Path) -> None:
    k = reference_overlap(**files(data))
    at_k = run_overlap(
        workdir=tmp_path / "k",
        **files(data),
        as_of=AS_OF,
        policies=exact_policies(tmp_path / "pk", k),
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    assert (at_k.outcome.status, at_k.outcome.count) == ("ok", k)
    assert at_k.outcome.duties == {"retention_days": 365}
    above = run_overlap(
        workdir=tmp_path / "k1",
        **files(data),
        as_of=AS_OF,
        policies=exact_policies(tmp_path / "pk1", k + 1),
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    assert (above.outcome.status, above.outcome.count) == ("suppressed", None)


def test_the_example_policies_require_noise_and_then_allow(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    policies = [
        write_policy(folder, name, dated(f"subject_overlap.{name}.yaml"))
        for name in ("hospital", "cdc")
    ]
    with pytest.raises(PolicyDenied) as denied:
        run_overlap(
            workdir=tmp_path / "exact",
            **files(data),
            as_of=AS_OF,
            policies=policies,
            paillier_preset=TEST_ONLY_PAILLIER_1024,
        )
    assert any("privacy_budget" in r for r in denied.value.reasons)
    with pytest.raises(PolicyDenied) as wrong_purpose:
        run_overlap(
            workdir=tmp_path / "marketing",
            **files(data),
            as_of=AS_OF,
            purpose="marketing",
            epsilon=1.0,
            policies=policies,
            paillier_preset=TEST_ONLY_PAILLIER_1024,
        )
    assert any("purpose" in r for r in wrong_purpose.value.reasons)
    noisy = run_overlap(
        workdir=tmp_path / "noisy",
        **files(data),
        as_of=AS_OF,
        epsilon=1.0,
        policies=policies,
        paillier_preset=TEST_ONLY_PAILLIER_1024,
    )
    assert noisy.outcome.privacy["epsilon"] == 1.0
    assert noisy.outcome.privacy["noise_sd"]["overlap"] > 0
    if noisy.outcome.status == "ok":  # a noisy count under 10 is suppressed
        assert noisy.outcome.count is not None and noisy.outcome.count >= 10


def test_a_request_the_space_swaps_is_refused_by_the_server(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space puts a PSI request of its own (guessed identifiers) in the
    client's place, to learn from the count which of them the hospital holds:
    the hospital checks the CDC's signature on the request and refuses."""
    relay = CardinalityProtocol._relay_request

    def swapped(self, spec, node, r, server_role, server):  # type: ignore[no-untyped-def]
        own = psi.PsiClient(reveal_intersection=False).create_request([canaries.PERSON])
        return relay(self, spec, node, OverlapRequestResult(psi_request=own), server_role, server)

    monkeypatch.setattr(CardinalityProtocol, "_relay_request", swapped)
    with pytest.raises(TaskAltered):
        run_overlap(
            workdir=tmp_path / "w",
            **files(data),
            as_of=AS_OF,
            paillier_preset=TEST_ONLY_PAILLIER_1024,
        )


def test_an_answer_the_space_swaps_is_refused_by_the_client(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space answers the CDC's request itself (a setup of identifiers it
    guessed): the CDC checks the hospital's signature on the answer and
    refuses before it counts, so no count on the space's guesses is made."""
    relay = CardinalityProtocol._relay_response

    def swapped(self, spec, node, r, client_role, client):  # type: ignore[no-untyped-def]
        own = psi.PsiServerKey.generate(reveal_intersection=False)
        forged = OverlapResponseResult(
            psi_setup=own.create_setup([canaries.PERSON], max_client_items=1000),
            psi_response=r.psi_response,
        )
        return relay(self, spec, node, forged, client_role, client)

    monkeypatch.setattr(CardinalityProtocol, "_relay_response", swapped)
    with pytest.raises(TaskAltered):
        run_overlap(
            workdir=tmp_path / "w",
            **files(data),
            as_of=AS_OF,
            paillier_preset=TEST_ONLY_PAILLIER_1024,
        )


@pytest.mark.parametrize(
    ("providers", "epsilon", "why"),
    [
        ({"hospital": ["hospital"], "cdc": ["hospital"]}, None, "two different providers"),
        ({"hospital": ["hospital"]}, None, "exactly one provider of each role"),
        ({"hospital": ["hospital", "cdc"], "cdc": ["cdc"]}, None, "exactly one provider"),
        ({"hospital": ["hospital"], "cdc": ["nobody"]}, None, "not a provider of this space"),
        ({"hospital": ["hospital"], "cdc": ["cdc"]}, -1.0, "epsilon must be a positive"),
    ],
)
def test_the_space_refuses_a_malformed_overlap_job_before_any_node_works(
    data: Path,
    tmp_path: Path,
    providers: dict[str, list[str]],
    epsilon: float | None,
    why: str,
) -> None:
    with EmbeddedDeployment(tmp_path, paillier_preset=TEST_ONLY_PAILLIER_1024) as deployment:
        for name, paths in files(data).items():
            node = deployment.provider(name)
            node.load("csv", paths, LoadOptions(replace=True))
            node.offer_datasets()
        analyst = deployment.consumer("analyst")
        with pytest.raises(ProtocolError, match=why):
            analyst.submit_overlap(
                "subject_overlap",
                as_of=AS_OF,
                purpose="research",
                providers=providers,
                epsilon=epsilon,
            )
        assert deployment.space.store.db.execute("SELECT count(*) FROM tasks").fetchone() == (0,)
