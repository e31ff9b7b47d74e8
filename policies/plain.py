"""A policy in plain words, in Chinese or English: for product cards and stewards.

Each sentence is generated from the validated policy document, never written
by hand, so the words cannot drift from what the engine enforces.
"""

from __future__ import annotations

from policies.model import Buckets, Policy

_PERIOD = {
    "zh-CN": {"day": "每日", "month": "每月", "quarter": "每季度", "year": "每年"},
    "en": {"day": "per day", "month": "per month", "quarter": "per quarter", "year": "per year"},
}
_MODE = {
    "zh-CN": {"score": "评分", "features": "特征", "aggregate": "汇总统计"},
    "en": {"score": "scores", "features": "features", "aggregate": "aggregate statistics"},
}
_CLASS = {
    "zh-CN": {
        "plaintext": "可明文使用",
        "join_key_only": "仅作匹配键",
        "aggregate_only": "仅以汇总形式使用",
        "encrypted_only": "仅在加密状态下使用",
        "never": "不得使用",
    },
    "en": {
        "plaintext": "usable in plaintext",
        "join_key_only": "used only as a join key",
        "aggregate_only": "used only in aggregates",
        "encrypted_only": "used only under encryption",
        "never": "never used",
    },
}


def describe(policy: Policy, language: str = "zh-CN") -> list[str]:
    """Sentences that say what ``policy`` allows and requires."""
    zh = language == "zh-CN"
    lang = "zh-CN" if zh else "en"
    owners = "、".join(policy.owners) if zh else ", ".join(policy.owners)
    consumers = "、".join(policy.consumers) if zh else ", ".join(policy.consumers)
    purposes = "、".join(policy.purposes) if zh else ", ".join(policy.purposes)
    mode = _MODE[lang][policy.output.mode]
    out = [
        f"由 {owners} 制定，有效期 {policy.valid_from} 至 {policy.valid_until}。"
        if zh
        else f"Set by {owners}; valid from {policy.valid_from} to {policy.valid_until}.",
        f"仅限 {consumers} 用于 {purposes}，输出{mode}。"
        if zh
        else f"Only {consumers} may use it, for {purposes}; it releases {mode}.",
    ]
    if policy.output.features is not None:
        listed = ("、" if zh else ", ").join(policy.output.features)
        out.append(f"仅可使用特征：{listed}。" if zh else f"Only these features: {listed}.")
    # A score product never releases a feature: its transforms shape what
    # enters the score. Only a features product releases the value itself.
    scored = policy.output.mode == "score"
    for feature, transform in sorted(policy.output.transforms.items()):
        if isinstance(transform, Buckets):
            edges = ", ".join(f"{b:g}" for b in transform.buckets)
            if scored:
                out.append(
                    f"{feature} 以分段下限（分段点 {edges}）计入评分，本身不发布。"
                    if zh
                    else f"{feature} enters the score as the lower edge of its bucket "
                    f"({edges}); it is never released."
                )
            else:
                out.append(
                    f"{feature} 以分段下限发布（分段点 {edges}）。"
                    if zh
                    else f"{feature} is released as the lower edge of its bucket ({edges})."
                )
        elif scored:
            out.append(
                f"{feature} 取整到 {transform.round_to:g} 的倍数后计入评分，本身不发布。"
                if zh
                else f"{feature} enters the score rounded to a multiple of "
                f"{transform.round_to:g}; it is never released."
            )
        else:
            out.append(
                f"{feature} 取整到 {transform.round_to:g} 的倍数后发布。"
                if zh
                else f"{feature} is released rounded to a multiple of {transform.round_to:g}."
            )
    for name, value in sorted(policy.output.parameters.items()):
        out.append(
            f"计算参数 {name} 取 {value}。" if zh else f"The computation sets {name} to {value}."
        )
    if policy.output.min_count:
        out.append(
            f"少于 {policy.output.min_count} 人的单元格不予发布。"
            if zh
            else f"Cells of fewer than {policy.output.min_count} people are suppressed."
        )
    batch = policy.limits.batch
    out.append(
        f"每个任务 {batch.min} 至 {batch.max} 个对象。"
        if zh
        else f"Each job holds {batch.min} to {batch.max} subjects."
    )
    if policy.limits.jobs_per_consumer_per_day is not None:
        n = policy.limits.jobs_per_consumer_per_day
        out.append(f"每个使用方每日至多 {n} 个任务。" if zh else f"At most {n} jobs a day each.")
    if policy.limits.subjects_per_consumer_per_month is not None:
        n = policy.limits.subjects_per_consumer_per_month
        out.append(
            f"每个使用方每月至多 {n} 个对象。" if zh else f"At most {n} subjects a month each."
        )
    if policy.privacy is not None:
        budget = policy.privacy.budget_per_consumer
        period = _PERIOD[lang][budget.period]
        out.append(
            f"差分隐私：每次查询 ε = {policy.privacy.epsilon_per_query:g}，"
            f"每个使用方{period}预算 ε = {budget.epsilon:g}。"
            if zh
            else f"Differential privacy: ε = {policy.privacy.epsilon_per_query:g} a query, "
            f"a budget of ε = {budget.epsilon:g} {period} for each consumer."
        )
    if policy.model is not None:
        digest = policy.model.sha256[:16]
        out.append(
            f"仅允许使用已批准的模型（SHA-256 {digest}…）。"
            if zh
            else f"Only the approved model (SHA-256 {digest}…) may be used."
        )
    if policy.consent_required:
        out.append(
            "每个任务须附带当事人同意凭证。" if zh else "Every job must carry consent evidence."
        )
    if policy.lookup == "blind":
        out.append(
            "逐人查询须以盲查方式运行：使用方只得到评分，无从得知本方是否持有某人的记录。"
            if zh
            else "Per-subject jobs must run as a blind lookup: the consumer learns the "
            "score only, never whether this owner holds a subject."
        )
    if policy.price is not None:
        out.extend(_price(policy, zh))
    if policy.duties is not None:
        days = policy.duties.retention_days
        out.append(
            f"结果须在 {days} 天内删除。" if zh else f"Results must be deleted within {days} days."
        )
    for column in sorted(policy.columns):
        cls = policy.column_class(column)
        words = _CLASS[lang][cls.disclosure]
        if cls.min_count:
            words += f"（至少 {cls.min_count} 人）" if zh else f" (at least {cls.min_count} people)"
        out.append(f"字段 {column}：{words}。" if zh else f"Column {column}: {words}.")
    return out


