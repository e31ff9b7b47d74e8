"""Errors of the data products and of policies (``err.products.*``)."""

PRODUCTS: dict[str, dict[str, str]] = {}
