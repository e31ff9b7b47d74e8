"""Synthetic data for demos and benchmarks: no real person appears in it."""

from trusted_space.synth.claims import ClaimsSynthSummary, generate_claims
from trusted_space.synth.health import HealthSynthSummary, generate_health, resident_ids
from trusted_space.synth.tenders import TenderSynthSummary, generate_tenders

__all__ = [
    "ClaimsSynthSummary",
    "HealthSynthSummary",
    "TenderSynthSummary",
    "generate_claims",
    "generate_health",
    "generate_tenders",
    "resident_ids",
]
