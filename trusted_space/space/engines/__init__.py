"""The space's engines: one module per way a product's jobs run.

A product definition names its engine (``Product.engine``); the space looks
it up in ``ENGINES`` and runs every job of the product through it. An engine
reaches the space only through ``trusted_space.space.port.JobContext``.

    lookup.py   direct_lookup: per-subject PSI lookup (underwriting, lending)
    join.py     space_join: the space-aided join for cohort statistics
    blind.py    blind_lookup: per-subject scores with membership hidden
    cardinality.py  psi_cardinality: how many subjects two providers share (PSI between nodes)
    base.py     what every engine shares: the port, the job's key, product and plan
    combine.py  the lookup's arithmetic on ciphertexts
    ready.py    once every part is in: combine now (a small batch) or in the background

Adding an engine: one module with a class that fits ``Engine`` (built from a
``JobContext``; ``EngineBase`` gives it what the others share), and one line
in ``ENGINES`` under its ``name``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from policies.obligations import Obligations
from products.base import Product
from trusted_space.protocol.messages import JobResult, JobSpec, JobSubmission, TaskResultPayload
from trusted_space.space.engines.blind import BlindProtocol
from trusted_space.space.engines.cardinality import CardinalityProtocol
from trusted_space.space.engines.join import JoinProtocol
from trusted_space.space.engines.lookup import LookupProtocol
from trusted_space.space.port import JobContext

# What an engine's structural check admits: the product, the features the
# job computes, and the dataset version each provider's step will use.
Checked = tuple[Product, list[str], dict[str, int]]


class Engine(Protocol):
    @property
    def background_step(self) -> str:
        """The step at which a job's heavy work waits for the background worker."""
        ...

    @property
    def result_kinds(self) -> Mapping[str, str]:
        """Per kind of task it hands out, the kind of result it takes back."""
        ...

    @property
    def federates(self) -> bool:
        """Whether a peer space may forward this engine's jobs to this one."""
        ...

    def check(self, spec: JobSpec, submission: JobSubmission, *, for_peer: bool = False) -> Checked:
        """Structural checks before the policy gate (ProtocolError if refused);
        ``for_peer``: a job a peer forwarded, of whose providers only this
        space's are checked."""
        ...

    def start(
        self,
        spec: JobSpec,
        obligations: Obligations,
        submission: JobSubmission,
        checked: Checked,
    ) -> None:
        """After an allow: the job's first tasks (in the caller's transaction)."""
        ...

    def advance(self, spec: JobSpec, node: str, payload: TaskResultPayload) -> None:
        """A node's accepted result moves the job on (in the caller's transaction)."""
        ...

    def work_inputs(self, spec: JobSpec) -> Any:
        """What the background step needs, read under the space's lock."""
        ...

    def work(self, spec: JobSpec, inputs: Any) -> Any:
        """The background step's heavy part, outside the space's lock."""
        ...

    def finish_work(self, spec: JobSpec, out: Any) -> None:
        """Store the background step's output (in the caller's transaction)."""
        ...

    def result(self, job_id: str) -> JobResult: ...


# Product.engine -> the engine class.
ENGINES: dict[str, Callable[[JobContext], Engine]] = {
    "direct_lookup": LookupProtocol,
    "space_join": JoinProtocol,
    "blind_lookup": BlindProtocol,
    "psi_cardinality": CardinalityProtocol,
}


def build_engines(ctx: JobContext) -> dict[str, Engine]:
    """One engine of each registered kind, for one space."""
    return {name: make(ctx) for name, make in ENGINES.items()}


__all__ = ["ENGINES", "Checked", "Engine", "build_engines"]
