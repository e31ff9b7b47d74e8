"""Errors of the parties' nodes and what carries their messages: the
provider's node, the consumer's node, transport, service and bulk work
(``err.nodes.*``)."""

NODES: dict[str, dict[str, str]] = {
    # what a node checks in a task before doing it
    "err.nodes.task.altered": {
        "zh-CN": "任务与 {consumer} 签署的作业不一致（{field}）",
        "en": "the task differs from the job {consumer} signed ({field})",
    },
    "err.nodes.task.relayed": {
        "zh-CN": "空间转发的内容与 {signer} 签署的不一致（{kind}）",
        "en": "what the space relays is not as {signer} signed it ({kind})",
    },
    "err.nodes.task.model_not_approved": {
        "zh-CN": "模型 {digest} 不是该数据提供方的所有者批准的模型",
        "en": "model {digest} is not the one this provider's owner approved",
    },
    "err.nodes.task.kind": {
        "zh-CN": "{party}不执行 {kind} 类任务",
        "en": "a {party} does not do {kind} tasks",
    },
    "err.nodes.party.provider": {"zh-CN": "数据提供方", "en": "provider"},
    "err.nodes.party.consumer": {"zh-CN": "数据使用方", "en": "consumer"},
    "err.nodes.party.steward": {"zh-CN": "数据管理员", "en": "steward"},
    "err.nodes.task.steward": {
        "zh-CN": "数据管理员不执行协议任务",
        "en": "a steward does no protocol tasks",
    },
    # the fields a signed job fixes (err.nodes.task.altered)
    "err.nodes.field.job": {"zh-CN": "作业", "en": "job"},
    "err.nodes.field.provider": {"zh-CN": "数据提供方", "en": "provider"},
    "err.nodes.field.model": {"zh-CN": "模型", "en": "model"},
    "err.nodes.field.psi_request": {"zh-CN": "PSI 请求", "en": "PSI request"},
    "err.nodes.field.batch_size": {"zh-CN": "批量大小", "en": "batch size"},
    "err.nodes.field.dataset": {"zh-CN": "数据集", "en": "dataset"},
    "err.nodes.field.role": {"zh-CN": "角色", "en": "role"},
    "err.nodes.field.product_query_key": {
        "zh-CN": "数据产品、查询或 Paillier 公钥",
        "en": "product, query or Paillier key",
    },
    "err.nodes.field.job_key": {"zh-CN": "作业密钥", "en": "job key"},
    "err.nodes.field.clipping": {"zh-CN": "截断范围", "en": "clipping"},
    "err.nodes.field.product_terms_paillier": {
        "zh-CN": "数据产品、as_of、用途或 Paillier 公钥",
        "en": "product, as_of, purpose or Paillier key",
    },
    "err.nodes.field.consent_batch": {"zh-CN": "同意或批次", "en": "consent or batch"},
    "err.nodes.field.features": {"zh-CN": "特征", "en": "features"},
    "err.nodes.field.weights": {"zh-CN": "权重", "en": "weights"},
    "err.nodes.field.blinded_points": {"zh-CN": "盲化点", "en": "blinded points"},
    "err.nodes.field.product_terms_sealing": {
        "zh-CN": "数据产品、as_of、用途或封装公钥",
        "en": "product, as_of, purpose or sealing key",
    },
    "err.nodes.field.consent": {"zh-CN": "同意", "en": "consent"},
    "err.nodes.field.product": {"zh-CN": "数据产品", "en": "product"},
    "err.nodes.field.paillier_key": {"zh-CN": "Paillier 公钥", "en": "Paillier key"},
    "err.nodes.field.other_provider": {"zh-CN": "另一个数据提供方", "en": "the other provider"},
    # a provider's work
    "err.nodes.provider.stale_dataset": {
        "zh-CN": "数据集 {dataset} 已不是版本 {version}；请重新提交作业",
        "en": "dataset {dataset} is no longer at version {version}; resubmit the job",
    },
    "err.nodes.provider.empty_dataset": {
        "zh-CN": "数据集 {dataset} 中没有任何对象",
        "en": "dataset {dataset} holds no subjects",
    },
    "err.nodes.provider.features_offered": {
        "zh-CN": "{role} 对 {product} 只计算 {offered}",
        "en": "{role} computes only {offered} for {product}",
    },
    "err.nodes.provider.answers_from": {
        "zh-CN": "{role} 依据 {dataset} 作答",
        "en": "{role} answers from {dataset}",
    },
    "err.nodes.provider.no_setting": {
        "zh-CN": "{product} 没有设置项 {setting}",
        "en": "{product} has no setting {setting}",
    },
    "err.nodes.provider.one_row": {
        "zh-CN": "特征 SQL 必须对每个对象返回一行",
        "en": "feature SQL must return one row per subject",
    },
    "err.nodes.provider.weights": {
        "zh-CN": "权重必须恰好对应所请求的特征",
        "en": "weights must name exactly the requested features",
    },
    "err.nodes.provider.not_today": {
        "zh-CN": "上传所属的日期不是今天",
        "en": "the upload's day is not today",
    },
    "err.nodes.provider.encode": {
        "zh-CN": "有一个特征值无法编码{reason}",
        "en": "a feature value cannot be encoded{reason}",
    },
    "err.nodes.provider.score_part": {
        "zh-CN": "有一个评分分量超出评分的取值范围",
        "en": "a score part is out of the score's range",
    },
    "err.nodes.provider.sealed_form": {
        "zh-CN": "封装的对象格式不符",
        "en": "sealed subjects are not in the expected form",
    },
    "err.nodes.provider.sealed_replay": {
        "zh-CN": "封装的对象属于另一个作业（重放）",
        "en": "sealed subjects belong to another job (replay)",
    },
    "err.nodes.provider.sealed_count": {
        "zh-CN": "封装的对象数与声明的数目不符",
        "en": "sealed subject count differs from the declared count",
    },
    "err.nodes.provider.sealed_arguments": {
        "zh-CN": "每个封装的对象都需要其参数",
        "en": "each sealed subject needs its arguments",
    },
    "err.nodes.provider.handle": {
        "zh-CN": "句柄格式错误或重复",
        "en": "malformed or repeated handle",
    },
    "err.nodes.provider.sealed_identifier": {
        "zh-CN": "有一个封装的对象不是有效的标识",
        "en": "a sealed subject is not a valid identifier",
    },
    "err.nodes.provider.arguments": {
        "zh-CN": "每个对象的参数必须恰好是 {names}",
        "en": "a subject's arguments must be exactly {names}",
    },
    "err.nodes.provider.argument_required": {
        "zh-CN": "缺少参数 {name}",
        "en": "argument {name} is required",
    },
    "err.nodes.provider.argument_date": {
        "zh-CN": "参数 {name} 不是日期",
        "en": "argument {name} is not a date",
    },
    "err.nodes.provider.argument_kind": {
        "zh-CN": "参数 {name} 不是 {kind} 类型",
        "en": "argument {name} is not a {kind}",
    },
    "err.nodes.provider.psi_size": {
        "zh-CN": "PSI 请求的大小与任务声明的不符",
        "en": "the PSI request's size is not the one the task declares",
    },
    "err.nodes.provider.psi_key_lost": {
        "zh-CN": "本节点没有该作业的 PSI 密钥（其请求已丢失）",
        "en": "this node holds no PSI key of this job (its request was lost)",
    },
    "err.nodes.provider.job_key_form": {
        "zh-CN": "封装的作业密钥格式不符",
        "en": "the sealed job key is not in the expected form",
    },
    "err.nodes.provider.job_key_replay": {
        "zh-CN": "封装的作业密钥属于另一个作业（重放）",
        "en": "the sealed job key belongs to another job (replay)",
    },
    "err.nodes.provider.job_key_size": {
        "zh-CN": "作业密钥应为 32 字节",
        "en": "a job key is 32 bytes",
    },
    "err.nodes.provider.not_join": {
        "zh-CN": "{product} 不是空间辅助的联合计算",
        "en": "{product} is not a space-aided join",
    },
    "err.nodes.provider.query_refused": {
        "zh-CN": "查询被拒绝：{reason}",
        "en": "query refused: {reason}",
    },
    "err.nodes.part_mismatch": {
        "zh-CN": "空间保存的部分与发送的不一致",
        "en": "the space stored another part than the one sent",
    },
    # a consumer's work
    "err.nodes.consumer.score_missing": {
        "zh-CN": "结果中缺少一个评分",
        "en": "a score is missing from the result",
    },
    "err.nodes.consumer.no_job": {
        "zh-CN": "本节点没有作业 {job}",
        "en": "this node has no job {job}",
    },
    "err.nodes.consumer.no_keys": {
        "zh-CN": "{name} 尚未登记任何公钥",
        "en": "{name} has registered no keys",
    },
    "err.nodes.consumer.not_blind": {"zh-CN": "不是盲查作业", "en": "not a blind job"},
    "err.nodes.consumer.blind_answers": {
        "zh-CN": "盲查应答与作业的数据提供方不符",
        "en": "the blind answers do not match the job's providers",
    },
    "err.nodes.consumer.mask_key": {
        "zh-CN": "{name} 的掩码密钥格式不符",
        "en": "{name}'s mask key is not in the expected form",
    },
    "err.nodes.consumer.mask_scheme": {
        "zh-CN": "{name} 的掩码按方案“{scheme}”生成，本节点使用“{ours}”："
        "请将双方升级到同一版本后重试",
        "en": "{name}'s masks follow scheme '{scheme}' and this node's '{ours}': "
        "bring both to the same release, then retry",
    },
    "err.nodes.consumer.mask_replay": {
        "zh-CN": "{name} 的掩码上传属于另一个作业（重放？）",
        "en": "{name}'s masked upload was made for another job (replayed?)",
    },
    "err.nodes.consumer.no_count": {
        "zh-CN": "作业 {job} 还没有交集计数",
        "en": "job {job} has no overlap count yet",
    },
    "err.nodes.consumer.one_count": {
        "zh-CN": "结果不是一个计数",
        "en": "the result does not carry one count",
    },
    "err.nodes.consumer.masked_sums": {
        "zh-CN": "掩码求和与布局不符",
        "en": "the masked sums do not match the layout",
    },
    "err.nodes.consumer.psi_answers": {
        "zh-CN": "PSI 应答与作业的数据提供方不符",
        "en": "PSI answers do not match the job's providers",
    },
    "err.nodes.consumer.provider_keys": {
        "zh-CN": "任务没有附上每个数据提供方的公钥",
        "en": "the task does not carry each provider's keys",
    },
    "err.nodes.consumer.psi_outside": {
        "zh-CN": "PSI 应答指向批次之外",
        "en": "PSI answer points outside the batch",
    },
    "err.nodes.consumer.setup_hash": {
        "zh-CN": "{provider} 的预计算消息与空间公布的摘要不符",
        "en": "{provider}'s setup does not match the hash the space announced",
    },
    "err.nodes.consumer.no_result": {
        "zh-CN": "任务没有附上本作业的结果",
        "en": "the task does not carry this job's result",
    },
    "err.nodes.consumer.foreign_subjects": {
        "zh-CN": "结果回答了不属于本作业的对象",
        "en": "the result answers subjects that are not this job's",
    },
    "err.nodes.consumer.held_subjects": {
        "zh-CN": "结果没有回答数据提供方持有的对象",
        "en": "the result does not answer the subjects the providers hold",
    },
    "err.nodes.consumer.no_features": {
        "zh-CN": "结果没有列出特征",
        "en": "the result names no features",
    },
    "err.nodes.consumer.withheld_foreign": {
        "zh-CN": "结果隐去了不属于本作业的对象",
        "en": "the result withholds subjects that are not this job's",
    },
    "err.nodes.consumer.batch": {
        "zh-CN": "结果没有回答本作业的批次",
        "en": "the result does not answer this job's batch",
    },
    "err.nodes.consumer.no_join_result": {
        "zh-CN": "作业 {job} 还没有联合计算结果",
        "en": "job {job} has no join result yet",
    },
    "err.nodes.consumer.no_decrypted": {
        "zh-CN": "作业 {job} 还没有解密结果",
        "en": "job {job} has no decrypted result yet",
    },
    "err.nodes.consumer.key_role": {
        "zh-CN": "{name} 是{role}；此操作需要数据使用方的 API 密钥",
        "en": "{name} is a {role}; this needs a consumer key",
    },
    "err.nodes.consumer.no_provider": {
        "zh-CN": "没有数据提供方为以下角色提供数据：{roles}",
        "en": "no provider offers data for roles {roles}",
    },
    "err.nodes.consumer.blind_model": {
        "zh-CN": "盲查需要模型",
        "en": "a blind lookup needs the model",
    },
    "err.nodes.consumer.timeout": {
        "zh-CN": "作业 {job} 未在 {seconds} 秒内完成（步骤 {step}）",
        "en": "job {job} did not finish in {seconds} s (step {step})",
    },
    # transport and service
    "err.nodes.transport.api_key_unreadable": {
        "zh-CN": "无法读取 API 密钥文件 {path}{reason}",
        "en": "cannot read the API key file {path}{reason}",
    },
    "err.nodes.transport.no_api_key": {
        "zh-CN": "{path} 中没有 API 密钥",
        "en": "{path} holds no API key",
    },
    "err.nodes.transport.unavailable": {
        "zh-CN": "{url} 在 {seconds} 秒内不可用（{failure}）",
        "en": "{url} unavailable ({failure}) for {seconds} s",
    },
    "err.nodes.peer.timeout": {
        "zh-CN": "对等空间 {peer} 没有应答（超时）；其部分将失败或稍后重试",
        "en": "peer {peer} did not answer (timeout); its part fails or is retried later",
    },
    "err.nodes.peer.refused": {
        "zh-CN": "对等空间 {peer} 没有应答（连接被拒绝）；其部分将失败或稍后重试",
        "en": "peer {peer} did not answer (connection_refused); its part fails or is retried later",
    },
    "err.nodes.service.api_key_required": {
        "zh-CN": "需要 API 密钥：Authorization: Bearer <密钥>",
        "en": "an API key is required: Authorization: Bearer <key>",
    },
    "err.nodes.service.schema": {
        "zh-CN": "消息不符合其模式",
        "en": "the message does not match its schema",
    },
    "err.nodes.service.providers_form": {
        "zh-CN": "providers：{item} 不是 ROLE=NAME[,NAME...] 的形式",
        "en": "providers: {item} is not ROLE=NAME[,NAME...]",
    },
    "err.nodes.service.other_task": {
        "zh-CN": "结果指向另一个任务",
        "en": "the result names another task",
    },
}
