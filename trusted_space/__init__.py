"""tspace: a privacy-preserving trusted data space.

Providers keep their rows; the space joins them with private set intersection
and Paillier-encrypted aggregates; stewards' policies decide who may use which
product; consumers receive only product outputs.
"""

__version__ = "0.1.0"
