"""The words of the errors tspace raises on purpose, in zh-CN and English,
one module per floor that raises them (keys ``err.<floor>.*``). They join
the console's catalog (``trusted_space.core.i18n.MESSAGES``): an error
carries a ``Text`` and is said in the reader's language when shown.
``tests/unit/test_error_sites.py`` fails on a raise in plain English."""

from __future__ import annotations

from trusted_space.core.error_text.base import BASE
from trusted_space.core.error_text.connectors import CONNECTORS
from trusted_space.core.error_text.formats import FORMATS
from trusted_space.core.error_text.nodes import NODES
from trusted_space.core.error_text.products import PRODUCTS
from trusted_space.core.error_text.space import SPACE

Catalog = dict[str, dict[str, str]]


def _joined(*catalogs: Catalog) -> Catalog:
    joined: Catalog = {}
    for catalog in catalogs:
        for key, entry in catalog.items():
            if key in joined:
                raise ValueError(f"error text {key!r} is defined twice")
            joined[key] = entry
    return joined


ERRORS: Catalog = _joined(BASE, CONNECTORS, FORMATS, NODES, PRODUCTS, SPACE)
