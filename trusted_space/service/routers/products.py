"""Products: which providers offer what a product needs, and its approved model."""

from __future__ import annotations

from fastapi import APIRouter, Response

from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.protocol.messages import LookupEngineChoice
from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/products", tags=["products"])


@router.get("/{product}/providers", response_model=dict[str, list[str]])
def product_providers(product: str, caller: Caller, space: SpaceDep) -> dict[str, list[str]]:
    """Per role of the product, the providers offering its dataset."""
    return space.product_providers(caller, product)


@router.get("/{product}/engine", response_model=LookupEngineChoice)
def lookup_engine(
    product: str, caller: Caller, space: SpaceDep, providers: str = ""
) -> LookupEngineChoice:
    """The engine the published policies choose for a job of the product on
    these providers' data (``providers``: ``ROLE=NAME[,NAME...]`` joined by
    ``;``), and why, in zh-CN and English."""
    chosen: dict[str, list[str]] = {}
    for item in filter(None, providers.split(";")):
        role, _, names = item.partition("=")
        listed = [n for n in names.split(",") if n]
        if not role or not listed:
            raise ProtocolError(Text("err.nodes.service.providers_form", item=repr(item[:100])))
        chosen[role] = listed
    return space.lookup_engine(caller, product, chosen)


@router.get(
    "/{product}/model",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def approved_model(product: str, caller: Caller, space: SpaceDep) -> Response:
    """The model file the product's active policies approve, byte for byte."""
    return Response(content=space.approved_model(caller, product), media_type="application/json")
