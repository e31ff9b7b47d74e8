"""The blind lookup (engine 4) on the embedded deployment.

Scores equal the plaintext DuckDB reference for every applicant, members,
non-members, members whose features are all zero and subjects without live
consent mixed in one batch; the insurer's whole view is the same whether
the CDC holds a subject or not (same score); the provider's view holds no
identifier of the batch and nothing that depends on which of them it holds;
the space stores no identifier and no unmasked contribution; bad uploads,
weak keys and short mask removals are refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.applicants import read_applicants
from products.registry import get_product
from products.score_model import ScoreModel
from products.underwriting.reference import reference_scores
from tests import canaries
from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.policy_docs import dated_example, write_policy
from tests.stories import offer_health
from trusted_space.bulk.blind import MASKED_VALUE_BYTES
from trusted_space.core.errors import JobFailed, PolicyDenied, ProtocolError, TspaceError
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment, policy_owners
from trusted_space.hazmat.paillier import PAILLIER_2048, TEST_ONLY_KEYS_ENV, TEST_ONLY_PAILLIER_1024
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)
# The commands below test engines and policies, not key sizes: the named test keys.
TEST_KEYS_ENV = {**os.environ, TEST_ONLY_KEYS_ENV: "1"}
PRODUCT = "underwriting_score"
PROVIDERS = {"cdc": ["cdc"], "hospital": ["hospital"]}


def _ids(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {r["person_id"] for r in csv.DictReader(fh)}


def make_data(out: Path) -> str:
    """Generated health files with the canary, and one applicant the CDC holds
    with all-zero features (only a suspected case report, years old); that
    applicant's id."""
    generate_health(1500, 12, out, applicants=40, end_date=AS_OF)
    canaries.plant_health(out)
    held = (
        _ids(out / "hospital_visits.csv")
        | _ids(out / "cdc_case_reports.csv")
        | _ids(out / "cdc_chronic_registry.csv")
    )
    batch = [a.person_id for a in read_applicants(out / "applicants.csv") if a.person_id]
    zero = next(p for p in batch if p not in held)
    with (out / "cdc_case_reports.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{zero},CR-ZERO-0001,2015-01-02,A01.0,suspected\n")
    return zero


def model_document() -> bytes:
    return ScoreModel.load(default_model_path()).document


def blind_job(dep: EmbeddedDeployment, ids: list[str]) -> tuple[str, list[Decimal | None]]:
    insurer = dep.consumer("insurer")
    job = insurer.submit_blind(
        PRODUCT,
        ids,
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=model_document(),
        consent_refs=["EV-BATCH-2026-11"],
    )
    dep.run_job(insurer, job)
    return job, insurer.outcome(job).scores()


def expected_scores(data: Path, tmp: Path, refused: set[str]) -> dict[str, Decimal]:
    """The reference's scores with the hospital's rows of ``refused`` removed:
    a subject without consent contributes nothing from that provider."""
    hospital = tmp / "hospital_consented.csv"
    with (data / "hospital_visits.csv").open(encoding="utf-8") as src:
        rows = list(csv.DictReader(src))
    with hospital.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.DictWriter(dst, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["person_id"] not in refused)
    out = {}
    applicants = {a.ref: a.person_id for a in read_applicants(data / "applicants.csv")}
    for row in reference_scores(
        hospital=hospital,
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        as_of=AS_OF,
        model=default_model_path(),
        transforms=dated_example("hospital")["output"]["transforms"],
    ):
        person = applicants[row.applicant_ref]
        if person is not None and row.score is not None:
            out[person] = row.score
    return out


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, suite: str) -> Iterator[dict[str, Any]]:
    """One blind job under a policy that makes the hospital require consent,
    with consent recorded for half the applicants it holds."""
    tmp = tmp_path_factory.mktemp(f"blind-{suite}")
    data = tmp / "data"
    zero = make_data(data)
    folder = tmp / "policies"
    folder.mkdir()
    policies = [
        write_policy(folder, "hospital", dated_example("hospital", consent_required=True)),
        write_policy(folder, "cdc", dated_example("cdc")),
    ]
    lines = _Lines()
    root = logging.getLogger()
    root.addHandler(lines)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        with EmbeddedDeployment(
            tmp / "work", suite=suite, paillier_preset=TEST_ONLY_PAILLIER_1024
        ) as dep:
            offer_health(dep, data)
            steward = dep.steward(governs=policy_owners(policies))
            for p in policies:
                steward.publish(p)
            batch = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
            at_hospital = [p for p in batch if p in _ids(data / "hospital_visits.csv")]
            consenting = set(at_hospital[::2]) | {canaries.PERSON}
            dep.provider("hospital").store.record_consents(
                [
                    (p, "insurer", PRODUCT, "underwriting", dt.date(2027, 12, 31), f"EV-{i}")
                    for i, p in enumerate(sorted(consenting))
                ]
            )
            job, scores = blind_job(dep, batch)
            hospital = dep.provider("hospital")
            # The canary's unmasked part of the score at the hospital (it consented).
            canary_part = hospital.blind._score_parts(
                get_product(PRODUCT), _request(hospital.blind.seen[-1]), [canaries.PERSON]
            )[0]
            yield {
                "tmp": tmp,
                "data": data,
                "zero": zero,
                "batch": batch,
                "scores": scores,
                "refused": set(at_hospital) - consenting,
                "consenting": consenting,
                "lines": lines.lines,
                "canary_part": canary_part,
                "job": job,
            }
    finally:
        root.removeHandler(lines)
        root.setLevel(old_level)


