"""Checks a schema cannot make: the policy against the product it governs."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from connectors.canonical import TABLES
from policies.model import Policy, Rounding
from products.registry import PRODUCTS
from trusted_space.core.encoding import FixedPoint
from trusted_space.core.i18n import Text


def product_errors(data: Mapping[str, Any]) -> list[tuple[str, str | Text]]:
    """The checks against the product that need no schema-valid document.

    They run on the raw mapping too, so ``tspace policy validate`` reports the
    schema's errors and the product's (unknown columns, features) in one pass.
    """
    name = data.get("product")
    product = PRODUCTS.get(name) if isinstance(name, str) else None
    errors: list[tuple[str, str | Text]] = []
    if product is None:
        if isinstance(name, str):
            errors.append(
                ("product", Text("policy_doc.product", name=repr(name), known=", ".join(PRODUCTS)))
            )
    else:
        names = {f.name for f in product.features}
        output = data.get("output")
        output = output if isinstance(output, Mapping) else {}
        if isinstance(output.get("mode"), str) and output["mode"] != product.output_mode:
            errors.append(
                (
                    "output.mode",
                    Text("policy_doc.mode", product=product.name, mode=product.output_mode),
                )
            )
        features = output.get("features")
        for feature in features if isinstance(features, list) else []:
            if feature not in names:
                errors.append(
                    (
                        "output.features",
                        Text("policy_doc.feature", product=product.name, feature=repr(feature)),
                    )
                )
        transforms = output.get("transforms")
        for feature in transforms if isinstance(transforms, Mapping) else {}:
            if feature not in names:
                errors.append(
                    (
                        f"output.transforms.{feature}",
                        Text("policy_doc.no_feature", product=product.name),
                    )
                )
        parameters = output.get("parameters")
        known = {p.name: p for p in product.parameters}
        for name, value in parameters.items() if isinstance(parameters, Mapping) else ():
            where = f"output.parameters.{name}"
            if name not in known:
                listed = ", ".join(known) or "-"
                errors.append(
                    (where, Text("policy_doc.parameter", product=product.name, listed=listed))
                )
                continue
            why = known[name].check(value)
            if why is not None:
                errors.append((where, why))
    columns = data.get("columns")
    for column in columns if isinstance(columns, Mapping) else {}:
        table, _, col = str(column).partition(".")
        spec = TABLES.get(table)
        if spec is None or col not in spec.column_names:
            errors.append((f"columns.{column}", Text("policy_doc.column")))
    return errors


def unknown_participants(
    policy: Policy | Mapping[str, Any], known: set[str]
) -> list[tuple[str, str | Text]]:
    """Owners and consumers the space has not registered: likely typos
    (``insurre``). Of a policy, or of a document the schema refused (its
    participants are still worth a warning in the same pass)."""
    warnings: list[tuple[str, str | Text]] = []
    for field in ("owners", "consumers"):
        listed = getattr(policy, field) if isinstance(policy, Policy) else policy.get(field)
        if not isinstance(listed, list):
            continue
        for name in (n for n in listed if isinstance(n, str)):
            if name not in known:
                hint = difflib.get_close_matches(name, sorted(known), n=1)
                suggestion = Text("policy_doc.did_you_mean", name=repr(hint[0])) if hint else ""
                warnings.append(
                    (field, Text("policy_doc.participant", name=repr(name), hint=suggestion))
                )
    return warnings


def semantic_errors(policy: Policy) -> list[tuple[str, str | Text]]:
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
                        Text("policy_doc.places", value=value, places=places, feature=feature),
                    )
                )
    if product.output_mode == "score" and policy.model is None:
        errors.append(("model", Text("policy_doc.model", product=product.name)))
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
                Text("price.blind_allowed", product=product.name),
            )
        )
    if (
        product.output_mode == "aggregate"
        and policy.privacy is None
        and policy.output.min_count == 0
    ):
        errors.append(("privacy", Text("policy_doc.privacy")))
    return errors
