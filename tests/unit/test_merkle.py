"""Merkle checkpoints: roots, inclusion proofs and the running frontier agree."""

from __future__ import annotations

import hashlib

import pytest

from trusted_space.ledger import merkle


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(sha, sha(str(i).encode())) for i in range(n)]


def test_known_root_of_rfc_9162_shape() -> None:
    a, b, c = leaves(3)
    assert merkle.root(sha, [a, b, c]) == merkle.node_hash(sha, merkle.node_hash(sha, a, b), c)
    assert merkle.root(sha, [a]) == a
    assert merkle.root(sha, []) == sha(b"")


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100])
def test_every_leaf_has_a_valid_proof_and_the_frontier_agrees(n: int) -> None:
    ls = leaves(n)
    top = merkle.root(sha, ls)
    frontier = merkle.Frontier(sha)
    for leaf in ls:
        frontier.add(leaf)
    assert frontier.root() == top and frontier.size == n
    again = merkle.Frontier.from_json(sha, frontier.to_json())
    assert again.root() == top
    for i, leaf in enumerate(ls):
        proof = merkle.inclusion_proof(sha, ls, i)
        assert merkle.verify_inclusion(sha, leaf, i, n, proof, top)
        assert not merkle.verify_inclusion(sha, leaf, (i + 1) % n, n, proof, top) or n == 1
        assert not merkle.verify_inclusion(sha, sha(b"other"), i, n, proof, top)


def test_a_proof_for_one_checkpoint_fails_against_a_later_one() -> None:
    ls = leaves(11)
    proof = merkle.inclusion_proof(sha, ls[:10], 9)
    assert merkle.verify_inclusion(sha, ls[9], 9, 10, proof, merkle.root(sha, ls[:10]))
    assert not merkle.verify_inclusion(sha, ls[9], 9, 11, proof, merkle.root(sha, ls))
