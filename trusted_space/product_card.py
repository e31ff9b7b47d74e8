"""A data product's registration dossier, built from live metadata.

Everything in a card comes from the product's definition in code, the
space's ledger (datasets offered with their aggregate counts, policies and
models published, jobs and their usage) and the policy registry: nothing is
written by hand, so a card regenerated tomorrow shows tomorrow's figures.
It holds counts, hashes and definitions only: no identifier, no value.
"""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path
from typing import Any

from policies.lookup import choose_engine
from policies.plain import describe
from products.registry import get_product
from trusted_space.core.clock import china_isoformat, china_time
from trusted_space.ledger.metering import usage

ENGINES = {
    "direct_lookup": {
        "zh-CN": "直接查找：隐私求交（ECDH-PSI）+ Paillier 同态加密汇总",
        "en": "Direct lookup: private set intersection (ECDH-PSI) and Paillier-encrypted sums",
    },
    "space_join": {
        "zh-CN": "空间辅助关联：带密钥令牌关联 + Paillier 密文向量 + 小单元格抑制/差分隐私",
        "en": "Space-aided join: keyed tokens, Paillier vectors, suppression and DP",
    },
    "blind_lookup": {
        "zh-CN": "盲查：OPRF 令牌 + 掩码贡献 + Paillier 同态加密汇总，使用方只得到评分，"
        "不知道提供方是否持有对象",
        "en": "Blind lookup: OPRF tokens, masked contributions and Paillier-encrypted sums; "
        "the consumer learns the score only, not whether a provider holds a subject",
    },
    "psi_cardinality": {
        "zh-CN": "隐私求交基数：两个提供方节点之间经空间转发的 ECDH-PSI（只算人数）+ "
        "Paillier 加密的人数、小计数抑制/差分隐私",
        "en": "PSI cardinality: ECDH-PSI between two providers' nodes, relayed by the space "
        "(the count only), a Paillier-encrypted count, suppression and DP",
    },
}


def build_card(workdir: Path, product_name: str) -> dict[str, Any]:
    """The card's content (JSON-ready) for ``product_name`` at the space in ``workdir``."""
    from trusted_space.space.readonly import ledger_entries, policy_records

    product = get_product(product_name)
    entries = ledger_entries(workdir)
    records = [r for r in policy_records(workdir) if r.policy.product == product.name]
    chosen = choose_engine([r.policy for r in records if r.state == "published"], product)
    datasets = {r.dataset for r in product.roles}
    offers: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:
        d = e.get("details") or {}
        if e["kind"] == "dataset_offered" and d.get("dataset") in datasets:
            offers[(str(e["actor"]), str(d["dataset"]))] = {
                "provider": e["actor"],
                "dataset": d["dataset"],
                "version": d["version"],
                "offered_at": china_isoformat(dt.datetime.fromisoformat(str(e["time"]))),
                "setup_sha": str(d["setup_hash"])[:16],
                "stats": d.get("stats", {}),
                "ledger_seq": e["seq"],
            }
    policies_of = [(f"{r.policy.id} v{r.policy.version}", r) for r in records]
    policies = [
        {
            "id": r.policy.id,
            "version": r.policy.version,
            "state": r.state,
            "content_hash": r.content_hash[:16],
            "published_at": r.published_at,
            "owners": r.policy.owners,
            "plain_zh": describe(r.policy, "zh-CN"),
            "plain_en": describe(r.policy, "en"),
        }
        for r in records
    ]
    return {
        "product": product.name,
        "title_zh": product.title_zh,
        "title_en": product.title_en,
        "description_zh": product.description_zh,
        "description_en": product.description_en,
        "engine": product.engine,  # the product's own
        "engines": list(product.engines),  # every engine it may run on
        # the one its published policies choose for a job on all its providers
        "engine_chosen": chosen.to_dict(),
        "output_mode": product.output_mode,
        "subject": product.subject,
        "roles": [{"role": r.role, "dataset": r.dataset} for r in product.roles],
        "datasets": [offers[k] for k in sorted(offers)],
        "features": [
            {
                "name": f.name,
                "role": f.role,
                "label_zh": f.label_zh,
                "label_en": f.label_en,
                "combine": f.combine,
                "decimals": f.decimals,
                "reads": dict(f.reads),
            }
            for f in product.features
        ],
        # What the consumer sends with each subject (sealed to the provider),
        # and the settings of the computation the policies fix.
        "arguments": [
            {"name": a.name, "kind": a.kind, "required": a.required} for a in product.arguments
        ],
        "parameters": [
            {
                "name": p.name,
                "label_zh": p.label_zh,
                "label_en": p.label_en,
                "default": p.default,
                "minimum": p.minimum,
                "maximum": p.maximum,
                "stricter": p.stricter,
                "set_by_policies": _parameter_settings(policies_of, p.name),
            }
            for p in product.parameters
        ],
        "policies": policies,
        "lineage": _lineage(entries, product.name, offers),
        "usage": [
            {
                "month": u.month,
                "consumer": u.consumer,
                "engine": u.engine,
                "provider": u.provider,
                "jobs": u.jobs,
                "succeeded": u.succeeded,
                "subjects": u.subjects,
                "matched": u.matched,
                "cells_released": u.cells_released,
                "epsilon": round(u.epsilon, 6),
            }
            for u in usage(entries)
            if u.product == product.name
        ],
        "cost": _cost(entries, product.name),
        "generated_at": china_isoformat(dt.datetime.now(dt.UTC)),
    }


