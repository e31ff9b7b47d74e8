"""The blind lookup's bulk work, shared by provider and consumer.

Masks: r_j = PRF(K, upload id, token_j), the PRF being the suite's HMAC (so
the national suite's HMAC-SM3 replaces HMAC-SHA256), MASK_BITS wide: 64 bits
more than any score part, so m_j = s_j + r_j is within 2^-64 of uniform
whatever s_j is. A provider and its consumer derive the same r_j; the space,
which never holds K, sees m_j only.

Tokens: an OPRF key's tokens of a whole population, on every core.
"""

from __future__ import annotations

from collections.abc import Sequence

from trusted_space.bulk.parallel import starmap, workers
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite
from trusted_space.hazmat.oprf import TOKEN_BYTES, OprfKey

# products.score_model.SCORE_BITS (256) + 64; a test holds them together
# (bulk sits below the product definitions and may not import them).
MASK_BITS = 320
MASK_BYTES = MASK_BITS // 8
# m_j = s_j + r_j with |s_j| < 2^SCORE_BITS, 0 <= r_j < 2^MASK_BITS: signed, one byte spare.
MASKED_VALUE_BYTES = MASK_BYTES + 1
_UPLOAD_TAG = b"tspace-blind-upload\x00"
# Below this many ids one process makes the tokens: a worker costs more than it saves.
PARALLEL_ABOVE = 20_000
# Ids per part at most, so that the progress bar moves (each part is ~0.5 s a core).
PART_IDS = 10_000


def masks(suite: CryptoSuite, key: bytes, upload_id: bytes, tokens: bytes) -> list[int]:
    """r_j for each token (TOKEN_BYTES each) of one upload, in order."""
    if len(tokens) % TOKEN_BYTES:
        raise ProtocolError(Text("err.base.bulk.token_size", n=TOKEN_BYTES))
    upload_key = suite.hmac(key, _UPLOAD_TAG + upload_id)
    items = [tokens[i : i + TOKEN_BYTES] for i in range(0, len(tokens), TOKEN_BYTES)]
    first = suite.hmac_many(upload_key, (b"\x01" + t for t in items))
    second = suite.hmac_many(upload_key, (b"\x02" + t for t in items))
    width = len(first) // len(items) if items else 0
    out = []
    for i in range(len(items)):
        block = first[i * width : (i + 1) * width] + second[i * width : (i + 1) * width]
        if len(block) < MASK_BYTES:
            raise ProtocolError(Text("err.base.bulk.hmac_short"))
        out.append(int.from_bytes(block[:MASK_BYTES], "big"))
    return out


def pack_values(values: Sequence[int]) -> bytes:
    try:
        return b"".join(v.to_bytes(MASKED_VALUE_BYTES, "big", signed=True) for v in values)
    except OverflowError as exc:
        raise ProtocolError(Text("err.base.bulk.masked_range")) from exc


def unpack_values(blob: bytes) -> list[int]:
    if len(blob) % MASKED_VALUE_BYTES:
        raise ProtocolError(Text("err.base.bulk.masked_size", n=MASKED_VALUE_BYTES))
    w = MASKED_VALUE_BYTES
    return [int.from_bytes(blob[i : i + w], "big", signed=True) for i in range(0, len(blob), w)]


def _tokens_part(secret: bytes, ids: Sequence[str]) -> bytes:
    return OprfKey(secret).tokens(ids)


def population_tokens(key: OprfKey, ids: Sequence[str]) -> bytes:
    """F(k, id) for every id, in order, on every core for a large population."""
    if len(ids) < PARALLEL_ABOVE or workers() == 1:
        return key.tokens(ids)
    size = min(PART_IDS, -(-len(ids) // (2 * workers())))
    parts = [list(ids[i : i + size]) for i in range(0, len(ids), size)]
    secret = key.export_secret()
    return b"".join(
        starmap(
            _tokens_part,
            [(secret, p) for p in parts],
            label="blind_tokens",
            sizes=[len(p) for p in parts],
        )
    )
