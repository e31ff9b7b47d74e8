"""What the space computes on ciphertexts: nothing else touches them.

Features mode: see ``combine_features`` and ``products.features_layout``.

Score mode: each provider already applied the model's weights to its own
features and sent, per handle, Enc(sum_f W_f F_f). The space computes, per
handle, Enc(I) * prod_providers part, where I is the model's intercept at the
same scale; a handle no provider matched gets Enc(I) alone (its features are
all zero by definition). The intercept is encrypted without randomness, so
the caller MUST re-randomise every result before release; that also makes
the released ciphertext unlinkable to what the providers sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

import gmpy2

from products.features_layout import MASK_BITS, Block, released, smudge
from trusted_space.hazmat.paillier import PaillierPublicKey


def sum_scores(
    public_key: PaillierPublicKey,
    handles: Sequence[bytes],
    parts: Sequence[Mapping[bytes, gmpy2.mpz]],
    intercept: int,
) -> list[gmpy2.mpz]:
    """One (not yet re-randomised) ciphertext per handle: intercept plus every
    provider's part of the score."""
    base = public_key.encrypt_trivial(intercept)
    out: list[gmpy2.mpz] = []
    for handle in handles:
        acc = base
        for part in parts:
            c = part.get(handle)
            if c is not None:
                acc = public_key.add(acc, c)
        out.append(acc)
    return out


def combine_features(
    public_key: PaillierPublicKey,
    blocks: Sequence[Block],
    handles: Sequence[bytes],
    parts: Sequence[Mapping[bytes, Sequence[gmpy2.mpz]]],
) -> tuple[list[bytes], list[gmpy2.mpz]]:
    """Per handle some provider holds, one ciphertext per block released for
    its number of holders (``products.features_layout.released``): sums
    added, the extremes of a single holder passed through, ratio blocks added
    then multiplied by a fresh random mask, a shared subject's threshold
    steps (threshold blocks, a sum block's spare slots) added then smudged.
    Not yet re-randomised: the caller MUST re-randomise every ciphertext
    before release."""
    out_handles: list[bytes] = []
    out: list[gmpy2.mpz] = []
    for handle in handles:
        held = [part[handle] for part in parts if handle in part]
        if not held:
            continue
        out_handles.append(handle)
        for i in released(blocks, len(held)):
            block = blocks[i]
            cts = [h[i] for h in held]
            if block.kind == "extreme":
                out.append(cts[0])  # one holder: its exact extreme
            elif block.kind == "ratio":
                out.append(public_key.mul_plain(public_key.sum(cts), _mask()))
            elif block.steps and len(held) > 1:
                # Steps (threshold blocks, a sum block's spare slots): each
                # step's quotient by P hidden (products.features_layout).
                total = public_key.sum(cts)
                out.append(public_key.add(total, public_key.encrypt_trivial(smudge(block))))
            else:
                out.append(public_key.sum(cts))
    return out_handles, out


def _mask() -> int:
    return secrets.randbelow((1 << MASK_BITS) - 1) + 1
