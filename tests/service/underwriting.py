"""The underwriting story's deployment over HTTP, shared by the story, the
fault and the leak tests: the space, two provider nodes and the insurer's
client as separate processes (their data and expected output are fixtures
in conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.service.procs import Proc, ServiceDeployment
from trusted_space.demo import default_model_path

AS_OF = dt.date(2026, 10, 31)


class Deployment(ServiceDeployment):
    def __init__(
        self,
        root: Path,
        data: Path,
        suite: str = "default",
        space_env: dict[str, str] | None = None,
        policies: str = "policies",
    ) -> None:
        """``policies``: the folder of ``data`` whose policies the steward
        publishes (conftest.py: ``policies``, the examples, or
        ``policies-direct``)."""
        super().__init__(
            root,
            {
                "hospital": [f"{data}/hospital_visits.csv"],
                "cdc": [f"{data}/cdc_case_reports.csv", f"{data}/cdc_chronic_registry.csv"],
            },
            ["insurer"],
            suite=suite,
            space_env=space_env,
        )
        self.data = data
        self.earlier: set[str] = set()  # jobs of earlier tests on a shared deployment
        self.hospital = self.nodes["hospital"]
        self.cdc = self.nodes["cdc"]
        self.steward("publish-model", str(default_model_path()))
        self.steward("publish-policy", *map(str, sorted((data / policies).glob("*.yaml"))))

    def underwrite(self, env: dict[str, str] | None = None) -> Proc:
        return self.client(
            "insurer",
            "underwrite",
            "--applicants",
            str(self.data / "applicants.csv"),
            "--purpose",
            "underwriting",
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(self.root / "scores.csv"),
            env=env,
        )
