"""Stewards bound to their owners over HTTP and in the console (issue 22
item 3): the operator's route refuses a steward without its owners'
appointments, a steward of one owner cannot retire another's policy, a
two-owner policy waits for the other steward, refusals come back as typed
errors said in the client's language, and the console shows who governs
what and lets the awaited steward approve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.policy_docs import dated_example, joint_example
from tests.service.test_console import sign_in
from tests.stewards import add_steward
from trusted_space.core.errors import AppointmentRefused, NotStewardOf
from trusted_space.core.i18n import language, set_language
from trusted_space.crypto import SigningKey
from trusted_space.nodes.base import appoint_steward
from trusted_space.service.app import create_app
from trusted_space.service.settings import ServiceSettings
from trusted_space.space.space import Space
from trusted_space.transport.http import _checked


class Site:
    def __init__(self, root: Path) -> None:
        self.app = create_app(ServiceSettings(workdir=root, suite="default"))
        self.space: Space = self.app.state.space
        self.owner_keys: dict[str, SigningKey] = {}
        self.keys = {
            "steward-h": add_steward(self.space, "steward-h", ["hospital"], self.owner_keys),
            "steward-c": add_steward(self.space, "steward-c", ["cdc"], self.owner_keys),
            "operator": self.space.add_participant(None, "operator", "operator"),
        }
        self.space.publish_policy("steward-c", yaml.safe_dump(dated_example("cdc")))

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def appointment(self, owner: str, steward: str, key: SigningKey | None = None) -> Any:
        signer = key or self.owner_keys[owner]
        paper = appoint_steward(self.space.suite, signer, owner, steward, self.space.fingerprint)
        return paper.model_dump(mode="json")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Site, TestClient]]:
    s = Site(tmp_path / "svc")
    with TestClient(s.app, base_url="https://testserver") as client:
        yield s, client


@pytest.fixture
def english() -> Iterator[None]:
    before = language()
    yield
    set_language(before)


def test_the_operator_route_refuses_a_steward_without_its_owners(
    site: tuple[Site, TestClient],
) -> None:
    s, client = site
    plain = client.post(
        "/v1/participants", json={"name": "rogue", "role": "steward"}, headers=s.auth("operator")
    )
    assert plain.status_code == 403
    problem = plain.json()
    assert problem["code"] == "appointment_refused"
    assert problem["key"] == "appointment.missing" and problem["params"] == {"steward": "rogue"}
    forged = s.appointment("hospital", "rogue", key=s.space.suite.new_signing_key())
    r = client.post(
        "/v1/participants",
        json={"name": "rogue", "role": "steward", "appointments": [forged]},
        headers=s.auth("operator"),
    )
    assert r.status_code == 403 and r.json()["key"] == "appointment.bad_signature"
    assert (
        s.space.store.db.execute("SELECT 1 FROM participants WHERE name = 'rogue'").fetchone()
        is None
    )
    # With the owner's signature: added, and shown with its owner.
    r = client.post(
        "/v1/participants",
        json={
            "name": "steward-2",
            "role": "steward",
            "appointments": [s.appointment("cdc", "steward-2")],
        },
        headers=s.auth("operator"),
    )
    assert r.status_code == 201, r.text
    owners = client.get("/v1/participants/stewards", headers=s.auth("steward-h")).json()
    assert {o["steward"]: o["owners"] for o in owners} == {
        "steward-2": ["cdc"],
        "steward-c": ["cdc"],
        "steward-h": ["hospital"],
    }
    # More owners for an existing steward: only by their appointment too.
    r = client.post(
        "/v1/participants/steward-h/appointments",
        json={"appointments": [s.appointment("cdc", "steward-h", key=s.owner_keys["hospital"])]},
        headers=s.auth("operator"),
    )
    assert r.status_code == 403
    r = client.post(
        "/v1/participants/steward-h/appointments",
        json={"appointments": [s.appointment("cdc", "steward-h")]},
        headers=s.auth("operator"),
    )
    assert r.status_code == 200 and r.json()["owners"] == ["cdc", "hospital"]


def test_a_refusal_is_typed_and_said_in_the_clients_language(
    site: tuple[Site, TestClient], english: None
) -> None:
    s, client = site
    r = client.delete("/v1/policies/cdc-underwriting", headers=s.auth("steward-h"))
    assert r.status_code == 403
    assert r.json()["code"] == "not_steward_of"
    assert r.json()["params"]["steward"] == "steward-h"
    for lang, words in (
        ("en", "was appointed by none of the owners"),
        ("zh-CN", "任命的数据管理员"),
    ):
        set_language(lang)
        with pytest.raises(NotStewardOf) as refused:
            _checked(r)
        assert words in str(refused.value)
    plain = client.post(
        "/v1/participants", json={"name": "rogue", "role": "steward"}, headers=s.auth("operator")
    )
    with pytest.raises(AppointmentRefused):
        _checked(plain)
    assert {(p.policy.id, p.state) for p in s.space.policy_records("steward-c")} == {
        ("cdc-underwriting", "published")
    }


def test_a_two_owner_policy_waits_for_the_other_steward_over_http(
    site: tuple[Site, TestClient],
) -> None:
    s, client = site
    body = {
        "content": yaml.safe_dump(joint_example()),
        "headers": {"content-type": "application/octet-stream"},
    }
    r = client.post(
        "/v1/policies", headers={**s.auth("steward-h"), **body["headers"]}, content=body["content"]
    )
    assert r.status_code == 201
    assert r.json()["state"] == "pending"
    assert r.json()["approvals"] == {"cdc": None, "hospital": "steward-h"}
    r = client.post("/v1/policies/joint-underwriting/1/approval", headers=s.auth("steward-h"))
    assert r.status_code == 200 and r.json()["state"] == "pending"
    r = client.post("/v1/policies/joint-underwriting/1/approval", headers=s.auth("steward-c"))
    assert r.status_code == 200 and r.json()["state"] == "published"
    assert (
        client.post(
            "/v1/policies/joint-underwriting/9/approval", headers=s.auth("steward-c")
        ).status_code
        == 404
    )


def test_the_console_shows_owners_and_lets_the_awaited_steward_approve(
    site: tuple[Site, TestClient],
) -> None:
    s, client = site
    s.space.publish_policy("steward-h", yaml.safe_dump(joint_example()))
    sign_in(client, s.keys["operator"])
    page = client.get("/console/participants?lang=en").text
    row = page[page.index("<td>steward-h</td>") :].split("</tr>")[0]
    assert '<td class="governs">hospital</td>' in row
    # The hospital's steward published it: no approve button for it, a note of what it awaits.
    csrf = sign_in(client, s.keys["steward-h"])
    page = client.get("/console/policies/joint-underwriting/1?lang=en").text
    assert 'id="pending"' in page and "awaits the steward of cdc" in page
    assert 'id="approve"' not in page
    assert "hospital: approved by steward-h" in page
    # Retiring the CDC's policy is refused, in the console's language.
    r = client.post(
        "/console/policies/cdc-underwriting/retire?lang=en", data={"csrf": csrf, "version": "1"}
    )
    assert r.status_code == 403 and "was appointed by none of the owners" in r.text
    # The CDC's steward sees the button; without the CSRF token nothing happens.
    csrf = sign_in(client, s.keys["steward-c"])
    page = client.get("/console/policies/joint-underwriting/1").text
    assert 'id="approve"' in page
    r = client.post(
        "/console/policies/joint-underwriting/1/approve", data={"csrf": "x"}, follow_redirects=False
    )
    assert r.status_code == 303 and "/console/login" in r.headers["location"]
    assert s.space.policies.active("underwriting_score")[0].id == "cdc-underwriting"
    r = client.post("/console/policies/joint-underwriting/1/approve?lang=en", data={"csrf": csrf})
    assert r.status_code == 200 and 'id="approved"' in r.text
    states = {(p.policy.id, p.state) for p in s.space.policy_records("steward-c")}
    assert ("joint-underwriting", "published") in states
    listing = client.get("/console/policies?lang=en").text
    row = listing[listing.index(">joint-underwriting<") :].split("</tr>")[0]
    assert "published" in row and "awaiting" not in row
