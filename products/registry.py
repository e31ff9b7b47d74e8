"""Products by name."""

from __future__ import annotations

from products.base import Product
from products.claims import CLAIMS
from products.cohort import COHORT
from products.lending import TENDER_LENDING
from products.overlap import OVERLAP
from products.underwriting import UNDERWRITING
from trusted_space.core.i18n import Text, english

PRODUCTS: dict[str, Product] = {
    p.name: p for p in (UNDERWRITING, TENDER_LENDING, COHORT, CLAIMS, OVERLAP)
}


def get_product(name: str) -> Product:
    try:
        return PRODUCTS[name]
    except KeyError:
        said = Text("policy_doc.product", name=repr(name), known=", ".join(PRODUCTS))
        raise ValueError(english(said)) from None
