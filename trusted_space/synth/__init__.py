"""Synthetic data for demos and benchmarks: no real person appears in it."""

from trusted_space.synth.health import HealthSynthSummary, generate_health, resident_ids
from trusted_space.synth.tenders import TenderSynthSummary, generate_tenders

__all__ = [
    "HealthSynthSummary",
    "TenderSynthSummary",
    "generate_health",
    "generate_tenders",
    "resident_ids",
]
