"""The crypto suite: every hash, HMAC, signature and seal goes through it.

A space picks its suite when created; ``get_suite("default")`` is SHA-256,
HMAC-SHA256, Ed25519 and X25519 sealed boxes. The national suite (SM3, SM2,
SM4) plugs in behind the same interface.
"""

from trusted_space.crypto.suite import (
    CryptoSuite,
    SealingKey,
    SigningKey,
    available_suites,
    get_suite,
)

__all__ = ["CryptoSuite", "SealingKey", "SigningKey", "available_suites", "get_suite"]
