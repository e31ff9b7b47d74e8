"""Datasets on offer: providers' cached PSI setups, per version."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from trusted_space.protocol.messages import DatasetOffer
from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


@router.post("", status_code=status.HTTP_204_NO_CONTENT)
def offer_dataset(offer: DatasetOffer, caller: Caller, space: SpaceDep) -> Response:
    """Provider: offer a dataset version's PSI setup (idempotent per version)."""
    space.offer_dataset(caller, offer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{provider}/{dataset}/{version}/setup",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def dataset_setup(
    provider: str, dataset: str, version: int, caller: Caller, space: SpaceDep
) -> Response:
    """Consumer: a provider's PSI setup, to fetch once per version and cache."""
    data = space.dataset_setup(caller, provider, dataset, version)
    return Response(content=data, media_type="application/octet-stream")
