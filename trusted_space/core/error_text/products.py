"""Errors of the data products and of policies (``err.products.*``)."""

PRODUCTS: dict[str, dict[str, str]] = {
    # policies: examples, explain, the request a job makes
    "err.products.policy.no_example": {
        "zh-CN": "没有 {product} 的示例策略；有示例的数据产品：{known}",
        "en": "no example policy for {product}; examples exist for {known}",
    },
    "err.products.policy.owner": {
        "zh-CN": "--owner {owner}：参与方标识只能由小写字母、数字、_、. 或 - 组成",
        "en": "--owner {owner}: a participant id is lower-case letters, digits, _ . or -",
    },
    "err.products.policy.model_not_features": {
        "zh-CN": "{product} 计算其模型所加权的特征：请给出模型，而不是特征",
        "en": "{product} computes the features its model weighs: give the model, not features",
    },
    "err.products.policy.model_unreadable": {
        "zh-CN": "无法读取模型{reason}",
        "en": "cannot read model{reason}",
    },
    "err.products.policy.provider_role": {
        "zh-CN": "数据提供方 {role}={name}：角色应为 {roles} 之一",
        "en": "provider {role}={name}: expected a role of {roles}",
    },
    "err.products.policy.engine": {
        "zh-CN": "{product} 的计算方式为 {engines}，不支持 {engine}",
        "en": "{product} runs on {engines}, not on {engine}",
    },
    "err.products.policy.needs_model": {
        "zh-CN": "{product} 需要模型",
        "en": "{product} needs a model",
    },
    "err.products.policy.model_refused": {
        "zh-CN": "模型被拒绝：{reason}",
        "en": "model refused: {reason}",
    },
    "err.products.policy.no_features": {
        "zh-CN": "{product} 没有特征 {unknown}",
        "en": "{product} has no features {unknown}",
    },
    # products
    "err.products.claims.visit_found": {
        "zh-CN": "策略不允许发布 {product} 的 visit_found：无法判断任何一件理赔申请"
        "是否找到就诊记录",
        "en": "the policies do not release visit_found of {product}: no claim could be "
        "told found or not",
    },
    "err.products.claims.outputs": {
        "zh-CN": "{product} 没有输出 {unknown}；其输出为：{names}",
        "en": "{product} has no outputs {unknown}; its outputs: {names}",
    },
    "err.products.cohort.role": {
        "zh-CN": "队列作业没有角色 {role}",
        "en": "a cohort job has no role {role}",
    },
    "err.products.cohort.query_unreadable": {
        "zh-CN": "无法读取查询文件{reason}",
        "en": "cannot read the query{reason}",
    },
    "err.products.lending.no_feature": {
        "zh-CN": "策略不允许 tender_lending_features 的任何特征",
        "en": "the policies allow no feature of tender_lending_features",
    },
    "err.products.overlap.providers": {
        "zh-CN": "请为每个角色指定一个数据提供方：{hospital} 和 {cdc}",
        "en": "name one provider of each role: {hospital} and {cdc}",
    },
}
