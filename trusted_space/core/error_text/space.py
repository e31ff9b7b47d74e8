"""Errors of the trusted space: its engines, jobs and protocol checks
(``err.space.*``)."""

SPACE: dict[str, dict[str, str]] = {
    # the consumer's signature on a job, handles on the wire
    "err.space.protocol.job_unsigned": {
        "zh-CN": "作业不是由提交它的使用方签署的",
        "en": "the job is not signed by the consumer that submitted it",
    },
    "err.space.protocol.job_altered": {
        "zh-CN": "作业与 {consumer} 签署时不一致（途中被改动）",
        "en": "the job is not as {consumer} signed it (altered on the way)",
    },
    "err.space.protocol.malformed_signature": {
        "zh-CN": "密钥或签名格式不正确",
        "en": "malformed key or signature",
    },
    "err.space.protocol.handle_block": {
        "zh-CN": "句柄数据的长度不是 {size} 字节的整数倍",
        "en": "handle block is not a multiple of {size} bytes",
    },
    # a space's folder, its suite and signing key
    "err.space.folder.no_space": {
        "zh-CN": "{path} 中没有可信空间",
        "en": "no space at {path}",
    },
    "err.space.folder.no_suite": {
        "zh-CN": "该空间没有记录密码套件",
        "en": "the space records no crypto suite",
    },
    "err.space.folder.no_signing_key": {
        "zh-CN": "{path} 处没有签名密钥",
        "en": "no signing key at {path}",
    },
    "err.space.folder.other_suite": {
        "zh-CN": "该空间创建时使用的密码套件是 {recorded!r}，不是 {configured!r}",
        "en": "this space was created with the {recorded!r} suite, not {configured!r}",
    },
    # backups and restores
    "err.space.backup.target_in_use": {
        "zh-CN": "{path} 中已有可信空间；请恢复到空文件夹",
        "en": "{path} already holds a space; restore into an empty folder",
    },
    "err.space.backup.unexpected_member": {
        "zh-CN": "意外的成员 {member!r}",
        "en": "unexpected member {member!r}",
    },
    "err.space.backup.unreadable_member": {
        "zh-CN": "无法读取成员 {member!r}",
        "en": "unreadable member {member!r}",
    },
    "err.space.backup.unreadable": {
        "zh-CN": "{path} 无法作为 tspace 备份读取{reason}",
        "en": "{path} cannot be read as a tspace backup{reason}",
    },
    "err.space.backup.no_manifest": {
        "zh-CN": "{path} 不是 tspace 备份（缺少 {manifest}）",
        "en": "{path} is not a tspace backup (no {manifest})",
    },
    "err.space.backup.format": {
        "zh-CN": "{path}：未知的备份格式 {format}",
        "en": "{path}: backup format {format} unknown",
    },
    "err.space.backup.files": {
        "zh-CN": "{path}：其中的文件与清单不符",
        "en": "{path}: its files do not match its manifest",
    },
    "err.space.backup.archive_member": {
        "zh-CN": "{path}：意外的成员 {member!r}",
        "en": "{path}: unexpected member {member!r}",
    },
    "err.space.backup.digest": {
        "zh-CN": "{path}：{member} 与其 SHA-256 摘要不符",
        "en": "{path}: {member} does not match its SHA-256",
    },
    # a job's product and the engine it runs on
    "err.space.product.not_on_engine": {
        "zh-CN": "数据产品 {product} 不在 {engine} 引擎上运行",
        "en": "{product} does not run on the {engine} engine",
    },
    "err.space.product.engines": {
        "zh-CN": "数据产品 {product} 只在 {engines} 上运行，不在 {engine!r} 上运行",
        "en": "{product} runs on {engines}, not on {engine!r}",
    },
    "err.space.product.engine_elsewhere": {
        "zh-CN": "数据产品 {product} 在 {engine!r} 引擎上运行，本空间没有该引擎",
        "en": "{product} runs on the {engine!r} engine, not here",
    },
    "err.space.product.needs_model": {
        "zh-CN": "数据产品 {product} 需要模型",
        "en": "{product} needs a model",
    },
    "err.space.product.unknown": {
        "zh-CN": "未知的数据产品 {product!r}；已知的有：{known}",
        "en": "unknown product {product!r}; known: {known}",
    },
    # a job's shape, state and result
    "err.space.job.no_feature": {
        "zh-CN": "该作业没有用到任何特征",
        "en": "the job uses no feature",
    },
    "err.space.job.roles": {
        "zh-CN": "该作业需要以下角色的提供方：{roles}",
        "en": "this job needs providers for roles {roles}",
    },
    "err.space.job.distinct_providers": {
        "zh-CN": "角色 {role!r} 需要若干互不相同的提供方名称",
        "en": "role {role!r} needs distinct provider names",
    },
    "err.space.job.no_background": {
        "zh-CN": "{product} 作业没有后台步骤",
        "en": "a {product} job has no background step",
    },
    "err.space.job.takes_no_from": {
        "zh-CN": "{product} 作业不接受 {node} 的 {kind} 结果",
        "en": "a {product} job takes no {kind} from {node}",
    },
    "err.space.job.takes_no": {
        "zh-CN": "{product} 作业不接受 {kind} 结果",
        "en": "a {product} job takes no {kind}",
    },
    "err.space.job.no_plan": {
        "zh-CN": "作业 {job} 没有计划",
        "en": "job {job} has no plan",
    },
    "err.space.job.wrong_step": {
        "zh-CN": "作业 {job} 不在需要 {needs} 的步骤",
        "en": "job {job} is not at the step that needs {needs}",
    },
    "err.space.job.wrong_step_layout": {
        "zh-CN": "作业 {job} 不在需要其布局的步骤",
        "en": "job {job} is not at the step that needs its layout",
    },
    "err.space.job.result_removed": {
        "zh-CN": "作业 {job} 的结果已被删除",
        "en": "job {job}'s result was already removed",
    },
    "err.space.job.no_result": {
        "zh-CN": "作业 {job} 没有结果（{state}）",
        "en": "job {job} has no result ({state})",
    },
    "err.space.job.unknown": {
        "zh-CN": "没有作业 {job}",
        "en": "no job {job}",
    },
    "err.space.job.unknown_for": {
        "zh-CN": "{caller!r} 没有作业 {job}",
        "en": "no job {job} for {caller!r}",
    },
    "err.space.job.no_signature": {
        "zh-CN": "作业 {job} 没有使用方签名",
        "en": "job {job} has no consumer signature",
    },
    "err.space.job.batch_limit": {
        "zh-CN": "批次大小 {batch} 超过上限 {limit}",
        "en": "batch of {batch} exceeds {limit}",
    },
    "err.space.job.own_name": {
        "zh-CN": "使用方只能以自己的名义提交作业",
        "en": "a consumer may only submit jobs in its own name",
    },
    "err.space.job.id_used": {
        "zh-CN": "该作业编号已被另一个作业使用",
        "en": "job id already used for a different job",
    },
    "err.space.job.no_local_provider": {
        "zh-CN": "该作业没有指定本空间的任何提供方",
        "en": "the job names none of this space's providers",
    },
    # providers, their datasets and PSI setups
    "err.space.provider.not_provider": {
        "zh-CN": "{name!r} 不是提供方",
        "en": "{name!r} is not a provider",
    },
    "err.space.provider.not_here": {
        "zh-CN": "{name!r} 不是本空间的提供方",
        "en": "{name!r} is not a provider of this space",
    },
    "err.space.provider.no_dataset": {
        "zh-CN": "{name!r} 没有提供 {dataset!r} 数据集",
        "en": "{name!r} offers no {dataset!r} dataset",
    },
    "err.space.provider.batch_over_setup": {
        "zh-CN": "批次大小 {batch} 超过 {name!r} 的预计算所允许的 {items} 项",
        "en": "batch of {batch} exceeds the {items} items {name!r}'s setup admits",
    },
    "err.space.provider.offer_dataset": {
        "zh-CN": "{name} 提供的不是 {dataset} 数据集",
        "en": "{name}'s offer is not of {dataset}",
    },
    "err.space.provider.own_datasets": {
        "zh-CN": "提供方只能提供自己的数据集",
        "en": "a provider may only offer its own datasets",
    },
    "err.space.provider.setup_changed": {
        "zh-CN": "该版本已提供过另一份预计算",
        "en": "a different setup was already offered for this version",
    },
    "err.space.provider.no_setup": {
        "zh-CN": "没有预计算 {provider}/{dataset}/v{version}",
        "en": "no setup {provider}/{dataset}/v{version}",
    },
    "err.space.provider.no_setup_for": {
        "zh-CN": "{caller!r} 没有预计算 {provider}/{dataset}/v{version}",
        "en": "no setup {provider}/{dataset}/v{version} for {caller!r}",
    },
    # peer spaces and their answers
    "err.space.peer.other_providers": {
        "zh-CN": "{peer} 的应答所对应的提供方与该作业的不同",
        "en": "{peer} answered for other providers than the job's",
    },
    "err.space.peer.accepted_other": {
        "zh-CN": "{peer} 接受的作业对应的是其他提供方",
        "en": "{peer} accepted the job for other providers",
    },
    "err.space.peer.ciphertexts": {
        "zh-CN": "{peer} 为 {batch} 个对象返回了 {count} 个密文",
        "en": "{peer} answered {count} ciphertexts for {batch}",
    },
    "err.space.peer.no_job": {
        "zh-CN": "没有来自 {peer} 的作业 {job}",
        "en": "no job {job} from {peer}",
    },
    "err.space.peer.no_masks": {
        "zh-CN": "该作业不接受盲查的掩码",
        "en": "this job takes no blind lookup's masks",
    },
    "err.space.peer.unknown": {
        "zh-CN": "没有对等空间 {name!r}",
        "en": "no peer {name!r}",
    },
    "err.space.peer.inactive": {
        "zh-CN": "没有生效的对等空间 {name!r}",
        "en": "no active peer {name!r}",
    },
    # engine 1, the per-subject lookup
    "err.space.lookup.psi_request": {
        "zh-CN": "查找作业需要 PSI 请求",
        "en": "a lookup job needs a PSI request",
    },
    "err.space.lookup.psi_request_size": {
        "zh-CN": "PSI 请求含 {items} 项，而作业声明的批次大小为 {batch}",
        "en": "PSI request holds {items} items but the job declares a batch of {batch}",
    },
    "err.space.lookup.psi_response": {
        "zh-CN": "PSI 应答没有回答请求中的每一项",
        "en": "the PSI response does not answer every item of the request",
    },
    "err.space.lookup.handles_over_batch": {
        "zh-CN": "句柄多于声明的批次大小",
        "en": "more handles than the declared batch",
    },
    "err.space.lookup.handles_repeated": {
        "zh-CN": "句柄有重复",
        "en": "repeated handles",
    },
    "err.space.lookup.handles_over_or_repeated": {
        "zh-CN": "句柄多于声明的批次大小，或有重复",
        "en": "more handles than the declared batch, or repeated ones",
    },
    "err.space.lookup.sealed_job": {
        "zh-CN": "密封的对象必须恰好对应该作业的提供方",
        "en": "sealed subjects must name exactly the job's providers",
    },
    "err.space.lookup.sealed_space": {
        "zh-CN": "密封的对象必须恰好对应本空间的提供方",
        "en": "sealed subjects must name exactly this space's providers",
    },
    "err.space.lookup.count_over_handles": {
        "zh-CN": "匹配数超过了句柄数",
        "en": "a matched count exceeds the number of handles",
    },
    "err.space.lookup.features": {
        "zh-CN": "特征必须是 {features}",
        "en": "features must be {features}",
    },
    "err.space.lookup.foreign_handles": {
        "zh-CN": "特征对应的句柄不属于该作业",
        "en": "features for handles that are not this job's",
    },
    "err.space.lookup.answered": {
        "zh-CN": "应答了 {answered} 个对象，而发出的是 {sent} 个",
        "en": "{answered} subjects answered, {sent} were sent",
    },
    "err.space.lookup.weighted": {
        "zh-CN": "评分类数据产品每个对象只接受一个加权密文",
        "en": "score products take one weighted ciphertext per subject",
    },
    "err.space.lookup.ciphertext_count": {
        "zh-CN": "密文数量与句柄不符",
        "en": "ciphertext count does not match the handles",
    },
    # engine 4, the blind lookup
    "err.space.blind.score_model": {
        "zh-CN": "盲查只发布评分：需要评分模型",
        "en": "a blind lookup releases scores: it needs a score model",
    },
    "err.space.blind.points": {
        "zh-CN": "盲查需要盲化点",
        "en": "a blind lookup needs blinded points",
    },
    "err.space.blind.points_batch": {
        "zh-CN": "批次大小为 {batch}，盲化点却有 {points} 个",
        "en": "{points} blinded points for a batch of {batch}",
    },
    "err.space.blind.evaluation": {
        "zh-CN": "评估结果没有回答每一个盲化点",
        "en": "the evaluation does not answer every blinded point",
    },
    "err.space.blind.epoch": {
        "zh-CN": "周期格式不正确",
        "en": "malformed epoch",
    },
    "err.space.blind.token_size": {
        "zh-CN": "每个令牌应为 {size} 字节",
        "en": "tokens are {size} bytes each",
    },
    "err.space.blind.tokens_repeated": {
        "zh-CN": "令牌有重复",
        "en": "repeated tokens",
    },
    "err.space.blind.no_tokens": {
        "zh-CN": "{dataset} v{version} 没有周期 {epoch} 的令牌",
        "en": "no tokens of epoch {epoch} for {dataset} v{version}",
    },
    "err.space.blind.no_upload": {
        "zh-CN": "该作业没有周期 {epoch} 的掩码上传",
        "en": "no masked upload of epoch {epoch} for this job",
    },
    "err.space.blind.upload_request": {
        "zh-CN": "掩码上传回答的是另一个请求（重放？）",
        "en": "the masked upload answers another request (replayed?)",
    },
    "err.space.blind.upload_tokens": {
        "zh-CN": "掩码上传与该周期的令牌不符",
        "en": "the masked upload does not follow the epoch's tokens",
    },
    "err.space.blind.upload_values": {
        "zh-CN": "掩码上传并非每个令牌一个值",
        "en": "the masked upload has not one value per token",
    },
    "err.space.blind.upload_replayed": {
        "zh-CN": "该掩码上传以前已发送过（重放）",
        "en": "the masked upload was sent before (replayed)",
    },
    "err.space.blind.handles": {
        "zh-CN": "批次中每个对象须有一个互不相同的句柄",
        "en": "one distinct handle per subject of the batch",
    },
    "err.space.blind.masks_job": {
        "zh-CN": "令牌和掩码消除项必须恰好对应该作业的提供方",
        "en": "tokens and mask removals must name exactly the job's providers",
    },
    "err.space.blind.masks_space": {
        "zh-CN": "令牌和掩码消除项必须恰好对应本空间的提供方",
        "en": "tokens and mask removals must name exactly this space's providers",
    },
    "err.space.blind.tokens_batch": {
        "zh-CN": "{name}：令牌与批次不符",
        "en": "{name}: the tokens do not match the batch",
    },
    "err.space.blind.removals_batch": {
        "zh-CN": "{name}：批次大小为 {batch}，掩码消除项却有 {count} 个",
        "en": "{name}: {count} mask removals for a batch of {batch}",
    },
    # engine 2, the space-aided join
    "err.space.join.not_join": {
        "zh-CN": "数据产品 {product} 不是空间辅助连接",
        "en": "{product} is not a space-aided join",
    },
    "err.space.join.two_roles": {
        "zh-CN": "数据产品 {product} 不是在两个提供方角色之间连接",
        "en": "{product} does not join two provider roles",
    },
    "err.space.join.query_refused": {
        "zh-CN": "查询被拒绝：{reason}",
        "en": "query refused: {reason}",
    },
    "err.space.join.layout_refused": {
        "zh-CN": "布局被拒绝：{reason}",
        "en": "layout refused: {reason}",
    },
    "err.space.join.epsilon": {
        "zh-CN": "作业的 epsilon 必须等于查询的 dp.epsilon",
        "en": "the job's epsilon must be the query's dp.epsilon",
    },
    "err.space.join.one_query": {
        "zh-CN": "{product} 作业只含一个查询（batch_size 1）",
        "en": "a {product} job is one query (batch_size 1)",
    },
    "err.space.join.job_key": {
        "zh-CN": "作业密钥必须分别密封给每个提供方",
        "en": "the job key must be sealed to each provider",
    },
    "err.space.join.tokens_repeated": {
        "zh-CN": "令牌有重复：每人只能有一个",
        "en": "repeated tokens: one per person",
    },
    "err.space.join.undeclarable": {
        "zh-CN": "{role} 不能声明 {dimensions} 的取值范围",
        "en": "the {role} declares no domain of {dimensions}",
    },
    "err.space.join.vector_length": {
        "zh-CN": "{role} 的每个向量必须是 {expected} 个密文",
        "en": "{role} vectors must be {expected} ciphertexts each",
    },
    "err.space.join.ciphertext_count": {
        "zh-CN": "密文数量与令牌数乘以向量长度不符",
        "en": "ciphertext count does not match tokens x vector length",
    },
    "err.space.join.slots": {
        "zh-CN": "每个槽位需要一个密文（共 {slots} 个）",
        "en": "one ciphertext per slot ({slots}) is needed",
    },
    "err.space.join.cells": {
        "zh-CN": "每个单元格需要一个回答",
        "en": "one answer per cell is needed",
    },
    # PSI cardinality between two providers' nodes
    "err.space.overlap.two_roles": {
        "zh-CN": "数据产品 {product} 不是在两个提供方角色之间计数",
        "en": "{product} does not count between two provider roles",
    },
    "err.space.overlap.two_providers": {
        "zh-CN": "{product} 作业须在两个不同的提供方之间计数",
        "en": "a {product} job counts between two different providers",
    },
    "err.space.overlap.one_count": {
        "zh-CN": "{product} 作业只算一个计数（batch_size 1）",
        "en": "a {product} job is one count (batch_size 1)",
    },
    "err.space.overlap.no_query": {
        "zh-CN": "{product} 作业不接受查询、作业密钥或模型",
        "en": "a {product} job takes no query, job key or model",
    },
    "err.space.overlap.no_psi_request": {
        "zh-CN": "{product} 作业的请求方不发送 PSI 请求",
        "en": "a {product} job's requester sends no PSI request",
    },
    "err.space.overlap.epsilon": {
        "zh-CN": "epsilon 必须是正数",
        "en": "epsilon must be a positive number",
    },
    "err.space.overlap.not_in_ledger": {
        "zh-CN": "账本中没有 {node} 的 {kind} 结果",
        "en": "{node}'s {kind} result is not in the ledger",
    },
    "err.space.overlap.empty_request": {
        "zh-CN": "PSI 请求为空",
        "en": "an empty PSI request",
    },
    "err.space.overlap.empty_response": {
        "zh-CN": "PSI 应答为空",
        "en": "an empty PSI response",
    },
    "err.space.overlap.one_ciphertext": {
        "zh-CN": "重叠计数应是一个密文",
        "en": "an overlap count is one ciphertext",
    },
    "err.space.overlap.one_answer": {
        "zh-CN": "只需要一个回答：针对该计数",
        "en": "one answer is needed: the count's",
    },
    # participants, their API keys and roles
    "err.space.participant.unknown": {
        "zh-CN": "没有参与方 {name!r}",
        "en": "no participant {name!r}",
    },
    "err.space.participant.api_key_missing": {
        "zh-CN": "缺少 API 密钥，或其格式不正确",
        "en": "missing or malformed API key",
    },
    "err.space.participant.api_key_unknown": {
        "zh-CN": "API 密钥未知或已吊销",
        "en": "unknown or revoked API key",
    },
    "err.space.participant.own_keys": {
        "zh-CN": "参与方只能登记自己的密钥",
        "en": "a participant may only register its own keys",
    },
    "err.space.participant.suite": {
        "zh-CN": "参与方使用密码套件 {suite!r}；本空间使用 {mine!r}",
        "en": "participant uses suite {suite!r}; this space uses {mine!r}",
    },
    "err.space.participant.not_participant": {
        "zh-CN": "{name!r} 不是参与方",
        "en": "{name!r} is not a participant",
    },
    "err.space.participant.role": {
        "zh-CN": "{name!r} 的角色是 {role}，不是 {asked}",
        "en": "{name!r} is a {role}, not a {asked}",
    },
    "err.space.participant.needs_role": {
        "zh-CN": "{name!r} 的角色是 {role}；此操作需要 {roles}",
        "en": "{name!r} is a {role}; this needs a {roles}",
    },
    "err.space.participant.no_keys": {
        "zh-CN": "{name!r} 没有登记密钥",
        "en": "{name!r} has registered no keys",
    },
    # policies
    "err.space.policy.unknown": {
        "zh-CN": "没有策略 {policy} v{version}",
        "en": "no policy {policy} v{version}",
    },
    "err.space.policy.unpublished": {
        "zh-CN": "没有已发布的策略 {policy!r}",
        "en": "no published policy {policy!r}",
    },
    "err.space.policy.not_approvable": {
        "zh-CN": "{policy} v{version} 的状态是 {state}，已不能批准",
        "en": "{policy} v{version} is {state}; it can no longer be approved",
    },
    "err.space.policy.version_taken": {
        "zh-CN": "{policy} 已有版本 {version}",
        "en": "{policy} already has version {version}",
    },
    "err.space.policy.other_content": {
        "zh-CN": "{policy} v{version} 已以不同内容发布；请发布新版本",
        "en": "{policy} v{version} is already published with other content; publish a new version",
    },
    # score models
    "err.space.model.refused": {
        "zh-CN": "模型被拒绝：{reason}",
        "en": "model refused: {reason}",
    },
    "err.space.model.not_single": {
        "zh-CN": "{product} 没有唯一的已批准模型（已固定 {pinned} 个）",
        "en": "no single approved model for {product} ({pinned} pinned)",
    },
    "err.space.model.unpublished": {
        "zh-CN": "{product} 的已批准模型尚未发布到本空间",
        "en": "the approved model of {product} was not published to the space",
    },
    # nodes' tasks, their results and the parts of a large result
    "err.space.task.unknown": {
        "zh-CN": "{caller!r} 没有任务 {task}",
        "en": "no task {task} for {caller!r}",
    },
    "err.space.task.no_more_parts": {
        "zh-CN": "任务状态为 {state}：不再接受分片",
        "en": "task is {state}: it takes no more parts",
    },
    "err.space.task.empty_part": {
        "zh-CN": "分片为空",
        "en": "an empty part",
    },
    "err.space.task.parts_limit": {
        "zh-CN": "一个结果的分片合计至多 {limit} 字节；已存 {stored} 字节，此分片有 {size} 字节",
        "en": "the parts of one result may add up to {limit} bytes; "
        "{stored} are stored and this part has {size}",
    },
    "err.space.task.part_missing": {
        "zh-CN": "结果的某个分片从未收到",
        "en": "a part of the result was never received",
    },
    "err.space.task.parts_size": {
        "zh-CN": "分片合计 {size} 字节，而不是 {declared} 字节",
        "en": "the parts make {size} bytes, not {declared}",
    },
    "err.space.task.parts_not_result": {
        "zh-CN": "这些分片拼不成一个结果",
        "en": "the parts do not make a result",
    },
    "err.space.task.nested_parts": {
        "zh-CN": "分片不能再由分片组成",
        "en": "parts of parts",
    },
    "err.space.task.already": {
        "zh-CN": "任务已是 {state} 状态",
        "en": "task already {state}",
    },
    "err.space.task.completed": {
        "zh-CN": "任务已完成（结果被重放或重复提交）",
        "en": "task already completed (a replayed or duplicate result)",
    },
    "err.space.task.cancelled": {
        "zh-CN": "任务已取消；其作业已结束",
        "en": "task was cancelled; its job has ended",
    },
    "err.space.task.not_leased": {
        "zh-CN": "任务尚未领取；请先拉取",
        "en": "task was not handed out; pull it first",
    },
    "err.space.task.job_ended": {
        "zh-CN": "作业 {job} 已不在运行",
        "en": "job {job} is no longer running",
    },
    "err.space.task.result_kind": {
        "zh-CN": "{kind} 任务接受 {expected} 结果，而不是 {got}",
        "en": "a {kind} task takes a {expected} result, not {got}",
    },
    "err.space.task.no_signing_key": {
        "zh-CN": "没有登记签名密钥",
        "en": "no signing key registered",
    },
    "err.space.task.unsigned": {
        "zh-CN": "结果不是用 {caller} 登记的密钥签名的",
        "en": "the result is not signed by {caller}'s registered key",
    },
}
