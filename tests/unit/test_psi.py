"""PSI: the private intersection equals the plain one; bad messages are refused."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import random
import time

import pytest

from tests.idleness import Switch
from trusted_space.core.errors import ProtocolError
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


def _wait_ready(pool: psi.PsiClientsAhead, count: int) -> None:
    deadline = time.monotonic() + 60
    while pool.ready() < count:
        assert time.monotonic() < deadline, f"only {pool.ready()} clients were made ahead"
        time.sleep(0.01)


def test_clients_made_ahead_are_fresh_each_handed_out_once_and_answer() -> None:
    switch = Switch(idle=True)
    pool = psi.PsiClientsAhead(size=4, idleness=switch)
    assert pool.take() is None  # off until started
    pool.start()
    try:
        time.sleep(0.1)
        assert pool.ready() == 0  # nothing made before the first lookup wants one
        assert switch.asked == 0  # nor even asked whether the machine is idle
        assert pool.take() is None
        _wait_ready(pool, 4)
        taken = [pool.take() for _ in range(4)]
        assert all(c is not None for c in taken) and pool.take() is None
        secrets = {c.export_secret() for c in taken if c is not None}
        assert len(secrets) == 4  # a new key each
        key = psi.PsiServerKey.generate()
        setup = key.create_setup(["a", "b", "c", "d", "e", "f"], max_client_items=10)
        for client in taken:
            assert client is not None
            response = key.process_request(client.create_request(["x", "c", "e"]), 3)
            assert client.intersection(setup, response) == [1, 2]
        _wait_ready(pool, 4)  # refilled with new keys only
        again = {c.export_secret() for c in (pool.take() for _ in range(4)) if c is not None}
        assert len(again) == 4 and not again & secrets
    finally:
        pool.stop()
    assert pool.take() is None and pool.ready() == 0


def _ready_in_child(pool: psi.PsiClientsAhead, out: multiprocessing.queues.Queue[int]) -> None:
    out.put(pool.ready())


def test_a_forked_child_never_holds_its_parents_clients() -> None:
    pool = psi.PsiClientsAhead(size=3, idleness=Switch(idle=True))
    pool.start()
    try:
        pool.take()
        _wait_ready(pool, 3)
        context = multiprocessing.get_context("fork")
        out: multiprocessing.queues.Queue[int] = context.Queue()
        child = context.Process(target=_ready_in_child, args=(pool, out))
        child.start()
        assert out.get(timeout=30) == 0
        child.join(timeout=30)
        assert pool.ready() == 3  # the parent keeps its own
    finally:
        pool.stop()
