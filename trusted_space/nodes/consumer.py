"""The consumer node: an insurer's or a bank's side of a per-subject lookup.

It keeps the subject list, the job's PSI client key and its Paillier private
key on the consumer's machine. Per job it makes fresh random handles, tells
each provider (sealed to that provider) only the subjects that provider
holds, and decrypts the space's combined result.

The consumer learns which of its subjects each provider holds (a property
of PSI lookup, stated in the leakage table) and the product output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from products.base import JoinLayout, JoinQuery, JoinSpec, Product
from products.features_layout import SLOT_BITS, decode_subject, layout, released
from products.registry import get_product
from products.score_model import SCORE_BITS, WEIGHT_DECIMALS
from trusted_space.bulk import psi_partitions
from trusted_space.bulk.blind import MASK_SCHEME
from trusted_space.bulk.blind import masks as blind_masks
from trusted_space.bulk.parallel import decrypt_values, encrypt_values_owned
from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.encoding import FixedPoint
from trusted_space.core.errors import NotFound, PolicyDenied, ProtocolError
from trusted_space.core.i18n import Text, logged
from trusted_space.crypto import CryptoSuite
from trusted_space.crypto.keyfiles import (
    read_secret_json,
    write_secret,
    write_secret_json,
)
from trusted_space.hazmat import psi
from trusted_space.hazmat.oprf import OprfRequest
from trusted_space.hazmat.paillier import (
    PAILLIER_2048,
    PaillierPreset,
    PaillierPrivateKey,
    PaillierPublicKey,
    generate_keypair,
)
from trusted_space.nodes.base import Node
from trusted_space.protocol.api import SpaceAPI
from trusted_space.protocol.identity import sign_job
from trusted_space.protocol.messages import (
    HANDLE_BYTES,
    AckResult,
    BlindFinishTask,
    BlindMasksResult,
    CellLayoutSpec,
    JobResult,
    JobSpec,
    JobSubmission,
    JobSubmitted,
    JoinThresholdResult,
    JoinThresholdTask,
    JoinUnpackResult,
    JoinUnpackTask,
    MatchedSubjectsResult,
    ParticipantKeys,
    PsiFinishTask,
    ResultReadyTask,
    SetupRef,
    Task,
    TaskResult,
    split_handles,
)

log = logging.getLogger("tspace.consumer")

KEPT_PSI_CLIENTS = 256
# Starts every filler of a PSI request: no identifier of any kind starts so.
FILLER_PREFIX = "~filler:"


@dataclass(frozen=True)
class JoinOutcome:
    """A space-aided join's cells: dimension values, 'ok' or 'suppressed', and
    the released integers (e.g. counts, fen, days) of the cells that passed."""

    job_id: str
    values: list[str]
    cells: list[tuple[dict[str, str], str, dict[str, int] | None]]
    privacy: dict[str, Any]
    duties: dict[str, int]


@dataclass(frozen=True)
class OverlapOutcome:
    """A PSI cardinality job's count: the (noisy, when the job asked for
    noise) number of subjects both providers hold, or None when it was
    suppressed below min_count."""

    job_id: str
    count: int | None
    status: str  # ok | suppressed
    privacy: dict[str, Any]
    duties: dict[str, int]


@dataclass(frozen=True)
class LookupOutcome:
    """What the consumer holds after a lookup job, in batch order."""

    job_id: str
    matched: dict[str, int]  # provider -> subjects it holds
    # per subject: [score], or one value (None: no value) per feature; a whole
    # row is None for a subject no provider holds (features products)
    values: list[list[Decimal | None] | None]
    features: list[str]
    duties: dict[str, int]  # what the consumer accepted, e.g. retention_days
    holders: list[int]  # per subject, how many providers hold it
    # per subject: True when a provider withheld it (no live consent, or opted
    # out); nothing was released for it
    withheld: list[bool]

    def scores(self) -> list[Decimal | None]:
        """A score product's one value per subject; None for a withheld one."""
        out: list[Decimal | None] = []
        for row, refused in zip(self.values, self.withheld, strict=True):
            if refused:
                out.append(None)
                continue
            if row is None or row[0] is None:
                raise ProtocolError(Text("err.nodes.consumer.score_missing"))
            out.append(row[0])
        return out


