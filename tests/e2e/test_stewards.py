"""Stewards bound to the owners that appointed them (issue 22 item 3).

The attacks: a steward of the hospital retires or supersedes the CDC's
policy; a policy of two owners published by one owner's steward governs
jobs before the other owner agreed; the operator makes a steward for an
owner on its own (no appointment, a forged one, one for another steward or
another space, or a binding written straight into the space's database).
Each is refused, and the ledger shows who approved what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.policy_docs import dated_example, joint_example, write_policy
from tests.stewards import add_steward, owner_key
from trusted_space.cli import app
from trusted_space.core.errors import (
    AppointmentRefused,
    LedgerTampered,
    NotStewardOf,
    ProtocolError,
)
from trusted_space.crypto import SigningKey
from trusted_space.demo import default_model_path
from trusted_space.nodes.base import appoint_steward
from trusted_space.product_card import build_card
from trusted_space.protocol.messages import JobSpec
from trusted_space.space.space import Space, SpaceConfig


class Stage:
    """A space with two owners, the hospital and the CDC, each with its own
    steward, and the CDC's policy in force."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.space = Space(root / "space", SpaceConfig(require_policy=True))
        self.keys: dict[str, SigningKey] = {}
        add_steward(self.space, "steward-h", ["hospital"], self.keys)
        add_steward(self.space, "steward-c", ["cdc"], self.keys)
        self.space.publish_policy("steward-c", _yaml(dated_example("cdc")))

    def states(self) -> dict[tuple[str, int], str]:
        return {
            (r.policy.id, r.policy.version): r.state for r in self.space.policy_records("steward-h")
        }

    def kinds(self) -> list[str]:
        return [e.kind for e in self.space.ledger.entries()]

    def decide(self) -> Any:
        spec = JobSpec(
            job_id="0" * 32,
            product="underwriting_score",
            consumer="insurer",
            purpose="underwriting",
            as_of=dt.date.today(),
            batch_size=5,
            providers={"hospital": ["hospital"], "cdc": ["cdc"]},
            paillier_public_key="ab",
            model=default_model_path().read_bytes(),
            engine="blind_lookup",  # the example policies require the blind lookup
        )
        return self.space.gate.evaluate(spec)


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    s = Stage(tmp_path)
    try:
        yield s
    finally:
        s.space.close()


def _yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True)


# -- a steward of one owner against another owner's policy -------------------------------------
def test_a_hospital_steward_cannot_retire_the_cdc_policy(stage: Stage) -> None:
    before = stage.kinds()
    with pytest.raises(NotStewardOf) as refused:
        stage.space.retire_policy("steward-h", "cdc-underwriting")
    assert stage.states() == {("cdc-underwriting", 1): "published"}
    assert stage.kinds() == before  # nothing recorded, nothing changed
    # Said in both languages, naming who and what.
    english, chinese = refused.value.text("en"), refused.value.text("zh-CN")
    assert "steward-h" in english and "cdc-underwriting" in english and "cdc" in english
    assert "steward-h" in chinese and "cdc-underwriting" in chinese and "数据管理员" in chinese
    # The CDC's own steward can.
    stage.space.retire_policy("steward-c", "cdc-underwriting")
    assert stage.states() == {("cdc-underwriting", 1): "retired"}


@pytest.mark.parametrize(
    "owners", [["hospital"], ["cdc"], ["hospital", "cdc"]], ids=["own", "theirs", "both"]
)
def test_a_hospital_steward_cannot_supersede_the_cdc_policy(
    stage: Stage, owners: list[str]
) -> None:
    """A new version of the CDC's policy id, whoever it names as owners."""
    before = stage.kinds()
    takeover = dated_example("cdc", version=2, owners=owners, consumers=["insurer", "rogue"])
    with pytest.raises(NotStewardOf) as refused:
        stage.space.publish_policy("steward-h", _yaml(takeover))
    assert refused.value.key in ("steward.not_superseding", "steward.not_governing")
    assert stage.states() == {("cdc-underwriting", 1): "published"}
    assert stage.kinds() == before
    assert [p.consumers for p in stage.space.policies.active("underwriting_score")] == [["insurer"]]