def _request(seen: dict[str, Any]) -> Any:
    from trusted_space.protocol.messages import BlindUploadRequest

    return BlindUploadRequest.model_validate(seen["upload"])


def test_blind_scores_equal_the_reference_for_every_kind_of_applicant(
    story: dict[str, Any],
) -> None:
    data, batch = story["data"], story["batch"]
    expected = expected_scores(data, story["tmp"], story["refused"])
    cdc = _ids(data / "cdc_case_reports.csv") | _ids(data / "cdc_chronic_registry.csv")
    hospital = _ids(data / "hospital_visits.csv")
    # The batch mixes every kind the engine must treat alike.
    assert story["zero"] in batch and story["zero"] in cdc
    assert any(p in cdc for p in batch if p != story["zero"])
    assert any(p not in cdc and p not in hospital for p in batch)
    assert story["refused"] and story["consenting"]
    assert canaries.PERSON in batch
    scores = story["scores"]
    assert len(scores) == len(batch) and None not in scores
    for person, score in zip(batch, scores, strict=True):
        assert score is not None
        assert abs(score - expected[person]) < Decimal("1e-9"), person
    # A subject the hospital holds without consent scores as if it held nothing.
    unfiltered = expected_scores(data, story["tmp"], set())
    assert any(expected[p] != unfiltered[p] for p in story["refused"])


def test_the_space_stores_and_logs_no_identifier_and_no_unmasked_contribution(
    story: dict[str, Any],
) -> None:
    space = story["tmp"] / "work" / "space"
    needles = [*canaries.HEALTH_NEEDLES, story["zero"]]
    assert find_canaries(space, needles) == []
    assert find_in_text(story["lines"], needles) == []
    assert find_in_text(sqlite_text(space / "space.sqlite"), needles) == []
    part = int(story["canary_part"])
    assert part != 0  # the canary has visits in the window: its part is not trivial
    raw = part.to_bytes(MASKED_VALUE_BYTES, "big", signed=True)
    stored = b"".join(p.read_bytes() for p in space.rglob("*") if p.is_file())
    assert raw not in stored and str(part).encode() not in stored
    # The check can fail: the hospital node holds the canary.
    assert find_canaries(story["tmp"] / "work" / "nodes" / "hospital", [canaries.PERSON])


def shape(value: Any) -> Any:
    """A message's form without its random content: sizes, keys, counts."""
    if isinstance(value, BaseModel):
        return {
            k: getattr(value, k) if k == "kind" else shape(getattr(value, k))
            for k in type(value).model_fields
        }
    if isinstance(value, bytes):
        return ("bytes", len(value))
    if isinstance(value, str):
        return ("str", len(value))
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [shape(v) for v in value]
    return value


def consumer_view(tmp: Path, data: Path, batch: list[str]) -> tuple[list[Any], list[Any]]:
    """Everything the insurer receives in a blind job (tasks and their
    attached result, in order) as shapes, and its decrypted scores."""
    received: list[Any] = []
    with EmbeddedDeployment(tmp, paillier_preset=TEST_ONLY_PAILLIER_1024) as dep:
        offer_health(dep, data)
        insurer = dep.consumer("insurer")
        handle = insurer.handle

        def recording(task: Any) -> Any:
            received.append(shape(task.payload))
            return handle(task)

        insurer.handle = recording  # type: ignore[method-assign]
        job, scores = blind_job(dep, batch)
        received.append(shape(dep.consumer("insurer").transport.job_status(job)))
        outcome = insurer.outcome(job)
        received.append(shape(outcome.matched) | {"holders": outcome.holders})
    return received, scores


