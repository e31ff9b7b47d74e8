"""What the space computes on ciphertexts: nothing else touches them.

Score mode: each provider already applied the model's weights to its own
features and sent, per handle, Enc(sum_f W_f F_f). The space computes, per
handle, Enc(I) * prod_providers part, where I is the model's intercept at the
same scale; a handle no provider matched gets Enc(I) alone (its features are
all zero by definition). The intercept is encrypted without randomness, so
the caller MUST re-randomise every result before release; that also makes
the released ciphertext unlinkable to what the providers sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gmpy2

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