def test_a_steward_cannot_publish_a_new_policy_for_another_owner(stage: Stage) -> None:
    doc = dated_example("cdc", id="cdc-underwriting-2")
    with pytest.raises(NotStewardOf) as refused:
        stage.space.publish_policy("steward-h", _yaml(doc))
    assert refused.value.key == "steward.not_governing"
    assert ("cdc-underwriting-2", 1) not in stage.states()


# -- a policy of several owners -------------------------------------------------------------------
def test_a_two_owner_policy_is_not_in_force_until_the_other_steward_approves(
    stage: Stage, tmp_path: Path
) -> None:
    stage.space.retire_policy("steward-c", "cdc-underwriting")  # the joint policy alone governs
    record = stage.space.publish_policy("steward-h", _yaml(joint_example()))
    assert record.state == "pending"
    assert record.approvals == {"hospital": "steward-h", "cdc": None}
    assert record.awaiting == ["cdc"]
    # Not in force: the gate finds no policy covering either owner.
    decision = stage.decide()
    assert not decision.allowed
    assert {r.constraint for r in decision.reasons} == {"coverage"}
    assert stage.space.policies.active("underwriting_score") == []
    # `policy explain --workdir` leaves it out as the gate does.
    path = write_policy(tmp_path, "joint", joint_example())
    args = ["--lang", "en", "policy", "explain", "--policy", str(path)]
    args += ["--consumer", "insurer", "--product", "underwriting_score"]
    args += ["--purpose", "underwriting", "--batch-size", "5"]
    args += ["--model", str(default_model_path()), "--workdir", str(stage.root)]
    args += ["--provider", "hospital=hospital", "--provider", "cdc=cdc"]
    pending = CliRunner().invoke(app, args)
    assert pending.exit_code == 1, pending.output
    assert "joint-underwriting v1 is pending in that space, not in force" in pending.output
    # The hospital's steward approving again changes nothing.
    again = stage.space.approve_policy("steward-h", "joint-underwriting", 1)
    assert again.state == "pending"
    # The CDC's steward approves: in force.
    approved = stage.space.approve_policy("steward-c", "joint-underwriting", 1)
    assert approved.state == "published"
    assert approved.approvals == {"hospital": "steward-h", "cdc": "steward-c"}
    assert stage.decide().allowed
    in_force = CliRunner().invoke(app, args)
    assert in_force.exit_code == 0, in_force.output
    # Each approval is a ledger entry, by the steward that gave it.
    entries = [
        e for e in stage.space.ledger.entries() if e.details.get("policy") == "joint-underwriting"
    ]
    assert [(e.kind, e.actor) for e in entries] == [
        ("policy_published", "steward-h"),
        ("policy_approved", "steward-c"),
    ]
    assert entries[0].details["approved"] == ["hospital"]
    assert entries[0].details["awaiting"] == ["cdc"]
    assert entries[0].details["state"] == "pending"
    assert entries[1].details["approved"] == ["cdc"]
    assert entries[1].details["state"] == "published"
    assert stage.space.ledger.verify() == len(list(stage.space.ledger.entries()))
    # The product card's lineage points at both, and shows the version in force.
    card = build_card(stage.root, "underwriting_score")
    assert {e.seq for e in entries} <= set(card["lineage"]["policy_entries"])
    assert ("joint-underwriting", "published") in {(p["id"], p["state"]) for p in card["policies"]}


