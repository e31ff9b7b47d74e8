"""Two properties of a lookup job that no output comparison can see, each
tested on its own:

- each provider opens exactly the batch subjects it holds (the consumer must
  not seal its whole batch to every provider);
- every score the space releases is re-randomised: it differs from the
  product of the providers' parts and the intercept, and decrypts the same.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from connectors.base import LoadOptions
from connectors.identifiers import normalise_resident_id, resident_id_error
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024
from trusted_space.protocol.messages import EncryptedFeaturesResult, split_handles
from trusted_space.synth import generate_health

AS_OF = dt.date(2026, 10, 31)


def _ids(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {normalise_resident_id(r["person_id"]) for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("data")
    generate_health(800, 11, data, applicants=40, end_date=AS_OF)
    with open(data / "applicants.csv", encoding="utf-8") as fh:
        raw = [r["person_id"] for r in csv.DictReader(fh)]
    batch = sorted(
        {
            normalise_resident_id(p)
            for p in raw
            if resident_id_error(normalise_resident_id(p)) is None
        }
    )
    held = {
        "hospital": _ids(data / "hospital_visits.csv"),
        "cdc": _ids(data / "cdc_case_reports.csv") | _ids(data / "cdc_chronic_registry.csv"),
    }
    opened: dict[str, list[list[str]]] = {"hospital": [], "cdc": []}
    parts: dict[str, list[EncryptedFeaturesResult]] = {"hospital": [], "cdc": []}
    with EmbeddedDeployment(
        tmp_path_factory.mktemp("w"), paillier_preset=TEST_ONLY_PAILLIER_1024
    ) as dep:
        sources = {
            "hospital": [data / "hospital_visits.csv"],
            "cdc": [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"],
        }
        for name, files in sources.items():
            node = dep.provider(name)
            node.load("csv", files, LoadOptions(replace=True))
            node.offer_datasets()
            open_subjects = node._open_subjects

            def recording_open(job_id: str, t: Any, _name: str = name, _f: Any = open_subjects):
                subjects, arguments = _f(job_id, t)
                opened[_name].append([p for _, p in subjects])
                return subjects, arguments

            node._open_subjects = recording_open  # type: ignore[method-assign]
            exchange = node.transport.exchange

            def recording_exchange(
                results: Any, *a: Any, _name: str = name, _f: Any = exchange, **k: Any
            ):
                parts[_name].extend(
                    r.payload for r in results if isinstance(r.payload, EncryptedFeaturesResult)
                )
                return _f(results, *a, **k)

            node.transport.exchange = recording_exchange  # type: ignore[method-assign]
        insurer = dep.consumer("insurer")
        model = default_model_path().read_bytes()
        job = insurer.submit_lookup(
            "underwriting_score",
            batch,
            as_of=AS_OF,
            purpose="underwriting",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            model_document=model,
        )
        dep.run_job(insurer, job)
        released = insurer.transport.job_result(job)
        pk, sk = insurer.paillier_public, insurer.paillier_private
        intercept = ScoreModel.parse(model).integer_intercept(get_product("underwriting_score"))
        return {
            "batch": batch,
            "held": held,
            "opened": opened,
            "parts": parts,
            "released": released,
            "pk": pk,
            "sk": sk,
            "intercept": intercept,
        }


def test_each_provider_opens_exactly_the_batch_subjects_it_holds(run: dict[str, Any]) -> None:
    batch = set(run["batch"])
    for name in ("hospital", "cdc"):
        expected = batch & run["held"][name]
        assert expected and expected != batch, "the batch must hold both members and others"
        assert run["opened"][name], f"{name} opened nothing"
        for subjects in run["opened"][name]:  # each time it opens the job's sealed box
            assert sorted(subjects) == sorted(expected), name


def test_released_scores_are_rerandomised(run: dict[str, Any]) -> None:
    pk, sk = run["pk"], run["sk"]
    by_handle: dict[bytes, list[Any]] = {}
    for name in ("hospital", "cdc"):
        for r in run["parts"][name]:
            for h, c in zip(split_handles(r.handles), pk.unpack(r.ciphertexts), strict=True):
                by_handle.setdefault(h, []).append(c)
    # What the space would release without re-randomising: the intercept
    # encrypted without randomness, times each handle's parts.
    plain_sums = []
    for cts in by_handle.values():
        acc = pk.encrypt_trivial(run["intercept"])
        for c in cts:
            acc = pk.add(acc, c)
        plain_sums.append(acc)
    released = pk.unpack(run["released"].ciphertexts)
    assert len(released) == len(run["batch"])
    assert not set(map(int, released)) & set(map(int, plain_sums)), (
        "a released score is not re-randomised"
    )
    unmatched = len(released) - len(plain_sums)
    assert unmatched > 0, "the batch must hold subjects no provider holds"
    assert int(pk.encrypt_trivial(run["intercept"])) not in set(map(int, released))
    expected = Counter(sk.decrypt(c) for c in plain_sums) + Counter({run["intercept"]: unmatched})
    assert Counter(sk.decrypt(c) for c in released) == expected
