"""Engine 4 at the space: the blind lookup (membership hidden).

    submit      consumer's JobSubmission (blinded OPRF points) -> one
                blind_evaluate task per provider
    blind_evaluated (each provider) -> its epoch's tokens and the day's masked
                upload cached when sent; when all: blind_finish for the consumer
    blind_masks (consumer)          -> step 'combining'
    combine (background)            -> result released, result_ready task
                                       (up to INLINE_BATCH subjects: at once)
    ack (consumer)                  -> intermediate data dropped

What each party learns (DESIGN.md, engine 4):
- the consumer: the product output per subject, nothing else. Every message
  it receives has the same shape whether a provider holds a subject or not:
  evaluated points (one per subject), sealed mask keys (one per provider)
  and one score ciphertext per subject. A subject no provider holds, or one
  held without live consent, scores the intercept, as one whose features are
  all zero does.
- a provider: the batch size (blinded points), the consumer, product, model,
  as_of and day of the upload it is asked for; never which subjects.
- the space: batch and population sizes, the per-epoch pseudonymous match
  pattern of the consumer's tokens in each provider's, and masked
  contributions m_j = s_j + r_j (r_j from a key sealed between provider and
  consumer, 64 bits wider than any s_j). Match counts stay in the space: no
  ledger entry or message a consumer reads carries one.

Across spaces (trusted_space/space/federation.py, docs/federation.md): at
the home, a peer's providers' evaluated points and sealed mask keys come
from the peer (``accept_peer_evaluation``); the consumer's tokens and mask
removals for them go to the peer (``masks_to_peers``), which joins them with
its providers' uploads (``accept_peer_masks``) and answers one re-randomised
ciphertext per subject, Enc(0) where none of its providers holds the subject
(``accept_peer_partial``); the home adds it to its own. Populations' tokens
and uploads stay at the space their providers use.

Limits: a semi-honest consumer is assumed (one deviating in its Enc(-r) can
learn membership for its own batch, as engine 1 tells it anyway); the space
links a subject across jobs within an epoch (a provider's OPRF key lives a
month); the space must not collude with the consumer (together they hold
both halves of every m_j's mask for the batch).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, ClassVar

import gmpy2

from policies.obligations import Obligations
from products.base import Product
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.bulk import tokens as token_join
from trusted_space.bulk.blind import MASKED_VALUE_BYTES
from trusted_space.bulk.parallel import rerandomise_values
from trusted_space.core.clock import CHINA
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.hazmat.oprf import POINT_BYTES, TOKEN_BYTES
from trusted_space.protocol.messages import (
    HANDLE_BYTES,
    AckResult,
    BlindEvaluateResult,
    BlindEvaluateTask,
    BlindFinishTask,
    BlindMasksResult,
    BlindUpload,
    BlindUploadRequest,
    JobResult,
    JobSpec,
    JobSubmission,
    ResultReadyTask,
    TaskResultPayload,
    split_handles,
)
from trusted_space.protocol.peering import PeerBlindMasks, PeerJobState
from trusted_space.space.engines.base import EngineBase, providers_of
from trusted_space.space.engines.ready import combine_when_ready
from trusted_space.space.policy_registry import model_hash
from trusted_space.space.port import SPACE


class BlindProtocol(EngineBase):
    name = "blind_lookup"
    federates = True  # a peer may forward its jobs (docs/federation.md)
    background_step = "combining"
    result_kinds: ClassVar[Mapping[str, str]] = {
        "blind_evaluate": "blind_evaluated",
        "blind_finish": "blind_masks",
        "result_ready": "ack",
    }

    def at_peer(self, spec: JobSpec) -> bool:
        """Whether a peer forwarded this job (this space runs its providers' part)."""
        return self.space.home_of(spec.job_id) is not None

    def mine(self, spec: JobSpec) -> list[str]:
        """The job's providers this space gives tasks to."""
        return [n for n in providers_of(spec) if self.local(n)]

    # -- submission ---------------------------------------------------------------------
    def check(
        self, spec: JobSpec, submission: JobSubmission, *, for_peer: bool = False
    ) -> tuple[Product, list[str], dict[str, int]]:
        """Structural checks before the policy gate. A provider that is not
        this space's must be an active peer's (``for_peer``: a job a peer
        forwarded, whose other providers are not this space's to check)."""
        product = self.product_of(spec)
        if product.output_mode != "score" or spec.model is None:
            raise ProtocolError(Text("err.space.blind.score_model"))
        self.public_key(spec)  # refuses a key under the space's minimum size
        blinded = submission.blinded
        if blinded is None:
            raise ProtocolError(Text("err.space.blind.points"))
        if len(blinded) != spec.batch_size * POINT_BYTES:
            raise ProtocolError(
                Text(
                    "err.space.blind.points_batch",
                    points=len(blinded) // POINT_BYTES,
                    batch=spec.batch_size,
                )
            )
        features = self.features_and_roles(spec, product)
        versions = self.provider_versions(spec, product, for_peer=for_peer, bounded=False)
        return product, features, versions

    def start(
        self,
        spec: JobSpec,
        obligations: Obligations,
        submission: JobSubmission,
        checked: tuple[Product, list[str], dict[str, int]],
    ) -> None:
        product, features, versions = checked
        assert submission.blinded is not None  # check refused a job without them
        model = ScoreModel.parse(spec.model or b"")
        weights = model.integer_weights(product)
        consent_owners = set(obligations.consent_owners)
        day = dt.datetime.now(CHINA).date()
        signed = self.space.signed_job(spec)
        consumer_key = signed.consumer_keys.sealing_key
        uses: dict[str, dict[str, Any]] = {}
        self.store.put_data(spec.job_id, "versions", json.dumps(versions).encode())
        remote = [n for n in providers_of(spec) if n in versions and not self.local(n)]
        if remote:  # the peers' parts go through the federation worker
            self.space.forward_to_peers(spec, submission, remote)
        for role, names in spec.providers.items():
            dataset = product.role(role).dataset
            mine = [f for f in features if product.feature(f).role == role]
            for name in names:
                if not self.local(name):
                    continue
                request = BlindUploadRequest(
                    consumer=spec.consumer,
                    product=spec.product,
                    role=role,
                    as_of=spec.as_of,
                    day=day,
                    features=mine,
                    transforms=obligations.transforms_for(mine),
                    weights={f: weights[f] for f in mine},
                    model_hash=model_hash(spec.model or b""),
                    consent_for=spec.consumer if name in consent_owners else None,
                    purpose=spec.purpose,
                    consumer_sealing_key=consumer_key,
                    approved_model=obligations.model_pins.get(name),
                )
                version = versions[name]
                rhash = request.digest(self.suite, dataset, version)
                uses[name] = {"dataset": dataset, "version": version, "request": rhash}
                self.space.add_task(
                    spec.job_id,
                    name,
                    BlindEvaluateTask(
                        dataset=dataset,
                        version=version,
                        blinded=submission.blinded,
                        tokens_held=self._epochs(name, f"tokens/{dataset}/v{version}/"),
                        uploads_held=self._epochs(name, f"upload/{rhash}/"),
                        upload=request,
                        job=signed,
                    ),
                )
        plan = {"obligations": obligations.to_dict(), "uses": uses}
        self.store.put_data(spec.job_id, "plan", json.dumps(plan).encode())

    def _epochs(self, provider: str, prefix: str) -> list[str]:
        return [k[len(prefix) :] for k in self.store.cached_keys(provider, prefix)]

    # -- transitions -------------------------------------------------------------------------
    def advance(self, spec: JobSpec, node: str, payload: TaskResultPayload) -> None:
        job_id = spec.job_id
        if isinstance(payload, BlindEvaluateResult):
            self._accept_evaluation(spec, node, payload)
        elif isinstance(payload, BlindMasksResult):
            self._accept_masks(spec, payload)
            remote = [n for n in providers_of(spec) if not self.local(n)]
            if remote:  # the peers join their providers' parts first
                self.space.masks_to_peers(spec, payload, remote)
                self.space.set_step(job_id, "running", "peer_combining")
                return
            self._combine(spec)
        elif isinstance(payload, AckResult):
            entry = self.ledger.append(node, "result_collected", {}, job_id=job_id)
            peers = self.space.close_peers(job_id, entry.hash)
            self.store.drop_data(job_id, keep=("result", *peers))

    def _combine(self, spec: JobSpec) -> None:
        """Every part is in: combine at once (a small batch) or in the background."""
        combine_when_ready(self, self.space, spec)

    def accept_peer_masks(self, spec: JobSpec, peer: str, m: PeerBlindMasks) -> None:
        """At a peer: the consumer's tokens and mask removals for this
        space's providers, relayed by the job's home; joined here, the
        peer's one ciphertext per subject goes back (``partial``)."""
        mine = self.mine(spec)
        if set(m.tokens) != set(mine) or set(m.removals) != set(mine):
            raise ProtocolError(Text("err.space.blind.masks_space"))
        self._check_masks(spec, m.tokens, m.removals)
        if any(self.store.get_data(spec.job_id, k) is not None for k in ("masks", "partial")):
            return  # relayed again after the home restarted: joined, or under way
        self.store.put_data(spec.job_id, "masks", m.model_dump_json().encode())
        self.ledger.append(
            peer,
            "blind_masks_received",
            {
                "subjects": spec.batch_size,
                "removals_hash": self.suite.hex_hash(b"".join(m.removals[n] for n in mine)),
            },
            job_id=spec.job_id,
        )
        self._combine(spec)

    def accept_peer_partial(
        self, spec: JobSpec, peer: str, names: list[str], partial: bytes, duties: Mapping[str, int]
    ) -> None:
        """A peer's answer to the consumer's masks: one ciphertext per
        subject (its providers' score parts summed, re-randomised); the
        peer's duties join the job's (the most restrictive holds)."""
        cts = self.public_key(spec).unpack(partial)  # refuses anything outside Z*_{n^2}
        if len(cts) != spec.batch_size:
            raise ProtocolError(
                Text("err.space.peer.ciphertexts", peer=peer, count=len(cts), batch=spec.batch_size)
            )
        self.store.put_data(spec.job_id, f"peer_partial/{peer}", partial)
        self.store.put_data(spec.job_id, f"peer_duties/{peer}", json.dumps(dict(duties)).encode())
        self.ledger.append(
            SPACE,
            "peer_partial_received",
            {"peer": peer, "providers": names, "partial_hash": self.suite.hex_hash(partial)},
            job_id=spec.job_id,
        )
        parts = self.store.data_keys(spec.job_id, "peer/")
        if len(self.store.data_keys(spec.job_id, "peer_partial/")) < len(parts):
            return  # another peer's part is still to come
        self._combine(spec)

    def _accept_evaluation(self, spec: JobSpec, node: str, r: BlindEvaluateResult) -> None:
        job_id = spec.job_id
        use = self.stored_plan(job_id)["uses"][node]
        dataset, version, rhash = use["dataset"], int(use["version"]), use["request"]
        if len(r.evaluated) != spec.batch_size * POINT_BYTES:
            raise ProtocolError(Text("err.space.blind.evaluation"))
        if not r.epoch or "/" in r.epoch:
            raise ProtocolError(Text("err.space.blind.epoch"))
        tokens_key = f"tokens/{dataset}/v{version}/{r.epoch}"
        uploaded_tokens = 0
        if r.tokens:
            if len(r.tokens) % TOKEN_BYTES:
                raise ProtocolError(Text("err.space.blind.token_size", size=TOKEN_BYTES))
            uploaded_tokens = len(r.tokens) // TOKEN_BYTES
            if token_join.count_distinct(r.tokens) != uploaded_tokens:
                raise ProtocolError(Text("err.space.blind.tokens_repeated"))
            self.store.put_cached(node, tokens_key, r.tokens)
        tokens = self.store.get_cached(node, tokens_key)
        if tokens is None:
            raise ProtocolError(
                Text("err.space.blind.no_tokens", epoch=r.epoch, dataset=dataset, version=version)
            )
        upload_key = f"upload/{rhash}/{r.epoch}"
        if r.upload is not None:
            self._accept_upload(node, version, rhash, r.epoch, tokens, r.upload)
            self.store.put_cached(node, upload_key, r.upload.model_dump_json().encode())
        elif self.store.get_cached(node, upload_key) is None:
            raise ProtocolError(Text("err.space.blind.no_upload", epoch=r.epoch))
        self.store.put_data(job_id, f"evaluated/{node}", r.evaluated)
        use.update(epoch=r.epoch, tokens=tokens_key, upload=upload_key)
        self.store.put_data(job_id, f"use/{node}", json.dumps(use).encode())
        self.space.set_step(job_id, "running", "evaluate")
        self.ledger.append(
            node,
            "blind_evaluated",
            {
                "points": spec.batch_size,
                "epoch": r.epoch,
                "tokens_uploaded": uploaded_tokens,
                "upload_id": r.upload.upload_id if r.upload is not None else None,
            },
            job_id=job_id,
        )
        self._evaluation_complete(spec)

    def _sealed_key(self, job_id: str, name: str) -> bytes:
        """The mask key of the upload a local provider's part of the job uses."""
        chosen = json.loads(self.store.get_data(job_id, f"use/{name}") or b"{}")
        upload = BlindUpload.model_validate_json(
            self.store.get_cached(name, chosen["upload"]) or b"{}"
        )
        return upload.sealed_key

    def evaluation(self, spec: JobSpec) -> tuple[dict[str, bytes], dict[str, bytes]] | None:
        """At a peer: once each of its providers evaluated the blinded points,
        their answers and their uploads' mask keys (sealed to the consumer)."""
        mine = self.mine(spec)
        if len(self.store.data_keys(spec.job_id, "use/")) < len(mine):
            return None
        evaluated = {n: self.store.get_data(spec.job_id, f"evaluated/{n}") or b"" for n in mine}
        return evaluated, {n: self._sealed_key(spec.job_id, n) for n in mine}

    def _evaluation_complete(self, spec: JobSpec) -> None:
        job_id = spec.job_id
        if self.at_peer(spec):
            if self.evaluation(spec) is not None:
                self.space.set_step(job_id, "running", "peer_evaluated")  # the home collects it
            return
        providers = providers_of(spec)
        if len(self.store.data_keys(job_id, "evaluated/")) < len(providers):
            return
        evaluated: dict[str, bytes] = {}
        sealed: dict[str, bytes] = {}
        for name in providers:
            evaluated[name] = self.store.get_data(job_id, f"evaluated/{name}") or b""
            if self.local(name):
                sealed[name] = self._sealed_key(job_id, name)
            else:
                sealed[name] = self.store.get_data(job_id, f"peer_sealed/{name}") or b""
        self.space.add_task(
            job_id, spec.consumer, BlindFinishTask(evaluated=evaluated, sealed_keys=sealed)
        )
        self.space.set_step(job_id, "running", "unblind")

    def accept_peer_evaluation(
        self, spec: JobSpec, peer: str, names: list[str], state: PeerJobState
    ) -> None:
        """A peer's providers evaluated the blinded points: their answers and
        their uploads' mask keys, sealed to the consumer (which checks each
        key's binding as for a local provider)."""
        evaluated, sealed = state.evaluated or {}, state.sealed_keys or {}
        if set(evaluated) != set(names) or set(sealed) != set(names):
            raise ProtocolError(Text("err.space.peer.other_providers", peer=peer))
        for name in names:
            if len(evaluated[name]) != spec.batch_size * POINT_BYTES:
                raise ProtocolError(Text("err.space.blind.evaluation"))
            self.store.put_data(spec.job_id, f"evaluated/{name}", evaluated[name])
            self.store.put_data(spec.job_id, f"peer_sealed/{name}", sealed[name])
        self.space.set_step(spec.job_id, "running", "evaluate")
        self.ledger.append(
            SPACE,
            "peer_blind_evaluated",
            {
                "peer": peer,
                "points": spec.batch_size,
                "evaluated": {n: self.suite.hex_hash(evaluated[n]) for n in names},
            },
            job_id=spec.job_id,
        )
        self._evaluation_complete(spec)

    def _accept_upload(
        self, node: str, version: int, rhash: str, epoch: str, tokens: bytes, u: BlindUpload
    ) -> None:
        """A masked upload must answer this job's request for this version and
        epoch, follow the tokens the space holds, and be new (a replayed
        upload would reuse its masks)."""
        if u.epoch != epoch or u.version != version or u.request_hash != rhash:
            raise ProtocolError(Text("err.space.blind.upload_request"))
        if u.tokens_hash != self.suite.hex_hash(tokens):
            raise ProtocolError(Text("err.space.blind.upload_tokens"))
        if len(u.values) != len(tokens) // TOKEN_BYTES * MASKED_VALUE_BYTES:
            raise ProtocolError(Text("err.space.blind.upload_values"))
        seen = f"upload_id/{u.upload_id}"
        if self.store.get_cached(node, seen) is not None:
            raise ProtocolError(Text("err.space.blind.upload_replayed"))
        self.store.put_cached(node, seen, b"")

    def _check_masks(
        self, spec: JobSpec, tokens: Mapping[str, bytes], removals: Mapping[str, bytes]
    ) -> None:
        pk = self.public_key(spec)
        for name in tokens:
            if len(tokens[name]) != spec.batch_size * TOKEN_BYTES:
                raise ProtocolError(Text("err.space.blind.tokens_batch", name=name))
            unpacked = pk.unpack(removals[name])  # refuses anything outside Z*_{n^2}
            if len(unpacked) != spec.batch_size:
                raise ProtocolError(
                    Text(
                        "err.space.blind.removals_batch",
                        name=name,
                        count=len(unpacked),
                        batch=spec.batch_size,
                    )
                )

    def _accept_masks(self, spec: JobSpec, m: BlindMasksResult) -> None:
        providers = providers_of(spec)
        handles = split_handles(m.handles)
        if len(handles) != spec.batch_size or len(set(handles)) != len(handles):
            raise ProtocolError(Text("err.space.blind.handles"))
        if set(m.tokens) != set(providers) or set(m.removals) != set(providers):
            raise ProtocolError(Text("err.space.blind.masks_job"))
        self._check_masks(spec, m.tokens, m.removals)
        self.store.put_data(spec.job_id, "masks", m.model_dump_json().encode())
        self.ledger.append(
            spec.consumer,
            "blind_masks_received",
            {"subjects": len(handles), "removals_hash": self.suite.hex_hash(m.handles)},
            job_id=spec.job_id,
        )

    # -- combination (runs outside the space's lock) ----------------------------------------------
    def work_inputs(self, spec: JobSpec) -> dict[str, Any]:
        """Everything the combination needs, read under the lock."""
        job_id = spec.job_id
        plan = self.stored_plan(job_id)
        parts = {}
        for name in self.mine(spec):
            use = json.loads(self.store.get_data(job_id, f"use/{name}") or b"{}")
            upload = BlindUpload.model_validate_json(
                self.store.get_cached(name, use["upload"]) or b"{}"
            )
            parts[name] = (self.store.get_cached(name, use["tokens"]) or b"", upload.values)
        obligations = Obligations.from_dict(plan["obligations"])
        duties = self.with_peer_duties(job_id, obligations.duties())
        return {
            "masks": self.store.get_data(job_id, "masks") or b"",
            "parts": parts,
            "peer_partials": [
                self.store.get_data(job_id, k) or b""
                for k in self.store.data_keys(job_id, "peer_partial/")
            ],
            "at_peer": self.at_peer(spec),
            "duties": duties,
        }

    def work(self, spec: JobSpec, inputs: dict[str, Any]) -> JobResult | bytes:
        """Per subject: Enc(intercept) times, per provider holding its token,
        Enc(m_j) * Enc(-r_j) = Enc(s_j), times each peer's ciphertext for
        the subject; then re-randomised. At a peer: Enc(0) times its own
        providers' parts, re-randomised (the packed ciphertexts)."""
        product = get_product(spec.product)
        pk = self.public_key(spec)
        at_peer = bool(inputs.get("at_peer"))
        masks = (PeerBlindMasks if at_peer else BlindMasksResult).model_validate_json(
            inputs["masks"]
        )
        intercept = 0 if at_peer else ScoreModel.parse(spec.model or b"").integer_intercept(product)
        base = pk.encrypt_trivial(intercept)
        acc: list[gmpy2.mpz] = [base] * spec.batch_size
        w = MASKED_VALUE_BYTES
        for name, (population, values) in inputs["parts"].items():
            removals = pk.unpack(masks.removals[name])
            left, right = token_join.join(masks.tokens[name], population)
            for li, ri in zip(left.tolist(), right.tolist(), strict=True):
                m = int.from_bytes(values[ri * w : (ri + 1) * w], "big", signed=True)
                acc[li] = pk.add(acc[li], pk.add(pk.encrypt_trivial(m), removals[li]))
        if at_peer:
            return pk.pack(rerandomise_values(pk, acc))
        for partial in inputs.get("peer_partials", []):
            theirs = pk.unpack(partial)
            acc = [pk.add(a, b) for a, b in zip(acc, theirs, strict=True)]
        assert isinstance(masks, BlindMasksResult)
        return JobResult(
            job_id=spec.job_id,
            output_mode="score",
            features=[],
            handles=masks.handles,
            ciphertexts=pk.pack(rerandomise_values(pk, acc)),
            duties=inputs["duties"],
        )

    def finish_work(self, spec: JobSpec, result: JobResult | bytes) -> None:
        job_id = spec.job_id
        if isinstance(result, bytes):  # a peer's part: the home collects it
            self.store.drop_data(job_id, keep=("home", "duties", "versions", "signed"))
            self.store.put_data(job_id, "partial", result)
            self.space.set_step(job_id, "running", "peer_combined")
            self.ledger.append(
                SPACE,
                "peer_partial_released",
                {"ciphertexts": spec.batch_size, "partial_hash": self.suite.hex_hash(result)},
                job_id=job_id,
            )
            return
        # The parts of the job at peers stay until the peers are told it ended.
        self.store.drop_data(job_id, keep=tuple(self.store.data_keys(job_id, "peer/")))
        self.store.put_data(job_id, "result", result.model_dump_json().encode())
        self.space.set_step(job_id, "succeeded", "released")
        self.space.add_task(job_id, spec.consumer, ResultReadyTask())
        self.ledger.append(
            SPACE,
            "result_released",
            {
                "ciphertexts": len(result.handles) // HANDLE_BYTES,
                "result_hash": self.suite.hex_hash(result.ciphertexts),
            },
            job_id=job_id,
        )