def test_publishing_the_same_version_again_is_the_other_stewards_approval(stage: Stage) -> None:
    stage.space.publish_policy("steward-h", _yaml(joint_example()))
    record = stage.space.publish_policy("steward-c", _yaml(joint_example()))
    assert record.state == "published"
    with pytest.raises(ProtocolError, match="other content"):
        stage.space.publish_policy("steward-c", _yaml(joint_example(consumers=["rogue"])))


def test_a_pending_version_leaves_the_one_in_force_until_approved(stage: Stage) -> None:
    """The CDC's steward adds the hospital to its policy: v1 governs until
    the hospital's steward agrees."""
    v2 = dated_example("cdc", version=2, owners=["cdc", "hospital"])
    stage.space.publish_policy("steward-c", _yaml(v2))
    assert stage.states() == {
        ("cdc-underwriting", 1): "published",
        ("cdc-underwriting", 2): "pending",
    }
    assert [p.version for p in stage.space.policies.active("underwriting_score")] == [1]
    stage.space.approve_policy("steward-h", "cdc-underwriting", 2)
    assert stage.states() == {
        ("cdc-underwriting", 1): "superseded",
        ("cdc-underwriting", 2): "published",
    }


def test_a_steward_of_neither_owner_cannot_approve(stage: Stage) -> None:
    add_steward(stage.space, "steward-b", ["centre_b"], stage.keys)
    stage.space.publish_policy("steward-h", _yaml(joint_example()))
    with pytest.raises(NotStewardOf):
        stage.space.approve_policy("steward-b", "joint-underwriting", 1)
    assert stage.states()[("joint-underwriting", 1)] == "pending"


def test_once_an_owner_is_named_every_later_version_needs_it(stage: Stage) -> None:
    """Dropping an owner from a joint policy is a change that owner must approve:
    a policy id belongs to every owner any of its versions named."""
    stage.space.publish_policy("steward-h", _yaml(joint_example()))
    stage.space.approve_policy("steward-c", "joint-underwriting", 1)
    record = stage.space.publish_policy("steward-h", _yaml(joint_example(2, owners=["hospital"])))
    assert record.state == "pending" and record.awaiting == ["cdc"]
    assert stage.states()[("joint-underwriting", 1)] == "published"


def test_any_owner_may_withdraw_a_joint_policy(stage: Stage) -> None:
    stage.space.publish_policy("steward-h", _yaml(joint_example()))
    stage.space.approve_policy("steward-c", "joint-underwriting", 1)
    stage.space.retire_policy("steward-c", "joint-underwriting")
    assert stage.states()[("joint-underwriting", 1)] == "retired"


# -- the operator and stewards ------------------------------------------------------------------
def _no_participant(space: Space, name: str) -> bool:
    row = space.store.db.execute("SELECT 1 FROM participants WHERE name = ?", (name,)).fetchone()
    return row is None


