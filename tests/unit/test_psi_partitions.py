"""Partitioned PSI setups: the same answer as one setup, built on every core."""

from __future__ import annotations

import random

import pytest

from trusted_space.bulk import psi_partitions
from trusted_space.core.errors import ProtocolError
from trusted_space.hazmat import psi


def test_a_partitioned_setup_gives_the_plain_intersection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psi_partitions, "PARTITION_ABOVE", 100)
    monkeypatch.setattr(psi_partitions, "workers", lambda: 3)
    rng = random.Random(5)
    universe = [f"{rng.getrandbits(60):018d}" for _ in range(6000)]
    server_items = universe[:4000]
    client_items = rng.sample(universe, 400)
    key = psi.PsiServerKey.generate()
    setup = psi_partitions.build_setup(key, server_items, max_client_items=1000)
    assert len(psi_partitions.unpack(setup)) == 3
    client = psi.PsiClient()
    response = key.process_request(client.create_request(client_items), max_items=400)
    found = psi_partitions.intersection(client, setup, response, client_items)
    assert {client_items[i] for i in found} == set(client_items) & set(server_items)
    single = psi_partitions.pack([key.create_setup(server_items, 1000)])
    assert psi_partitions.intersection(client, single, response, client_items) == found


def test_partitions_split_items_evenly_and_deterministically() -> None:
    counts = [0, 0]
    for i in range(10_000):
        counts[psi_partitions.partition_of(str(i), 2)] += 1
    assert abs(counts[0] - counts[1]) < 400
    assert psi_partitions.partition_of("11010519491231002X", 2) == psi_partitions.partition_of(
        "11010519491231002X", 2
    )


@pytest.mark.parametrize(
    "junk", [b"", b"TSPS", b"XXXX\x00\x00\x00\x01", b"TSPS\x00\x00\x00\x01\x00"]
)
def test_malformed_containers_are_refused(junk: bytes) -> None:
    with pytest.raises(ProtocolError):
        psi_partitions.unpack(junk)
