"""The embedded deployment: the space and every node in one process.

Each party still has its own folder (DIR/space/, DIR/nodes/<name>/) and its
own keys, and every message goes through the transport's wire form. Only the
scheduling is local: ``run_job`` lets each node do its pending tasks in turn
until the job ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from connectors.node.provider import ProviderNode
from trusted_space.core.errors import InputError, JobFailed, PolicyDenied
from trusted_space.core.failures import job_failed
from trusted_space.core.i18n import Text
from trusted_space.core.timing import StageTimer
from trusted_space.crypto import get_suite
from trusted_space.hazmat.paillier import MIN_PRODUCTION_BITS, PaillierPreset, process_preset
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.nodes.steward import StewardNode
from trusted_space.protocol.messages import JobStatus
from trusted_space.space.gate import PolicyGate
from trusted_space.space.space import Space, SpaceConfig
from trusted_space.transport.embedded import EmbeddedTransport

MAX_ROUNDS = 50


def policy_owners(paths: Iterable[Path]) -> list[str]:
    """Every owner the policy files name: the owners an embedded run's
    steward is appointed by before it publishes them."""
    from policies.model import PolicyError, load_policy

    try:
        return sorted({o for p in paths for o in load_policy(p).owners})
    except PolicyError as exc:
        raise InputError(str(exc)) from None


class EmbeddedDeployment:
    def __init__(
        self,
        workdir: Path,
        *,
        suite: str = "default",
        paillier_preset: PaillierPreset | None = None,
        gate: PolicyGate | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.suite = get_suite(suite)
        # By default the process's preset: 2048 bits, or the named test preset
        # under TSPACE_TEST_ONLY_PAILLIER_1024=1, as the service's commands do.
        paillier_preset = paillier_preset or process_preset()
        self.paillier_preset = paillier_preset
        # A test preset lowers the space's floor only when asked for by name.
        min_bits = MIN_PRODUCTION_BITS if paillier_preset.production else paillier_preset.bits
        self.space = Space(
            self.workdir / "space", SpaceConfig(suite=suite, min_paillier_bits=min_bits), gate
        )
        self.providers: dict[str, ProviderNode] = {}
        self.consumers: dict[str, ConsumerNode] = {}
        self.timer = StageTimer()

    def node_dir(self, name: str) -> Path:
        return self.workdir / "nodes" / name

    def provider(self, name: str) -> ProviderNode:
        if name not in self.providers:
            node = ProviderNode(
                name,
                self.node_dir(name),
                EmbeddedTransport(self.space, name),
                self.suite,
                min_paillier_bits=self.space.config.min_paillier_bits,
            )
            self.space.register(node.public_keys())
            self.providers[name] = node
        return self.providers[name]

    def consumer(self, name: str) -> ConsumerNode:
        if name not in self.consumers:
            node = ConsumerNode(
                name,
                self.node_dir(name),
                EmbeddedTransport(self.space, name),
                self.suite,
                paillier_preset=self.paillier_preset,
            )
            self.space.register(node.public_keys())
            self.consumers[name] = node
        return self.consumers[name]

    def steward(self, name: str = "steward", governs: Iterable[str] = ()) -> StewardNode:
        """The steward ``name``, bound to each owner in ``governs`` by that
        owner's signed appointment (the owner's provider node, made here if
        need be, signs it), as a service's operator adds one."""
        node = StewardNode(
            name, self.node_dir(name), EmbeddedTransport(self.space, name), self.suite
        )
        space = self.space.fingerprint
        appointments = [
            self.provider(owner).appoint_steward(name, space) for owner in sorted(set(governs))
        ]
        self.space.register(node.public_keys(), appointments)
        return node

    def run_job(self, consumer: ConsumerNode, job_id: str) -> JobStatus:
        """Let every node work until the consumer has collected the result.
        A job a node refused (a key that is not the one it pinned, a task
        altered on the way) raises that node's refusal, which says why."""
        nodes = [*self.providers.values(), consumer]
        for node in nodes:
            node.refusal = None
        for _ in range(MAX_ROUNDS):
            progressed = self.space.run_pending_work()
            for provider in self.providers.values():
                progressed += provider.run_pending()
            progressed += consumer.run_pending()
            status = consumer.transport.job_status(job_id)
            if status.state in ("failed", "denied"):
                break
            if status.state == "succeeded" and progressed == 0:
                return status
        else:
            raise JobFailed(Text("err.base.embedded.stalled", job=job_id, rounds=MAX_ROUNDS))
        if status.state == "denied":
            raise PolicyDenied(status.reasons, status.reasons_zh)
        refusal = next((n.refusal for n in nodes if n.refusal is not None), None)
        if refusal is not None:
            raise refusal
        raise JobFailed(job_failed(status.reasons, job_id))

    def close(self) -> None:
        for p in self.providers.values():
            p.close()
        self.space.close()

    def __enter__(self) -> EmbeddedDeployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
