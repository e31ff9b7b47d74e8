"""What the engines share (trusted_space/space/engines/base.py): each engine
answers to its name in the registry, refuses a product that does not run on
it, and reads a job's plan, peers' duties and result the same way."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from trusted_space.core.errors import NotFound, ProtocolError
from trusted_space.protocol.messages import JobResult
from trusted_space.space.engines import ENGINES
from trusted_space.space.engines.base import EngineBase
from trusted_space.space.engines.blind import BlindProtocol
from trusted_space.space.engines.cardinality import CardinalityProtocol
from trusted_space.space.engines.join import JoinProtocol
from trusted_space.space.engines.lookup import LookupProtocol


class Store:
    """Per-job data as ``SpaceStore`` keeps it, in a dict."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], bytes] = {}

    def get_data(self, job_id: str, key: str) -> bytes | None:
        return self.data.get((job_id, key))

    def data_keys(self, job_id: str, prefix: str) -> list[str]:
        return sorted(k for j, k in self.data if j == job_id and k.startswith(prefix))


def engine(cls: type[EngineBase], store: Store | None = None) -> Any:
    space = SimpleNamespace(store=store or Store(), ledger=None, suite=None)
    return cls(space)  # type: ignore[arg-type]


def test_each_engine_is_registered_under_its_own_name() -> None:
    assert {name: cls.name for name, cls in ENGINES.items()} == {  # type: ignore[attr-defined]
        name: name for name in ENGINES
    }


@pytest.mark.parametrize(
    ("cls", "product"),
    [
        (LookupProtocol, "cohort_statistics"),
        (JoinProtocol, "underwriting_score"),
        (BlindProtocol, "tender_lending_features"),
        (CardinalityProtocol, "underwriting_score"),
    ],
)
def test_an_engine_refuses_a_product_that_does_not_run_on_it(
    cls: type[EngineBase], product: str
) -> None:
    spec = SimpleNamespace(product=product)
    with pytest.raises(ProtocolError, match=f"{product} does not run on the {cls.name} engine"):
        engine(cls).product_of(spec)


def test_an_engine_takes_the_products_that_run_on_it() -> None:
    assert engine(BlindProtocol).product_of(SimpleNamespace(product="underwriting_score")).name == (
        "underwriting_score"
    )
    assert engine(LookupProtocol).product_of(
        SimpleNamespace(product="underwriting_score")
    ).name == ("underwriting_score")


def test_an_unknown_product_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="unknown product 'nothing'"):
        engine(LookupProtocol).product_of(SimpleNamespace(product="nothing"))


def test_a_job_without_a_plan_or_result_is_refused() -> None:
    lookup = engine(LookupProtocol)
    with pytest.raises(ProtocolError, match="job j1 has no plan"):
        lookup.stored_plan("j1")
    with pytest.raises(NotFound, match="j1's result was already removed"):
        lookup.result("j1")


def test_plan_and_result_are_read_back() -> None:
    store = Store()
    store.data[("j1", "plan")] = b'{"min_count": 5}'
    result = JobResult(
        job_id="j1", output_mode="score", features=[], handles=b"", ciphertexts=b"", duties={}
    )
    store.data[("j1", "result")] = result.model_dump_json().encode()
    join = engine(JoinProtocol, store)
    assert join.stored_plan("j1") == {"min_count": 5}
    assert join.result("j1") == result


def test_the_most_restrictive_duty_of_the_peers_holds() -> None:
    store = Store()
    store.data[("j1", "peer_duties/a")] = b'{"retain_days": 3, "notify": 1}'
    store.data[("j1", "peer_duties/b")] = b'{"retain_days": 9}'
    store.data[("j2", "peer_duties/c")] = b'{"retain_days": 1}'  # another job's
    duties = engine(LookupProtocol, store).with_peer_duties("j1", {"retain_days": 7})
    assert duties == {"retain_days": 3, "notify": 1}
