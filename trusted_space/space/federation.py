"""Jobs across spaces: a consumer's job at its home space whose providers
include a peer's.

**At home.** The job is checked and judged as any other, the home's policies
judging the home's providers only (``Jobs.local_spec``). Its parts at each
peer go through this module's worker, outside the space's lock, over signed
requests (trusted_space/transport/peer.py). Each part of a job is a small
state kept in the job's data (``peer/<peer>``), so a restarted space carries
on where it stopped:

    forward   the consumer's signed submission and keys -> the peer's
              decision (a denial ends the job as denied, with the peer's
              reasons; an allow records the peer's ledger entry)
    psi       poll: the peer's providers' PSI responses, setups and keys
    matched   (the consumer's step, as for local providers)
    subjects  the consumer's handles and the subjects sealed to the peer's
              providers -> the peer
    features  poll: the peer's providers' ciphertexts (under the consumer's
              key) and the peer's duties
    done      (combination and release, as for local providers)

A blind lookup's part goes through the same steps: ``psi`` waits for the
peer's providers' evaluated points and sealed mask keys, ``subjects``
relays the consumer's tokens and mask removals (``relay``: ``masks``), and
``features`` waits for the peer's one ciphertext per subject.
    close     the job ended here -> the peer, which drops its data
    closed

A peer that does not answer makes its part wait; after
``peer_patience_seconds`` without an answer the job fails with
``peer_unavailable (peer=...)``. A refusal by the peer fails the job with
the peer's typed code. Nothing waits on a peer inside a request.

**At the peer.** A forwarded job is a job like a local one (``Jobs.submit``
with its ``PeerHome``): its own stewards' policies judge its own providers,
its providers get their tasks and check the consumer's signature as ever,
and the job stops where the home takes over (steps ``peer_psi`` and
``peer_features``): the peer releases nothing but what its providers send
(PSI responses, ciphertexts under the consumer's key).

Both ledgers cross-reference: the peer's ``job_submitted`` names the home's
entry, the home's ``peer_part_accepted`` the peer's; the home's
``peer_part_closed`` the peer's ``peer_job_closed``, which names the home's
last entry for the job.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from products.registry import get_product
from trusted_space.core.errors import (
    NotFound,
    PeeringRefused,
    PeerUnavailable,
    ProtocolError,
    TspaceError,
)
from trusted_space.core.failures import failure_code, failure_reason, known_code
from trusted_space.core.i18n import Text, logged
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import (
    BlindMasksResult,
    EncryptedFeaturesResult,
    JobSpec,
    JobSubmission,
    MatchedSubjectsResult,
)
from trusted_space.protocol.peering import (
    PeerBlindMasks,
    PeerCatalogue,
    PeerClose,
    PeerDataset,
    PeerJobForward,
    PeerJobState,
    PeerSetupRequest,
    PeerSubjects,
)
from trusted_space.space.config import SpaceConfig
from trusted_space.space.jobs import Jobs, PeerHome
from trusted_space.space.participants import Participants
from trusted_space.space.peers import PeerRecord, Peers
from trusted_space.space.port import SPACE
from trusted_space.space.store import SpaceStore
from trusted_space.space.usage import record_peer_denial
from trusted_space.transport.peer import PeerClient

log = logging.getLogger("tspace.federation")

# The steps of a part at which the home calls its peer.
CALLS = ("forward", "psi", "subjects", "features", "close")
_PARAM = re.compile(r"([a-z_]+)=([a-z0-9_.-]+)")


def _reason_from_peer(peer: str, reason: str) -> str:
    """A peer's failure reason, as this space records it: its code and safe
    parameters only (``failure_reason`` drops anything else), and the peer."""
    code, _, rest = reason.partition(" ")
    params: dict[str, str | int] = {
        k: int(v) if v.isdigit() else v for k, v in _PARAM.findall(rest) if k != "peer"
    }
    return failure_reason(known_code(code), peer=peer, **params)


class Federation:
    def __init__(
        self,
        *,
        store: SpaceStore,
        ledger: Ledger,
        suite: CryptoSuite,
        key: SigningKey,
        peers: Peers,
        jobs: Jobs,
        participants: Participants,
        config: SpaceConfig,
        lock: threading.RLock,
        setup: Callable[[str, str, int], bytes],
        setup_hash: Callable[[str, str, int], str],
        blind_required_by: Callable[[str, str, str], list[str]] = lambda *_: [],
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.suite = suite
        self.key = key
        self.peers = peers
        self.jobs = jobs
        self.participants = participants
        self.config = config
        self.lock = lock
        self.setup = setup
        self.setup_hash = setup_hash
        self.blind_required_by = blind_required_by  # (product, role, provider) -> policy ids
        self._cv = threading.Condition()
        self._clients: dict[str, tuple[tuple[str, str, float], PeerClient]] = {}
        self._clients_lock = threading.Lock()

    # -- the home's side: what the engine hands over (under the lock) ---------------------
    def _part(self, job_id: str, peer: str) -> dict[str, Any]:
        return dict(json.loads(self.store.get_data(job_id, f"peer/{peer}") or b"{}"))

    def _put_part(self, job_id: str, peer: str, part: dict[str, Any]) -> None:
        self.store.put_data(job_id, f"peer/{peer}", json.dumps(part).encode())

    def _by_peer(self, spec: JobSpec, names: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for role, providers in spec.providers.items():
            for name in providers:
                if name not in names:
                    continue
                remote = self.peers.remote_dataset(name, spec.product, role)
                if remote is None:
                    raise ProtocolError(Text("err.space.provider.not_provider", name=name))
                out.setdefault(remote[0], []).append(name)
        return out

    def forward(self, spec: JobSpec, submission: JobSubmission, names: list[str]) -> None:
        self.store.put_data(spec.job_id, "submission", submission.model_dump_json().encode())
        for peer, providers in sorted(self._by_peer(spec, names).items()):
            self._put_part(spec.job_id, peer, {"providers": providers, "step": "forward"})
        self.wake()

    def subjects(self, spec: JobSpec, matched: MatchedSubjectsResult, names: list[str]) -> None:
        for peer, providers in sorted(self._by_peer(spec, names).items()):
            relay = PeerSubjects(
                handles=matched.handles,
                sealed={n: matched.sealed[n] for n in providers},
                counts={n: matched.counts[n] for n in providers},
            )
            self.store.put_data(
                spec.job_id, f"peer_subjects/{peer}", relay.model_dump_json().encode()
            )
            part = self._part(spec.job_id, peer)
            part["step"] = "subjects"
            self._put_part(spec.job_id, peer, part)
        self.wake()

    def masks(self, spec: JobSpec, masks: BlindMasksResult, names: list[str]) -> None:
        """A blind lookup: the consumer's tokens and mask removals for each
        peer's providers, relayed (the peer joins them with its providers'
        uploads and answers one ciphertext per subject)."""
        for peer, providers in sorted(self._by_peer(spec, names).items()):
            relay = PeerBlindMasks(
                tokens={n: masks.tokens[n] for n in providers},
                removals={n: masks.removals[n] for n in providers},
            )
            self.store.put_data(spec.job_id, f"peer_masks/{peer}", relay.model_dump_json().encode())
            part = self._part(spec.job_id, peer)
            part.update(step="subjects", relay="masks")
            self._put_part(spec.job_id, peer, part)
        self.wake()

    def close(self, job_id: str, entry: str) -> list[str]:
        keys = self.store.data_keys(job_id, "peer/")
        for key in keys:
            part = json.loads(self.store.get_data(job_id, key) or b"{}")
            part.update(step="close", outcome="collected", close_entry=entry)
            part.pop("since", None)
            self.store.put_data(job_id, key, json.dumps(part).encode())
        if keys:
            self.wake()
        return keys

    # -- the home's worker (outside the lock) ------------------------------------------------
    def wake(self) -> None:
        with self._cv:
            self._cv.notify_all()

    def wait(self, timeout: float) -> None:
        with self._cv:
            self._cv.wait(timeout)

    def pending(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self.lock:
            rows = self.store.db.execute(
                "SELECT job_id, key, value FROM job_data WHERE key LIKE 'peer/%' ORDER BY job_id"
            ).fetchall()
        parts = [(str(r[0]), str(r[1])[5:], dict(json.loads(r[2]))) for r in rows]
        return [p for p in parts if p[2].get("step") in CALLS]

    def _client(self, peer: str, timeout: float) -> PeerClient:
        """One client per peer, kept (its connections stay open), made anew
        when the peer's URL or key changed."""
        record = self.peers.get(peer)
        key = (record.url, record.signing_key, timeout)
        with self._clients_lock:
            held = self._clients.get(peer)
            if held is not None and held[0] == key:
                return held[1]
            if held is not None:
                held[1].close()
            client = PeerClient(
                self.suite,
                self.key,
                peer_name=peer,
                url=record.url,
                peer_key=bytes.fromhex(record.signing_key),
                timeout=timeout,
            )
            self._clients[peer] = (key, client)
            return client

    def close_clients(self) -> None:
        with self._clients_lock:
            for _, client in self._clients.values():
                client.close()
            self._clients.clear()

    def run(self, timeout: float = 10.0) -> int:
        """One pass over every part that waits on a peer, the parts at
        different peers side by side; the number of calls made."""
        parts = self.pending()
        if len(parts) <= 1:
            for part in parts:
                self._run_one(part, timeout)
            return len(parts)
        with ThreadPoolExecutor(max_workers=min(8, len(parts))) as pool:
            list(pool.map(lambda part: self._run_one(part, timeout), parts))
        return len(parts)

    def _run_one(self, item: tuple[str, str, dict[str, Any]], timeout: float) -> None:
        job_id, peer, part = item
        try:
            self._step(self._client(peer, timeout), job_id, peer, part)
        except PeerUnavailable:
            self._unavailable(job_id, peer, part)
        except TspaceError as exc:  # the peer refused, or its answer does not fit
            said = logged("log.space.peer", job=job_id, peer=peer, code=failure_code(exc))
            log.warning("%s", said)
            with self.lock, self.store.transaction():
                if part.get("step") == "close":
                    self._set_step(job_id, peer, "closed")
                else:
                    self.jobs.fail_job(job_id, failure_reason(failure_code(exc), peer=peer))

    def _set_step(self, job_id: str, peer: str, step: str, **extra: Any) -> None:
        part = self._part(job_id, peer)
        part.update(step=step, **extra)
        part.pop("since", None)
        self._put_part(job_id, peer, part)

    def _unavailable(self, job_id: str, peer: str, part: dict[str, Any]) -> None:
        now = time.time()
        with self.lock, self.store.transaction():
            since = float(part.get("since") or now)
            if now - since <= self.config.peer_patience_seconds:
                current = self._part(job_id, peer)
                current.setdefault("since", since)
                self._put_part(job_id, peer, current)
                return
            if part.get("step") == "close":
                self._set_step(job_id, peer, "closed", unanswered=True)
            else:
                self.jobs.fail_job(job_id, failure_reason("peer_unavailable", peer=peer))

    def _running(self, job_id: str) -> JobSpec | None:
        row = self.store.db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None or row[0] not in ("queued", "running"):
            return None
        return self.jobs.spec(job_id)

    def _step(self, client: PeerClient, job_id: str, peer: str, part: dict[str, Any]) -> None:
        step = part["step"]
        names = list(part["providers"])
        if step == "close":
            answer = PeerJobState.model_validate_json(
                client.call(
                    "POST",
                    f"/v1/peer/jobs/{job_id}/close",
                    PeerClose(outcome=part.get("outcome", "failed"), entry=part["close_entry"]),
                )
            )
            with self.lock, self.store.transaction():
                self._set_step(job_id, peer, "closed")
                self.ledger.append(
                    SPACE,
                    "peer_part_closed",
                    {"peer": peer, "peer_entry": answer.entry, "outcome": part.get("outcome")},
                    job_id=job_id,
                )
                self._drop_closed(job_id)
            return
        if step == "forward":
            with self.lock:
                submission = JobSubmission.model_validate_json(
                    self.store.get_data(job_id, "submission") or b"{}"
                )
                keys = self.participants.keys_of(submission.spec.consumer)
                entry = next(
                    e.hash for e in self.ledger.entries(job_id) if e.kind == "job_submitted"
                )
            forward = PeerJobForward(submission=submission, consumer_keys=keys, home_entry=entry)
            answer = PeerJobState.model_validate_json(client.call("POST", "/v1/peer/jobs", forward))
        elif step == "subjects":  # a lookup's sealed subjects, or a blind lookup's masks
            what = "masks" if part.get("relay") == "masks" else "subjects"
            with self.lock:
                relay = self.store.get_data(job_id, f"peer_{what}/{peer}") or b"{}"
            answer = PeerJobState.model_validate_json(
                client.call("POST", f"/v1/peer/jobs/{job_id}/{what}", relay)
            )
        else:
            answer = PeerJobState.model_validate_json(
                client.call("POST", f"/v1/peer/jobs/{job_id}/state", b"")
            )
        with self.lock, self.store.transaction():
            current = self._part(job_id, peer)
            if current.pop("since", None) is not None:  # the peer answers again
                self._put_part(job_id, peer, current)
            spec = self._running(job_id)
            if spec is None:
                return  # ended meanwhile: fail_job marked the part to close
            self._apply(spec, peer, names, step, answer)

    def _apply(
        self, spec: JobSpec, peer: str, names: list[str], step: str, answer: PeerJobState
    ) -> None:
        job_id = spec.job_id
        if answer.state == "denied":
            self._deny(job_id, peer, answer)
            return
        if answer.state == "failed":
            reason = answer.reasons[0] if answer.reasons else "failed"
            self.jobs.fail_job(job_id, _reason_from_peer(peer, reason))
            return
        engine: Any = self.jobs.engine_for(spec)
        if step == "forward":
            offered = {d.provider for d in answer.providers}
            if not set(names) <= offered:
                raise ProtocolError(Text("err.space.peer.accepted_other", peer=peer))
            self._set_step(job_id, peer, "psi", entry=answer.entry)
            self.ledger.append(
                SPACE,
                "peer_part_accepted",
                {"peer": peer, "providers": names, "peer_entry": answer.entry},
                job_id=job_id,
            )
        elif step == "psi" and answer.psi_responses is not None:
            self._set_step(job_id, peer, "matched")
            engine.accept_peer_psi(spec, peer, names, answer)
        elif step == "psi" and answer.evaluated is not None:  # a blind lookup
            self._set_step(job_id, peer, "matched")
            engine.accept_peer_evaluation(spec, peer, names, answer)
        elif step == "subjects" and answer.partial is not None:
            # a blind lookup whose peer joined the masks at once (a small batch)
            self._set_step(job_id, peer, "done")
            engine.accept_peer_partial(spec, peer, names, answer.partial, answer.duties)
        elif step == "subjects":
            self._set_step(job_id, peer, "features")
        elif step == "features" and answer.features is not None:
            self._set_step(job_id, peer, "done")
            engine.accept_peer_features(spec, peer, names, answer.features, answer.duties)
        elif step == "features" and answer.partial is not None:  # a blind lookup
            self._set_step(job_id, peer, "done")
            engine.accept_peer_partial(spec, peer, names, answer.partial, answer.duties)

    def _deny(self, job_id: str, peer: str, answer: PeerJobState) -> None:
        """The peer's stewards denied the job: it ends here as denied, with
        the peer's reasons (most restrictive wins across the spaces)."""
        reasons = {
            "en": [f"{peer}: {r}" for r in answer.reasons],
            "zh-CN": [f"{peer}：{r}" for r in answer.reasons_zh or answer.reasons],
        }
        db = self.store.db
        db.execute(
            "UPDATE jobs SET state = 'denied', step = 'denied', reasons = ? WHERE job_id = ?",
            (json.dumps(reasons, ensure_ascii=False), job_id),
        )
        db.execute(
            "UPDATE tasks SET state = 'cancelled' WHERE job_id = ? AND state <> 'done'", (job_id,)
        )
        self._set_step(job_id, peer, "closed")
        decided = self.ledger.append(
            SPACE,
            "peer_decision",
            {"peer": peer, "allowed": False, "reasons": answer.reasons, "peer_entry": answer.entry},
            job_id=job_id,
        )
        record_peer_denial(db, decided)  # the usage table says denied, as the ledger does
        # The other peers' parts (if any) are closed as failed.
        entry = self.ledger.last()
        for _, other, part in self._parts_of(job_id):
            if other != peer and part.get("step") != "closed":
                self._set_step(
                    job_id,
                    other,
                    "close",
                    outcome="failed",
                    close_entry=entry.hash if entry else "",
                )
        self._drop_closed(job_id)

    def _parts_of(self, job_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (job_id, key[5:], dict(json.loads(self.store.get_data(job_id, key) or b"{}")))
            for key in self.store.data_keys(job_id, "peer/")
        ]

    def _drop_closed(self, job_id: str) -> None:
        """Once a job ended here: drop its data but its result and the parts
        still to close."""
        row = self.store.db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None or row[0] in ("queued", "running"):
            return
        keep = [
            f"peer/{peer}"
            for _, peer, part in self._parts_of(job_id)
            if part.get("step") != "closed"
        ]
        if self.store.get_data(job_id, "result") is not None:
            keep.append("result")
        self.store.drop_data(job_id, keep=tuple(keep))

    # -- the peer's side: what the routes call ---------------------------------------------------
    def submit(self, peer: PeerRecord, forward: PeerJobForward) -> PeerJobState:
        spec = forward.submission.spec
        if spec.product not in peer.products:
            raise PeeringRefused("peering.product_not_agreed", product=spec.product, peer=peer.name)
        home = PeerHome(peer.name, forward.consumer_keys, forward.home_entry)
        self.jobs.submit(peer.name, forward.submission, home)
        return self.state(peer, spec.job_id)

    def _peer_spec(self, peer: PeerRecord, job_id: str) -> JobSpec:
        if self.jobs.home_of(job_id) != peer.name:
            raise NotFound(Text("err.space.peer.no_job", job=job_id, peer=peer.name))
        return self.jobs.spec(job_id)

    def state(self, peer: PeerRecord, job_id: str) -> PeerJobState:
        with self.lock:
            spec = self._peer_spec(peer, job_id)
            status = self.jobs.status(spec.consumer, job_id)
            entry = next(
                (e.hash for e in self.ledger.entries(job_id) if e.kind == "job_submitted"), None
            )
            mine = [n for names in spec.providers.values() for n in names]
            mine = [n for n in mine if self.jobs.is_local_provider(n)]
            offers = self._offers(spec, mine) if status.state not in ("denied", "failed") else []
            responses = {
                n: data
                for n in mine
                if (data := self.store.get_data(job_id, f"psi_response/{n}")) is not None
            }
            features = {
                n: data
                for n in mine
                if (data := self.store.get_data(job_id, f"features/{n}")) is not None
            }
            duties = json.loads(self.store.get_data(job_id, "duties") or b"{}")
            blind: dict[str, Any] = {}
            engine: Any = self.jobs.engine_for(spec)
            if status.state == "running" and hasattr(engine, "evaluation"):
                # a blind lookup: its providers' answers, then its part of the scores
                evaluation = engine.evaluation(spec)
                if evaluation is not None:
                    blind.update(evaluated=evaluation[0], sealed_keys=evaluation[1])
                blind["partial"] = self.store.get_data(job_id, "partial")
        return PeerJobState(
            job_id=job_id,
            state=status.state,
            step=status.step,
            reasons=status.reasons,
            reasons_zh=status.reasons_zh,
            entry=entry,
            duties={str(k): int(v) for k, v in duties.items()},
            providers=offers,
            psi_responses=responses if mine and len(responses) == len(mine) else None,
            features=(
                {n: EncryptedFeaturesResult.model_validate_json(b) for n, b in features.items()}
                if mine and len(features) == len(mine)
                else None
            ),
            **blind,
        )

    def _offers(self, spec: JobSpec, mine: list[str]) -> list[PeerDataset]:
        data = self.store.get_data(spec.job_id, "versions")
        versions = {str(k): int(v) for k, v in json.loads(data or b"{}").items()}
        product = get_product(spec.product)
        out = []
        for role, names in spec.providers.items():
            dataset = product.role(role).dataset
            for name in names:
                if name not in mine or name not in versions:
                    continue
                version = versions[name]
                row = self.store.db.execute(
                    "SELECT max_client_items FROM datasets WHERE provider = ? AND dataset = ? "
                    "AND version = ?",
                    (name, dataset, version),
                ).fetchone()
                out.append(
                    PeerDataset(
                        provider=name,
                        role=role,
                        dataset=dataset,
                        version=version,
                        max_items=int(row[0]) if row else 0,
                        setup_hash=self.setup_hash(name, dataset, version),
                        keys=self.participants.keys_of(name),
                    )
                )
        return out

    def relay_subjects(self, peer: PeerRecord, job_id: str, subjects: PeerSubjects) -> PeerJobState:
        with self.lock:
            spec = self._peer_spec(peer, job_id)
            engine: Any = self.jobs.engine_for(spec)
            with self.store.transaction():
                if self._running(job_id) is not None:
                    engine.accept_peer_subjects(spec, peer.name, subjects)
        return self.state(peer, job_id)

    def relay_masks(self, peer: PeerRecord, job_id: str, masks: PeerBlindMasks) -> PeerJobState:
        with self.lock:
            spec = self._peer_spec(peer, job_id)
            engine: Any = self.jobs.engine_for(spec)
            if not hasattr(engine, "accept_peer_masks"):
                raise ProtocolError(Text("err.space.peer.no_masks"))
            with self.store.transaction():
                if self._running(job_id) is not None:
                    engine.accept_peer_masks(spec, peer.name, masks)
        return self.state(peer, job_id)

    def closed(self, peer: PeerRecord, job_id: str, close: PeerClose) -> PeerJobState:
        with self.lock:
            spec = self._peer_spec(peer, job_id)
            with self.store.transaction():
                if self._running(job_id) is not None:
                    self.ledger.append(
                        peer.name,
                        "peer_job_closed",
                        {"outcome": close.outcome, "home_entry": close.entry},
                        job_id=job_id,
                    )
                    if close.outcome == "collected":
                        self.jobs.set_step(job_id, "succeeded", "released")
                    else:
                        self.jobs.fail_job(job_id, failure_reason("failed", peer=peer.name))
                    self.store.drop_data(job_id, keep=("home", "duties", "versions"))
        state = self.state(peer, spec.job_id)
        closing = next(
            (e.hash for e in self.ledger.entries(job_id) if e.kind == "peer_job_closed"), None
        )
        return state.model_copy(update={"entry": closing or state.entry})

    def catalogue(self, peer: PeerRecord) -> PeerCatalogue:
        """Per product of the agreement, the providers this space hosts."""
        out: dict[str, list[PeerDataset]] = {}
        with self.lock:
            for product_name in peer.products:
                product = get_product(product_name)
                items: list[PeerDataset] = []
                for role in product.roles:
                    rows = self.store.db.execute(
                        "SELECT provider, max(version) FROM datasets WHERE dataset = ? "
                        "GROUP BY provider ORDER BY provider",
                        (role.dataset,),
                    ).fetchall()
                    for provider, version in rows:
                        try:
                            keys = self.participants.keys_of(str(provider))
                        except NotFound:
                            continue  # no keys yet: no consumer could seal to it
                        row = self.store.db.execute(
                            "SELECT max_client_items FROM datasets WHERE provider = ? "
                            "AND dataset = ? AND version = ?",
                            (provider, role.dataset, version),
                        ).fetchone()
                        items.append(
                            PeerDataset(
                                provider=str(provider),
                                role=role.role,
                                dataset=role.dataset,
                                version=int(version),
                                max_items=int(row[0]),
                                setup_hash=self.setup_hash(
                                    str(provider), role.dataset, int(version)
                                ),
                                keys=keys,
                                blind_required_by=self.blind_required_by(
                                    product_name, role.role, str(provider)
                                ),
                            )
                        )
                out[product_name] = items
        return PeerCatalogue(products=out)

    def peer_setup(self, peer: PeerRecord, request: PeerSetupRequest) -> bytes:
        """A provider's PSI setup, for a dataset of a product the agreement covers."""
        datasets = {r.dataset for p in peer.products for r in get_product(p).roles}
        if request.dataset not in datasets or not self.jobs.is_local_provider(request.provider):
            raise NotFound(
                Text(
                    "err.space.provider.no_setup",
                    provider=request.provider,
                    dataset=request.dataset,
                    version=request.version,
                )
            )
        with self.lock:
            return self.setup(request.provider, request.dataset, request.version)