def test_the_operator_alone_cannot_make_a_steward(stage: Stage) -> None:
    space = stage.space
    before = stage.kinds()
    with pytest.raises(AppointmentRefused) as refused:
        space.add_participant(None, "rogue", "steward")
    assert refused.value.key == "appointment.missing"
    assert "operator alone" in refused.value.text("en")
    assert "运营方不能单独指定" in refused.value.text("zh-CN")
    # An appointment the operator signs itself, in the hospital's name.
    forged = appoint_steward(
        space.suite, space.suite.new_signing_key(), "hospital", "rogue", space.fingerprint
    )
    # The hospital's real appointment of its own steward, replayed for another.
    replayed = appoint_steward(
        space.suite, stage.keys["hospital"], "hospital", "steward-h", space.fingerprint
    )
    # The hospital's real appointment of "rogue", made for another space.
    elsewhere = appoint_steward(space.suite, stage.keys["hospital"], "hospital", "rogue", "0" * 16)
    # An owner that is no provider of this space.
    stranger = appoint_steward(
        space.suite, space.suite.new_signing_key(), "nobody", "rogue", space.fingerprint
    )
    cases = [
        (forged, "appointment.bad_signature"),
        (replayed, "appointment.other_steward"),
        (elsewhere, "appointment.other_space"),
        (stranger, "appointment.unknown_owner"),
    ]
    for appointment, key in cases:
        with pytest.raises(AppointmentRefused) as refused:
            space.add_participant(None, "rogue", "steward", [appointment])
        assert refused.value.key == key
        assert _no_participant(space, "rogue"), key  # rolled back: no steward, no key
    assert stage.kinds() == before
    # Nor can it bind an existing steward to another owner.
    cdc_forged = appoint_steward(
        space.suite, stage.keys["hospital"], "cdc", "steward-h", space.fingerprint
    )
    with pytest.raises(AppointmentRefused):
        space.appoint_steward(None, "steward-h", [cdc_forged])
    assert space.stewards.owners_of("steward-h") == {"hospital"}
    with pytest.raises(NotStewardOf):
        space.retire_policy("steward-h", "cdc-underwriting")
    # With the owner's own signature it works, and the ledger records the appointment.
    genuine = appoint_steward(space.suite, stage.keys["cdc"], "cdc", "steward-h", space.fingerprint)
    assert space.appoint_steward(None, "steward-h", [genuine]) == ["cdc", "hospital"]
    last = list(space.ledger.entries())[-1]
    assert last.kind == "steward_appointed" and last.details["owner"] == "cdc"
    assert last.details["signature"] == genuine.signature
    space.ledger.verify()


def test_only_a_steward_is_appointed(stage: Stage) -> None:
    appointment = appoint_steward(
        stage.space.suite, stage.keys["cdc"], "cdc", "insurer", stage.space.fingerprint
    )
    with pytest.raises(ValueError, match="only a steward"):
        stage.space.add_participant(None, "insurer", "consumer", [appointment])
    stage.space.add_participant(None, "insurer", "consumer")
    with pytest.raises(AppointmentRefused) as refused:
        stage.space.appoint_steward(None, "insurer", [appointment])
    assert refused.value.key == "appointment.not_a_steward"


def test_the_admin_command_refuses_a_steward_without_appointments(stage: Stage) -> None:
    stage.space.close()
    args = ["--lang", "en", "admin", "add-participant", "rogue", "--role", "steward"]
    out = CliRunner().invoke(app, [*args, "--workdir", str(stage.root)])
    assert out.exit_code == 2
    assert "signed appointment from each owner" in out.output
    zh = CliRunner().invoke(app, ["--lang", "zh-CN", *args[2:], "--workdir", str(stage.root)])
    assert zh.exit_code == 2 and "签名任命" in zh.output
    stage.space = Space(stage.root / "space", SpaceConfig(require_policy=True))
    assert _no_participant(stage.space, "rogue")


def test_the_admin_command_adds_a_steward_with_the_owners_appointment(stage: Stage) -> None:
    space = stage.space
    paper = appoint_steward(space.suite, stage.keys["cdc"], "cdc", "steward-2", space.fingerprint)
    path = stage.root / "appointment.json"
    path.write_text(paper.model_dump_json(), encoding="utf-8")
    space.close()
    args = ["admin", "add-participant", "steward-2", "--role", "steward"]
    out = CliRunner().invoke(app, [*args, "--appointment", str(path), "--workdir", str(stage.root)])
    assert out.exit_code == 0, out.output
    assert out.stdout.strip().startswith("tsk_")  # the key alone on stdout; notes on stderr
    bad = stage.root / "bad.json"
    bad.write_text('{"owner": "cdc"}', encoding="utf-8")
    out = CliRunner().invoke(
        app,
        [
            "--lang",
            "en",
            *args[:2],
            "steward-3",
            *args[3:],
            "--appointment",
            str(bad),
            "--workdir",
            str(stage.root),
        ],
    )
    assert (
        out.exit_code == 2
        and "bad.json" in out.output
        and "not a steward appointment" in out.output
    )
    stage.space = Space(stage.root / "space", SpaceConfig(require_policy=True))
    assert stage.space.stewards.owners_of("steward-2") == {"cdc"}


