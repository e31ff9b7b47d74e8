"""PSI setups built on every core: the provider's set split into partitions.

A provider's subjects are split by a salted hash into P partitions and each
partition's setup (openmined-psi's compressed set) is built in its own worker
with the same server key, so building the setup for a million subjects takes
about 1/P of the time. Requests and responses are unchanged — the server
blinds the client's items whatever partition they fall in — so the server
learns nothing new; the client checks each answered item against the
partition its own item hashes to. Results equal the single-setup result
exactly (the same key, the same items).

The setup travels as a small container: b"TSPS", the partition count, then
each partition's setup with its length.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

from trusted_space.bulk.parallel import starmap, workers
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.hazmat import psi

MAGIC = b"TSPS"
SALT = b"tspace psi partition\x00"
# Below this many subjects one setup is built: workers would cost more than they save.
PARTITION_ABOVE = 50_000


def partition_of(item: str, parts: int) -> int:
    if parts == 1:
        return 0
    digest = hashlib.sha256(SALT + item.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % parts


def pack(setups: Sequence[bytes]) -> bytes:
    out = [MAGIC, struct.pack(">I", len(setups))]
    for s in setups:
        out += [struct.pack(">Q", len(s)), s]
    return b"".join(out)


def unpack(data: bytes) -> list[bytes]:
    if not data.startswith(MAGIC) or len(data) < 8:
        raise ProtocolError(Text("err.base.psi.not_partitioned"))
    (count,) = struct.unpack_from(">I", data, 4)
    pos, setups = 8, []
    for _ in range(count):
        if pos + 8 > len(data):
            raise ProtocolError(Text("err.base.psi.truncated"))
        (size,) = struct.unpack_from(">Q", data, pos)
        pos += 8
        setups.append(data[pos : pos + size])
        pos += size
    if pos != len(data) or not 1 <= count <= 1024:
        raise ProtocolError(Text("err.base.psi.container"))
    return setups


def _setup_part(secret: bytes, items: list[str], max_client_items: int) -> bytes:
    return psi.PsiServerKey.from_secret(secret).create_setup(items, max_client_items)


def build_setup(key: psi.PsiServerKey, items: Sequence[str], max_client_items: int) -> bytes:
    """The partitioned setup of ``items``: one partition per worker for a
    large set, a single one for a small set."""
    parts = workers() if len(items) >= PARTITION_ABOVE else 1
    if parts == 1:
        return pack([key.create_setup(items, max_client_items)])
    buckets: list[list[str]] = [[] for _ in range(parts)]
    for item in items:
        buckets[partition_of(item, parts)].append(item)
    secret = key.export_secret()
    return pack(
        starmap(
            _setup_part,
            [(secret, b, max_client_items) for b in buckets],
            label="psi_setup",
            sizes=[len(b) for b in buckets],
        )
    )


def intersection(
    client: psi.PsiClient, setup: bytes, response: bytes, items: Sequence[str]
) -> list[int]:
    """Indices of ``items`` (the client's request, in order) the server holds."""
    setups = unpack(setup)
    if len(setups) == 1:
        return client.intersection(setups[0], response)
    positions: list[list[int]] = [[] for _ in setups]
    for i, item in enumerate(items):
        positions[partition_of(item, len(setups))].append(i)
    found: list[int] = []
    for part, indices in zip(setups, positions, strict=True):
        if indices:
            sub = psi.response_subset(response, indices)
            found += [indices[j] for j in client.intersection(part, sub)]
    return sorted(found)
