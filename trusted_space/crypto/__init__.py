"""The crypto suite: every hash, HMAC, signature and seal goes through it.

A space picks its suite when created; ``get_suite("default")`` is SHA-256,
HMAC-SHA256, Ed25519 and X25519 sealed boxes; ``get_suite("gm")`` is the
national suite: SM3, HMAC-SM3, SM2 signatures, SM2 + SM4 sealing
(trusted_space/crypto/gm.py).
"""

from trusted_space.crypto.gm import GmSuite
from trusted_space.crypto.suite import (
    CryptoSuite,
    SealingKey,
    SigningKey,
    available_suites,
    get_suite,
    normalise_fingerprint,
    register_suite,
)

register_suite(GmSuite())

__all__ = [
    "CryptoSuite",
    "SealingKey",
    "SigningKey",
    "available_suites",
    "get_suite",
    "normalise_fingerprint",
]
