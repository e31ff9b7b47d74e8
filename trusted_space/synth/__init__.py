"""Synthetic data for demos and benchmarks: no real person appears in it."""

from trusted_space.synth.health import HealthSynthSummary, generate_health

__all__ = ["HealthSynthSummary", "generate_health"]
