"""Example policies, one or more per product (file names contain the product).

``tspace policy init PRODUCT`` prints the first one as a starting point.
"""

from __future__ import annotations

import re
from importlib import resources

from trusted_space.core.errors import InputError
from trusted_space.core.i18n import Text


def example_names(product: str | None = None) -> list[str]:
    files = resources.files(__name__)
    return sorted(
        f.name
        for f in files.iterdir()
        if f.name.endswith((".yaml", ".json")) and (product is None or product in f.name)
    )


def example_for(product: str, owner: str | None = None) -> str:
    """The product's example policy; with ``owner``, the example written for
    that provider when there is one, its ``owners`` and ``id`` set to it."""
    names = example_names(product)
    if not names:
        known = sorted({n.split(".")[0] for n in example_names()})
        raise InputError(
            Text("err.products.policy.no_example", product=repr(product), known=", ".join(known))
        )
    if owner is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", owner):
        raise InputError(Text("err.products.policy.owner", owner=repr(owner)))
    name = next((n for n in names if owner is not None and f".{owner}." in n), names[0])
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    if owner is None:
        return text
    text = re.sub(r"^owners: \[[^\]]*\]", f"owners: [{owner}]", text, count=1, flags=re.M)
    return re.sub(r"^id: [^-\s]+-", f"id: {owner}-", text, count=1, flags=re.M)