def _parameter_settings(policies: list[tuple[str, Any]], name: str) -> dict[str, int]:
    """Per published (in force) policy that sets the parameter, its setting."""
    return {
        label: int(r.policy.output.parameters[name])
        for label, r in policies
        if r.state == "published" and name in r.policy.output.parameters
    }


def _lineage(
    entries: list[dict[str, Any]], product: str, offers: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any]:
    created = next((e for e in entries if e["kind"] == "space_created"), None)
    checkpoints = [e for e in entries if e["kind"] == "checkpoint"]
    policy_seqs = [
        e["seq"]
        for e in entries
        if e["kind"] in ("policy_published", "policy_approved", "policy_retired")
        and (e.get("details") or {}).get("product", product) == product
    ]
    return {
        "suite": (created or {}).get("details", {}).get("suite"),
        "space_key_sha": (created or {}).get("hash", "")[:16],
        "dataset_offers": sorted(o["ledger_seq"] for o in offers.values()),
        "policy_entries": policy_seqs,
        "models": [e["seq"] for e in entries if e["kind"] == "model_published"],
        "last_checkpoint": (
            {
                "seq": checkpoints[-1]["seq"],
                "size": checkpoints[-1]["details"]["size"],
                "root": checkpoints[-1]["details"]["root"][:16],
            }
            if checkpoints
            else None
        ),
        "ledger_entries": len(entries),
    }


def _cost(entries: list[dict[str, Any]], product: str) -> dict[str, Any]:
    """Job durations from the ledger's own times: submission to release."""
    submitted: dict[str, dt.datetime] = {}
    mine: set[str] = set()
    durations: list[float] = []
    for e in entries:
        job = e.get("job_id")
        if job is None:
            continue
        when = dt.datetime.fromisoformat(str(e["time"]))
        if e["kind"] == "job_submitted":
            submitted[job] = when
            if (e.get("details") or {}).get("product") == product:
                mine.add(job)
        elif e["kind"] == "result_released" and job in mine and job in submitted:
            durations.append((when - submitted[job]).total_seconds())
    return {
        "jobs_released": len(durations),
        "median_job_seconds": round(statistics.median(durations), 3) if durations else None,
        "max_job_seconds": round(max(durations), 3) if durations else None,
    }