def test_the_consumer_cannot_tell_a_held_subject_from_one_not_held(tmp_path: Path) -> None:
    held = tmp_path / "held"
    zero = make_data(held)
    absent = tmp_path / "absent"
    shutil.copytree(held, absent)
    reports = absent / "cdc_case_reports.csv"
    reports.write_text(
        "".join(
            line
            for line in reports.read_text("utf-8").splitlines(keepends=True)
            if "CR-ZERO-0001" not in line
        ),
        encoding="utf-8",
    )
    assert zero in _ids(held / "cdc_case_reports.csv")
    assert zero not in _ids(absent / "cdc_case_reports.csv")
    batch = [zero, canaries.PERSON]
    view_held, scores_held = consumer_view(tmp_path / "w1", held, batch)
    view_absent, scores_absent = consumer_view(tmp_path / "w2", absent, batch)
    assert scores_held == scores_absent  # same score: the CDC's part is zero
    assert view_held == view_absent
    assert [v.get("kind") for v in view_held[:-2]] == ["blind_finish", "result_ready"]


def provider_view(tmp: Path, data: Path, batch: list[str]) -> list[dict[str, Any]]:
    with EmbeddedDeployment(tmp, paillier_preset=TEST_ONLY_PAILLIER_1024) as dep:
        offer_health(dep, data)
        blind_job(dep, batch)
        return list(dep.provider("hospital").blind.seen)


