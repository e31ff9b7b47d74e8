"""Merkle trees over ledger entries (the tree of RFC 9162, section 2.1).

Leaves are the entries' hashes: leaf = H(0x00 || entry hash), node =
H(0x01 || left || right), the tree of n leaves splitting at the largest
power of two below n. A checkpoint publishes the root of the first n
entries; an inclusion proof shows that one entry is among them with about
log2(n) hashes, so a reader holding only a checkpoint can check an entry.

``Frontier`` keeps the roots of the perfect subtrees the leaves so far
decompose into, so a root costs O(log n) however long the ledger grows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Hash = Callable[[bytes], bytes]


def leaf_hash(hash_: Hash, entry_hash: bytes) -> bytes:
    return hash_(b"\x00" + entry_hash)


def node_hash(hash_: Hash, left: bytes, right: bytes) -> bytes:
    return hash_(b"\x01" + left + right)


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(hash_: Hash, leaves: Sequence[bytes]) -> bytes:
    """The root over leaf hashes (already ``leaf_hash``ed)."""
    if not leaves:
        return hash_(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(hash_, root(hash_, leaves[:k]), root(hash_, leaves[k:]))


def inclusion_proof(hash_: Hash, leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``leaves``."""
    if not 0 <= index < len(leaves):
        raise IndexError("leaf index outside the tree")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(hash_, leaves[:k], index), root(hash_, leaves[k:])]
    return [*inclusion_proof(hash_, leaves[k:], index - k), root(hash_, leaves[:k])]


def verify_inclusion(
    hash_: Hash, leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected: bytes
) -> bool:
    """RFC 9162, 2.1.3.2: does ``proof`` put ``leaf`` at ``index`` of a tree
    of ``size`` leaves whose root is ``expected``?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(hash_, p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(hash_, r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected


class Frontier:
    """Roots of the perfect subtrees of the leaves so far, largest first."""

    def __init__(self, hash_: Hash, subtrees: list[tuple[int, bytes]] | None = None) -> None:
        self.hash = hash_
        self.subtrees: list[tuple[int, bytes]] = list(subtrees or [])  # (size, root)

    @property
    def size(self) -> int:
        return sum(size for size, _ in self.subtrees)

    def add(self, leaf: bytes) -> None:
        self.subtrees.append((1, leaf))
        while len(self.subtrees) > 1 and self.subtrees[-1][0] == self.subtrees[-2][0]:
            (size, left), (_, right) = self.subtrees[-2], self.subtrees[-1]
            self.subtrees[-2:] = [(2 * size, node_hash(self.hash, left, right))]

    def root(self) -> bytes:
        if not self.subtrees:
            return self.hash(b"")
        acc = self.subtrees[-1][1]
        for _, subtree in reversed(self.subtrees[:-1]):
            acc = node_hash(self.hash, subtree, acc)
        return acc

    def to_json(self) -> list[list[object]]:
        return [[size, r.hex()] for size, r in self.subtrees]

    @classmethod
    def from_json(cls, hash_: Hash, data: list[list[object]]) -> Frontier:
        return cls(hash_, [(int(str(s)), bytes.fromhex(str(r))) for s, r in data])
