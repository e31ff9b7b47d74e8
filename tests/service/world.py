"""A space in one process with every role, a finished job and one in flight:
for tests that call the service's routes and console pages in-process."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import yaml

from connectors.base import LoadOptions
from connectors.node.provider import ProviderNode
from tests.policy_docs import dated_example
from trusted_space.demo import default_model_path
from trusted_space.hazmat import psi
from trusted_space.nodes.consumer import ConsumerNode
from trusted_space.protocol.messages import JobSpec, JobSubmission
from trusted_space.service.app import create_app
from trusted_space.service.settings import ServiceSettings
from trusted_space.synth import generate_health
from trusted_space.transport.embedded import EmbeddedTransport

AS_OF = dt.date(2026, 10, 31)


def direct_example(name: str, **changes: Any) -> dict[str, Any]:
    """The underwriting example policy of ``name`` (hospital or cdc) allowing
    the direct lookup: the world's jobs and submissions run on PSI."""
    return dated_example(name, **{"lookup": "any", **changes})


class World:
    def __init__(self, root: Path, suite: str) -> None:
        data = root / "data"
        generate_health(600, 3, data, applicants=12, end_date=AS_OF)
        self.app = create_app(ServiceSettings(workdir=root / "svc", suite=suite))
        space = self.app.state.space
        self.space = space
        names = {
            "provider": "hospital",
            "cdc": "cdc",
            "consumer": "insurer",
            "other_consumer": "insurer2",
            "steward": "steward",
            "operator": "operator",
        }
        roles = {
            "provider": "provider",
            "cdc": "provider",
            "consumer": "consumer",
            "other_consumer": "consumer",
            "steward": "steward",
            "operator": "operator",
        }
        # The steward is added below, with its owners' signed appointments.
        self.keys = {
            k: space.add_participant(None, names[k], roles[k]) for k in names if k != "steward"
        }
        self.keys["bad"] = "tsk_" + "A" * 43
        self.names = names
        suite = space.suite
        self.hospital = ProviderNode(
            "hospital", root / "n" / "hospital", EmbeddedTransport(space, "hospital"), suite
        )
        self.cdc = ProviderNode("cdc", root / "n" / "cdc", EmbeddedTransport(space, "cdc"), suite)
        self.insurer = ConsumerNode(
            "insurer", root / "n" / "insurer", EmbeddedTransport(space, "insurer"), suite
        )
        self.node_keys = {}
        for role, node in (("provider", self.hospital), ("consumer", self.insurer)):
            self.node_keys[role] = node.public_keys()
        for node in (self.hospital, self.cdc, self.insurer):
            space.register_keys(node.name, node.public_keys())
        self.keys["steward"] = space.add_participant(
            None,
            "steward",
            "steward",
            [n.appoint_steward("steward", space.fingerprint) for n in (self.hospital, self.cdc)],
        )
        self.hospital.load("csv", [data / "hospital_visits.csv"], LoadOptions(replace=True))
        self.cdc.load(
            "csv",
            [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"],
            LoadOptions(replace=True),
        )
        self.offer = self.hospital.offer_datasets()[0]
        self.cdc.offer_datasets()
        self.model = default_model_path().read_bytes()
        space.publish_model("steward", self.model)
        self.policy = yaml.safe_dump(direct_example("hospital")).encode()
        space.publish_policy("steward", self.policy)
        space.publish_policy("steward", yaml.safe_dump(direct_example("cdc")).encode())
        ids = ["11010519491231002X", "110101199003074514"]
        self.done_job = self.insurer.submit_lookup(
            "underwriting_score",
            ids,
            as_of=AS_OF,
            purpose="underwriting",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            model_document=self.model,
        )
        for _ in range(10):
            space.run_pending_work()
            for node in (self.hospital, self.cdc, self.insurer):
                node.run_pending()
        assert space.job_status("insurer", self.done_job).state == "succeeded"
        self.open_job = self.insurer.submit_lookup(
            "underwriting_score",
            ids,
            as_of=AS_OF,
            purpose="underwriting",
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            model_document=self.model,
        )
        row = space.store.db.execute(
            "SELECT task_id FROM tasks WHERE job_id = ? AND node = 'hospital'", (self.open_job,)
        ).fetchone()
        self.open_task = row[0]
        client = psi.PsiClient()
        self.submission = self.insurer.submission(
            JobSpec(
                job_id=uuid.uuid4().hex,
                product="underwriting_score",
                consumer="insurer",
                purpose="underwriting",
                as_of=AS_OF,
                batch_size=1,
                providers={"hospital": ["hospital"], "cdc": ["cdc"]},
                paillier_public_key=self.insurer.paillier_public.to_wire(),
                model=self.model,
            ),
            psi_request=client.create_request(["11010519491231002X"]),
        )

    def signed(self, **changes: Any) -> JobSubmission:
        """The world's submission with its spec changed, signed again by the insurer."""
        spec = self.submission.spec.model_copy(update=changes)
        return self.insurer.submission(spec, psi_request=self.submission.psi_request)