def render_markdown(card: dict[str, Any], language: str = "zh-CN") -> str:
    zh = language == "zh-CN"
    lang = "zh" if zh else "en"
    chosen_engine = card["engine_chosen"]["engine"]

    def h(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    out = [
        f"# {card[f'title_{lang}']} (`{card['product']}`)",
        "",
        h("数据产品登记材料", "Data product registration dossier")
        + f" · {h('生成时间', 'generated')} {china_time(card['generated_at'])}",
        "",
        f"## {h('用途与说明', 'Purpose and description')}",
        "",
        card[f"description_{lang}"] or "-",
        "",
        f"- {h('计算方式', 'Engine')}: "
        + ENGINES[chosen_engine]["zh-CN" if zh else "en"]
        + f" (`{chosen_engine}`; {card['engine_chosen']['why_zh' if zh else 'why_en']})",
        f"- {h('可用的计算方式', 'Engines it can run on')}: "
        + ", ".join(f"`{e}`" for e in card["engines"]),
        f"- {h('输出', 'Output')}: {card['output_mode']}",
        f"- {h('对象', 'Subject')}: "
        + (
            h("居民身份证号（GB 11643）", "resident id (GB 11643)")
            if card["subject"] == "resident_id"
            else h("企业统一社会信用代码", "unified social credit code")
        ),
        "",
        f"## {h('数据来源', 'Source datasets')}",
        "",
        "| "
        + " | ".join(
            [
                h("提供方", "Provider"),
                h("数据集", "Dataset"),
                h("版本", "Version"),
                h("对象数", "Subjects"),
                h("行数", "Rows"),
                h("最近加载拒绝行", "Rejected at last load"),
                h("提供时间", "Offered"),
                h("账本", "Ledger"),
            ]
        )
        + " |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for d in card["datasets"]:
        stats = d["stats"]
        rows = sum(v for k, v in stats.items() if k.startswith("rows."))
        rejected = sum(v for k, v in stats.items() if k.startswith("rejected."))
        out.append(
            f"| {d['provider']} | {d['dataset']} | {d['version']} | {stats.get('subjects', 0):,} "
            f"| {rows:,} | {rejected:,} | {china_time(d['offered_at'])} | #{d['ledger_seq']} |"
        )
    if not card["datasets"]:
        out.append(h("| （尚无提供方提供数据） |", "| (no dataset offered yet) |"))
    out += [
        "",
        f"## {h('特征定义', 'Features')}",
        "",
        "| "
        + " | ".join(
            [
                h("特征", "Feature"),
                h("名称", "Label"),
                h("提供方角色", "Role"),
                h("合并", "Combine"),
                h("读取字段", "Columns read"),
            ]
        )
        + " |",
        "|---|---|---|---|---|",
    ]
    for f in card["features"]:
        reads = ", ".join(f"{c} ({u})" for c, u in sorted(f["reads"].items()))
        out.append(
            f"| `{f['name']}` | {f[f'label_{lang}']} | {f['role']} | {f['combine']} | {reads} |"
        )
    if card.get("arguments"):
        names = ", ".join(
            f"`{a['name']}`" + ("" if a["required"] else h("（可选）", " (optional)"))
            for a in card["arguments"]
        )
        out += [
            "",
            h(
                "使用方随每个对象提交（仅密封给提供方，空间不可读）：",
                "Sent by the consumer with each subject (sealed to the provider; the "
                "space cannot read them): ",
            )
            + names,
        ]
    if card.get("parameters"):
        out += [
            "",
            f"## {h('计算参数', 'Parameters')}",
            "",
            "| "
            + " | ".join(
                [
                    h("参数", "Parameter"),
                    h("名称", "Label"),
                    h("默认", "Default"),
                    h("范围", "Range"),
                    h("策略设定", "Set by policies"),
                ]
            )
            + " |",
            "|---|---|---:|---|---|",
        ]
        for p in card["parameters"]:
            settings = ", ".join(f"{k}: {v}" for k, v in p["set_by_policies"].items()) or "-"
            out.append(
                f"| `{p['name']}` | {p[f'label_{lang}']} | {p['default']} "
                f"| {p['minimum']}–{p['maximum']} | {settings} |"
            )
    out += ["", f"## {h('治理策略', 'Governing policies')}", ""]
    for p in card["policies"]:
        out.append(
            f"### {p['id']} v{p['version']} ({p['state']}, {h('内容摘要', 'content')} "
            f"{p['content_hash']}…)"
        )
        out.append("")
        out += [f"- {line}" for line in p[f"plain_{lang}"]]
        out.append("")
    if not card["policies"]:
        out += [h("尚未发布策略。", "No policy published yet."), ""]
    lineage = card["lineage"]
    cp = lineage["last_checkpoint"]
    out += [
        f"## {h('数据血缘', 'Lineage')}",
        "",
        f"- {h('算法套件', 'Crypto suite')}: {lineage['suite']}",
        f"- {h('数据提供记录（账本序号）', 'Dataset offers (ledger entries)')}: "
        + (", ".join(f"#{s}" for s in lineage["dataset_offers"]) or "-"),
        f"- {h('策略记录', 'Policy entries')}: "
        + (", ".join(f"#{s}" for s in lineage["policy_entries"]) or "-"),
        f"- {h('模型记录', 'Model entries')}: "
        + (", ".join(f"#{s}" for s in lineage["models"]) or "-"),
        f"- {h('最近检查点', 'Last checkpoint')}: "
        + (f"#{cp['seq']}, {cp['size']} {h('条', 'entries')}, root {cp['root']}…" if cp else "-"),
        "",
        f"## {h('用量与成本', 'Usage and cost')}",
        "",
        "| "
        + " | ".join(
            [
                h("月份", "Month"),
                h("使用方", "Consumer"),
                h("计算方式", "Engine"),
                h("提供方", "Provider"),
                h("任务", "Jobs"),
                h("成功", "Succeeded"),
                h("对象", "Subjects"),
                h("匹配", "Matched"),
                h("发布单元格", "Cells"),
                "ε",
            ]
        )
        + " |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for u in card["usage"]:
        # A blind lookup's matches stay in the space: never counted, never shown.
        matched = "-" if u["matched"] is None else f"{u['matched']:,}"
        out.append(
            f"| {u['month']} | {u['consumer']} | {u['engine'] or '-'} | {u['provider']} "
            f"| {u['jobs']} | {u['succeeded']} | {u['subjects']:,} | {matched} "
            f"| {u['cells_released']} | {u['epsilon']:g} |"
        )
    cost = card["cost"]
    out += [
        "",
        f"- {h('已发布结果的任务', 'Jobs released')}: {cost['jobs_released']}",
        f"- {h('任务耗时中位数（秒）', 'Median job time (s)')}: {cost['median_job_seconds']}",
        f"- {h('最长任务耗时（秒）', 'Longest job (s)')}: {cost['max_job_seconds']}",
        "",
    ]
    return "\n".join(out)
