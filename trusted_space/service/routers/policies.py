"""Policies: stewards publish, approve, list and retire them.

A steward acts only for the owners that appointed it; a version that needs
another owner's approval is ``pending`` (not in force) until that owner's
steward approves it (``POST /v1/policies/{id}/{version}/approval``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status
from pydantic import BaseModel

from trusted_space.service.deps import Caller, SpaceDep
from trusted_space.space.policy_registry import PolicyRecord

router = APIRouter(prefix="/v1/policies", tags=["policies"])


class PolicyPublic(BaseModel):
    id: str
    version: int
    product: str
    owners: list[str]
    state: str
    content_hash: str
    published_at: str
    approvals: dict[str, str | None] = {}  # owner -> approving steward; None: awaited


def _public(r: PolicyRecord) -> PolicyPublic:
    return PolicyPublic(
        id=r.policy.id,
        version=r.policy.version,
        product=r.policy.product,
        owners=r.policy.owners,
        state=r.state,
        content_hash=r.content_hash,
        published_at=r.published_at,
        approvals=r.approvals,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PolicyPublic)
def publish_policy(
    document: Annotated[bytes, Body(media_type="application/octet-stream")],
    caller: Caller,
    space: SpaceDep,
) -> PolicyPublic:
    """Steward: publish a policy document (YAML or JSON); a new version supersedes the
    old once in force (pending until each owner's steward has approved it)."""
    return _public(space.publish_policy(caller, document))


@router.post("/{policy_id}/{version}/approval", response_model=PolicyPublic)
def approve_policy(
    policy_id: str,
    version: Annotated[int, Path(ge=1, le=2**31)],
    caller: Caller,
    space: SpaceDep,
) -> PolicyPublic:
    """Steward: approve a pending version for the owners that appointed the caller."""
    return _public(space.approve_policy(caller, policy_id, version))


@router.get("", response_model=list[PolicyPublic])
def list_policies(caller: Caller, space: SpaceDep) -> list[PolicyPublic]:
    """Steward or operator: every stored version with its state."""
    return [_public(r) for r in space.policy_records(caller)]


@router.delete("/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
def retire_policy(policy_id: str, caller: Caller, space: SpaceDep) -> Response:
    """Steward: retire a policy; past decisions keep the versions they ran under."""
    space.retire_policy(caller, policy_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
