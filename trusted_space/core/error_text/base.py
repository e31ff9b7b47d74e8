"""Errors of the lower floors: hazmat, crypto, the ledger, the command line,
the embedded runner and the one-process overlap (``err.base.*``)."""

BASE: dict[str, dict[str, str]] = {}
