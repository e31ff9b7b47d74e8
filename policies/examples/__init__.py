"""Example policies, one or more per product (file names contain the product).

``tspace policy init PRODUCT`` prints the first one as a starting point.
"""

from __future__ import annotations

from importlib import resources

from trusted_space.core.errors import InputError


def example_names(product: str | None = None) -> list[str]:
    files = resources.files(__name__)
    return sorted(
        f.name
        for f in files.iterdir()
        if f.name.endswith((".yaml", ".json")) and (product is None or product in f.name)
    )


def example_for(product: str) -> str:
    names = example_names(product)
    if not names:
        known = sorted({n.split(".")[0] for n in example_names()})
        raise InputError(
            f"no example policy for {product!r}; examples exist for {', '.join(known)}"
        )
    return resources.files(__name__).joinpath(names[0]).read_text(encoding="utf-8")
