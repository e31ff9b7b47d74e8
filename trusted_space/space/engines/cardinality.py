"""PSI cardinality between two providers' nodes: how many subjects they share.

    submit            the requester names one provider of each of the product's
                      two roles, its Paillier key and, if it wants noise, epsilon
                      -> overlap_request to the second role's provider (the client)
    overlap_request   the client blinds its subjects (cardinality mode) under a
                      fresh one-job key
                      -> overlap_respond to the first role's provider (the server),
                      with the client's signature over its request
    overlap_respond   the server checks that signature against its pin, makes a
                      setup of its subjects under a fresh one-job key and answers
                      the request (shuffled) -> overlap_finish to the client,
                      with the server's signature over its answer
    overlap_finish    the client checks that signature, counts the shared
                      subjects and encrypts the count under the requester's key;
                      the space adds discrete-Laplace noise under encryption (DP)
                      and, with min_count > 0, sends the requester one blinded
                      comparison (the join engine's ``draw_blind``)
    join_threshold    the requester says whether the count reaches min_count;
                      the space releases the ciphertext, or marks it suppressed

What each party learns. The client provider: the exact overlap count (before
noise) and the server's set size, which cardinality-mode PSI tells its
client. The server provider: the client's set size. The space: both set sizes
(from the request and the setup), and whether the count reaches min_count
(the requester's answer); never an identifier, a blinded item it could test
(each side's key is fresh per job and stays at its node) or the count, which
it holds only under the requester's key. The requester: the (noisy) count, or
that it was suppressed. Each node checks the other's signature on what the
space relays, so the space cannot stand in for either side (it would learn
the membership of identifiers of its choosing from the count's threshold).

Products whose engine is ``psi_cardinality`` run here; the engine reaches
the space through its port (``trusted_space.space.port.JobContext``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

from policies.obligations import Obligations
from products.base import Product
from trusted_space.bulk.parallel import rerandomise_values
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.hazmat import psi
from trusted_space.protocol.messages import (
    AckResult,
    JobResult,
    JobSpec,
    JobSubmission,
    JoinThresholdResult,
    JoinThresholdTask,
    OverlapCountResult,
    OverlapFinishTask,
    OverlapRequestResult,
    OverlapRequestTask,
    OverlapRespondTask,
    OverlapResponseResult,
    ResultReadyTask,
    SignedStep,
    TaskResultPayload,
)
from trusted_space.space.dp import discrete_laplace_variance, sample_discrete_laplace
from trusted_space.space.engines.base import EngineBase
from trusted_space.space.engines.join import BLIND_BITS, draw_blind
from trusted_space.space.port import SPACE

# One person more or less changes the count by at most one.
SENSITIVITY = 1
# The released value's name (JobResult.features).
COUNT = "overlap"


class CardinalityProtocol(EngineBase):
    name = "psi_cardinality"
    federates = False  # both providers are this space's (docs/federation.md)
    background_step = "never"  # no heavy step: every step is a relay or one ciphertext
    result_kinds: ClassVar[Mapping[str, str]] = {
        "overlap_request": "overlap_requested",
        "overlap_respond": "overlap_responded",
        "overlap_finish": "overlap_count",
        "join_threshold": "join_threshold",
        "result_ready": "ack",
    }

    def product(self, spec: JobSpec) -> Product:
        product = self.product_of(spec)
        if len(product.roles) != 2:
            raise ProtocolError(Text("err.space.overlap.two_roles", product=product.name))
        return product

    def parties(self, spec: JobSpec) -> tuple[tuple[str, str], tuple[str, str]]:
        """((server role, its provider), (client role, its provider))."""
        server, client = self.product(spec).roles
        return (
            (server.role, spec.providers[server.role][0]),
            (client.role, spec.providers[client.role][0]),
        )

    # -- submission ---------------------------------------------------------------------
    def check(
        self, spec: JobSpec, submission: JobSubmission, *, for_peer: bool = False
    ) -> tuple[Product, list[str], dict[str, int]]:
        product = self.product(spec)
        self.one_provider_per_role(spec, product)
        names = [names[0] for names in spec.providers.values()]
        if len(set(names)) != len(names):
            raise ProtocolError(Text("err.space.overlap.two_providers", product=product.name))
        for name in names:
            if not self.space.is_local_provider(name):
                raise ProtocolError(Text("err.space.provider.not_here", name=name))
        if spec.batch_size != 1:
            raise ProtocolError(Text("err.space.overlap.one_count", product=product.name))
        if spec.query is not None or spec.sealed_keys is not None or spec.model is not None:
            raise ProtocolError(Text("err.space.overlap.no_query", product=product.name))
        if submission.psi_request is not None or submission.blinded is not None:
            raise ProtocolError(Text("err.space.overlap.no_psi_request", product=product.name))
        if spec.epsilon is not None and not (0 < spec.epsilon < math.inf):
            raise ProtocolError(Text("err.space.overlap.epsilon"))
        self.public_key(spec)
        versions: dict[str, int] = {}
        for role in product.roles:
            name = spec.providers[role.role][0]
            offer = self.space.latest_offer(name, role.dataset)
            if offer is None:
                raise ProtocolError(
                    Text("err.space.provider.no_dataset", name=name, dataset=role.dataset)
                )
            versions[name] = offer[0]
        return product, [f.name for f in product.features], versions

    def start(
        self,
        spec: JobSpec,
        obligations: Obligations,
        submission: JobSubmission,
        checked: tuple[Product, list[str], dict[str, int]],
    ) -> None:
        product, _, versions = checked
        plan = {
            "obligations": obligations.to_dict(),
            "min_count": obligations.min_count,
            "versions": versions,
        }
        self.store.put_data(spec.job_id, "plan", json.dumps(plan).encode())
        _, (client_role, client) = self.parties(spec)
        self.space.add_task(
            spec.job_id,
            client,
            OverlapRequestTask(
                product=product.name,
                role=client_role,
                dataset=product.role(client_role).dataset,
                version=versions[client],
                job=self.space.signed_job(spec),
            ),
        )

    # -- transitions ----------------------------------------------------------------------
    def advance(self, spec: JobSpec, node: str, payload: TaskResultPayload) -> None:
        (server_role, server), (client_role, client) = self.parties(spec)
        if isinstance(payload, OverlapRequestResult) and node == client:
            self._relay_request(spec, node, payload, server_role, server)
        elif isinstance(payload, OverlapResponseResult) and node == server:
            self._relay_response(spec, node, payload, client_role, client)
        elif isinstance(payload, OverlapCountResult) and node == client:
            self._accept_count(spec, payload)
        elif isinstance(payload, JoinThresholdResult) and node == spec.consumer:
            if len(payload.passed) != 1:
                raise ProtocolError(Text("err.space.overlap.one_answer"))
            self._release(spec, payload.passed[0])
        elif isinstance(payload, AckResult) and node == spec.consumer:
            self.ledger.append(node, "result_collected", {}, job_id=spec.job_id)
            self.store.drop_data(spec.job_id, keep=("result",))
        else:
            raise ProtocolError(
                Text(
                    "err.space.job.takes_no_from",
                    product=spec.product,
                    kind=payload.kind,
                    node=node,
                )
            )

    def _signed_step(self, spec: JobSpec, node: str, kind: str) -> SignedStep:
        """``node``'s signature on its result of ``kind``, as the space
        checked it and recorded it in the ledger a moment ago."""
        for entry in reversed(list(self.ledger.entries(spec.job_id))):
            if (
                entry.kind == "task_result"
                and entry.actor == node
                and entry.details.get("result") == kind
            ):
                return SignedStep(
                    task_id=str(entry.details["task_id"]),
                    signature=str(entry.details["node_signature"]),
                    keys=self.space.participants.keys_of(node),
                )
        raise ProtocolError(Text("err.space.overlap.not_in_ledger", node=node, kind=kind))

    def _relay_request(
        self, spec: JobSpec, node: str, r: OverlapRequestResult, server_role: str, server: str
    ) -> None:
        size = psi.request_size(r.psi_request)  # refuses a malformed request
        if size < 1:
            raise ProtocolError(Text("err.space.overlap.empty_request"))
        product = self.product(spec)
        self.space.add_task(
            spec.job_id,
            server,
            OverlapRespondTask(
                product=product.name,
                role=server_role,
                dataset=product.role(server_role).dataset,
                version=int(self.stored_plan(spec.job_id)["versions"][server]),
                psi_request=r.psi_request,
                max_items=size,
                request=self._signed_step(spec, node, r.kind),
                job=self.space.signed_job(spec),
            ),
        )
        self.space.set_step(spec.job_id, "running", "respond")
        self.ledger.append(node, "overlap_requested", {"set_size": size}, job_id=spec.job_id)

    def _relay_response(
        self, spec: JobSpec, node: str, r: OverlapResponseResult, client_role: str, client: str
    ) -> None:
        if psi.response_size(r.psi_response) < 1:
            raise ProtocolError(Text("err.space.overlap.empty_response"))
        self.space.add_task(
            spec.job_id,
            client,
            OverlapFinishTask(
                product=spec.product,
                role=client_role,
                paillier_public_key=spec.paillier_public_key,
                psi_setup=r.psi_setup,
                psi_response=r.psi_response,
                response=self._signed_step(spec, node, r.kind),
                job=self.space.signed_job(spec),
            ),
        )
        self.space.set_step(spec.job_id, "running", "count")
        self.ledger.append(
            node, "overlap_responded", {"setup_bytes": len(r.psi_setup)}, job_id=spec.job_id
        )

    def _accept_count(self, spec: JobSpec, r: OverlapCountResult) -> None:
        pk = self.public_key(spec)
        cts = pk.unpack(r.ciphertext)  # refuses anything outside Z*_{n^2}
        if len(cts) != 1:
            raise ProtocolError(Text("err.space.overlap.one_ciphertext"))
        value = cts[0]
        if spec.epsilon is not None:
            noise = sample_discrete_laplace(spec.epsilon, SENSITIVITY, self.space.dp_rng)
            value = pk.add(value, pk.encrypt_trivial(noise))
        self.store.put_data(spec.job_id, "value", pk.pack([value]))
        min_count = int(self.stored_plan(spec.job_id)["min_count"])
        self.ledger.append(
            SPACE,
            "overlap_counted",
            {"dp": spec.epsilon is not None, "min_count": min_count},
            job_id=spec.job_id,
        )
        if min_count == 0:
            self._release(spec, True)
            return
        # Enc(b(2c - 2k + 1) + s): positive exactly when c >= k (join.py's comparison).
        blind, shift = draw_blind(min(BLIND_BITS, pk.bits - 200))
        blinded = pk.add(
            pk.mul_plain(value, 2 * blind), pk.encrypt_trivial(blind * (1 - 2 * min_count) + shift)
        )
        self.space.add_task(
            spec.job_id,
            spec.consumer,
            JoinThresholdTask(blinded=pk.pack(rerandomise_values(pk, [blinded]))),
        )
        self.space.set_step(spec.job_id, "running", "thresholding")

    def _release(self, spec: JobSpec, passed: bool) -> None:
        pk = self.public_key(spec)
        value = pk.unpack(self.store.get_data(spec.job_id, "value") or b"")
        obligations = Obligations.from_dict(self.stored_plan(spec.job_id)["obligations"])
        privacy = self.space.privacy_report(spec, obligations)
        if spec.epsilon is not None:
            sd = math.sqrt(discrete_laplace_variance(spec.epsilon, SENSITIVITY))
            privacy["noise_sd"] = {COUNT: round(sd, 3)}
        result = JobResult(
            job_id=spec.job_id,
            output_mode="aggregate",
            features=[COUNT],
            handles=b"",
            ciphertexts=pk.pack(rerandomise_values(pk, value)) if passed else b"",
            duties=obligations.duties(),
            status=["ok" if passed else "suppressed"],
            privacy=privacy,
        )
        self.store.drop_data(spec.job_id)
        self.store.put_data(spec.job_id, "result", result.model_dump_json().encode())
        self.space.set_step(spec.job_id, "succeeded", "released")
        self.space.add_task(spec.job_id, spec.consumer, ResultReadyTask())
        self.ledger.append(
            SPACE,
            "result_released",
            {
                "cells": 1,
                "suppressed": 0 if passed else 1,
                "result_hash": self.suite.hex_hash(result.ciphertexts),
            },
            job_id=spec.job_id,
        )

    # -- no background step ------------------------------------------------------------------
    def work_inputs(self, spec: JobSpec) -> None:
        raise ProtocolError(Text("err.space.job.no_background", product=spec.product))

    def work(self, spec: JobSpec, inputs: Any) -> None:
        raise ProtocolError(Text("err.space.job.no_background", product=spec.product))

    def finish_work(self, spec: JobSpec, out: Any) -> None:
        raise ProtocolError(Text("err.space.job.no_background", product=spec.product))