def test_the_provider_sees_no_identifier_and_nothing_that_depends_on_membership(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    make_data(data)
    at_hospital = _ids(data / "hospital_visits.csv")
    batch = [a.person_id for a in read_applicants(data / "applicants.csv") if a.person_id]
    held = [p for p in batch if p in at_hospital][:4]
    not_held = [p for p in batch if p not in at_hospital][:4]
    assert len(held) == len(not_held) == 4
    seen_held = provider_view(tmp_path / "w1", data, held)
    seen_not = provider_view(tmp_path / "w2", data, not_held)
    assert len(seen_held) == len(seen_not) == 1

    def strip(seen: dict[str, Any]) -> dict[str, Any]:
        out = dict(seen)
        out["blinded"] = len(out["blinded"])
        del out["job_id"]
        out["upload"] = {k: v for k, v in out["upload"].items() if k != "consumer_sealing_key"}
        # The consumer's signed job: the same spec but for the run's own job
        # id and keys; its signature and hashes are of random values.
        job = out.pop("job")
        spec = {k: v for k, v in job["spec"].items() if k not in ("job_id", "paillier_public_key")}
        out["job"] = {"spec": spec, "fields": sorted(job)}
        return out

    assert strip(seen_held[0]) == strip(seen_not[0])
    text = [str(s) for s in seen_held + seen_not]
    assert find_in_text(text, held + not_held) == []


def test_a_consumer_key_under_2048_bits_is_refused(tmp_path: Path) -> None:
    with EmbeddedDeployment(tmp_path, paillier_preset=PAILLIER_2048) as dep:
        dep.paillier_preset = TEST_ONLY_PAILLIER_1024  # the consumer's key only
        data = tmp_path / "data"
        make_data(data)
        offer_health(dep, data)
        with pytest.raises(TspaceError, match="2048"):
            blind_job(dep, [canaries.PERSON])


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[EmbeddedDeployment]:
    data = tmp_path / "data"
    make_data(data)
    with EmbeddedDeployment(tmp_path / "work", paillier_preset=TEST_ONLY_PAILLIER_1024) as dep:
        offer_health(dep, data)
        yield dep


def test_a_mask_removal_count_that_does_not_match_the_batch_is_refused(
    deployment: EmbeddedDeployment,
) -> None:
    insurer = deployment.consumer("insurer")
    finish = insurer._finish_blind

    def short(job_id: str, t: Any) -> Any:
        r = finish(job_id, t)
        width = insurer.paillier_public.ciphertext_bytes
        removals = {k: v[:-width] for k, v in r.removals.items()}
        return r.model_copy(update={"removals": removals})

    insurer._finish_blind = short  # type: ignore[method-assign]
    # The job's reasons carry the typed code only; the count is in the space log.
    with pytest.raises(JobFailed, match=r"protocol_error .*node=insurer.*unacceptable=blind_masks"):
        blind_job(deployment, [canaries.PERSON, "11010519491231002X"])


def test_a_replayed_upload_is_refused(deployment: EmbeddedDeployment) -> None:
    hospital = deployment.provider("hospital").blind
    uploads: list[Any] = []
    make = hospital._upload

    def keep(*args: Any) -> Any:
        uploads.append(make(*args))
        return uploads[-1]

    hospital._upload = keep  # type: ignore[method-assign]
    blind_job(deployment, [canaries.PERSON])
    # The same upload again, for the same request once the space forgot it:
    # its masks would be reused.
    deployment.space.store.db.execute("DELETE FROM blind_cache WHERE key LIKE 'upload/%'")
    hospital._upload = lambda *args: uploads[0]  # type: ignore[method-assign]
    # reasons are typed codes (issue 22): the space refused the provider's
    # second blind evaluation of the job
    with pytest.raises(JobFailed, match=r"protocol_error .*unacceptable=blind_evaluated"):
        blind_job(deployment, [canaries.PERSON])


def test_an_upload_made_for_another_consumer_is_refused_by_the_consumer(
    deployment: EmbeddedDeployment,
) -> None:
    hospital = deployment.provider("hospital").blind
    make = hospital._upload

    def forged(t: Any, *args: Any) -> Any:
        other = t.upload.model_copy(update={"consumer": "someone-else"})
        return make(t.model_copy(update={"upload": other}), *args).model_copy(
            update={"request_hash": t.upload.digest(hospital.suite, t.dataset, t.version)}
        )

    hospital._upload = forged  # type: ignore[method-assign]
    with pytest.raises(JobFailed):
        blind_job(deployment, [canaries.PERSON])
    status = deployment.space.jobs.status("insurer", _last_job(deployment))
    # a typed code (issue 22): the consumer's own step refused the upload
    assert any(r.startswith("protocol_error") and "node=insurer" in r for r in status.reasons), (
        status.reasons
    )


def test_an_upload_under_another_mask_scheme_is_refused_then_replaced(
    deployment: EmbeddedDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider on another release (another mask construction) would make
    every score wrong without a word: the consumer refuses its upload. Once
    the provider runs this release, the upload the space cached under the
    other scheme is not reused: the provider makes a new one, and the scores
    are right again."""
    from connectors.node import blind as node_blind
    from trusted_space.protocol import messages

    _, before = blind_job(deployment, [canaries.PERSON])
    deployment.space.store.db.execute("DELETE FROM blind_cache WHERE key LIKE 'upload/%'")
    with monkeypatch.context() as old_release:
        old_release.setattr(node_blind, "MASK_SCHEME", "hmac-v1")
        old_release.setattr(messages, "BLIND_MASK_SCHEME", "hmac-v1")
        with pytest.raises(JobFailed):
            blind_job(deployment, [canaries.PERSON])
    status = deployment.space.jobs.status("insurer", _last_job(deployment))
    assert any(r.startswith("protocol_error") and "node=insurer" in r for r in status.reasons), (
        status.reasons
    )
    uploads = deployment.provider("hospital").blind._upload
    made: list[object] = []

    def counted(*args: Any) -> Any:
        made.append(args)
        return uploads(*args)

    monkeypatch.setattr(deployment.provider("hospital").blind, "_upload", counted)
    _, after = blind_job(deployment, [canaries.PERSON])
    assert made, "the upload cached under the other scheme was reused"
    assert after == before


def _last_job(dep: EmbeddedDeployment) -> str:
    row = dep.space.store.db.execute(
        "SELECT job_id FROM jobs ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    return str(row[0])


def test_a_job_on_a_product_that_cannot_run_blind_is_refused(
    deployment: EmbeddedDeployment,
) -> None:
    insurer = deployment.consumer("insurer")
    with pytest.raises(ProtocolError, match="not on 'blind_lookup'"):
        insurer.submit_blind(
            "tender_lending_features",
            ["91310115MACANARYA0"],
            as_of=AS_OF,
            purpose="lending",
            providers={"centre": ["centre_a"]},
            model_document=model_document(),
        )


def test_a_policy_requiring_blind_denies_a_direct_job_and_runs_a_blind_one(
    deployment: EmbeddedDeployment, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    steward = deployment.steward(governs=["hospital", "cdc"])
    for name in ("hospital", "cdc"):
        steward.publish(write_policy(folder, name, dated_example(name, lookup="blind")))
    insurer = deployment.consumer("insurer")
    with pytest.raises(PolicyDenied, match="requires the blind lookup"):
        insurer.submit_lookup(
            PRODUCT,
            [canaries.PERSON],
            as_of=AS_OF,
            purpose="underwriting",
            providers=PROVIDERS,
            model_document=model_document(),
        )
    _, scores = blind_job(deployment, [canaries.PERSON])
    assert scores[0] is not None


def test_each_epoch_has_its_own_tokens(deployment: EmbeddedDeployment) -> None:
    hospital = deployment.provider("hospital")
    version = hospital.store.datasets()["hospital"][0]
    ids_a, tokens_a = hospital.blind._population("hospital", version, "2026-11")
    ids_b, tokens_b = hospital.blind._population("hospital", version, "2026-12")
    assert ids_a == ids_b and len(tokens_a) == len(tokens_b) == 32 * len(ids_a)
    assert tokens_a != tokens_b
    assert hospital.blind._population("hospital", version, "2026-11")[1] == tokens_a


def test_tspace_underwrite_blind_writes_the_direct_runs_scores(tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    make_data(data)
    tspace = str(Path(sys.executable).parent / "tspace")
    outputs = {}
    for engine in ("direct_lookup", "blind_lookup"):
        out = tmp_path / f"{engine}.csv"
        result = subprocess.run(
            [
                tspace,
                "--lang",
                "en",
                "underwrite",
                "--hospital",
                str(data / "hospital_visits.csv"),
                "--cdc-reports",
                str(data / "cdc_case_reports.csv"),
                "--cdc-registry",
                str(data / "cdc_chronic_registry.csv"),
                "--applicants",
                str(data / "applicants.csv"),
                "--model",
                str(default_model_path()),
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(out),
                "--workdir",
                str(tmp_path / engine),
                "--engine",
                engine,
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=TEST_KEYS_ENV,
        )
        assert result.returncode == 0, result.stderr
        outputs[engine] = out.read_bytes()
    assert outputs["blind_lookup"] == outputs["direct_lookup"]


def _tspace(language: str, *args: str) -> Any:
    import subprocess
    import sys

    tspace = str(Path(sys.executable).parent / "tspace")
    return subprocess.run(
        [tspace, "--lang", language, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=TEST_KEYS_ENV,
    )


def test_tspace_underwrite_follows_the_example_policies_and_denies_direct_in_both_languages(
    tmp_path: Path,
) -> None:
    """Under the example policies (both require blind) a default ``tspace
    underwrite`` runs blind and writes the reference's scores; one asking
    for the direct lookup is denied, its reason in the chosen language."""
    data = tmp_path / "data"
    make_data(data)
    folder = tmp_path / "policies"
    folder.mkdir()
    policies = [str(write_policy(folder, n, dated_example(n))) for n in ("hospital", "cdc")]
    common = [
        "underwrite",
        *("--hospital", str(data / "hospital_visits.csv")),
        *("--cdc-reports", str(data / "cdc_case_reports.csv")),
        *("--cdc-registry", str(data / "cdc_chronic_registry.csv")),
        *("--applicants", str(data / "applicants.csv")),
        *("--as-of", AS_OF.isoformat()),
        *(x for p in policies for x in ("--policy", p)),
    ]
    out = tmp_path / "scores.csv"
    ran = _tspace("en", *common, "--out", str(out), "--workdir", str(tmp_path / "w"))
    assert ran.returncode == 0, ran.stderr
    assert "blind lookup: scores only" in ran.stdout
    reference = reference_scores(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        as_of=AS_OF,
        model=default_model_path(),
        transforms=dated_example("hospital")["output"]["transforms"],
    )
    with out.open(encoding="utf-8-sig") as fh:
        written = list(csv.DictReader(fh))
    assert [r["applicant_ref"] for r in written] == [r.applicant_ref for r in reference]
    for row, ref in zip(written, reference, strict=True):
        assert row["status"] == ref.status
        if ref.score is not None:
            assert abs(Decimal(row["score"]) - ref.score) < Decimal("1e-6")
    entries = _ledger_kinds(tmp_path / "w")
    assert ("job_submitted", "blind_lookup") in entries
    assert ("policy_decision", "blind_lookup") in entries
    for language, words in (
        ("en", "the policy requires the blind lookup; the job asks for direct_lookup"),
        ("zh-CN", "本策略要求盲查；该任务要求以 direct_lookup 运行"),
    ):
        denied = tmp_path / f"denied-{language}.csv"
        refused = _tspace(
            language,
            *common,
            *("--out", str(denied), "--workdir", str(tmp_path / f"d-{language}")),
            *("--engine", "direct_lookup"),
        )
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert words in refused.stderr
        assert not denied.exists()


def _ledger_kinds(workdir: Path) -> list[tuple[str, str | None]]:
    import json
    import sqlite3

    db = sqlite3.connect(workdir / "space" / "space.sqlite")
    try:
        rows = db.execute("SELECT entry FROM ledger ORDER BY seq").fetchall()
    finally:
        db.close()
    entries = [json.loads(r[0]) for r in rows]
    return [(e["kind"], (e.get("details") or {}).get("engine")) for e in entries]


def test_a_product_that_cannot_run_blind_is_denied_in_both_languages(tmp_path: Path) -> None:
    """A lending policy requiring blind: ``tspace lend`` is denied before any
    centre works, with that reason in the chosen language."""
    import yaml

    from tests.policy_docs import dated
    from trusted_space.synth import generate_tenders

    tenders = tmp_path / "tenders"
    generate_tenders(200, 5, tenders, applicants=10, end_date=AS_OF)
    policy = write_policy(
        tmp_path,
        "centres",
        # without its price per matched subject, refused under lookup: blind
        dated("tender_lending_features.centres.yaml", lookup="blind", price=None),
    )
    assert yaml.safe_load(policy.read_text("utf-8"))["lookup"] == "blind"
    for language, words in (
        ("en", "the policy requires the blind lookup and tender_lending_features cannot run blind"),
        ("zh-CN", "本策略要求盲查，而 tender_lending_features 不能以盲查运行"),
    ):
        out = tmp_path / f"features-{language}.csv"
        refused = _tspace(
            language,
            "lend",
            *("--tenders", str(tenders / "centre_a"), "--tenders", str(tenders / "centre_b")),
            *("--applicants", str(tenders / "bank_applicants.csv")),
            *("--as-of", AS_OF.isoformat(), "--out", str(out)),
            *("--workdir", str(tmp_path / f"w-{language}"), "--policy", str(policy)),
        )
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert words in refused.stderr
        assert not out.exists()


def test_results_larger_than_a_request_go_in_parts_and_score_the_same(
    deployment: EmbeddedDeployment,
) -> None:
    """With a request limit far below a population upload (as a service's
    body limit is below a million people's), every provider's and the
    insurer's large results go in parts; the scores are the same."""
    batch = [canaries.PERSON, *deployment.provider("hospital").store.subject_ids("hospital")[:30]]
    _, whole = blind_job(deployment, batch)
    nodes = [deployment.provider("hospital"), deployment.provider("cdc")]
    insurer = deployment.consumer("insurer")
    for node in [*nodes, insurer]:
        node.transport.part_bytes = 8 * 1024  # type: ignore[attr-defined]
        node.transport.sent.clear()  # type: ignore[attr-defined]
    # A new day's upload: the cached one would spare the providers' parts.
    deployment.space.store.db.execute("DELETE FROM blind_cache WHERE key LIKE 'upload/%'")
    _, parted = blind_job(deployment, batch)
    assert parted == whole
    for node in [*nodes, insurer]:
        sent = node.transport.sent  # type: ignore[attr-defined]
        assert sent.count("part") >= 2, (node.name, sent)
    left = deployment.space.store.db.execute("SELECT count(*) FROM task_parts").fetchone()[0]
    assert left == 0, "parts are dropped once their result is taken"


def leased_hospital_task(deployment: EmbeddedDeployment) -> tuple[str, Any]:
    """A one-person blind job and its hospital task, leased."""
    job = deployment.consumer("insurer").submit_blind(
        PRODUCT,
        [canaries.PERSON],
        as_of=AS_OF,
        purpose="underwriting",
        providers=PROVIDERS,
        model_document=model_document(),
    )
    task = next(t for t in deployment.space.pull_now("hospital") if t.job_id == job)
    return job, task


def test_a_result_naming_a_part_never_sent_is_refused(
    deployment: EmbeddedDeployment,
) -> None:
    """Refused as a malformed message is (recorded, the task kept for a
    correct post); a part is taken only for a task leased to its sender."""
    from trusted_space.core.errors import NotFound
    from trusted_space.protocol.messages import PartsResult, TaskResult

    space = deployment.space
    job, task = leased_hospital_task(deployment)
    with pytest.raises(NotFound):  # a part for another node's task
        space.put_part("cdc", task.task_id, b"x")
    digest = space.put_part("hospital", task.task_id, b'{"kind": "blind_evaluated"')
    forged = TaskResult(
        task_id=task.task_id,
        payload=PartsResult(parts=[digest, "0" * 64], size=40),
        signature="00",
    )
    with pytest.raises(ProtocolError, match="never received"):
        space.complete_task("hospital", forged)
    short = forged.model_copy(update={"payload": PartsResult(parts=[digest], size=99)})
    with pytest.raises(ProtocolError, match="not 99"):
        space.complete_task("hospital", short)
    refused = [e for e in space.ledger.entries() if e.kind == "message_refused"]
    assert len(refused) == 2 and all(e.job_id == job for e in refused)
    assert space.job_status("insurer", job).state != "failed"
    state = space.store.db.execute(
        "SELECT state FROM tasks WHERE task_id = ?", (task.task_id,)
    ).fetchone()[0]
    assert state == "leased"


def test_the_parts_of_one_result_are_capped(deployment: EmbeddedDeployment) -> None:
    """A node cannot fill the space's disk with parts: past the space's
    max_result_bytes for one task, a part is refused (413) and not stored."""
    import dataclasses

    from trusted_space.core.errors import PayloadTooLarge, status_of

    space = deployment.space
    _job, task = leased_hospital_task(deployment)
    tasks = space.tasks
    tasks.config = dataclasses.replace(tasks.config, max_result_bytes=1000)
    space.put_part("hospital", task.task_id, b"a" * 600)
    with pytest.raises(PayloadTooLarge) as refused:
        space.put_part("hospital", task.task_id, b"b" * 600)
    assert status_of(refused.value) == 413
    assert space.store.parts_size(task.task_id) == 600
    space.put_part("hospital", task.task_id, b"c" * 400)  # up to the cap is taken
    assert space.store.parts_size(task.task_id) == 1000


def test_the_ledger_holds_each_node_signed_step_and_no_match_count(
    story: dict[str, Any],
) -> None:
    from trusted_space.api import verify_ledger
    from trusted_space.space.readonly import ledger_entries

    space = story["tmp"] / "work"
    entries = ledger_entries(space)
    mine = [e for e in entries if e.get("job_id") == story["job"]]
    kinds = [e["kind"] for e in mine]
    assert kinds[:2] == ["job_submitted", "policy_decision"]
    assert all(e["details"]["engine"] == "blind_lookup" for e in mine[:2])
    steps = sorted((e["actor"], e["details"]["result"]) for e in mine if e["kind"] == "task_result")
    assert steps == [
        ("cdc", "blind_evaluated"),
        ("hospital", "blind_evaluated"),
        ("insurer", "ack"),
        ("insurer", "blind_masks"),
    ]
    assert all(e["details"]["node_signature"] for e in mine if e["kind"] == "task_result")
    assert {"blind_evaluated", "blind_masks_received", "result_released"} <= set(kinds)
    assert not any("matched" in str(e["details"]) for e in mine)
    assert verify_ledger(space) == len(entries)  # the nodes' signatures included


def test_usage_prices_a_blind_job_per_subject_and_counts_no_match(
    story: dict[str, Any],
) -> None:
    from trusted_space.ledger.metering import usage
    from trusted_space.space.readonly import ledger_entries

    space = story["tmp"] / "work"
    rows = [r for r in usage(ledger_entries(space)) if r.engine == "blind_lookup"]
    assert sorted(r.provider for r in rows) == ["cdc", "hospital"]
    for r in rows:
        assert (r.jobs, r.succeeded, r.subjects) == (1, 1, len(story["batch"]))
        assert r.matched is None and r.cells()[8] == ""
    report = _tspace("en", "usage", "report", "--workdir", str(space), "--csv")
    assert report.returncode == 0, report.stderr
    lines = list(csv.DictReader(report.stdout.splitlines()))
    assert {(r["engine"], r["provider"], r["matched"]) for r in lines} == {
        ("blind_lookup", "cdc", ""),
        ("blind_lookup", "hospital", ""),
    }
