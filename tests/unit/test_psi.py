"""PSI: the private intersection equals the plain one; bad messages are refused."""

from __future__ import annotations

import random

import pytest

from trusted_space.errors import ProtocolError
from trusted_space.hazmat import psi


@pytest.mark.parametrize("server_size", [3, 50, 3000])  # raw list and compressed set
def test_intersection_equals_the_plain_intersection(server_size: int) -> None:
    rng = random.Random(server_size)
    universe = [f"{rng.getrandbits(60):018d}" for _ in range(server_size * 3)]
    server_items = rng.sample(universe, server_size)
    client_items = rng.sample(universe, min(200, len(universe)))
    key = psi.PsiServerKey.generate()
    setup = key.create_setup(server_items, max_client_items=1000)
    client = psi.PsiClient()
    request = client.create_request(client_items)
    response = key.process_request(request, max_items=len(client_items))
    found = {client_items[i] for i in client.intersection(setup, response)}
    assert found == set(client_items) & set(server_items)


def test_a_restored_server_key_answers_against_its_cached_setup() -> None:
    key = psi.PsiServerKey.generate()
    setup = key.create_setup(["a", "b", "c", "d", "e", "f"], max_client_items=10)
    restored = psi.PsiServerKey.from_secret(key.export_secret())
    client = psi.PsiClient()
    response = restored.process_request(client.create_request(["b", "z"]), max_items=2)
    assert client.intersection(setup, response) == [0]


def test_a_restored_client_finishes_its_job() -> None:
    key = psi.PsiServerKey.generate()
    setup = key.create_setup(["a", "b", "c", "d", "e", "f"], max_client_items=10)
    client = psi.PsiClient()
    request = client.create_request(["x", "c"])
    restored = psi.PsiClient(secret=client.export_secret())
    assert restored.intersection(setup, key.process_request(request, 2)) == [1]


def test_a_request_larger_than_declared_is_refused() -> None:
    key = psi.PsiServerKey.generate()
    request = psi.PsiClient().create_request(["a", "b", "c"])
    assert psi.request_size(request) == 3
    with pytest.raises(ProtocolError, match="more than the declared 2"):
        key.process_request(request, max_items=2)


@pytest.mark.parametrize("junk", [b"\xff\xff\xff", b"\x0a\x05abc"])
def test_malformed_messages_are_refused(junk: bytes) -> None:
    key = psi.PsiServerKey.generate()
    with pytest.raises(ProtocolError):
        key.process_request(junk, max_items=10)
    with pytest.raises(ProtocolError):
        psi.PsiClient().intersection(junk, junk)


def test_cardinality_mode_reveals_only_the_size() -> None:
    key = psi.PsiServerKey.generate(reveal_intersection=False)
    setup = key.create_setup([str(i) for i in range(100)], max_client_items=50)
    client = psi.PsiClient(reveal_intersection=False)
    response = key.process_request(client.create_request([str(i) for i in range(90, 120)]), 30)
    assert client.intersection_size(setup, response) == 10
    with pytest.raises(ValueError):
        client.intersection(setup, response)
