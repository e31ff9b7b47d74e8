"""Policies: stewards publish, list and retire them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel

from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/policies", tags=["policies"])


class PolicyPublic(BaseModel):
    id: str
    version: int
    product: str
    owners: list[str]
    state: str
    content_hash: str
    published_at: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PolicyPublic)
def publish_policy(
    document: Annotated[bytes, Body(media_type="application/octet-stream")],
    caller: Caller,
    space: SpaceDep,
) -> PolicyPublic:
    """Steward: publish a policy document (YAML or JSON); a new version supersedes the old."""
    r = space.publish_policy(caller, document)
    return PolicyPublic(
        id=r.policy.id,
        version=r.policy.version,
        product=r.policy.product,
        owners=r.policy.owners,
        state=r.state,
        content_hash=r.content_hash,
        published_at=r.published_at,
    )


@router.get("", response_model=list[PolicyPublic])
def list_policies(caller: Caller, space: SpaceDep) -> list[PolicyPublic]:
    """Steward or operator: every stored version with its state."""
    return [
        PolicyPublic(
            id=r.policy.id,
            version=r.policy.version,
            product=r.policy.product,
            owners=r.policy.owners,
            state=r.state,
            content_hash=r.content_hash,
            published_at=r.published_at,
        )
        for r in space.policy_records(caller)
    ]


@router.delete("/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
def retire_policy(policy_id: str, caller: Caller, space: SpaceDep) -> Response:
    """Steward: retire a policy; past decisions keep the versions they ran under."""
    space.retire_policy(caller, policy_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
