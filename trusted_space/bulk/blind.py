"""The blind lookup's bulk work, shared by provider and consumer.

Masks: r_j = PRF(K, upload id, token_j), MASK_BITS wide: 64 bits more than
any score part, so m_j = s_j + r_j is within 2^-64 of uniform whatever s_j
is. The upload's key is the suite's HMAC of K over the upload id; r_j is the
first MASK_BYTES of the suite's block cipher (AES-256, or SM4 under the
national suite) over the MASK_BLOCKS blocks token_j[:15] || i, i = 0, 1, 2.
Distinct tokens have distinct 120-bit prefixes (tokens are hash outputs: a
collision among a million is about 2^-81 likely), so every block is
distinct and the cipher is a PRF on them. A provider and its consumer derive
the same r_j; the space, which never holds K, sees m_j only. The cipher does
a million subjects in about 0.1 s (AES) or 0.8 s (SM4) on one core, where
two HMACs per subject cost about 4 s of CPU.

Tokens: an OPRF key's tokens of a whole population, on every core.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trusted_space.bulk.parallel import starmap, workers
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite
from trusted_space.crypto.suite import PRF_BLOCK
from trusted_space.hazmat.oprf import TOKEN_BYTES, OprfKey
from trusted_space.protocol.messages import BLIND_MASK_SCHEME

# products.score_model.SCORE_BITS (256) + 64; a test holds them together
# (bulk sits below the product definitions and may not import them).
MASK_BITS = 320
MASK_BYTES = MASK_BITS // 8
MASK_BLOCKS = -(-MASK_BYTES // PRF_BLOCK)
# m_j = s_j + r_j with |s_j| < 2^SCORE_BITS, 0 <= r_j < 2^MASK_BITS: signed, one byte spare.
MASKED_VALUE_BYTES = MASK_BYTES + 1
# The mask construction, named in each upload's request digest and sealed
# binding: a consumer refuses an upload whose masks it would not derive the
# same way, and the space does not reuse one cached under another.
MASK_SCHEME = BLIND_MASK_SCHEME
_UPLOAD_TAG = b"tspace-blind-upload-v2\x00"
# Below this many ids one process makes the tokens: a worker costs more than it saves.
PARALLEL_ABOVE = 20_000
# Ids per part at most, so that the progress bar moves (each part is ~0.5 s a core).
PART_IDS = 10_000


def mask_bytes(suite: CryptoSuite, key: bytes, upload_id: bytes, tokens: bytes) -> bytes:
    """r_j for each token (TOKEN_BYTES each) of one upload, in order, as
    MASK_BYTES big-endian bytes each."""
    if len(tokens) % TOKEN_BYTES:
        raise ProtocolError(Text("err.base.bulk.token_size", n=TOKEN_BYTES))
    count = len(tokens) // TOKEN_BYTES
    if not count:
        return b""
    upload_key = suite.hmac(key, _UPLOAD_TAG + upload_id)
    prefixes = np.frombuffer(tokens, dtype=np.uint8).reshape(count, TOKEN_BYTES)
    blocks = np.empty((count, MASK_BLOCKS, PRF_BLOCK), dtype=np.uint8)
    blocks[:, :, : PRF_BLOCK - 1] = prefixes[:, None, : PRF_BLOCK - 1]
    blocks[:, :, PRF_BLOCK - 1] = np.arange(MASK_BLOCKS, dtype=np.uint8)
    stream = suite.prf_blocks(upload_key, blocks.tobytes())
    out = np.frombuffer(stream, dtype=np.uint8).reshape(count, MASK_BLOCKS * PRF_BLOCK)
    return out[:, :MASK_BYTES].tobytes()


def masks(suite: CryptoSuite, key: bytes, upload_id: bytes, tokens: bytes) -> list[int]:
    """r_j for each token (TOKEN_BYTES each) of one upload, in order."""
    blob = mask_bytes(suite, key, upload_id, tokens)
    w = MASK_BYTES
    return [int.from_bytes(blob[i : i + w], "big") for i in range(0, len(blob), w)]


def masked_values(parts: np.ndarray, mask_blob: bytes) -> bytes:
    """pack_values([s + r for s, r in zip(parts, masks)]) for int64 score
    parts and MASK_BYTES-wide masks, on 64-bit limbs: the masked value's
    MASKED_VALUE_BYTES two's complement is (r + s) mod 2^(8 * MASKED_VALUE_BYTES),
    s sign-extended, carries propagated limb by limb (exact)."""
    count = len(parts)
    if len(mask_blob) != count * MASK_BYTES:
        raise ProtocolError(Text("err.base.bulk.mask_count", n=MASK_BYTES))
    limbs = MASK_BYTES // 8
    r = np.frombuffer(mask_blob, dtype=">u8").reshape(count, limbs).astype(np.uint64)
    s = np.asarray(parts, dtype=np.int64)
    negative = s < 0
    extension = np.where(negative, np.uint64(0xFFFF_FFFF_FFFF_FFFF), np.uint64(0))
    out = np.empty((count, limbs), dtype=np.uint64)
    carry = np.zeros(count, dtype=np.uint64)
    for k in range(limbs - 1, -1, -1):  # the least significant limb is the last column
        added = s.view(np.uint64) if k == limbs - 1 else extension
        partial = r[:, k] + added
        total = partial + carry
        carry = ((partial < r[:, k]) | (total < partial)).astype(np.uint64)
        out[:, k] = total
    top = (np.where(negative, 0xFF, 0).astype(np.uint64) + carry) & np.uint64(0xFF)
    packed = np.empty((count, MASKED_VALUE_BYTES), dtype=np.uint8)
    packed[:, 0] = top.astype(np.uint8)
    packed[:, 1:] = out.astype(">u8").view(np.uint8).reshape(count, MASK_BYTES)
    return packed.tobytes()


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
