"""The signing keys this node trusts, one per participant, in its own folder.

A node pins each other party's signing key the first time it sees one of
its statements (trust on first use), or when a person tells it to: ``tspace
keys trust NAME FINGERPRINT``, with the fingerprint ``tspace admin
add-participant`` printed at onboarding, or one read out by the party
itself. Pins live in ``pins/<suite>.json`` under the node's folder, out of
the space's reach.

Every statement of keys the space relays is checked here before the node
seals anything to it or computes anything for it (``check``): its signatures
must verify, its signing key must be the pinned one or be reached from it by
rotations the pinned key signed, and its serial must not go back. Anything
else is refused (``KeyChanged``, ``UntrustedKey``) with a message that says
what to do: a key the space swapped is never used, and a genuine change is
pinned again by a person, loudly.

Limit: a first use is trusted; a space that swaps a party's keys before a
node ever saw them is caught only where a person pinned the fingerprint at
onboarding.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from trusted_space.core.errors import KeyChanged, UntrustedKey
from trusted_space.core.i18n import t
from trusted_space.crypto import CryptoSuite, normalise_fingerprint
from trusted_space.crypto.keyfiles import WatchedJson
from trusted_space.protocol.identity import signing_chain
from trusted_space.protocol.messages import ParticipantKeys

log = logging.getLogger("tspace.node")

FIRST_USE = "first_use"
PERSON = "person"
VERIFIED_KEPT = 256


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Pins:
    def __init__(self, node_dir: Path, suite: CryptoSuite) -> None:
        self.suite = suite
        self.node_dir = Path(node_dir)
        self.path = self.node_dir / "pins" / f"{suite.name}.json"
        # Read again whenever the file changed: a pin a person set or changed
        # (``tspace keys trust``) while the node runs holds from its next task.
        self._file = WatchedJson(self.path)
        self._pins: dict[str, dict[str, Any]] = {}
        self._seen: dict[str, Any] | None = None  # the file's content _pins was made from
        self._reload()
        # Statements whose signatures verified, and their signing keys: the
        # same statement comes with every task (SM2 verifies in pure Python).
        self._verified: dict[str, list[str]] = {}

    def _reload(self) -> None:
        """The pins as the file holds them now (parsed again only if it changed)."""
        on_disk = self._file.read()
        if on_disk is not self._seen:
            self._pins = {name: dict(pin) for name, pin in on_disk.items()}
            self._seen = on_disk

    def pinned(self) -> dict[str, dict[str, Any]]:
        """Every pin: name -> fingerprint, how it was pinned, serial seen."""
        self._reload()
        return {name: dict(pin) for name, pin in sorted(self._pins.items())}

    def _save(self) -> None:
        self._file.write(self._pins)
        self._seen = self._file.read()

    def check(self, keys: ParticipantKeys, role: str) -> ParticipantKeys:
        """``keys``, once they are signed by the pinned signing key of their
        participant (pinning it on first use) and announced as ``role``."""
        statement = keys.model_dump_json()
        chain = self._verified.get(statement)
        if chain is None:
            chain = signing_chain(self.suite, keys)
            if len(self._verified) >= VERIFIED_KEPT:
                self._verified.pop(next(iter(self._verified)))
            self._verified[statement] = chain
        if keys.role != role:
            raise UntrustedKey(t("keys.wrong_role", name=keys.name, role=keys.role, expected=role))
        self._reload()
        fingerprints = [self.suite.identity_fingerprint(bytes.fromhex(k)) for k in chain]
        pin = self._pins.get(keys.name)
        if pin is None:
            self._pins[keys.name] = {
                "fingerprint": fingerprints[-1],
                "signing_key": keys.signing_key,
                "serial": keys.serial,
                "sealing_key": keys.sealing_key,
                "how": FIRST_USE,
                "at": _now(),
            }
            self._save()
            log.info("%s", t("keys.pinned_first_use", name=keys.name, fingerprint=fingerprints[-1]))
            return keys
        pinned_key = pin.get("signing_key")
        if pinned_key:
            at = chain.index(pinned_key) if pinned_key in chain else -1
        else:  # pinned by a person, from a fingerprint
            at = (
                fingerprints.index(pin["fingerprint"]) if pin["fingerprint"] in fingerprints else -1
            )
        if at < 0:
            raise KeyChanged(
                t(
                    "keys.changed",
                    name=keys.name,
                    pinned=pin["fingerprint"],
                    offered=fingerprints[-1],
                    workdir=self.node_dir,
                )
            )
        seen = int(pin.get("serial", 0))
        other_keys = (pinned_key, pin.get("sealing_key")) != (keys.signing_key, keys.sealing_key)
        if keys.serial < seen or (keys.serial == seen and pinned_key and other_keys):
            raise UntrustedKey(
                t("keys.rolled_back", name=keys.name, offered=keys.serial, serial=seen)
            )
        if (
            pin.get("signing_key"),
            pin.get("sealing_key"),
            seen,
        ) != (keys.signing_key, keys.sealing_key, keys.serial):
            if at < len(chain) - 1:
                log.warning(
                    "%s",
                    t(
                        "keys.rotated",
                        name=keys.name,
                        old=pin["fingerprint"],
                        new=fingerprints[-1],
                    ),
                )
            pin.update(
                fingerprint=fingerprints[-1],
                signing_key=keys.signing_key,
                serial=keys.serial,
                sealing_key=keys.sealing_key,
            )
            self._save()
        return keys

    def trust(self, name: str, fingerprint: str) -> str | None:
        """Pin ``name``'s signing key by the fingerprint a person checked;
        return the fingerprint it replaces (None when there was none)."""
        fp = normalise_fingerprint(fingerprint)
        self._reload()
        old = self._pins.get(name)
        self._pins[name] = {
            "fingerprint": fp,
            "signing_key": None,
            "serial": 0,
            "sealing_key": None,
            "how": PERSON,
            "at": _now(),
        }
        self._save()
        return None if old is None else str(old["fingerprint"])
