"""API fuzzing: schemathesis generates requests from /openapi.json for every
operation and sends each as every role, with no key and with a bad key. No
response may be a 5xx, and every error must be a problem document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.service.world import World

ROLES = ("provider", "consumer", "steward", "operator", "none", "bad")
# Per operation; each is sent once per role. Generating them is most of the
# test's time (hypothesis: 55% of its CPU, the space 12%), and hypothesis tries
# the boundary cases (empty, missing, oversized, wrong types) first.
EXAMPLES = 20


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TSPACE_LONG_POLL_SECONDS", "0.05")  # long polls answer at once
        yield World(tmp_path_factory.mktemp("fuzz"), "default")


def test_no_request_makes_the_space_fail(world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    calls = 0
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            nonlocal calls
            for role in ROLES:
                headers = {} if role == "none" else {"Authorization": f"Bearer {world.keys[role]}"}
                response = case.call(headers=headers)
                calls += 1
                where = (role, case.method, case.path, response.status_code)
                assert response.status_code < 500, (*where, response.text[:300])
                if response.status_code >= 400:
                    kind = response.headers.get("content-type", [""])
                    kind = kind if isinstance(kind, str) else kind[0]
                    assert kind.startswith("application/problem+json"), where

        check()
    assert calls >= len(operations) * len(ROLES)
    print(f"{calls} fuzzed calls over {len(operations)} operations")
