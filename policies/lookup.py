"""Which engine a per-subject job runs on: the product allows, the policies choose.

A product lists the engines it can run on (``Product.engines``: underwriting
the direct and the blind lookup, lending the direct one only). An owner's
policy chooses among them with ``lookup``: ``blind`` requires the blind
lookup for every job on the owner's data, ``any`` leaves the product's own
engine. The most restrictive owner wins: one owner requiring blind makes the
whole job blind.

``choose_engine`` is what a consumer's default run, ``tspace policy
explain`` and the space's ``/v1/products/{product}/engine`` say; the gate's
``lookup`` constraint (``policies.constraints.LookupEngine``) then checks the
engine the job actually asks for. Every reason is given in zh-CN and English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from policies.model import Policy
from products.base import Product

BLIND = "blind_lookup"


@dataclass(frozen=True)
class EngineChoice:
    """The engine a job would run on, the policies that require it, and why."""

    engine: str
    required_by: tuple[str, ...]  # ids of the policies requiring the blind lookup
    why_en: str
    why_zh: str
    # False when a policy requires an engine the product cannot run on: the
    # gate denies every job of the product on that owner's data.
    runnable: bool = True

    def why(self, language: str) -> str:
        return self.why_en if language == "en" else self.why_zh

    def to_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "required_by": list(self.required_by),
            "runnable": self.runnable,
            "why_en": self.why_en,
            "why_zh": self.why_zh,
        }


def governing(
    policies: Sequence[Policy], product: Product, providers: Mapping[str, Sequence[str]] | None
) -> list[Policy]:
    """The policies of ``product`` whose owners take part (every policy of the
    product when ``providers`` is None: any owner might)."""
    names = None if providers is None else {n for ns in providers.values() for n in ns}
    return [
        p
        for p in policies
        if p.product == product.name and (names is None or set(p.owners) & names)
    ]


def choose_engine(
    policies: Sequence[Policy],
    product: Product,
    providers: Mapping[str, Sequence[str]] | None = None,
) -> EngineChoice:
    """The engine a job of ``product`` on ``providers``' data runs on by default."""
    if product.output_mode == "aggregate":
        return EngineChoice(
            product.engine,
            (),
            f"{product.name} releases aggregates only: it runs on {product.engine}",
            f"{product.name} 只发布汇总统计：以 {product.engine} 运行",
        )
    requiring = tuple(
        sorted(p.id for p in governing(policies, product, providers) if p.lookup == "blind")
    )
    return choice_for(product, requiring)


def choice_for(product: Product, requiring: Sequence[str]) -> EngineChoice:
    """The engine of a job of ``product`` that the policies ``requiring``
    (ids; across peered spaces, ``peer:id``) require to run blind."""
    requiring = tuple(requiring)
    if product.output_mode == "aggregate":
        return choose_engine((), product)
    if not requiring:
        return EngineChoice(
            product.engine,
            (),
            f"no policy requires the blind lookup: {product.name} runs on its own "
            f"engine, {product.engine}",
            f"没有策略要求盲查：{product.name} 以其默认引擎 {product.engine} 运行",
        )
    listed = ", ".join(requiring)
    if BLIND not in product.engines:
        return EngineChoice(
            product.engine,
            requiring,
            f"{listed} require the blind lookup and {product.name} cannot run blind: "
            "its jobs on that data are denied",
            f"{'、'.join(requiring)} 要求盲查，而 {product.name} 不能以盲查运行："
            "涉及这些数据的任务将被拒绝",
            runnable=False,
        )
    return EngineChoice(
        BLIND,
        requiring,
        f"{listed} require the blind lookup: the consumer learns each score only, "
        "not which provider holds a subject",
        f"{'、'.join(requiring)} 要求盲查：使用方只得到每人的评分，不知道哪个提供方持有该对象",
    )