def psi_items(person_ids: Sequence[str]) -> list[str]:
    """The PSI request's items: each id once, in its first place, and a
    fresh random filler (never an identifier, so never matched) in the place
    of each repeat. The request keeps the batch's size and shows no
    provider that an id repeats."""
    seen: set[str] = set()
    items = []
    for person_id in person_ids:
        items.append(FILLER_PREFIX + secrets.token_hex(16) if person_id in seen else person_id)
        seen.add(person_id)
    return items


class ConsumerNode(Node):
    role = "consumer"

    def __init__(
        self,
        name: str,
        node_dir: Path,
        transport: SpaceAPI,
        suite: CryptoSuite,
        *,
        paillier_preset: PaillierPreset = PAILLIER_2048,
    ) -> None:
        super().__init__(name, node_dir, transport, suite)
        self.paillier_public, self.paillier_private = self._paillier(self.keys_dir, paillier_preset)
        # Each submitted job's PSI client, kept until its PSI step; after a
        # restart it is rebuilt from the secret in the job file.
        self._psi_clients: dict[str, psi.PsiClient] = {}
        # Fresh clients made in idle time, once a long-lived node starts it.
        self.psi_ahead = psi.PsiClientsAhead()

    def _paillier(
        self, keys: Path, preset: PaillierPreset
    ) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
        path = keys / f"paillier.{preset.name}.json"
        if path.exists():
            private = PaillierPrivateKey.import_secret(read_secret_json(path))
            return private.public_key, private
        public, private = generate_keypair(preset)
        write_secret_json(path, private.export_secret())
        return public, private

    # -- job files (on the consumer's own disk) -------------------------------------
    def _job_path(self, job_id: str) -> Path:
        return self.dir / "jobs" / f"{job_id}.json"

    def _load_job(self, job_id: str) -> dict[str, Any]:
        path = self._job_path(job_id)
        if not path.exists():
            raise NotFound(Text("err.nodes.consumer.no_job", job=job_id))
        return read_secret_json(path)

    def _save_job(self, job_id: str, state: dict[str, Any]) -> None:
        write_secret_json(self._job_path(job_id), state)

    # -- starting a job ----------------------------------------------------------------
    def lookup_engine(self, product: str, providers: dict[str, list[str]]) -> str:
        """The engine the space's published policies choose for a job of
        ``product`` on ``providers``' data (blind when an owner requires it)."""
        return self.transport.lookup_engine(product, providers).engine

    def submit_lookup(
        self,
        product: str,
        person_ids: list[str],
        *,
        as_of: dt.date,
        purpose: str,
        providers: dict[str, list[str]],
        model_document: bytes | None = None,
        features: list[str] | None = None,
        consent_refs: list[str] | None = None,
        arguments: list[dict[str, Any]] | None = None,
        wait: float = 0.0,
    ) -> str:
        """Start a per-subject lookup for valid, normalised ids; return the job id.
        ``consent_refs`` are the evidence references of the subjects' consent
        a policy may require the job to carry. ``arguments``: for a product
        that takes them, one mapping per subject (JSON values: dates as ISO
        text), sealed with the subject to the providers that hold it. An id
        may repeat (one person's two claims): the PSI request carries it
        once, and each of its places gets its own handle and arguments.
        With ``wait``, the submission also waits up to that many seconds
        for this node's next task (the job's PSI step), which the next
        ``run_pending`` does first: for a caller about to wait for the
        result, one round trip fewer."""
        if not person_ids:
            raise ValueError("a lookup needs at least one subject")
        if arguments is not None and len(arguments) != len(person_ids):
            raise ValueError("a lookup's arguments need one mapping per subject")
        job_id = uuid.uuid4().hex
        client = self.psi_ahead.take() or psi.PsiClient()
        items = psi_items(person_ids)
        request = client.create_request(items)
        spec = JobSpec(
            job_id=job_id,
            product=product,
            consumer=self.name,
            purpose=purpose,
            as_of=as_of,
            batch_size=len(person_ids),
            providers=providers,
            paillier_public_key=self.paillier_public.to_wire(),
            model=model_document,
            features=features,
            consent_refs=list(consent_refs or []),
        )
        self._save_job(
            job_id,
            {
                "product": product,
                "psi_secret": client.export_secret().hex(),
                "person_ids": person_ids,
                "providers": providers,
                **({"psi_items": items} if items != person_ids else {}),
                **({"arguments": arguments} if arguments is not None else {}),
            },
        )
        self._psi_clients[job_id] = client
        if len(self._psi_clients) > KEPT_PSI_CLIENTS:  # jobs that never reached their PSI step
            self._psi_clients.pop(next(iter(self._psi_clients)))
        status = self._submit(self.submission(spec, psi_request=request), wait)
        self.leased.extend(status.tasks)
        log.info("%s", logged("log.node.submitted", job=job_id, product=product, n=len(person_ids)))
        return job_id

    def submission(
        self, spec: JobSpec, *, psi_request: bytes | None = None, blinded: bytes | None = None
    ) -> JobSubmission:
        """A job as this consumer signs it: each provider checks the signature
        against the key it pinned, and every task field against ``spec``."""
        signature = sign_job(
            self.suite, self.signing_key, spec, psi_request=psi_request, blinded=blinded
        )
        return JobSubmission(
            spec=spec, psi_request=psi_request, blinded=blinded, signature=signature
        )

    def _submit(self, submission: JobSubmission, wait: float = 0.0) -> JobSubmitted:
        """Send a signed job; when policy denies it, forget it here (its job
        file and PSI client) and raise ``PolicyDenied`` with the reasons."""
        job_id = submission.spec.job_id
        status = self.transport.submit_job(submission, wait=wait)
        if status.state == "denied":
            self._psi_clients.pop(job_id, None)
            self._job_path(job_id).unlink(missing_ok=True)
            raise PolicyDenied(status.reasons, status.reasons_zh)
        return status

    def provider_keys(self, name: str, keys: ParticipantKeys | None) -> bytes:
        """The sealing key of provider ``name``, once its signed keys check
        against the signing key this node pinned (refused otherwise: nothing
        is sealed to a key the space swapped in)."""
        if keys is None or keys.name != name:
            raise ProtocolError(Text("err.nodes.consumer.no_keys", name=repr(name)))
        return bytes.fromhex(self.pins.check(keys, "provider").sealing_key)

    # -- tasks ----------------------------------------------------------------------------
    def handle(
        self, task: Task
    ) -> (
        MatchedSubjectsResult
        | AckResult
        | JoinUnpackResult
        | JoinThresholdResult
        | BlindMasksResult
    ):
        if isinstance(task.payload, BlindFinishTask):
            return self._finish_blind(task.job_id, task.payload)
        if isinstance(task.payload, PsiFinishTask):
            return self._finish_psi(task.job_id, task.payload)
        if isinstance(task.payload, ResultReadyTask):
            return self._collect(task.job_id, task.payload.result)
        if isinstance(task.payload, JoinUnpackTask):
            return self._unpack(task.job_id, task.payload)
        if isinstance(task.payload, JoinThresholdTask):
            return self._threshold(task.payload)
        raise ProtocolError(
            Text(
                "err.nodes.task.kind",
                party=Text("err.nodes.party.consumer"),
                kind=task.payload.kind,
            )
        )

    def awaits_more(self, results: Sequence[TaskResult]) -> bool:
        """Matched subjects (a blind job's masks) are followed by this job's result."""
        return any(isinstance(r.payload, MatchedSubjectsResult | BlindMasksResult) for r in results)

    # -- blind lookups (engine 4) --------------------------------------------------------
    def submit_blind(
        self,
        product: str,
        person_ids: list[str],
        *,
        as_of: dt.date,
        purpose: str,
        providers: dict[str, list[str]],
        model_document: bytes,
        consent_refs: list[str] | None = None,
        wait: float = 0.0,
    ) -> str:
        """Start a blind lookup for valid, normalised ids; return the job id.
        The providers see only blinded points; the consumer learns each
        subject's score and not whether any provider holds it."""
        if not person_ids:
            raise ValueError("a lookup needs at least one subject")
        job_id = uuid.uuid4().hex
        request = OprfRequest(person_ids)
        spec = JobSpec(
            job_id=job_id,
            product=product,
            consumer=self.name,
            purpose=purpose,
            as_of=as_of,
            batch_size=len(person_ids),
            providers=providers,
            paillier_public_key=self.paillier_public.to_wire(),
            model=model_document,
            consent_refs=list(consent_refs or []),
            engine="blind_lookup",
        )
        self._save_job(
            job_id,
            {
                "product": product,
                "engine": "blind_lookup",
                "oprf_secret": request.export_secret(),
                "person_ids": person_ids,
                "providers": providers,
                "as_of": as_of.isoformat(),
                "model_hash": hashlib.sha256(model_document).hexdigest(),
            },
        )
        status = self._submit(self.submission(spec, blinded=request.blinded()), wait)
        self.leased.extend(status.tasks)
        said = logged("log.node.submitted_blind", job=job_id, product=product, n=len(person_ids))
        log.info("%s", said)
        return job_id

    def _finish_blind(self, job_id: str, t: BlindFinishTask) -> BlindMasksResult:
        """Unblind each provider's answer into tokens, open each upload's mask
        key (checking it was made for this consumer, product, model and
        as_of), and send per subject and provider its token and Enc(-r)."""
        state = self._load_job(job_id)
        if state.get("engine") != "blind_lookup":
            raise ProtocolError(Text("err.nodes.consumer.not_blind"))
        person_ids: list[str] = state["person_ids"]
        providers = [n for names in state["providers"].values() for n in names]
        if set(t.evaluated) != set(providers) or set(t.sealed_keys) != set(providers):
            raise ProtocolError(Text("err.nodes.consumer.blind_answers"))
        request = OprfRequest.import_secret(person_ids, state["oprf_secret"])
        tokens: dict[str, bytes] = {}
        minus_r: list[int] = []  # every provider's, in order: one encryption call for all
        for name in providers:
            tokens[name] = request.finalize(t.evaluated[name])
            try:
                binding = json.loads(self.sealing_key.open(t.sealed_keys[name]))
                key = bytes.fromhex(binding["key"])
                upload_id = bytes.fromhex(binding["upload_id"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ProtocolError(Text("err.nodes.consumer.mask_key", name=name)) from exc
            if binding.get("masks") != MASK_SCHEME:
                raise ProtocolError(
                    Text(
                        "err.nodes.consumer.mask_scheme",
                        name=name,
                        scheme=str(binding.get("masks")),
                        ours=MASK_SCHEME,
                    )
                )
            expected = {
                "provider": name,
                "consumer": self.name,
                "product": state["product"],
                "model_hash": state["model_hash"],
                "as_of": state["as_of"],
            }
            if any(binding.get(k) != v for k, v in expected.items()):
                raise ProtocolError(Text("err.nodes.consumer.mask_replay", name=name))
            minus_r += [-x for x in blind_masks(self.suite, key, upload_id, tokens[name])]
        encrypted = encrypt_values_owned(self.paillier_private, minus_r)
        size = len(person_ids)
        removals = {
            name: self.paillier_public.pack(encrypted[i * size : (i + 1) * size])
            for i, name in enumerate(providers)
        }
        # Fresh, random, per job: handles link nothing across jobs.
        state["handles"] = [secrets.token_bytes(HANDLE_BYTES).hex() for _ in person_ids]
        state["matched"] = {}
        state["holders"] = []
        self._save_job(job_id, state)
        return BlindMasksResult(
            handles=b"".join(bytes.fromhex(h) for h in state["handles"]),
            tokens=tokens,
            removals=removals,
        )

    # -- space-aided join jobs -----------------------------------------------------------
    def submit_join(
        self,
        product: str,
        query: dict[str, Any],
        *,
        as_of: dt.date,
        purpose: str,
        providers: dict[str, list[str]],
        epsilon: float | None,
    ) -> str:
        """Start a space-aided join's query: a fresh one-job token key, sealed
        to each provider (the space relays it and can open none)."""
        job_id = uuid.uuid4().hex
        key = secrets.token_bytes(32)
        announced = {p.name: p for p in self.transport.participants()}
        sealed = {}
        for name in (n for names in providers.values() for n in names):
            sealed[name] = self.suite.seal(
                self.provider_keys(name, announced.get(name)),
                canonical_json({"job_id": job_id, "key": key.hex()}),
            )
        spec = JobSpec(
            job_id=job_id,
            product=product,
            consumer=self.name,
            purpose=purpose,
            as_of=as_of,
            batch_size=1,
            providers=providers,
            paillier_public_key=self.paillier_public.to_wire(),
            epsilon=epsilon,
            query=query,
            sealed_keys=sealed,
        )
        self._save_job(job_id, {"product": product, "query": query})
        self._submit(self.submission(spec))
        log.info("%s", logged("log.node.submitted_product", job=job_id, product=product))
        return job_id

    # -- PSI cardinality jobs --------------------------------------------------------------
    def submit_overlap(
        self,
        product: str,
        *,
        as_of: dt.date,
        purpose: str,
        providers: dict[str, list[str]],
        epsilon: float | None,
    ) -> str:
        """Ask how many subjects two providers share (one of each of the
        product's roles): they run PSI cardinality between their nodes, and
        only the count, under this node's Paillier key, comes back."""
        job_id = uuid.uuid4().hex
        spec = JobSpec(
            job_id=job_id,
            product=product,
            consumer=self.name,
            purpose=purpose,
            as_of=as_of,
            batch_size=1,
            providers=providers,
            paillier_public_key=self.paillier_public.to_wire(),
            epsilon=epsilon,
        )
        self._save_job(job_id, {"product": product, "providers": providers})
        self._submit(self.submission(spec))
        log.info("%s", logged("log.node.submitted_product", job=job_id, product=product))
        return job_id

    def overlap_outcome(self, job_id: str) -> OverlapOutcome:
        state = self._load_job(job_id)
        result = state.get("result")
        if result is None or len(result.get("status", [])) != 1:
            raise NotFound(Text("err.nodes.consumer.no_count", job=job_id))
        status = str(result["status"][0])
        values = [int(v) for v in result["values"]]
        if len(values) != (1 if status == "ok" else 0):
            raise ProtocolError(Text("err.nodes.consumer.one_count"))
        return OverlapOutcome(
            job_id,
            values[0] if values else None,
            status,
            dict(result["privacy"]),
            dict(result["duties"]),
        )

    def _join_layout(self, state: dict[str, Any], wire: CellLayoutSpec) -> JoinLayout:
        """A join job's layout, read with its product's definition."""
        join: JoinSpec[JoinQuery] | None = get_product(state["product"]).join
        if join is None:
            raise ProtocolError(Text("err.nodes.provider.not_join", product=state["product"]))
        return join.layout_of(wire)

    def _unpack(self, job_id: str, t: JoinUnpackTask) -> JoinUnpackResult:
        """Decrypt the masked packed sums and re-encrypt every slot on its own.
        The masks (e.g. below 2^120 on values below 2^56) hide every value."""
        layout = self._join_layout(self._load_job(job_id), t.layout)
        packed = [self.paillier_private.decrypt(c) for c in self.paillier_public.unpack(t.masked)]
        if len(packed) != layout.n_plaintexts:
            raise ProtocolError(Text("err.nodes.consumer.masked_sums"))
        slots = layout.unpack(packed)
        fresh = encrypt_values_owned(self.paillier_private, slots)
        return JoinUnpackResult(ciphertexts=self.paillier_public.pack(fresh))

    def _threshold(self, t: JoinThresholdTask) -> JoinThresholdResult:
        """Only the sign of each blinded comparison is used: count >= min_count."""
        blinded = self.paillier_public.unpack(t.blinded)
        return JoinThresholdResult(passed=[self.paillier_private.decrypt(c) > 0 for c in blinded])

    def _finish_psi(self, job_id: str, t: PsiFinishTask) -> MatchedSubjectsResult:
        state = self._load_job(job_id)
        person_ids: list[str] = state["person_ids"]
        if "handles" not in state:
            # Fresh, random, per job: handles link nothing across jobs.
            state["handles"] = [secrets.token_bytes(HANDLE_BYTES).hex() for _ in person_ids]
        client = self._psi_clients.pop(job_id, None) or psi.PsiClient(
            secret=bytes.fromhex(state["psi_secret"])
        )
        providers = [n for names in state["providers"].values() for n in names]
        if set(t.setups) != set(providers) or set(t.responses) != set(providers):
            raise ProtocolError(Text("err.nodes.consumer.psi_answers"))
        if set(t.keys) != set(providers):
            raise ProtocolError(Text("err.nodes.consumer.provider_keys"))
        # Every provider's keys checked against its pinned signing key before
        # anything is sealed: a key the space swapped in is refused here.
        keys = {name: self.provider_keys(name, t.keys[name]) for name in providers}
        matched: dict[str, list[int]] = {}
        sealed: dict[str, bytes] = {}
        items: list[str] = state.get("psi_items", person_ids)
        arguments: list[dict[str, Any]] | None = state.get("arguments")
        for name in providers:
            setup = self._setup(name, t.setups[name])
            found = psi_partitions.intersection(client, setup, t.responses[name], items)
            if any(not 0 <= i < len(items) for i in found):
                raise ProtocolError(Text("err.nodes.consumer.psi_outside"))
            # A filler never matches; every place of a matched id is matched.
            held = {items[i] for i in found if items[i] == person_ids[i]}
            indices = [i for i, p in enumerate(person_ids) if p in held]
            matched[name] = indices
            subjects = [[state["handles"][i], person_ids[i]] for i in indices]
            body: dict[str, Any] = {"job_id": job_id, "subjects": subjects}
            if arguments is not None:
                body["arguments"] = [arguments[i] for i in indices]
            sealed[name] = self.suite.seal(keys[name], canonical_json(body))
        state["matched"] = {k: len(v) for k, v in matched.items()}
        state["holders"] = [0] * len(person_ids)  # how many providers hold each subject
        for indices in matched.values():
            for i in indices:
                state["holders"][i] += 1
        self._save_job(job_id, state)
        return MatchedSubjectsResult(
            handles=b"".join(bytes.fromhex(h) for h in state["handles"]),
            sealed=sealed,
            counts=state["matched"],
        )

    def _setup(self, provider: str, ref: SetupRef) -> bytes:
        """A provider's PSI setup, fetched once per dataset version and kept:
        a job then moves only its own request and response."""
        path = self.dir / "psi_setups" / f"{provider}.{ref.dataset}.v{ref.version}.setup"
        if path.exists():
            setup = path.read_bytes()
            if self.suite.hex_hash(setup) == ref.hash:
                return setup
        setup = self.transport.dataset_setup(provider, ref.dataset, ref.version)
        if self.suite.hex_hash(setup) != ref.hash:
            raise ProtocolError(Text("err.nodes.consumer.setup_hash", provider=provider))
        write_secret(path, setup)
        return setup

    def _collect(self, job_id: str, result: JobResult | None) -> AckResult:
        """Decrypt the result the space attached to the result_ready task."""
        state = self._load_job(job_id)
        if result is None or result.job_id != job_id:
            raise ProtocolError(Text("err.nodes.consumer.no_result"))
        product = get_product(state["product"])
        handles = [h.hex() for h in split_handles(result.handles)]
        cts = self.paillier_public.unpack(result.ciphertexts)
        values: list[list[str | None] | None]
        if result.output_mode == "aggregate":
            plain = [self.paillier_private.decrypt(c) for c in cts]
            state["result"] = {
                "layout": result.layout.model_dump() if result.layout else None,
                "status": result.status,
                "values": [str(m) for m in plain],
                "privacy": result.privacy,
                "duties": result.duties,
                "features": result.features,
            }
            self._save_job(job_id, state)
            return AckResult()
        if result.output_mode == "score":
            bits = [SCORE_BITS]
        else:
            # Each ciphertext's width: the blocks released for each subject's holders.
            blocks = layout(product, result.features, key_bits=self.paillier_public.bits)
            position = {h: i for i, h in enumerate(state["handles"])}
            if not set(handles) <= set(position):
                raise ProtocolError(Text("err.nodes.consumer.foreign_subjects"))
            bits = [
                SLOT_BITS * len(blocks[k].slots)
                for h in handles
                for k in released(blocks, state["holders"][position[h]])
            ]
            if len(bits) != len(cts):
                raise ProtocolError(Text("err.nodes.consumer.held_subjects"))
        if cts and not bits:
            raise ProtocolError(Text("err.nodes.consumer.no_features"))
        plain = decrypt_values(self.paillier_private.decrypt_below, cts, bits)
        withheld = {h.hex() for h in split_handles(result.withheld)}
        if not withheld <= set(state["handles"]) or withheld & set(handles):
            raise ProtocolError(Text("err.nodes.consumer.withheld_foreign"))
        if result.output_mode == "score":
            expected = [h for h in state["handles"] if h not in withheld]
            if handles != expected or len(plain) != len(handles):
                raise ProtocolError(Text("err.nodes.consumer.batch"))
            fp = FixedPoint(WEIGHT_DECIMALS + product.max_decimals)
            score = dict(zip(handles, plain, strict=True))
            values = [
                None if h in withheld else [str(fp.decode(score[h]))] for h in state["handles"]
            ]
        else:
            values = self._decode_features(
                self.paillier_public.bits, state, product, result.features, handles, plain, withheld
            )
        state["result"] = {
            "features": result.features,
            "values": values,
            "duties": result.duties,
            "withheld": [h in withheld for h in state["handles"]],
        }
        self._save_job(job_id, state)
        return AckResult()

    @staticmethod
    def _decode_features(
        key_bits: int,
        state: dict[str, Any],
        product: Product,
        features: list[str],
        handles: list[str],
        plain: list[int],
        withheld: set[str],
    ) -> list[list[str | None] | None]:
        """Per subject in batch order: its released values, or None when no
        provider holds it or a provider withheld it."""
        blocks = layout(product, features, key_bits=key_bits)
        position = {h: i for i, h in enumerate(state["handles"])}
        held = [
            i
            for i, n in enumerate(state["holders"])
            if n > 0 and state["handles"][i] not in withheld
        ]
        if sorted(position.get(h, -1) for h in handles) != held:
            raise ProtocolError(Text("err.nodes.consumer.held_subjects"))
        # Per subject, the blocks released for its number of holders.
        counts = [len(released(blocks, state["holders"][position[h]])) for h in handles]
        if len(plain) != sum(counts):
            raise ProtocolError(Text("err.nodes.consumer.held_subjects"))
        values: list[list[str | None] | None] = [None] * len(state["handles"])
        start = 0
        for handle, k in zip(handles, counts, strict=True):
            i = position[handle]
            decoded = decode_subject(
                product, features, blocks, plain[start : start + k], state["holders"][i]
            )
            start += k
            values[i] = [None if decoded[f] is None else str(decoded[f]) for f in features]
        return values

    def join_outcome(self, job_id: str) -> JoinOutcome:
        state = self._load_job(job_id)
        result = state.get("result")
        if result is None or result.get("layout") is None:
            raise NotFound(Text("err.nodes.consumer.no_join_result", job=job_id))
        layout = self._join_layout(state, CellLayoutSpec.model_validate(result["layout"]))
        values = iter(int(v) for v in result["values"])
        cells = []
        for key, status in zip(layout.cells, result["status"], strict=True):
            released = {name: next(values) for name in layout.values} if status == "ok" else None
            cells.append((dict(zip(layout.dims, key, strict=True)), status, released))
        return JoinOutcome(
            job_id, list(layout.values), cells, dict(result["privacy"]), dict(result["duties"])
        )

    def has_result(self, job_id: str) -> bool:
        return "result" in self._load_job(job_id)

    def outcome(self, job_id: str) -> LookupOutcome:
        state = self._load_job(job_id)
        if "result" not in state:
            raise NotFound(Text("err.nodes.consumer.no_decrypted", job=job_id))
        return LookupOutcome(
            job_id=job_id,
            matched=dict(state["matched"]),
            values=[
                None if row is None else [None if v is None else Decimal(v) for v in row]
                for row in state["result"]["values"]
            ],
            features=list(state["result"]["features"]),
            duties=dict(state["result"].get("duties", {})),
            holders=list(state.get("holders", [])),
            withheld=list(
                state["result"].get("withheld", [False] * len(state["result"]["values"]))
            ),
        )
