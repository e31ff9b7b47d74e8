"""Two spaces peered over HTTP, each a real ``tspace serve`` on 127.0.0.1
(issue 26, federation items 1 and 2): the operators' commands (draft,
add-peer, peers, check-peer, remove-peer), the stewards' approval over
REST, one agreement hash in both ledgers, and the refusal of every request
that is not a peer's own: unsigned, unknown, forged, stale, replayed; each
refusal is signed by the answering space. A peer that is down or silent
fails the call with its reason, quickly."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.cli_runner import run_tspace_wide as tspace
from tests.service.procs import Proc, free_port, wait_healthy
from tests.stewards import add_steward
from trusted_space.core.errors import PeerUnavailable
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.protocol.peering import (
    NONCE_HEADER,
    PEER_HEADER,
    SIGNATURE_HEADER,
    response_digest,
)
from trusted_space.space.readonly import ledger_entries, space_signing_key
from trusted_space.space.space import Space, SpaceConfig
from trusted_space.transport.peer import PeerClient, signed_headers

PRODUCT = "underwriting_score"


@dataclass
class City:
    name: str
    workdir: Path
    url: str
    proc: Proc
    steward_key: Path
    suite: CryptoSuite
    key: SigningKey

    @property
    def public(self) -> str:
        return self.key.public_bytes().hex()

    @property
    def fingerprint(self) -> str:
        return self.suite.fingerprint(self.key.public_bytes())


def _city(root: Path, name: str) -> City:
    workdir = root / name
    space = Space(workdir / "space", SpaceConfig())
    steward_key = root / f"{name}-steward.key"
    steward_key.write_text(add_steward(space, "steward", [f"hospital-{name}"]), encoding="utf-8")
    space.close()
    port = free_port()
    proc = Proc(root / f"{name}.log", "serve", "--workdir", str(workdir), "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url)
    suite, key = space_signing_key(workdir)
    return City(name, workdir, url, proc, steward_key, suite, key)


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[City, City, Path]]:
    root = tmp_path_factory.mktemp("peering")
    a, b = _city(root, "city-a"), _city(root, "city-b")
    try:
        public = tspace("ledger", "public-key", "--workdir", str(b.workdir))
        assert public.stdout.strip() == b.public
        agreement = root / "agreement.json"
        done = tspace(
            "admin", "draft-agreement", "--workdir", str(a.workdir), "--peer-key", b.public,
            "--product", PRODUCT, "--steward", "steward", "--peer-steward", "steward",
            "--out", str(agreement),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        # Before the stewards approve, the operator cannot add the peer.
        early = tspace(
            "admin", "add-peer", "city-b", "--url", b.url, "--signing-key", b.public,
            "--agreement", str(agreement), "--workdir", str(a.workdir),
        )  # fmt: skip
        assert early.returncode == 2
        assert "awaits the approval of this space's stewards: steward" in early.stderr
        for city in (a, b):
            approved = tspace(
                "client", "approve-agreement", str(agreement), "--space", city.url,
                "--api-key-file", str(city.steward_key),
            )  # fmt: skip
            assert approved.returncode == 0, approved.stderr
            assert "stewards that approved: steward" in approved.stdout
        for here, there in ((a, b), (b, a)):
            added = tspace(
                "admin", "add-peer", there.name, "--url", there.url, "--signing-key",
                there.public, "--agreement", str(agreement), "--workdir", str(here.workdir),
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
            assert f"Added peer {there.name}" in added.stdout
        yield a, b, agreement
    finally:
        a.proc.stop()
        b.proc.stop()


def _entries(city: City, kind: str) -> list[dict[str, object]]:
    return [e["details"] for e in ledger_entries(city.workdir) if e["kind"] == kind]


def test_both_ledgers_hold_one_agreement_and_each_side_countersigns(
    cities: tuple[City, City, Path],
) -> None:
    a, b, _ = cities
    (added_a,), (added_b,) = _entries(a, "peer_added"), _entries(b, "peer_added")
    assert added_a["agreement"] == added_b["agreement"]
    assert added_a["fingerprint"] == b.fingerprint and added_b["fingerprint"] == a.fingerprint
    for here, there in ((a, b), (b, a)):
        checked = tspace("admin", "check-peer", there.name, "--workdir", str(here.workdir))
        assert checked.returncode == 0, checked.stderr
        assert f"Peer {there.name} answered and countersigned" in checked.stdout
        (confirmed,) = _entries(here, "peer_confirmed")
        assert confirmed["agreement"] == added_a["agreement"]
        # The countersignature is the peer's ledger key's, over the agreement's hash.
        there.suite.verify(
            there.key.public_bytes(),
            bytes.fromhex(str(confirmed["agreement"])),
            bytes.fromhex(str(confirmed["countersignature"])),
        )
        listed = tspace("admin", "peers", "--workdir", str(here.workdir))
        assert there.name in listed.stdout and there.fingerprint in listed.stdout
        verified = tspace("ledger", "verify", "--workdir", str(here.workdir))
        assert verified.returncode == 0, verified.stderr
    # The stewards see the peer over REST too.
    key = a.steward_key.read_text(encoding="utf-8")
    peers = httpx.get(
        f"{a.url}/v1/peering/peers", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert [(p["name"], p["confirmed"], p["approved_by"]) for p in peers] == [
        ("city-b", True, ["steward"])
    ]


def _send(to: City, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(
        f"{to.url}/v1/peer/hello",
        content=body,
        headers={**headers, "content-type": "application/json"},
        timeout=10,
    )


def _signed_by(answer: httpx.Response, city: City, to: str, nonce: str) -> bool:
    digest = response_digest(
        city.suite,
        sender=city.fingerprint,
        receiver=to,
        nonce=nonce,
        status=answer.status_code,
        body=answer.content,
    )
    try:
        city.suite.verify(
            city.key.public_bytes(), digest, bytes.fromhex(answer.headers[SIGNATURE_HEADER])
        )
    except Exception:
        return False
    return True


def test_requests_not_signed_by_the_pinned_peer_are_refused(
    cities: tuple[City, City, Path],
) -> None:
    a, b, _ = cities
    agreement = str(_entries(a, "peer_added")[0]["agreement"])
    body = json.dumps({"agreement": agreement}).encode()

    def headers(key: SigningKey = a.key, **kw: object) -> dict[str, str]:
        return signed_headers(
            a.suite, key, receiver=b.fingerprint, method="POST", target="/v1/peer/hello",
            body=body, **kw,  # type: ignore[arg-type]
        )  # fmt: skip

    def refused(sent: dict[str, str], status: int, key: str, payload: bytes = body) -> None:
        answer = _send(b, sent, payload)
        assert answer.status_code == status, answer.text
        problem = answer.json()
        assert problem["key"] == key, problem
        assert problem["code"] in ("peer_refused", "peer_replayed")
        # Refusals are signed by the answering space too.
        assert _signed_by(answer, b, sent.get(PEER_HEADER, ""), sent.get(NONCE_HEADER, ""))

    good = headers()
    answer = _send(b, good, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["agreement"] == agreement
    assert _signed_by(answer, b, a.fingerprint, good[NONCE_HEADER])
    refused(good, 409, "peer.replayed")
    refused({}, 401, "peer.unsigned")
    stranger = a.suite.new_signing_key()
    refused(headers(stranger), 401, "peer.unknown")
    refused({**headers(stranger), PEER_HEADER: a.fingerprint}, 401, "peer.forged")
    refused(headers(), 401, "peer.forged", body.replace(b'"}', b'0"}'))
    refused(headers(now=time.time() - 3600), 401, "peer.stale")
    # Nothing of these refusals is in the ledger but the replay (never a body).
    assert _entries(b, "message_refused") == [
        {"message": "peer_request", "target": "/v1/peer/hello", "reason": "peer_replayed"}
    ]
    # An API key is not a peer's signature: participants' keys open no peer route.
    steward = b.steward_key.read_text(encoding="utf-8")
    answer = httpx.post(
        f"{b.url}/v1/peer/hello", content=body, headers={"Authorization": f"Bearer {steward}"}
    )
    assert answer.status_code == 401 and answer.json()["key"] == "peer.unsigned"


def test_a_silent_or_stopped_peer_fails_the_call_with_its_reason(
    cities: tuple[City, City, Path],
) -> None:
    a, b, _ = cities
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        client = PeerClient(
            a.suite, a.key, peer_name="city-b", url=f"http://127.0.0.1:{port}",
            peer_key=b.key.public_bytes(), timeout=1.0,
        )  # fmt: skip
        started = time.monotonic()
        with pytest.raises(PeerUnavailable) as slow:
            client.call("POST", "/v1/peer/hello", b"{}")
        client.close()
    assert time.monotonic() - started < 10
    assert slow.value.params == {"peer": "city-b", "reason": "timeout"}
    # An impostor at the peer's address (another space's key): its answer is refused.
    client = PeerClient(
        a.suite, a.key, peer_name="city-b", url=b.url,
        peer_key=a.suite.new_signing_key().public_bytes(), timeout=5.0,
    )  # fmt: skip
    with pytest.raises(PeerUnavailable) as impostor:
        client.call("POST", "/v1/peer/hello", b"{}")
    client.close()
    assert impostor.value.key == "peer.bad_answer"
    # The peer stops: the operator's check names it, within its timeout.
    b.proc.stop()
    try:
        down = tspace(
            "admin", "check-peer", "city-b", "--workdir", str(a.workdir), "--timeout", "2"
        )
        assert down.returncode == 2
        assert "peer city-b did not answer (connection_refused)" in down.stderr
    finally:
        b.proc.restart()
        wait_healthy(b.url)
    # A peer that removed this space refuses it, and says why in its own words.
    removed = tspace("admin", "remove-peer", "city-a", "--workdir", str(b.workdir))
    assert removed.returncode == 0, removed.stderr
    refused = tspace("admin", "check-peer", "city-b", "--workdir", str(a.workdir))
    assert refused.returncode == 2
    assert f"the space with fingerprint {a.fingerprint} is not a peer" in refused.stderr
