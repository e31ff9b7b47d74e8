"""What the space computes on ciphertexts: nothing else touches them.

Score mode: per handle, Enc(I) * prod_f c_f^{W_f} over every provider's
features. A handle no provider matched gets Enc(I) alone (its features are
all zero by definition). The intercept is encrypted without randomness, so
the caller MUST re-randomise every result before release; that makes the
released ciphertext unlinkable to what the providers sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gmpy2

from trusted_space.hazmat.paillier import PaillierPublicKey


def linear_scores(
    public_key: PaillierPublicKey,
    handles: Sequence[bytes],
    parts: Sequence[tuple[list[str], Mapping[bytes, Sequence[gmpy2.mpz]]]],
    weights: Mapping[str, int],
    intercept: int,
) -> list[gmpy2.mpz]:
    """One (not yet re-randomised) ciphertext per handle of the linear score
    at the model's scale.

    ``parts`` holds, per provider, its feature names and a mapping from handle
    to that handle's ciphertexts in feature order."""
    out: list[gmpy2.mpz] = []
    base = public_key.encrypt_trivial(intercept)
    for handle in handles:
        acc = base
        for features, by_handle in parts:
            cts = by_handle.get(handle)
            if cts is None:
                continue
            for name, c in zip(features, cts, strict=True):
                w = weights[name]
                if w:
                    acc = public_key.add(acc, public_key.mul_plain(c, w))
        out.append(acc)
    return out
