"""Raw primitives. Hazardous: misuse breaks privacy silently.

``psi`` wraps openmined-psi and ``paillier`` wraps phe; nothing else in tspace
imports those libraries. Use the recipes in ``trusted_space.engines`` instead
unless you are writing a new engine.
"""
