"""Engine 1 at the space: the per-subject lookup protocol's state machine.

    submit      consumer's JobSubmission -> one psi_respond task per provider
    psi_response (each provider)         -> when all: psi_finish for the consumer
    matched_subjects (consumer)          -> one compute_features task per provider
    encrypted_features (each provider)   -> when all: step 'combining'
    combine (background)                 -> result released, result_ready task
                                            (up to INLINE_BATCH subjects: combined
                                            at once, in the last provider's step)
    ack (consumer)                       -> intermediate data dropped

Every transition is checked (sizes, handles, ciphertext ranges) and commits
with its ledger entry. The space reads handles, sizes and hashes only.
Products whose engine is ``direct_lookup`` run here; the engine reaches the
space through its port (``trusted_space.space.port.JobContext``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from policies.obligations import Obligations
from products.base import Product
from products.features_layout import layout
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.bulk.parallel import rerandomise_values
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.hazmat import psi
from trusted_space.protocol.messages import (
    AckResult,
    ComputeFeaturesTask,
    EncryptedFeaturesResult,
    JobResult,
    JobSpec,
    JobSubmission,
    MatchedSubjectsResult,
    ParticipantKeys,
    PsiFinishTask,
    PsiRespondTask,
    PsiResponseResult,
    ResultReadyTask,
    SetupRef,
    TaskResultPayload,
    split_handles,
)
from trusted_space.protocol.peering import PeerDataset, PeerJobState, PeerSubjects
from trusted_space.space.engines.base import EngineBase, providers_of
from trusted_space.space.engines.combine import combine_features, sum_scores
from trusted_space.space.engines.ready import combine_when_ready
from trusted_space.space.port import SPACE


class LookupProtocol(EngineBase):
    name = "direct_lookup"
    federates = True  # a peer may forward its jobs (docs/federation.md)
    background_step = "combining"
    result_kinds: ClassVar[Mapping[str, str]] = {
        "psi_respond": "psi_response",
        "psi_finish": "matched_subjects",
        "compute_features": "encrypted_features",
        "result_ready": "ack",
    }

    def expected(self, spec: JobSpec) -> list[str]:
        """The providers whose answers this space collects: every provider
        of the job at its home; only its own for a job a peer forwarded."""
        if self.space.home_of(spec.job_id) is None:
            return providers_of(spec)
        return [n for n in providers_of(spec) if self.local(n)]

    # -- submission ---------------------------------------------------------------------
    def check(
        self, spec: JobSpec, submission: JobSubmission, *, for_peer: bool = False
    ) -> tuple[Product, list[str], dict[str, int]]:
        """Structural checks before the policy gate: the product, key, model,
        providers, batch and PSI request must fit together. A provider that
        is not this space's must be an active peer's (``for_peer``: a job a
        peer forwarded, whose other providers are not this space's to check)."""
        psi_request = submission.psi_request
        if psi_request is None:
            raise ProtocolError(Text("err.space.lookup.psi_request"))
        product = self.product_of(spec)
        self.public_key(spec)
        features = self.features_and_roles(spec, product)
        items = psi.request_size(psi_request)
        if items != spec.batch_size:
            raise ProtocolError(
                Text("err.space.lookup.psi_request_size", items=items, batch=spec.batch_size)
            )
        versions = self.provider_versions(spec, product, for_peer=for_peer, bounded=True)
        return product, features, versions

    def start(
        self,
        spec: JobSpec,
        obligations: Obligations,
        submission: JobSubmission,
        checked: tuple[Product, list[str], dict[str, int]],
    ) -> None:
        """After an allow: the plan, and one PSI task per provider (in the caller's transaction)."""
        product, features, versions = checked
        psi_request = submission.psi_request
        assert psi_request is not None  # check refused a job without one
        self.store.put_data(spec.job_id, "versions", json.dumps(versions).encode())
        plan = {"features": features, "obligations": obligations.to_dict()}
        self.store.put_data(spec.job_id, "plan", json.dumps(plan).encode())
        signed = self.space.signed_job(spec)
        remote = [n for n in providers_of(spec) if n in versions and not self.local(n)]
        if remote:  # the peers' parts go through the federation worker
            self.space.forward_to_peers(spec, submission, remote)
        for role, names in spec.providers.items():
            dataset = product.role(role).dataset
            for name in names:
                if not self.local(name):
                    continue
                self.space.add_task(
                    spec.job_id,
                    name,
                    PsiRespondTask(
                        dataset=dataset,
                        version=versions[name],
                        max_items=spec.batch_size,
                        psi_request=psi_request,
                        job=signed,
                    ),
                )

    # -- transitions -------------------------------------------------------------------------
    def advance(self, spec: JobSpec, node: str, payload: TaskResultPayload) -> None:
        job_id = spec.job_id
        if isinstance(payload, PsiResponseResult):
            self._accept_psi(spec, node, payload)
        elif isinstance(payload, MatchedSubjectsResult):
            self._accept_matches(spec, payload)
        elif isinstance(payload, EncryptedFeaturesResult):
            self._accept_features(spec, node, payload)
            self._features_complete(spec)
        elif isinstance(payload, AckResult):
            entry = self.ledger.append(node, "result_collected", {}, job_id=job_id)
            peers = self.space.close_peers(job_id, entry.hash)
            self.store.drop_data(job_id, keep=("result", *peers))

    def accept_peer_features(
        self,
        spec: JobSpec,
        peer: str,
        names: list[str],
        features: Mapping[str, EncryptedFeaturesResult],
        duties: Mapping[str, int],
    ) -> None:
        """A peer's providers' ciphertexts (under the consumer's key), each
        checked as a local provider's would be; the peer's duties join the
        job's (the most restrictive holds)."""
        if set(features) != set(names):
            raise ProtocolError(Text("err.space.peer.other_providers", peer=peer))
        for name in names:
            self._accept_features(spec, name, features[name])
        self.store.put_data(spec.job_id, f"peer_duties/{peer}", json.dumps(dict(duties)).encode())
        self._features_complete(spec)

    def _features_complete(self, spec: JobSpec) -> None:
        job_id = spec.job_id
        if len(self.store.data_keys(job_id, "features/")) < len(self.expected(spec)):
            return
        if self.space.home_of(job_id) is not None:
            self.space.set_step(job_id, "running", "peer_features")  # the home collects them
            return
        combine_when_ready(self, self.space, spec)

    def plan(self, job_id: str) -> tuple[list[str], Obligations]:
        plan = self.stored_plan(job_id)
        return list(plan["features"]), Obligations.from_dict(plan["obligations"])

    def _job_ints(self, job_id: str, key: str) -> dict[str, int]:
        data = self.store.get_data(job_id, key)
        if data is None:
            raise ProtocolError(Text("err.space.job.wrong_step", job=job_id, needs=key))
        return {str(k): int(v) for k, v in json.loads(data).items()}

    def _accept_psi(self, spec: JobSpec, node: str, payload: PsiResponseResult) -> None:
        job_id = spec.job_id
        if psi.response_size(payload.psi_response) != spec.batch_size:
            raise ProtocolError(Text("err.space.lookup.psi_response"))
        self.store.put_data(job_id, f"psi_response/{node}", payload.psi_response)
        self.space.set_step(job_id, "running", "psi")
        self.ledger.append(
            node,
            "psi_responded",
            {
                "response_hash": self.suite.hex_hash(payload.psi_response),
                "response_bytes": len(payload.psi_response),
            },
            job_id=job_id,
        )
        self._psi_complete(spec)

    def accept_peer_psi(
        self, spec: JobSpec, peer: str, names: list[str], state: PeerJobState
    ) -> None:
        """A peer's providers answered the PSI step: their responses, setups
        and signed keys (the consumer checks the keys against its pins)."""
        job_id = spec.job_id
        responses = state.psi_responses or {}
        offers = {d.provider: d for d in state.providers}
        if set(responses) != set(names) or not set(names) <= set(offers):
            raise ProtocolError(Text("err.space.peer.other_providers", peer=peer))
        for name in names:
            if psi.response_size(responses[name]) != spec.batch_size:
                raise ProtocolError(Text("err.space.lookup.psi_response"))
            self.store.put_data(job_id, f"psi_response/{name}", responses[name])
            offer = offers[name].model_dump_json().encode()
            self.store.put_data(job_id, f"peer_offer/{name}", offer)
        self.space.set_step(job_id, "running", "psi")
        self.ledger.append(
            SPACE,
            "peer_psi_received",
            {
                "peer": peer,
                "responses": {n: self.suite.hex_hash(responses[n]) for n in names},
            },
            job_id=job_id,
        )
        self._psi_complete(spec)

    def _psi_complete(self, spec: JobSpec) -> None:
        job_id = spec.job_id
        expected = self.expected(spec)
        if len(self.store.data_keys(job_id, "psi_response/")) < len(expected):
            return
        if self.space.home_of(job_id) is not None:
            self.space.set_step(job_id, "running", "peer_psi")  # the home collects it
            return
        product = get_product(spec.product)
        versions = self._job_ints(job_id, "versions")
        setups: dict[str, SetupRef] = {}
        responses: dict[str, bytes] = {}
        keys: dict[str, ParticipantKeys] = {}
        for role, names in spec.providers.items():
            for name in names:
                dataset = product.role(role).dataset
                responses[name] = self.store.get_data(job_id, f"psi_response/{name}") or b""
                if self.local(name):
                    digest = self.space.setup_hash(name, dataset, versions[name])
                    keys[name] = self.space.participants.keys_of(name)
                else:
                    offer = PeerDataset.model_validate_json(
                        self.store.get_data(job_id, f"peer_offer/{name}") or b"{}"
                    )
                    if offer.dataset != dataset:
                        raise ProtocolError(
                            Text("err.space.provider.offer_dataset", name=name, dataset=dataset)
                        )
                    digest, keys[name] = offer.setup_hash, offer.keys
                    versions[name] = offer.version
                setups[name] = SetupRef(dataset=dataset, version=versions[name], hash=digest)
        self.space.add_task(
            job_id,
            spec.consumer,
            PsiFinishTask(setups=setups, responses=responses, keys=keys),
        )
        self.space.set_step(job_id, "running", "intersect")

    def _accept_matches(self, spec: JobSpec, m: MatchedSubjectsResult) -> None:
        providers = providers_of(spec)
        handles = split_handles(m.handles)
        if len(handles) > spec.batch_size:
            raise ProtocolError(Text("err.space.lookup.handles_over_batch"))
        if len(set(handles)) != len(handles):
            raise ProtocolError(Text("err.space.lookup.handles_repeated"))
        if set(m.sealed) != set(providers) or set(m.counts) != set(providers):
            raise ProtocolError(Text("err.space.lookup.sealed_job"))
        if any(not 0 <= c <= len(handles) for c in m.counts.values()):
            raise ProtocolError(Text("err.space.lookup.count_over_handles"))
        self.store.put_data(spec.job_id, "handles", m.handles)
        self.store.put_data(spec.job_id, "counts", json.dumps(m.counts).encode())
        remote = [n for n in providers if not self.local(n)]
        if remote:
            self.space.subjects_to_peers(spec, m, remote)
        self._feature_tasks(spec, m.sealed, m.counts)
        self.ledger.append(
            spec.consumer,
            "subjects_relayed",
            {"handles": len(handles), "matched": dict(m.counts)},
            job_id=spec.job_id,
        )

    def accept_peer_subjects(self, spec: JobSpec, peer: str, s: PeerSubjects) -> None:
        """The home space relays the consumer's handles and the subjects
        sealed to this space's providers of the job."""
        mine = [n for n in providers_of(spec) if self.local(n)]
        handles = split_handles(s.handles)
        if len(handles) > spec.batch_size or len(set(handles)) != len(handles):
            raise ProtocolError(Text("err.space.lookup.handles_over_or_repeated"))
        if set(s.sealed) != set(mine) or set(s.counts) != set(mine):
            raise ProtocolError(Text("err.space.lookup.sealed_space"))
        if any(not 0 <= c <= len(handles) for c in s.counts.values()):
            raise ProtocolError(Text("err.space.lookup.count_over_handles"))
        if self.store.get_data(spec.job_id, "handles") is not None:
            return  # relayed again after a restart: the tasks exist
        self.store.put_data(spec.job_id, "handles", s.handles)
        self.store.put_data(spec.job_id, "counts", json.dumps(s.counts).encode())
        self._feature_tasks(spec, s.sealed, s.counts)
        self.ledger.append(
            peer,
            "subjects_relayed",
            {"handles": len(handles), "matched": dict(s.counts)},
            job_id=spec.job_id,
        )

    def _feature_tasks(
        self, spec: JobSpec, sealed: Mapping[str, bytes], counts: Mapping[str, int]
    ) -> None:
        """One compute_features task per provider of this space, under this
        space's obligations (its stewards' transforms, consent, model pins)."""
        product = get_product(spec.product)
        features, obligations = self.plan(spec.job_id)
        weights = (
            ScoreModel.parse(spec.model).integer_weights(product)
            if product.output_mode == "score" and spec.model is not None
            else None
        )
        consent_owners = set(obligations.consent_owners)
        signed = self.space.signed_job(spec)
        for role, names in spec.providers.items():
            mine = [f for f in features if product.feature(f).role == role]
            for name in names:
                if not self.local(name):
                    continue
                self.space.add_task(
                    spec.job_id,
                    name,
                    ComputeFeaturesTask(
                        product=spec.product,
                        role=role,
                        as_of=spec.as_of,
                        features=mine,
                        transforms=obligations.transforms_for(mine),
                        weights={f: weights[f] for f in mine} if weights is not None else None,
                        paillier_public_key=spec.paillier_public_key,
                        sealed_subjects=sealed[name],
                        subject_count=counts[name],
                        consent_for=spec.consumer if name in consent_owners else None,
                        purpose=spec.purpose,
                        parameters=dict(obligations.parameters),
                        approved_model=(
                            obligations.model_pins.get(name) if weights is not None else None
                        ),
                        job=signed,
                    ),
                )
        self.space.set_step(spec.job_id, "running", "features")

    def _accept_features(self, spec: JobSpec, node: str, r: EncryptedFeaturesResult) -> None:
        role = next(role for role, names in spec.providers.items() if node in names)
        product = get_product(spec.product)
        features, _ = self.plan(spec.job_id)
        expected = [f for f in features if product.feature(f).role == role]
        if r.features != expected:
            raise ProtocolError(Text("err.space.lookup.features", features=", ".join(expected)))
        all_handles = set(split_handles(self.store.get_data(spec.job_id, "handles") or b""))
        handles = split_handles(r.handles)
        withheld = split_handles(r.withheld)
        both = handles + withheld
        if len(set(both)) != len(both) or not set(both) <= all_handles:
            raise ProtocolError(Text("err.space.lookup.foreign_handles"))
        declared = self._job_ints(spec.job_id, "counts")[node]
        if len(both) != declared:
            raise ProtocolError(
                Text("err.space.lookup.answered", answered=len(both), sent=declared)
            )
        weighted = product.output_mode == "score"
        if r.weighted != weighted:
            raise ProtocolError(Text("err.space.lookup.weighted"))
        key = self.public_key(spec)
        cts = key.unpack(r.ciphertexts)  # refuses anything outside Z*_{n^2}
        per_handle = 1 if weighted else len(layout(product, expected, key_bits=key.bits))
        if len(cts) != len(handles) * per_handle:
            raise ProtocolError(Text("err.space.lookup.ciphertext_count"))
        self.store.put_data(spec.job_id, f"features/{node}", r.model_dump_json().encode())
        self.ledger.append(
            node,
            "features_received",
            {
                "subjects": len(handles),
                "withheld": len(withheld),
                "features": expected,
                "ciphertext_hash": self.suite.hex_hash(r.ciphertexts),
            },
            job_id=spec.job_id,
        )

    # -- combination (runs outside the space's lock) ----------------------------------------------
    def work_inputs(self, spec: JobSpec) -> dict[str, Any]:
        """Everything the combination needs, read under the lock."""
        _, obligations = self.plan(spec.job_id)
        duties = self.with_peer_duties(spec.job_id, obligations.duties())
        return {
            "duties": duties,
            "handles": self.store.get_data(spec.job_id, "handles") or b"",
            "parts": [
                self.store.get_data(spec.job_id, k) or b""
                for k in self.store.data_keys(spec.job_id, "features/")
            ],
            "obligations": obligations,
        }

    def work(self, spec: JobSpec, inputs: dict[str, Any]) -> JobResult:
        """The heavy part: combine the providers' ciphertexts, re-randomise."""
        product = get_product(spec.product)
        pk = self.public_key(spec)
        results = [EncryptedFeaturesResult.model_validate_json(blob) for blob in inputs["parts"]]
        # A subject any provider withholds gets nothing from any provider.
        refused = {h for r in results for h in split_handles(r.withheld)}
        batch = split_handles(inputs["handles"])
        handles = [h for h in batch if h not in refused]
        withheld = b"".join(h for h in batch if h in refused)
        obligations: Obligations = inputs["obligations"]
        duties = inputs.get("duties", obligations.duties())
        if product.output_mode == "score":
            if spec.model is None:
                raise ProtocolError(Text("err.space.product.needs_model", product=product.name))
            parts = [
                dict(zip(split_handles(r.handles), pk.unpack(r.ciphertexts), strict=True))
                for r in results
            ]
            model = ScoreModel.parse(spec.model)
            scores = sum_scores(pk, handles, parts, model.integer_intercept(product))
            return JobResult(
                job_id=spec.job_id,
                output_mode="score",
                features=[],
                handles=b"".join(handles),
                ciphertexts=pk.pack(rerandomise_values(pk, scores)),
                duties=duties,
                withheld=withheld,
            )
        features, _ = self.plan(spec.job_id)
        blocks = layout(product, features, key_bits=pk.bits)
        k = len(blocks)
        feature_parts = []
        for r in results:
            cts = pk.unpack(r.ciphertexts)
            feature_parts.append(
                {h: cts[i * k : (i + 1) * k] for i, h in enumerate(split_handles(r.handles))}
            )
        held, combined = combine_features(pk, blocks, handles, feature_parts)
        return JobResult(
            job_id=spec.job_id,
            output_mode="features",
            features=features,
            handles=b"".join(held),
            ciphertexts=pk.pack(rerandomise_values(pk, combined)),
            duties=duties,
            withheld=withheld,
        )

    def finish_work(self, spec: JobSpec, result: JobResult) -> None:
        """Store the result and tell the consumer (in the caller's transaction).
        The parts of the job at peers stay until the peers are told it ended."""
        self.store.drop_data(spec.job_id, keep=tuple(self.store.data_keys(spec.job_id, "peer/")))
        self.store.put_data(spec.job_id, "result", result.model_dump_json().encode())
        self.space.set_step(spec.job_id, "succeeded", "released")
        self.space.add_task(spec.job_id, spec.consumer, ResultReadyTask())
        self.ledger.append(
            SPACE,
            "result_released",
            {
                "ciphertexts": len(split_handles(result.handles)),
                "result_hash": self.suite.hex_hash(result.ciphertexts),
            },
            job_id=spec.job_id,
        )
