"""Every route, called by every role, by no key and by a bad key.

The space holds a finished job and one in flight (its providers' tasks
pending), so routes that touch another party's job or task have something
real to refuse.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.world import World
from trusted_space.crypto import SigningKey
from trusted_space.protocol.identity import sign_keys
from trusted_space.protocol.peering import draft_terms

ROLES = ("provider", "consumer", "other_consumer", "steward", "operator", "none", "bad")
KEYED = ROLES[:5]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, suite: str
) -> Iterator[tuple[World, TestClient]]:
    w = World(tmp_path_factory.mktemp("authz"), suite)
    with TestClient(w.app) as client:
        yield w, client


def headers(w: World, role: str) -> dict[str, str]:
    if role == "none":
        return {}
    return {"Authorization": f"Bearer {w.keys[role]}"}


SIGNING_KEYS: dict[tuple[str, str], SigningKey] = {}
SERIALS = itertools.count(1)  # each registration announces new keys: a higher serial


def own_keys(w: World, role: str) -> dict[str, Any]:
    """The caller's keys, signed by one signing key per name (as its node
    would keep it), so registering them again is accepted."""
    suite = w.space.suite
    name = w.names.get(role, "nobody")
    real = {
        "provider": "provider",
        "consumer": "consumer",
        "other_consumer": "consumer",
        "steward": "steward",
        "operator": "operator",
    }.get(role, "consumer")
    node = {"provider": w.hospital, "consumer": w.insurer}.get(role)
    if node is not None:
        return node.public_keys().model_dump(mode="json")
    key = SIGNING_KEYS.setdefault((suite.name, name), suite.new_signing_key())
    keys = sign_keys(
        suite,
        key,
        name=name,
        role=real,  # type: ignore[arg-type]
        sealing_key=suite.new_sealing_key().public_bytes(),
        serial=next(SERIALS),
    )
    return keys.model_dump(mode="json")


Call = Callable[[World, str], dict[str, Any]]


def allow(statuses: dict[str, int], otherwise: int) -> dict[str, int]:
    out = {r: statuses.get(r, otherwise) for r in KEYED}
    out.update({"none": statuses.get("none", 401), "bad": statuses.get("bad", 401)})
    return out


MATRIX: list[tuple[str, str, Callable[[World], str], Call | None, dict[str, int]]] = [
    ("GET", "health", lambda w: "/v1/health", None, {r: 200 for r in ROLES}),
    ("GET", "openapi", lambda w: "/openapi.json", None, {r: 200 for r in ROLES}),
    (
        "POST",
        "add participant",
        lambda w: "/v1/participants",
        lambda w, r: {"json": {"name": f"p-{uuid.uuid4().hex[:8]}", "role": "consumer"}},
        allow({"operator": 201}, 403),
    ),
    (
        "POST",
        "appoint steward",
        lambda w: "/v1/participants/steward/appointments",
        lambda w, r: {
            "json": {
                "appointments": [
                    w.hospital.appoint_steward("steward", w.space.fingerprint).model_dump()
                ]
            }
        },
        allow({"operator": 200}, 403),
    ),
    (
        "GET",
        "steward owners",
        lambda w: "/v1/participants/stewards",
        None,
        allow({"steward": 200, "operator": 200}, 403),
    ),
    ("GET", "whoami", lambda w: "/v1/participants/me", None, allow({}, 200)),
    ("GET", "public keys", lambda w: "/v1/participants/keys", None, allow({}, 200)),
    (
        "PUT",
        "own keys",
        lambda w: "/v1/participants/me/keys",
        lambda w, r: {"json": own_keys(w, r)},
        allow({}, 204),
    ),
    (
        "POST",
        "offer dataset",
        lambda w: "/v1/datasets",
        lambda w, r: {
            "content": w.offer.model_dump_json(),
            "headers": {"content-type": "application/json"},
        },
        allow({"provider": 204}, 403),
    ),
    (
        "GET",
        "setup",
        lambda w: f"/v1/datasets/hospital/hospital/{w.offer.version}/setup",
        None,
        allow({"provider": 200, "consumer": 200, "other_consumer": 200}, 403),
    ),
    (
        "GET",
        "product providers",
        lambda w: "/v1/products/underwriting_score/providers",
        None,
        allow({"provider": 403}, 200),
    ),
    (
        "GET",
        "product engine",
        lambda w: "/v1/products/underwriting_score/engine",
        None,
        allow({"provider": 403}, 200),
    ),
    (
        "GET",
        "approved model",
        lambda w: "/v1/products/underwriting_score/model",
        None,
        allow({"consumer": 200, "other_consumer": 200, "steward": 200}, 403),
    ),
    (
        "POST",
        "publish model",
        lambda w: "/v1/models",
        lambda w, r: {"content": w.model, "headers": {"content-type": "application/octet-stream"}},
        allow({"steward": 201}, 403),
    ),
    (
        "GET",
        "list policies",
        lambda w: "/v1/policies",
        None,
        allow({"steward": 200, "operator": 200}, 403),
    ),
    (
        "POST",
        "publish policy",
        lambda w: "/v1/policies",
        lambda w, r: {"content": w.policy, "headers": {"content-type": "application/octet-stream"}},
        allow({"steward": 201}, 403),
    ),
    (
        "POST",
        "approve policy",
        lambda w: "/v1/policies/hospital-underwriting/1/approval",
        None,
        allow({"steward": 200}, 403),
    ),  # in force already: the steward's approval changes nothing
    (
        "DELETE",
        "retire policy",
        lambda w: "/v1/policies/no-such-policy",
        None,
        allow({"steward": 404}, 403),
    ),
    (
        "POST",
        "submit job",
        lambda w: "/v1/jobs",
        lambda w, r: {
            "content": w.submission.model_dump_json(),
            "headers": {"content-type": "application/json"},
        },
        allow({"consumer": 201}, 403),
    ),
    ("GET", "job status", lambda w: f"/v1/jobs/{w.done_job}", None, allow({"consumer": 200}, 404)),
    (
        "GET",
        "job result",
        lambda w: f"/v1/jobs/{w.done_job}/result",
        None,
        allow({"consumer": 200}, 404),
    ),
    (
        "GET",
        "pull tasks",
        lambda w: "/v1/tasks",
        None,
        allow({"steward": 403, "operator": 403}, 200),
    ),
    (
        "POST",
        "exchange results for tasks",
        lambda w: "/v1/tasks/exchange",
        lambda w, r: {"json": {"results": []}},
        allow({"steward": 403, "operator": 403}, 200),
    ),
    (
        "PUT",
        "put result part",
        lambda w: f"/v1/tasks/{w.open_task}/parts",
        lambda w, r: {
            "content": b"part of a result",
            "headers": {"content-type": "application/octet-stream"},
        },
        allow({"provider": 200}, 404),
    ),  # only the node the task is for (before the rows below end its job)
    (
        "POST",
        "post result",
        lambda w: f"/v1/tasks/{w.open_task}/result",
        lambda w, r: {
            "json": {
                "task_id": w.open_task,
                "payload": {"kind": "psi_response", "psi_response": "AAAA"},
            }
        },
        allow({"provider": 422}, 404),
    ),  # the owner's malformed PSI response is refused
    (
        "POST",
        "report failure",
        lambda w: f"/v1/tasks/{w.open_task}/failure",
        lambda w, r: {"json": {"reason": "test"}},
        allow({"provider": 204}, 404),
    ),
    (
        "POST",
        "approve peering agreement",
        lambda w: "/v1/peering/approvals",
        lambda w, r: {"content": _terms(w), "headers": {"content-type": "application/json"}},
        allow({"steward": 422}, 403),
    ),  # an agreement that does not name this space: the steward's approval is refused
    (
        "GET",
        "list peers",
        lambda w: "/v1/peering/peers",
        None,
        allow({"steward": 200, "operator": 200}, 403),
    ),
    # Routes other spaces call: no API key opens them, only a peer's signature.
    *(
        ("POST", f"peer {name}", lambda w, p=path: p, None, {r: 401 for r in ROLES})
        for name, path in (
            ("hello", "/v1/peer/hello"),
            ("catalogue", "/v1/peer/catalogue"),
            ("setup", "/v1/peer/setup"),
            ("job", "/v1/peer/jobs"),
            ("job state", f"/v1/peer/jobs/{'0' * 32}/state"),
            ("job subjects", f"/v1/peer/jobs/{'0' * 32}/subjects"),
            ("job masks", f"/v1/peer/jobs/{'0' * 32}/masks"),
            ("job close", f"/v1/peer/jobs/{'0' * 32}/close"),
        )
    ),
]


def _terms(w: World) -> bytes:
    suite = w.space.suite
    return (
        draft_terms(
            suite,
            mine=suite.new_signing_key().public_bytes(),
            my_stewards=["steward"],
            theirs=suite.new_signing_key().public_bytes(),
            their_stewards=["steward"],
            products=["underwriting_score"],
            made="2026-12-03",
        )
        .model_dump_json()
        .encode()
    )


@pytest.mark.parametrize(
    ("method", "name", "path", "body", "expected"), MATRIX, ids=[m[1] for m in MATRIX]
)
def test_every_route_with_every_role(
    world: tuple[World, TestClient],
    method: str,
    name: str,
    path: Callable[[World], str],
    body: Call | None,
    expected: dict[str, int],
) -> None:
    w, client = world
    got = {}
    # The allowed role last, so a state-changing call does not hide the others' refusals.
    order = sorted(ROLES, key=lambda r: expected[r] < 400)
    for role in order:
        kwargs = body(w, role) if body else {}
        hdrs = {**kwargs.pop("headers", {}), **headers(w, role)}
        response = client.request(method, path(w), headers=hdrs, **kwargs)
        got[role] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json"), (
                role,
                response.text,
            )
            problem = response.json()
            assert problem["status"] == response.status_code and problem["detail"]
    assert got == expected


def test_the_matrix_calls_every_documented_route(world: tuple[World, TestClient]) -> None:
    w, client = world
    paths = client.get("/openapi.json").json()["paths"]
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert len(documented) >= 18
    called = [(method, path(w)) for method, _, path, _, _ in MATRIX]
    for method, template in documented:
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        assert any(m == method and pattern.match(p) for m, p in called), (method, template)


def test_problem_details_for_limits_and_conflicts(world: tuple[World, TestClient]) -> None:
    w, client = world
    consumer = headers(w, "consumer")
    too_big = client.post(
        "/v1/models",
        content=b"x" * (w.app.state.settings.max_body_bytes + 1),
        headers={**headers(w, "steward"), "content-type": "application/octet-stream"},
    )
    assert too_big.status_code == 413
    invalid = client.post("/v1/jobs", json={"spec": {"job_id": "nope"}}, headers=consumer)
    assert invalid.status_code == 422 and invalid.json()["errors"]
    assert "nope" not in invalid.text, "a 422 must not echo the payload"
    changed = w.submission.model_copy(
        update={"spec": w.submission.spec.model_copy(update={"purpose": "claims"})}
    )
    replay = client.post(
        "/v1/jobs",
        content=changed.model_dump_json(),
        headers={**consumer, "content-type": "application/json"},
    )
    assert replay.status_code == 409
