"""Errors of the connectors (files, identifiers, OCDS, FHIR, HL7 v2,
Synthea) and of loading (``err.connectors.*``)."""

CONNECTORS: dict[str, dict[str, str]] = {}
