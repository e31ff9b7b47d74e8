"""Checks a schema cannot make: the policy against the product it governs."""

from __future__ import annotations

from connectors.canonical import TABLES
from policies.model import Policy, Rounding
from products.registry import PRODUCTS
from trusted_space.core.encoding import FixedPoint


def semantic_errors(policy: Policy) -> list[tuple[str, str]]:
    """Every problem as (path, message); empty when the policy is coherent."""
    product = PRODUCTS.get(policy.product)
    if product is None:
        return [("product", f"unknown product {policy.product!r}; known: {', '.join(PRODUCTS)}")]
    errors: list[tuple[str, str]] = []
    names = {f.name for f in product.features}
    if policy.output.mode != product.output_mode:
        errors.append(("output.mode", f"{product.name} produces {product.output_mode} output"))
    for feature in policy.output.features or []:
        if feature not in names:
            errors.append(("output.features", f"{product.name} has no feature {feature!r}"))
    for feature, transform in policy.output.transforms.items():
        if feature not in names:
            errors.append((f"output.transforms.{feature}", f"{product.name} has no such feature"))
            continue
        places = product.feature(feature).decimals
        values = [transform.round_to] if isinstance(transform, Rounding) else transform.buckets
        for value in values:
            try:
                FixedPoint(places).encode(value)
            except ValueError:
                errors.append(
                    (
                        f"output.transforms.{feature}",
                        f"{value} has more than the {places} decimal places "
                        f"{feature} is released with",
                    )
                )
    for column in policy.columns:
        table, _, name = column.partition(".")
        spec = TABLES.get(table)
        if spec is None or name not in spec.column_names:
            errors.append((f"columns.{column}", "not a column of a canonical table"))
    if product.output_mode == "score" and policy.model is None:
        errors.append(
            ("model", f"{product.name} is a score product: pin the approved model's sha256")
        )
    if (
        product.output_mode == "aggregate"
        and policy.privacy is None
        and policy.output.min_count == 0
    ):
        errors.append(("privacy", "an aggregate product needs privacy settings or a min_count"))
    return errors
