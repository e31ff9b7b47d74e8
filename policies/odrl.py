"""Export a policy as an ODRL 2.2 JSON-LD ``Offer``.

The mapping: the product is the target asset, each allowed consumer an
assignee of one ``use`` permission constrained by purpose, validity window,
batch size and quotas; a ``never`` column is a prohibition to use it, and any
other class short of ``plaintext`` a prohibition to distribute the value;
retention becomes a ``delete`` duty and price terms a ``compensate`` duty. tspace-specific notions
(disclosure classes, release transforms, product parameters, the model
pin) are carried as
refinements under the ``tspace:`` vocabulary so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from policies.model import Buckets, Policy

TSPACE_NS = "https://tspace.example/ns/policy#"


def _constraint(left: str, op: str, right: Any, **extra: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": op, "rightOperand": right, **extra}


def to_odrl(policy: Policy) -> dict[str, Any]:
    uid = f"urn:tspace:policy:{policy.id}:{policy.version}"
    target = f"urn:tspace:product:{policy.product}"
    constraints: list[dict[str, Any]] = [
        _constraint("purpose", "isAnyOf", [f"tspace:purpose/{p}" for p in policy.purposes]),
        _constraint(
            "dateTime", "gteq", {"@value": policy.valid_from.isoformat(), "@type": "xsd:date"}
        ),
        _constraint(
            "dateTime", "lteq", {"@value": policy.valid_until.isoformat(), "@type": "xsd:date"}
        ),
        _constraint("tspace:batchSize", "gteq", policy.limits.batch.min),
        _constraint("tspace:batchSize", "lteq", policy.limits.batch.max),
    ]
    if policy.limits.jobs_per_consumer_per_day is not None:
        constraints.append(
            _constraint(
                "count", "lteq", policy.limits.jobs_per_consumer_per_day, unit="tspace:jobsPerDay"
            )
        )
    if policy.limits.subjects_per_consumer_per_month is not None:
        constraints.append(
            _constraint(
                "tspace:subjectsPerMonth", "lteq", policy.limits.subjects_per_consumer_per_month
            )
        )
    if policy.privacy is not None:
        constraints.append(
            _constraint("tspace:epsilonPerQuery", "lteq", policy.privacy.epsilon_per_query)
        )
        constraints.append(
            _constraint(
                "tspace:epsilonBudget",
                "lteq",
                policy.privacy.budget_per_consumer.epsilon,
                unit=f"tspace:per/{policy.privacy.budget_per_consumer.period}",
            )
        )
    if policy.model is not None:
        constraints.append(_constraint("tspace:modelSha256", "eq", policy.model.sha256))
    if policy.consent_required:
        constraints.append(_constraint("tspace:consentEvidence", "eq", True))
    if policy.lookup != "any":
        constraints.append(
            _constraint("tspace:lookupEngine", "eq", f"tspace:engine/{policy.lookup}")
        )

    output: dict[str, Any] = {
        "tspace:outputMode": policy.output.mode,
        "tspace:minCount": policy.output.min_count,
    }
    if policy.output.features is not None:
        output["tspace:allowedFeatures"] = policy.output.features
    if policy.output.parameters:
        output["tspace:parameters"] = dict(sorted(policy.output.parameters.items()))
    for feature, transform in policy.output.transforms.items():
        key = "tspace:buckets" if isinstance(transform, Buckets) else "tspace:roundTo"
        output.setdefault("tspace:transforms", {})[feature] = {
            key: transform.buckets if isinstance(transform, Buckets) else transform.round_to
        }

    permission: dict[str, Any] = {
        "target": target,
        "action": "use",
        "tspace:output": output,
        "assignee": [f"urn:tspace:participant:{c}" for c in policy.consumers],
        "assigner": [f"urn:tspace:participant:{o}" for o in policy.owners],
        "constraint": constraints,
    }
    if policy.duties is not None:
        permission["duty"] = [
            {
                "action": "delete",
                "target": f"urn:tspace:output:{policy.product}",
                "constraint": [
                    _constraint(
                        "elapsedTime",
                        "lteq",
                        {"@value": f"P{policy.duties.retention_days}D", "@type": "xsd:duration"},
                    )
                ],
            }
        ]
    if policy.price is not None:
        # ODRL's compensate duty; the terms themselves under tspace:price.
        permission.setdefault("duty", []).append(
            {
                "action": "compensate",
                "target": target,
                "tspace:price": policy.price.model_dump(mode="json", exclude_none=True),
            }
        )
    prohibitions = []
    for column in sorted(policy.columns):
        klass = policy.column_class(column)
        if klass.disclosure != "plaintext":
            # never: no use at all; the other classes: the value itself may
            # not be passed on, only what the class allows it to shape.
            prohibitions.append(
                {
                    "target": f"urn:tspace:column:{column}",
                    "action": "use" if klass.disclosure == "never" else "distribute",
                    "assignee": permission["assignee"],
                    "tspace:disclosureClass": klass.disclosure,
                }
            )
    classes = {
        c: {
            "tspace:class": policy.column_class(c).disclosure,
            **(
                {"tspace:minCount": policy.column_class(c).min_count}
                if policy.column_class(c).min_count
                else {}
            ),
        }
        for c in sorted(policy.columns)
    }
    return {
        "@context": [
            "http://www.w3.org/ns/odrl.jsonld",
            {"tspace": TSPACE_NS, "xsd": "http://www.w3.org/2001/XMLSchema#"},
        ],
        "@type": "Offer",
        "uid": uid,
        "profile": TSPACE_NS,
        "tspace:contentHash": policy.content_hash(),
        "tspace:columnClasses": classes,
        "permission": [permission],
        "prohibition": prohibitions,
    }
