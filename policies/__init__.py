"""Usage policies written by data stewards.

Every job passes the space's policy gate (``trusted_space.space.gate``)
before any provider works. The policy documents, their schema, the engine and
the ODRL export live here.
"""
