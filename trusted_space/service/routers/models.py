"""Models: stewards publish the files their policies pin by SHA-256."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status
from pydantic import BaseModel

from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/models", tags=["models"])


class ModelPublished(BaseModel):
    sha256: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ModelPublished)
def publish_model(
    document: Annotated[bytes, Body(media_type="application/octet-stream")],
    caller: Caller,
    space: SpaceDep,
) -> ModelPublished:
    """Steward: publish a model file, byte for byte."""
    return ModelPublished(sha256=space.publish_model(caller, document))
