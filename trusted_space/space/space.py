"""The space's API: every transport (embedded or HTTP) calls these methods.

Each method takes the authenticated caller's name first and refuses what
that caller may not do; a lock makes each call atomic for the service's
threads. State lives in ``SpaceStore`` (SQLite) and each change commits with
its ledger entry, so a restarted space carries on where it stopped: leases
expire, tasks are offered again, a combination in progress is redone.

``Space`` is the facade: participants, datasets, models and policies are
here; jobs are in ``jobs.py``, tasks and their leases in ``tasks.py``, and
each kind of job runs in its engine (``engines/``), which sees the space only
through ``port.JobContext`` (that ``Space`` provides).

What the space learns (DESIGN.md, direct PSI lookup): batch size, which
providers each fresh per-job handle matched, ciphertext sizes, dataset sizes
implied by PSI setups. It never receives an identifier or a plaintext value.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from policies.lookup import choice_for, choose_engine
from policies.obligations import Obligations
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.core.errors import (
    AppointmentRefused,
    CryptoError,
    InputError,
    NotAuthorised,
    NotFound,
    PeerReplayed,
    ProtocolError,
)
from trusted_space.core.i18n import Text, english, recognised
from trusted_space.core.timing import StageTimer
from trusted_space.crypto import CryptoSuite, SigningKey, get_suite
from trusted_space.crypto.keyfiles import load_or_create_signing_key
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import (
    BlindMasksResult,
    DatasetOffer,
    JobResult,
    JobSpec,
    JobStatus,
    JobSubmission,
    LookupEngineChoice,
    MatchedSubjectsResult,
    ParticipantKeys,
    ResultOutcome,
    SignedJob,
    StewardAppointment,
    Task,
    TaskExchangeReply,
    TaskPayload,
    TaskResult,
)
from trusted_space.protocol.peering import (
    PeerBlindMasks,
    PeerCatalogue,
    PeerClose,
    PeerDataset,
    PeerHello,
    PeerHelloReply,
    PeeringTerms,
    PeerJobForward,
    PeerJobState,
    PeerSetupRequest,
    PeerSubjects,
)
from trusted_space.space.config import SpaceConfig
from trusted_space.space.engines import build_engines
from trusted_space.space.federation import Federation
from trusted_space.space.gate import PolicyGate
from trusted_space.space.jobs import Jobs
from trusted_space.space.participants import Participants
from trusted_space.space.peers import PeerRecord, Peers
from trusted_space.space.policy_registry import (
    PolicyRecord,
    PolicyRegistry,
    RegistryGate,
    model_hash,
)
from trusted_space.space.port import SPACE
from trusted_space.space.stewards import Stewards
from trusted_space.space.store import SpaceStore
from trusted_space.space.tasks import Tasks
from trusted_space.transport.peer import PeerClient

log = logging.getLogger("tspace.space")

F = TypeVar("F", bound=Callable[..., Any])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _no_setup(provider: str, dataset: str, version: int) -> NotFound:
    return NotFound(
        Text("err.space.provider.no_setup", provider=provider, dataset=dataset, version=version)
    )


def _locked(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(self: Space, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return fn(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Space:
    def __init__(
        self, space_dir: Path, config: SpaceConfig | None = None, gate: PolicyGate | None = None
    ) -> None:
        self.config = config or SpaceConfig()
        self.lock = threading.RLock()
        self._setup_hashes: dict[tuple[str, str, int], str] = {}
        self.store = SpaceStore(space_dir, max_pages=self.config.sqlite_max_pages)
        recorded = self.store.get_meta("suite")
        if recorded is not None and recorded != self.config.suite:
            raise CryptoError(
                Text(
                    "err.space.folder.other_suite", recorded=recorded, configured=self.config.suite
                )
            )
        self.suite: CryptoSuite = get_suite(self.config.suite)
        self.key: SigningKey = load_or_create_signing_key(self.suite, Path(space_dir) / "keys")
        self.ledger = Ledger(self.store.db, self.suite, self.key)
        self.participants = Participants(self.store.db, self.suite, self.ledger)
        self.stewards = Stewards(self.store.db, self.suite, self.ledger, self.key.public_bytes())
        self.policies = PolicyRegistry(self.store, self.ledger, self.participants, self.stewards)
        self.peers = Peers(self.store.db, self.suite, self.ledger, self.key)
        # Differential-privacy noise; tests may seed their own generator.
        self.dp_rng: random.Random = random.SystemRandom()
        self.timer = StageTimer()
        self.jobs = Jobs(
            store=self.store,
            ledger=self.ledger,
            participants=self.participants,
            config=self.config,
            gate=gate or RegistryGate(self.policies, require_policy=self.config.require_policy),
            lock=self.lock,
            timer=self.timer,
            engines=build_engines(self),  # each engine sees this space as its JobContext
        )
        self.tasks = Tasks(
            store=self.store,
            ledger=self.ledger,
            suite=self.suite,
            participants=self.participants,
            config=self.config,
            lock=self.lock,
            jobs=self.jobs,
        )
        self.federation = Federation(
            store=self.store,
            ledger=self.ledger,
            suite=self.suite,
            key=self.key,
            peers=self.peers,
            jobs=self.jobs,
            participants=self.participants,
            config=self.config,
            lock=self.lock,
            setup=self.setup,
            setup_hash=self.setup_hash,
            blind_required_by=self._blind_required_by,
        )
        if recorded is None:
            with self.store.transaction():
                self.store.set_meta("suite", self.suite.name)
                self.ledger.append(
                    SPACE,
                    "space_created",
                    {
                        "suite": self.suite.name,
                        "signing_key": self.key.public_bytes().hex(),
                        "min_paillier_bits": self.config.min_paillier_bits,
                    },
                )

    def close(self) -> None:
        with self.lock:
            self.store.close()

    # -- participants --------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """The fingerprint of the space's ledger key: what an owner's
        appointment of a steward names."""
        return self.suite.fingerprint(self.key.public_bytes())

    @_locked
    def add_participant(
        self,
        caller: str | None,
        name: str,
        role: str,
        appointments: Sequence[StewardAppointment] = (),
        signing_key: str | None = None,
    ) -> str:
        """Add a participant and return its API key (shown once); with
        ``signing_key`` (hex), bind its signing key now. A name that exists is
        refused (``ParticipantExists``). ``caller`` None is the operator at
        the space's own console (``tspace admin``). A steward needs the signed
        appointment of each owner it is to govern: the operator alone cannot
        make one."""
        if caller is not None:
            self.participants.require(caller, "operator")
        if role == "steward" and not appointments:
            raise AppointmentRefused("appointment.missing", steward=name)
        if role != "steward" and appointments:
            raise ValueError(english(Text("err.base.value.steward_only")))
        with self.store.transaction():
            key = self.participants.add(caller or "admin-console", name, role, signing_key)
            for appointment in appointments:
                self.stewards.appoint(caller or "admin-console", appointment, name)
            return key

    @_locked
    def rebind_signing_key(self, caller: str | None, name: str, signing_key: str) -> None:
        """Bind a participant that lost its signing key to a new one (loudly:
        a ledger entry; nodes that pinned the old key refuse it until a person
        there pins the new one)."""
        if caller is not None:
            self.participants.require(caller, "operator")
        with self.store.transaction():
            self.participants.rebind(caller or "admin-console", name, signing_key)

    @_locked
    def appoint_steward(
        self, caller: str | None, steward: str, appointments: Sequence[StewardAppointment]
    ) -> list[str]:
        """Bind an existing steward to more owners, each by its signed
        appointment; return every owner it now governs."""
        if caller is not None:
            self.participants.require(caller, "operator")
        if not appointments:
            raise AppointmentRefused("appointment.missing", steward=steward)
        with self.store.transaction():
            for appointment in appointments:
                self.stewards.appoint(caller or "admin-console", appointment, steward)
        return sorted(self.stewards.owners_of(steward))

    @_locked
    def steward_owners(self, caller: str) -> dict[str, list[str]]:
        """Each steward's owners."""
        self._require(caller, "steward", "operator")
        return self.stewards.bindings()

    @_locked
    def rotate_key(self, caller: str | None, name: str) -> str:
        """Revoke every API key of ``name`` and return a new one (shown once)."""
        if caller is not None:
            self.participants.require(caller, "operator")
        with self.store.transaction():
            return self.participants.rotate_key(caller or "admin-console", name)

    @_locked
    def register(
        self, keys: ParticipantKeys, appointments: Sequence[StewardAppointment] = ()
    ) -> None:
        """Embedded convenience: add a participant and record its keys at
        once, and bind a steward to the owners whose appointments are given."""
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT role FROM participants WHERE name = ?", (keys.name,)
            ).fetchone()
            if row is None:
                self.participants.add("admin-console", keys.name, keys.role)
            self.participants.register_keys(keys.name, keys)
            for appointment in appointments:
                self.stewards.appoint("admin-console", appointment, keys.name)

    @_locked
    def register_keys(self, caller: str, keys: ParticipantKeys) -> None:
        with self.store.transaction():
            self.participants.register_keys(caller, keys)

    @_locked
    def authenticate(self, api_key: str) -> str:
        return self.participants.authenticate(api_key)

    @_locked
    def whoami(self, caller: str) -> dict[str, str]:
        return {
            "name": caller,
            "role": self.participants.role(caller),
            "suite": self.suite.name,
            "space": self.fingerprint,
        }

    @_locked
    def public_keys(self, caller: str) -> list[ParticipantKeys]:
        self.participants.role(caller)
        return self.participants.public_keys()

    def _require(self, caller: str, *roles: str) -> None:
        self.participants.require(caller, *roles)

    # -- datasets ------------------------------------------------------------------
    @_locked
    def offer_dataset(self, caller: str, offer: DatasetOffer) -> None:
        self._require(caller, "provider")
        if offer.provider != caller:
            raise NotAuthorised(Text("err.space.provider.own_datasets"))
        with self.store.transaction() as db:
            exists = db.execute(
                "SELECT setup FROM datasets WHERE provider = ? AND dataset = ? AND version = ?",
                (offer.provider, offer.dataset, offer.version),
            ).fetchone()
            if exists is not None:
                if bytes(exists[0]) != offer.psi_setup:
                    raise ProtocolError(Text("err.space.provider.setup_changed"))
                return
            db.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    offer.provider,
                    offer.dataset,
                    offer.version,
                    offer.max_client_items,
                    offer.fpr,
                    offer.psi_setup,
                    _now(),
                ),
            )
            self.ledger.append(
                caller,
                "dataset_offered",
                {
                    "dataset": offer.dataset,
                    "version": offer.version,
                    "max_client_items": offer.max_client_items,
                    "setup_hash": self.suite.hex_hash(offer.psi_setup),
                    "setup_bytes": len(offer.psi_setup),
                    "stats": offer.stats,
                },
            )

    def latest_offer(self, provider: str, dataset: str) -> tuple[int, int] | None:
        """(version, max_client_items) of the provider's newest offer of a dataset."""
        row = self.store.db.execute(
            "SELECT version, max_client_items FROM datasets "
            "WHERE provider = ? AND dataset = ? ORDER BY version DESC LIMIT 1",
            (provider, dataset),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def setup(self, provider: str, dataset: str, version: int) -> bytes:
        row = self.store.db.execute(
            "SELECT setup FROM datasets WHERE provider = ? AND dataset = ? AND version = ?",
            (provider, dataset, version),
        ).fetchone()
        if row is None:
            raise _no_setup(provider, dataset, version)
        return bytes(row[0])

    def setup_hash(self, provider: str, dataset: str, version: int) -> str:
        """The hash of an offered setup, computed once: an offered version's
        setup never changes (offer_dataset refuses a different one)."""
        key = (provider, dataset, version)
        digest = self._setup_hashes.get(key)
        if digest is None:
            digest = self._setup_hashes[key] = self.suite.hex_hash(
                self.setup(provider, dataset, version)
            )
        return digest

    def dataset_setup(self, caller: str, provider: str, dataset: str, version: int) -> bytes:
        """A provider's cached PSI setup, for consumers (it is built for them);
        a peer's provider's is fetched from the peer once, then kept."""
        with self.lock:
            self._require(caller, "consumer", "provider")
            if self.participants.role(caller) == "provider" and caller != provider:
                raise NotFound(
                    Text(
                        "err.space.provider.no_setup_for",
                        provider=provider,
                        dataset=dataset,
                        version=version,
                        caller=caller,
                    )
                )
            if self.jobs.is_local_provider(provider) or caller == provider:
                return self.setup(provider, dataset, version)
            key = f"{provider}/{dataset}/{version}"
            cached = self.peers.cached_setup(key)
            if cached is not None:
                return cached
            row = self.store.db.execute(
                "SELECT peer FROM peer_catalogue WHERE provider = ? LIMIT 1", (provider,)
            ).fetchone()
            if row is None:
                raise _no_setup(provider, dataset, version)
            peer = self.peers.get(str(row[0]))
        client = PeerClient(
            self.suite,
            self.key,
            peer_name=peer.name,
            url=peer.url,
            peer_key=bytes.fromhex(peer.signing_key),
            timeout=max(self.config.peer_timeout_seconds, 60.0),
        )
        try:
            setup = client.call(
                "POST",
                "/v1/peer/setup",
                PeerSetupRequest(provider=provider, dataset=dataset, version=version),
            )
        finally:
            client.close()
        with self.lock, self.store.transaction():
            self.peers.cache_setup(key, setup)
        return setup

    @_locked
    def product_providers(self, caller: str, product: str) -> dict[str, list[str]]:
        """Per role of ``product``, the providers offering its dataset."""
        self._require(caller, "consumer", "steward", "operator")
        try:
            prod = get_product(product)
        except ValueError as exc:
            raise NotFound(recognised(str(exc))) from None
        out: dict[str, list[str]] = {}
        for role in prod.roles:
            rows = self.store.db.execute(
                "SELECT DISTINCT provider FROM datasets WHERE dataset = ? ORDER BY provider",
                (role.dataset,),
            ).fetchall()
            out[role.role] = [r[0] for r in rows]
        # The active peers' providers, for the products of each agreement.
        for role_name, names in self.peers.remote_providers(prod.name).items():
            out.setdefault(role_name, []).extend(n for n in names if n not in out[role_name])
        return out

    @_locked
    def lookup_engine(
        self, caller: str, product: str, providers: dict[str, list[str]] | None
    ) -> LookupEngineChoice:
        """The engine the published policies choose for a job of ``product``
        on ``providers``' data (None or empty: any provider's): what a
        consumer submits when it asks for none."""
        self._require(caller, "consumer", "steward", "operator")
        try:
            prod = get_product(product)
        except ValueError as exc:
            raise NotFound(recognised(str(exc))) from None
        local = None
        if providers:  # a peer's providers: its own policies, as its catalogue says
            local = {
                r: [n for n in ns if self.jobs.is_local_provider(n)] for r, ns in providers.items()
            }
        choice = choose_engine(self.policies.active(prod.name), prod, local or None)
        remote = set()
        for role, names in (providers or {}).items():
            for name in names:
                found = (
                    None
                    if self.jobs.is_local_provider(name)
                    else (self.peers.remote_dataset(name, prod.name, role))
                )
                if found is not None:
                    remote |= {f"{found[0]}:{p}" for p in found[1].blind_required_by}
        if remote:  # most restrictive across the spaces
            choice = choice_for(prod, sorted({*choice.required_by, *remote}))
        return LookupEngineChoice.model_validate(choice.to_dict())

    def _blind_required_by(self, product: str, role: str, provider: str) -> list[str]:
        """Ids of this space's policies requiring the blind lookup for jobs of
        ``product`` on ``provider``'s data (what its peers' catalogues carry)."""
        prod = get_product(product)
        choice = choose_engine(self.policies.active(product), prod, {role: [provider]})
        return list(choice.required_by)

    # -- models --------------------------------------------------------------------------
    @_locked
    def publish_model(self, caller: str, document: bytes) -> str:
        """A steward publishes a model file; policies pin it by its SHA-256."""
        self._require(caller, "steward")
        try:
            ScoreModel.parse(document)
        except InputError as exc:
            raise ProtocolError(Text("err.space.model.refused", reason=exc)) from exc
        digest = self.model_hash(document)
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM models WHERE sha256 = ?", (digest,)).fetchone() is None:
                db.execute(
                    "INSERT INTO models VALUES (?, ?, ?, ?)", (digest, document, caller, _now())
                )
                self.ledger.append(caller, "model_published", {"sha256": digest})
        return digest

    @_locked
    def approved_model(self, caller: str, product: str) -> bytes:
        """The model every active policy of ``product`` pins, if the space holds it."""
        self._require(caller, "consumer", "steward")
        pins = {p.model.sha256 for p in self.policies.active(product) if p.model is not None}
        if len(pins) != 1:
            raise NotFound(Text("err.space.model.not_single", product=product, pinned=len(pins)))
        row = self.store.db.execute(
            "SELECT document FROM models WHERE sha256 = ?", (pins.pop(),)
        ).fetchone()
        if row is None:
            raise NotFound(Text("err.space.model.unpublished", product=product))
        return bytes(row[0])

    @staticmethod
    def model_hash(document: bytes) -> str:
        """SHA-256 of a model file, the form policies pin it in."""
        return model_hash(document)

    # -- policies ---------------------------------------------------------------------------
    def publish_policy(self, caller: str, document: bytes | str) -> PolicyRecord:
        with self.lock:
            return self.policies.publish(caller, document)

    def retire_policy(self, caller: str, policy_id: str) -> None:
        with self.lock:
            self.policies.retire(caller, policy_id)

    def approve_policy(self, caller: str, policy_id: str, version: int) -> PolicyRecord:
        """The caller's approval of a pending version, for the owners that
        appointed it; in force once each owner it needs has approved."""
        with self.lock:
            return self.policies.approve(caller, policy_id, version)

    @_locked
    def policy_records(self, caller: str) -> list[PolicyRecord]:
        self._require(caller, "steward", "operator")
        return self.policies.records()

    # -- peers (peers.py) -------------------------------------------------------------------
    @_locked
    def approve_agreement(self, caller: str, terms: PeeringTerms) -> list[str]:
        """A steward of this space approves a peering agreement that names it;
        return every steward of this space that has approved it."""
        self._require(caller, "steward")
        with self.store.transaction():
            return self.peers.approve(caller, terms)

    @_locked
    def add_peer(
        self, caller: str | None, name: str, url: str, signing_key: str, terms: PeeringTerms
    ) -> PeerRecord:
        """Pin another space (its URL and ledger key) under an agreement this
        space's stewards approved. ``caller`` None: the operator at the
        space's own console (``tspace admin add-peer``)."""
        if caller is not None:
            self.participants.require(caller, "operator")
        with self.store.transaction():
            return self.peers.add(caller or "admin-console", name, url, signing_key, terms)

    @_locked
    def remove_peer(self, caller: str | None, name: str) -> None:
        if caller is not None:
            self.participants.require(caller, "operator")
        with self.store.transaction():
            self.peers.remove(caller or "admin-console", name)

    @_locked
    def peer_records(self, caller: str | None) -> list[PeerRecord]:
        if caller is not None:
            self._require(caller, "operator", "steward")
        return self.peers.records()

    @_locked
    def peer_known(self, fingerprint: str) -> bool:
        return self.peers.known(fingerprint)

    @_locked
    def verify_peer_request(
        self, headers: dict[str, str], method: str, target: str, body: bytes
    ) -> PeerRecord:
        """The peer that signed this request (see ``Peers.verify_request``);
        a replay is recorded in the ledger as it is refused."""
        try:
            with self.store.transaction():
                return self.peers.verify_request(headers, method, target, body)
        except PeerReplayed as exc:
            with self.store.transaction():
                self.peers.record_replay(str(exc.params.get("peer", "?")), target)
            raise

    @_locked
    def peer_hello(self, peer: PeerRecord, hello: PeerHello) -> PeerHelloReply:
        return self.peers.hello(peer, hello)

    def sign_peer_response(self, receiver: str, nonce: str, status: int, body: bytes) -> str:
        return self.peers.sign_response(receiver, nonce, status, body)

    def check_peer(self, name: str, timeout: float = 10.0) -> PeerHelloReply:
        """Call the peer with the agreement this space holds; record its
        countersignature (``peer_confirmed``, once). A peer that is down,
        slow or refusing raises its typed reason; nothing hangs."""
        with self.lock:
            peer = self.peers.get(name)
        client = PeerClient(
            self.suite,
            self.key,
            peer_name=peer.name,
            url=peer.url,
            peer_key=bytes.fromhex(peer.signing_key),
            timeout=timeout,
        )
        try:
            reply = PeerHelloReply.model_validate_json(
                client.call("POST", "/v1/peer/hello", PeerHello(agreement=peer.agreement))
            )
            catalogue = PeerCatalogue.model_validate_json(
                client.call("POST", "/v1/peer/catalogue", b"")
            )
        finally:
            client.close()
        with self.lock, self.store.transaction():
            self.peers.confirmed("space", name, reply)
            self.peers.store_catalogue(name, catalogue)
        return reply

    # -- federation (federation.py): the peer's side, for the peer routes -----------------
    def peer_submit(self, peer: PeerRecord, forward: PeerJobForward) -> PeerJobState:
        return self.federation.submit(peer, forward)

    def peer_job_state(self, peer: PeerRecord, job_id: str) -> PeerJobState:
        return self.federation.state(peer, job_id)

    def peer_subjects(self, peer: PeerRecord, job_id: str, subjects: PeerSubjects) -> PeerJobState:
        return self.federation.relay_subjects(peer, job_id, subjects)

    def peer_masks(self, peer: PeerRecord, job_id: str, masks: PeerBlindMasks) -> PeerJobState:
        return self.federation.relay_masks(peer, job_id, masks)

    def peer_close(self, peer: PeerRecord, job_id: str, close: PeerClose) -> PeerJobState:
        return self.federation.closed(peer, job_id, close)

    def peer_catalogue(self, peer: PeerRecord) -> PeerCatalogue:
        return self.federation.catalogue(peer)

    def peer_setup(self, peer: PeerRecord, request: PeerSetupRequest) -> bytes:
        return self.federation.peer_setup(peer, request)

    # -- federation: the home's side ----------------------------------------------------------
    def run_peer_work(self) -> int:
        """Call the peers for every job part that waits on one; the calls made."""
        return self.federation.run(timeout=self.config.peer_timeout_seconds)

    def wait_for_peer_work(self, timeout: float) -> None:
        self.federation.wait(timeout)

    # -- jobs (jobs.py) ------------------------------------------------------------------------
    @property
    def gate(self) -> PolicyGate:
        return self.jobs.gate

    def submit_job(self, caller: str, submission: JobSubmission) -> JobStatus:
        return self.jobs.submit(caller, submission)

    def job_status(self, caller: str, job_id: str) -> JobStatus:
        return self.jobs.status(caller, job_id)

    def job_result(self, caller: str, job_id: str) -> JobResult:
        return self.jobs.result(caller, job_id)

    def expire_stalled_jobs(self) -> int:
        """Fail every job that has made no progress for ``job_timeout_seconds``."""
        return self.jobs.expire_stalled()

    def run_pending_work(self) -> int:
        """Do every job's heavy step (a lookup's combination, a join's join)."""
        return self.jobs.run_pending_work()

    def wait_for_work(self, timeout: float) -> None:
        self.jobs.wait_for_work(timeout)

    # -- tasks (tasks.py) -----------------------------------------------------------------------
    def on_tasks(self, listener: Callable[[str | None], None]) -> None:
        """Call ``listener(node)`` whenever a task is added for ``node``, and
        ``listener(None)`` on shutdown (see ``Tasks.on_tasks``)."""
        self.tasks.on_tasks(listener)

    @property
    def closing(self) -> bool:
        return self.tasks.closing

    def pull_tasks(self, caller: str, limit: int = 8, wait: float = 0.0) -> list[Task]:
        return self.tasks.pull_tasks(caller, limit, wait)

    def pull_now(self, caller: str, limit: int = 8) -> list[Task]:
        return self.tasks.pull_now(caller, limit)

    def exchange(
        self, caller: str, results: list[TaskResult], limit: int = 8, wait: float = 0.0
    ) -> TaskExchangeReply:
        return self.tasks.exchange(caller, results, limit, wait)

    def latest_checkpoint(self) -> dict[str, Any] | None:
        """The ledger's latest signed checkpoint, handed to every node that
        asks for work (trusted_space/ledger/checkpoints.py)."""
        return self.tasks.checkpoint()

    def take_results(self, caller: str, results: list[TaskResult]) -> list[ResultOutcome]:
        return self.tasks.take_results(caller, results)

    def complete_task(self, caller: str, result: TaskResult) -> None:
        self.tasks.complete_task(caller, result)

    def put_part(self, caller: str, task_id: str, data: bytes) -> str:
        return self.tasks.put_part(caller, task_id, data)

    def report_failure(self, caller: str, task_id: str, reason: str) -> None:
        self.tasks.report_failure(caller, task_id, reason)

    def stop_waiting(self) -> None:
        """Shutting down: every long poll answers now (with what it has)."""
        self.tasks.stop_waiting()

    # -- what engines may ask (port.JobContext) ---------------------------------------------
    def add_task(self, job_id: str, node: str, payload: TaskPayload) -> str:
        return self.tasks.add_task(job_id, node, payload)

    def set_step(self, job_id: str, state: str, step: str) -> None:
        self.jobs.set_step(job_id, state, step)

    def fail_job(self, job_id: str, reason: str) -> None:
        self.jobs.fail_job(job_id, reason)

    def work_added(self) -> None:
        self.jobs.work_added()

    def privacy_report(self, spec: JobSpec, obligations: Obligations) -> dict[str, Any]:
        return self.jobs.privacy_report(spec, obligations)

    def signed_job(self, spec: JobSpec) -> SignedJob:
        return self.jobs.signed_job(spec)

    # -- federation, for the engines (port.JobContext) ---------------------------------------
    def is_local_provider(self, name: str) -> bool:
        return self.jobs.is_local_provider(name)

    def home_of(self, job_id: str) -> str | None:
        return self.jobs.home_of(job_id)

    def remote_dataset(
        self, provider: str, product: str, role: str
    ) -> tuple[str, PeerDataset] | None:
        return self.peers.remote_dataset(provider, product, role)

    def forward_to_peers(self, spec: JobSpec, submission: JobSubmission, names: list[str]) -> None:
        self.federation.forward(spec, submission, names)

    def subjects_to_peers(
        self, spec: JobSpec, matched: MatchedSubjectsResult, names: list[str]
    ) -> None:
        self.federation.subjects(spec, matched, names)

    def masks_to_peers(self, spec: JobSpec, masks: BlindMasksResult, names: list[str]) -> None:
        self.federation.masks(spec, masks, names)

    def close_peers(self, job_id: str, entry: str) -> list[str]:
        return self.federation.close(job_id, entry)


__all__ = ["Space", "SpaceConfig"]
