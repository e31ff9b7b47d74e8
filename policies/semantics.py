"""Checks a schema cannot make: the policy against the product it governs."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from connectors.canonical import TABLES
from policies.model import Policy, Rounding
from products.registry import PRODUCTS
from trusted_space.core.encoding import FixedPoint
from trusted_space.core.i18n import t


def product_errors(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The checks against the product that need no schema-valid document.

    They run on the raw mapping too, so ``tspace policy validate`` reports the
    schema's errors and the product's (unknown columns, features) in one pass.
    """
    name = data.get("product")
    product = PRODUCTS.get(name) if isinstance(name, str) else None
    errors: list[tuple[str, str]] = []
    if product is None:
        if isinstance(name, str):
            errors.append(("product", f"unknown product {name!r}; known: {', '.join(PRODUCTS)}"))
    else:
        names = {f.name for f in product.features}
        output = data.get("output")
        output = output if isinstance(output, Mapping) else {}
        if isinstance(output.get("mode"), str) and output["mode"] != product.output_mode:
            errors.append(("output.mode", f"{product.name} produces {product.output_mode} output"))
        features = output.get("features")
        for feature in features if isinstance(features, list) else []:
            if feature not in names:
                errors.append(("output.features", f"{product.name} has no feature {feature!r}"))
        transforms = output.get("transforms")
        for feature in transforms if isinstance(transforms, Mapping) else {}:
            if feature not in names:
                errors.append(
                    (f"output.transforms.{feature}", f"{product.name} has no such feature")
                )
        parameters = output.get("parameters")
        known = {p.name: p for p in product.parameters}
        for name, value in parameters.items() if isinstance(parameters, Mapping) else ():
            where = f"output.parameters.{name}"
            if name not in known:
                listed = ", ".join(known) or "none"
                errors.append((where, f"{product.name} has no such parameter (it has {listed})"))
                continue
            why = known[name].check(value)
            if why is not None:
                errors.append((where, why))
    columns = data.get("columns")
    for column in columns if isinstance(columns, Mapping) else {}:
        table, _, col = str(column).partition(".")
        spec = TABLES.get(table)
        if spec is None or col not in spec.column_names:
            errors.append((f"columns.{column}", "not a column of a canonical table"))
    return errors


def unknown_participants(policy: Policy, known: set[str]) -> list[tuple[str, str]]:
    """Owners and consumers the space has not registered: likely typos (``insurre``)."""
    warnings: list[tuple[str, str]] = []
    for field, names in (("owners", policy.owners), ("consumers", policy.consumers)):
        for name in names:
            if name not in known:
                hint = difflib.get_close_matches(name, sorted(known), n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                warnings.append((field, f"{name!r} is not a participant of this space{suggestion}"))
    return warnings


def semantic_errors(policy: Policy) -> list[tuple[str, str]]:
    """Every problem as (path, message); empty when the policy is coherent."""
    product = PRODUCTS.get(policy.product)
    errors = product_errors(policy.model_dump(mode="json", by_alias=True))
    if product is None:
        return errors
    names = {f.name for f in product.features}
    for feature, transform in policy.output.transforms.items():
        if feature not in names:
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
    if product.output_mode == "score" and policy.model is None:
        errors.append(
            ("model", f"{product.name} is a score product: pin the approved model's sha256")
        )
    if (
        policy.price is not None
        and policy.price.by_matched()
        and policy.lookup == "any"
        and "blind_lookup" in product.engines
    ):
        # A job under this policy may ask for the blind lookup, whose
        # matches the ledger never records (trusted_space/ledger/metering.py).
        errors.append(
            (
                policy.price.matched_field(),
                t("price.blind_allowed", product=product.name),
            )
        )
    if (
        product.output_mode == "aggregate"
        and policy.privacy is None
        and policy.output.min_count == 0
    ):
        errors.append(("privacy", "an aggregate product needs privacy settings or a min_count"))
    return errors