def _price(policy: Policy, zh: bool) -> list[str]:
    price = policy.price
    assert price is not None
    parts = []
    for amount, zh_unit, en_unit in (
        (price.per_job, "每个任务", "a job"),
        (price.per_subject_queried, "每个查询对象", "a subject queried"),
        (price.per_subject_matched, "每个匹配对象", "a subject matched"),
    ):
        if amount is not None:
            parts.append(f"{zh_unit} ¥{amount}" if zh else f"CNY {amount} {en_unit}")
    split = price.split
    if split.weights is not None:
        listed = ("、" if zh else ", ").join(f"{n} {w}" for n, w in sorted(split.weights.items()))
        rule = f"按约定份额（{listed}）" if zh else f"by fixed shares ({listed})"
    elif split.by == "matched":
        rule = "按各方匹配对象数" if zh else "by the subjects each matched"
    else:
        rule = "按各方查询对象数" if zh else "by the subjects each was queried for"
    return [
        f"成功的任务按以下价格计费：{'，'.join(parts)}。"
        if zh
        else f"A succeeded job is charged {', plus '.join(parts)}.",
        f"收入中运营方分得 {split.operator}，其余在参与任务的数据方之间{rule}分配。"
        if zh
        else f"The operator receives {split.operator} of it; the rest goes to the owners "
        f"that took part, {rule}.",
    ]
