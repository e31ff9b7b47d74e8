"""Stewards for tests on a bare space, added as an operator must add one:
with each owner's signed appointment."""

from __future__ import annotations

from collections.abc import Iterable

from trusted_space.crypto import SigningKey
from trusted_space.nodes.base import appoint_steward
from trusted_space.protocol.identity import sign_keys
from trusted_space.space.space import Space


def owner_key(space: Space, owner: str) -> SigningKey:
    """Register ``owner`` as a provider with a signing key made here; return the key."""
    key = space.suite.new_signing_key()
    space.register(
        sign_keys(
            space.suite,
            key,
            name=owner,
            role="provider",
            sealing_key=space.suite.new_sealing_key().public_bytes(),
            serial=0,
        )
    )
    return key


def add_steward(
    space: Space, name: str, owners: Iterable[str], keys: dict[str, SigningKey] | None = None
) -> str:
    """Add steward ``name`` appointed by each of ``owners``; an owner without a
    key in ``keys`` is registered here first (and its key put in ``keys``).
    Return the steward's API key."""
    keys = {} if keys is None else keys
    appointments = []
    for owner in sorted(set(owners)):
        if owner not in keys:
            keys[owner] = owner_key(space, owner)
        appointments.append(
            appoint_steward(space.suite, keys[owner], owner, name, space.fingerprint)
        )
    return space.add_participant(None, name, "steward", appointments)