# -- the ledger proves it -------------------------------------------------------------------------
def test_ledger_verify_catches_a_binding_the_operator_wrote_itself(stage: Stage) -> None:
    """An operator with the space's key and database writes a binding and its
    entry directly: the ledger is still a valid chain, but the appointment
    is not signed by the owner."""
    space = stage.space
    forged = appoint_steward(
        space.suite, space.suite.new_signing_key(), "cdc", "steward-h", space.fingerprint
    )
    with space.store.transaction() as db:
        db.execute(
            "INSERT INTO steward_owners VALUES ('steward-h', 'cdc', ?, 'now')",
            (forged.model_dump_json(),),
        )
        entry = space.ledger.append(
            "admin-console",
            "steward_appointed",
            {
                "steward": "steward-h",
                "owner": "cdc",
                "space": space.fingerprint,
                "owner_signing_key_fp": "x",
                "signature": forged.signature,
            },
        )
    with pytest.raises(LedgerTampered) as caught:
        space.ledger.verify()
    assert caught.value.seq == entry.seq
    assert "not signed by 'cdc'" in caught.value.reason


def test_ledger_verify_catches_an_approval_by_a_steward_the_owner_did_not_appoint(
    stage: Stage,
) -> None:
    space = stage.space
    with space.store.transaction():
        entry = space.ledger.append(
            "steward-h",
            "policy_approved",
            {
                "policy": "cdc-underwriting",
                "version": 1,
                "approved": ["cdc"],
                "awaiting": [],
                "state": "published",
            },
        )
    with pytest.raises(LedgerTampered) as caught:
        space.ledger.verify()
    assert caught.value.seq == entry.seq and "did not appoint it" in caught.value.reason


def test_ledger_verify_catches_a_policy_in_force_without_every_approval(stage: Stage) -> None:
    space = stage.space
    with space.store.transaction():
        entry = space.ledger.append(
            "steward-h",
            "policy_published",
            {
                "policy": "joint",
                "version": 1,
                "requires": ["cdc", "hospital"],
                "approved": ["hospital"],
                "awaiting": [],
                "state": "published",
            },
        )
    with pytest.raises(LedgerTampered) as caught:
        space.ledger.verify()
    assert caught.value.seq == entry.seq and "without the approval of cdc" in caught.value.reason


def test_whoami_names_the_space_an_appointment_must_name(tmp_path: Path) -> None:
    space = Space(tmp_path / "space")
    try:
        owner_key(space, "hospital")
        named = space.whoami("hospital")["space"]
        assert named == space.suite.fingerprint(space.key.public_bytes()) == space.fingerprint
    finally:
        space.close()


@pytest.mark.parametrize("where", ["another space", "an owner without a key"])
def test_ledger_verify_catches_an_appointment_it_cannot_check(stage: Stage, where: str) -> None:
    """Signed by the owner, but for another space; or by a name that never
    registered a key: neither proves an owner's consent here."""
    space = stage.space
    owner, target = ("cdc", "0" * 16) if where == "another space" else ("ghost", space.fingerprint)
    key = stage.keys["cdc"] if owner == "cdc" else space.suite.new_signing_key()
    paper = appoint_steward(space.suite, key, owner, "steward-h", target)
    with space.store.transaction():
        entry = space.ledger.append(
            "admin-console",
            "steward_appointed",
            {
                "steward": "steward-h",
                "owner": owner,
                "space": target,
                "owner_signing_key_fp": "x",
                "signature": paper.signature,
            },
        )
    with pytest.raises(LedgerTampered) as caught:
        space.ledger.verify()
    assert caught.value.seq == entry.seq
    expected = "another space" if where == "another space" else "registered no signing key"
    assert expected in caught.value.reason
