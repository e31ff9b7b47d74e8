"""Raw primitives. Hazardous: misuse breaks privacy silently.

``psi`` wraps openmined-psi and ``paillier`` wraps phe; nothing else in tspace
imports those libraries. Use the engines in ``trusted_space/space/engines``
and the product runners instead unless you are writing a new engine.
"""
