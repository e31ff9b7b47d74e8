"""Errors of the lower floors: hazmat, crypto, the ledger, the command line,
the embedded runner and the one-process overlap (``err.base.*``)."""

BASE: dict[str, dict[str, str]] = {
    # hazmat: PSI, the OPRF, Paillier
    "err.base.psi.request": {"zh-CN": "PSI 请求", "en": "PSI request"},
    "err.base.psi.setup": {"zh-CN": "PSI 预计算消息", "en": "PSI setup"},
    "err.base.psi.response": {"zh-CN": "PSI 应答", "en": "PSI response"},
    "err.base.psi.malformed": {"zh-CN": "{what}格式错误", "en": "malformed {what}"},
    "err.base.psi.too_many": {
        "zh-CN": "PSI 请求含 {count} 项，超过声明的 {max_items} 项",
        "en": "PSI request holds {count} items, more than the declared {max_items}",
    },
    "err.base.psi.mode": {
        "zh-CN": "PSI 请求的模式与服务端不一致",
        "en": "PSI request mode does not match the server's",
    },
    "err.base.psi.rejected": {
        "zh-CN": "{what}被拒绝{reason}",
        "en": "{what} rejected: {reason}",
    },
    "err.base.psi.short_response": {
        "zh-CN": "PSI 应答比请求短",
        "en": "PSI response is shorter than the request",
    },
    "err.base.psi.not_partitioned": {
        "zh-CN": "不是分区的 PSI 预计算消息",
        "en": "not a partitioned PSI setup",
    },
    "err.base.psi.truncated": {"zh-CN": "PSI 预计算消息不完整", "en": "truncated PSI setup"},
    "err.base.psi.container": {
        "zh-CN": "PSI 预计算消息的容器格式错误",
        "en": "malformed PSI setup container",
    },
    "err.base.oprf.point_size": {
        "zh-CN": "每个点应为 {n} 字节",
        "en": "points are {n} bytes each",
    },
    "err.base.oprf.bad_point": {
        "zh-CN": "有一个点不是有效的 ristretto255 元素",
        "en": "a point is not a valid ristretto255 element",
    },
    "err.base.oprf.scalar_mult": {"zh-CN": "标量乘法失败", "en": "scalar multiplication failed"},
    "err.base.oprf.key": {
        "zh-CN": "OPRF 密钥须为非零的 32 字节标量",
        "en": "an OPRF key is a non-zero 32-byte scalar",
    },
    "err.base.oprf.incomplete": {
        "zh-CN": "评估结果没有覆盖每一个盲化项",
        "en": "the evaluation does not answer every blinded item",
    },
    "err.base.paillier.odd_modulus": {
        "zh-CN": "Paillier 模数须为奇整数",
        "en": "a Paillier modulus must be an odd integer",
    },
    "err.base.paillier.hex_modulus": {
        "zh-CN": "Paillier 公钥须为十六进制的模数",
        "en": "a Paillier public key must be a hex modulus",
    },
    "err.base.paillier.weak": {
        "zh-CN": "拒绝 {bits} 位的 Paillier 密钥：至少需要 {min_bits} 位",
        "en": "Paillier key of {bits} bits refused: at least {min_bits} are required",
    },
    "err.base.paillier.plaintext_range": {
        "zh-CN": "明文超出该密钥的有符号取值范围",
        "en": "plaintext outside the signed range of this key",
    },
    "err.base.paillier.ciphertext_range": {
        "zh-CN": "密文不在 Z*_{n^2} 中",
        "en": "ciphertext outside Z*_{n^2}",
    },
    "err.base.paillier.block": {
        "zh-CN": "密文块的长度不是 {width} 字节的整数倍",
        "en": "ciphertext block is not a multiple of {width} bytes",
    },
    "err.base.paillier.factors": {
        "zh-CN": "p × q 与公钥的模数不符",
        "en": "p * q does not match the public modulus",
    },
    "err.base.paillier.signed_overflow": {
        "zh-CN": "解密所得的值超出有符号取值范围",
        "en": "decrypted value overflowed the signed range",
    },
    "err.base.paillier.declared_overflow": {
        "zh-CN": "解密所得的值超出声明的取值范围",
        "en": "decrypted value overflowed the declared range",
    },
    "err.base.paillier.test_preset": {
        "zh-CN": "{preset} 是测试用预设；生产路径需要 2048 位或更长的密钥",
        "en": "{preset} is a test preset; production paths need 2048 bits or more",
    },
    # crypto: suites, SM2
    "err.base.crypto.not_sm2_private": {
        "zh-CN": "不是 SM2 私钥",
        "en": "not an SM2 private key",
    },
    "err.base.crypto.sm2_private_size": {
        "zh-CN": "SM2 私钥应为 32 字节",
        "en": "an SM2 private key is 32 bytes",
    },
    "err.base.crypto.sm2_public_size": {
        "zh-CN": "SM2 公钥应为 64 字节（x || y）",
        "en": "an SM2 public key is 64 bytes (x || y)",
    },
    "err.base.crypto.sm2_point": {
        "zh-CN": "不是 SM2 曲线上的点",
        "en": "not a point of the SM2 curve",
    },
    "err.base.crypto.sm2_scalar_mult": {
        "zh-CN": "SM2 标量乘法失败",
        "en": "SM2 scalar multiplication failed",
    },
    "err.base.crypto.sm2_signature_size": {
        "zh-CN": "SM2 签名应为 64 字节（r || s）",
        "en": "an SM2 signature is 64 bytes (r || s)",
    },
    "err.base.crypto.sm2_signature_range": {
        "zh-CN": "SM2 签名超出取值范围",
        "en": "SM2 signature out of range",
    },
    "err.base.crypto.sm2_signature": {
        "zh-CN": "SM2 签名验证不通过",
        "en": "SM2 signature does not verify",
    },
    "err.base.crypto.sealed": {
        "zh-CN": "无法用此密钥打开密封消息",
        "en": "sealed message cannot be opened with this key",
    },
    "err.base.crypto.not_ed25519_private": {
        "zh-CN": "不是 Ed25519 私钥",
        "en": "not an Ed25519 private key",
    },
    "err.base.crypto.signature": {
        "zh-CN": "签名验证不通过",
        "en": "signature does not verify",
    },
    "err.base.crypto.not_x25519_private": {
        "zh-CN": "不是 X25519 私钥",
        "en": "not an X25519 private key",
    },
    "err.base.crypto.not_x25519_public": {
        "zh-CN": "不是 X25519 公钥",
        "en": "not an X25519 public key",
    },
    # bulk: tokens, masks, partitioned PSI
    "err.base.bulk.token_size": {
        "zh-CN": "每个令牌应为 {n} 字节",
        "en": "tokens are {n} bytes each",
    },
    "err.base.bulk.masked_range": {
        "zh-CN": "有一个掩码值超出取值范围",
        "en": "a masked value is out of range",
    },
    "err.base.bulk.masked_size": {
        "zh-CN": "每个掩码值应为 {n} 字节",
        "en": "masked values are {n} bytes each",
    },
    "err.base.bulk.mask_count": {
        "zh-CN": "掩码与得分部分的个数不同：每个得分部分需要一个 {n} 字节的掩码",
        "en": "masks and score parts differ in number: each part needs one mask of {n} bytes",
    },
    # the ledger and settlement statements
    "err.base.ledger.read_only": {
        "zh-CN": "该账本以只读方式打开",
        "en": "this ledger was opened for reading only",
    },
    "err.base.ledger.no_checkpoint_for": {
        "zh-CN": "尚无检查点覆盖第 {seq} 条；请先运行一次检查点",
        "en": "no checkpoint covers entry {seq} yet; run a checkpoint first",
    },
    "err.base.ledger.no_entry": {"zh-CN": "账本中没有第 {seq} 条", "en": "no ledger entry {seq}"},
    "err.base.ledger.no_checkpoint": {
        "zh-CN": "账本中还没有检查点",
        "en": "the ledger holds no checkpoint yet",
    },
    "err.base.ledger.not_json": {"zh-CN": "不是 JSON{problem}", "en": "not JSON{problem}"},
    "err.base.settle.no_creation": {
        "zh-CN": "账本的第一条不是空间的创建记录",
        "en": "the ledger does not begin with the space's creation",
    },
    "err.base.settle.matches_unrecorded": {
        "zh-CN": "任务 {job}：{policy} 按匹配人数计价或分账，但该任务使用 {engine} 计算，"
        "账本从不记录其匹配人数",
        "en": "job {job}: {policy} prices or splits by matched subjects, "
        "but the job ran on {engine}, whose matches the ledger never records",
    },
    "err.base.settle.not_export": {
        "zh-CN": "{label}：不是账本导出文件（第一条不是 space_created）",
        "en": "{label}: not a ledger export (no space_created first)",
    },
    "err.base.settle.not_pinned": {
        "zh-CN": "{label}：不是本空间已固定密钥的对等空间的账本",
        "en": "{label}: not the ledger of a peer this space pins",
    },
    "err.base.settle.peer_entry": {
        "zh-CN": "{label}：账本第 {seq} 条：{reason}",
        "en": "{label}: ledger entry {seq}: {reason}",
    },
    "err.base.settle.peer_short": {
        "zh-CN": "{name} 未到达结算单所记的账本头（第 {seq} 条）",
        "en": "{name} does not reach the statement's head ({seq})",
    },
    "err.base.settle.peer_head": {
        "zh-CN": "{name} 的第 {seq} 条不是结算单所记的账本头",
        "en": "{name} entry {seq} is not the head the statement names",
    },
    "err.base.settle.not_statement": {
        "zh-CN": "不是结算单（{format}）",
        "en": "not a settlement statement ({format})",
    },
    "err.base.settle.export_short": {
        "zh-CN": "导出的账本未到达结算单所记的账本头（第 {seq} 条）",
        "en": "the export does not reach the statement's ledger head ({seq})",
    },
    "err.base.settle.head": {
        "zh-CN": "账本第 {seq} 条不是计算结算单时的账本头",
        "en": "ledger entry {seq} is not the head the statement was computed at",
    },
    "err.base.settle.no_statement": {
        "zh-CN": "账本中没有 {role} {party} 的结算单",
        "en": "the ledger gives no statement for {role} {party}",
    },
    "err.base.settle.peers_missing": {
        "zh-CN": "本月有任务部分在 {peers} 运行：需要它们的账本导出文件（--peer-ledger）",
        "en": "jobs of the month ran in part at {peers}: their ledger exports are needed "
        "(--peer-ledger)",
    },
    "err.base.settle.count_differs": {
        "zh-CN": "{path}：结算单中有 {claimed} 项，账本得出 {computed} 项",
        "en": "{path}: the statement has {claimed}, the ledger gives {computed}",
    },
    "err.base.settle.value_differs": {
        "zh-CN": "{path}：结算单写的是 {claimed}，账本得出 {computed}",
        "en": "{path}: the statement says {claimed}, the ledger gives {computed}",
    },
    "err.base.settle.signature": {
        "zh-CN": "签名不是本空间的",
        "en": "the signature is not the space's",
    },
    # the command line
    "err.base.cli.engine_choice": {
        "zh-CN": "应为以下之一：{choices}",
        "en": "expected one of {choices}",
    },
    "err.base.cli.no_node": {
        "zh-CN": "{path} 处没有数据提供方节点",
        "en": "no provider node at {path}",
    },
    "err.base.cli.node_in_use": {
        "zh-CN": "{path} 正在使用中（节点在运行？）；请先停止它{reason}",
        "en": "{path} is in use (a running node?); stop it first{reason}",
    },
    "err.base.cli.subject": {"zh-CN": "--subject 无效：{reason}", "en": "--subject: {reason}"},
    "err.base.cli.not_agreement": {
        "zh-CN": "不是对等协议（由 tspace admin draft-agreement 写出）",
        "en": "not a peering agreement (tspace admin draft-agreement writes one)",
    },
    "err.base.cli.not_appointment": {
        "zh-CN": "不是数据管理员任命书（由 tspace client appoint-steward 写出）",
        "en": "not a steward appointment (tspace client appoint-steward writes one)",
    },
    "err.base.cli.suite": {
        "zh-CN": "{space} 处的空间使用 {suite} 密码套件，本节点不支持",
        "en": "the space at {space} uses the {suite} crypto suite, which this node "
        "does not support",
    },
    # why a job failed: a failure code the space recorded (core/failures.py),
    # said in the reader's language; English is the code as recorded
    "err.base.failure.said": {"zh-CN": "{what}（{code}{params}）", "en": "{what}{code}{params}"},
    "err.base.failure.params": {"zh-CN": "：{listed}", "en": " ({listed})"},
    "err.base.failure.param.node": {"zh-CN": "节点", "en": "node"},
    "err.base.failure.param.step": {"zh-CN": "步骤", "en": "step"},
    "err.base.failure.param.peer": {"zh-CN": "对端空间", "en": "peer"},
    "err.base.failure.param.leases": {"zh-CN": "租约次数", "en": "leases"},
    "err.base.failure.param.unacceptable": {"zh-CN": "不可接受的消息", "en": "unacceptable"},
    "err.base.failure.param.earlier_jobs": {"zh-CN": "更早的作业数", "en": "earlier_jobs"},
    "err.base.failure.policy_denied": {"zh-CN": "策略拒绝了请求", "en": "policy denied"},
    "err.base.failure.peer_refused": {"zh-CN": "对端空间拒绝了请求", "en": "peer refused"},
    "err.base.failure.peer_replayed": {"zh-CN": "对端空间收到了重放的消息", "en": "peer replayed"},
    "err.base.failure.peering_refused": {
        "zh-CN": "对端空间拒绝了互联",
        "en": "peering refused",
    },
    "err.base.failure.peer_unavailable": {
        "zh-CN": "对端空间不可用",
        "en": "peer unavailable",
    },
    "err.base.failure.invalid_identifier": {"zh-CN": "标识符无效", "en": "invalid identifier"},
    "err.base.failure.input_error": {"zh-CN": "输入有误", "en": "input error"},
    "err.base.failure.payload_too_large": {
        "zh-CN": "消息超过了空间的大小限制",
        "en": "payload too large",
    },
    "err.base.failure.participant_exists": {
        "zh-CN": "参与方已存在",
        "en": "participant exists",
    },
    "err.base.failure.conflict": {
        "zh-CN": "重放、重复或顺序不对的消息",
        "en": "conflict",
    },
    "err.base.failure.task_altered": {
        "zh-CN": "任务与消费方签名的作业不一致",
        "en": "task altered",
    },
    "err.base.failure.model_not_approved": {
        "zh-CN": "模型未经数据提供方的所有者批准",
        "en": "model not approved",
    },
    "err.base.failure.protocol_error": {
        "zh-CN": "消息不符合协议",
        "en": "protocol error",
    },
    "err.base.failure.weak_key": {"zh-CN": "密钥强度不足", "en": "weak key"},
    "err.base.failure.key_changed": {"zh-CN": "密钥已变更", "en": "key changed"},
    "err.base.failure.untrusted_key": {"zh-CN": "密钥不受信任", "en": "untrusted key"},
    "err.base.failure.crypto_error": {"zh-CN": "密码运算失败", "en": "crypto error"},
    "err.base.failure.not_authorised": {"zh-CN": "无权执行", "en": "not authorised"},
    "err.base.failure.not_found": {"zh-CN": "找不到所需的数据", "en": "not found"},
    "err.base.failure.failed": {"zh-CN": "一个节点未能完成其步骤", "en": "failed"},
    "err.base.failure.internal_error": {
        "zh-CN": "一个节点出现内部错误（详情见该节点的日志）",
        "en": "internal error",
    },
    "err.base.failure.unspecified": {"zh-CN": "原因未说明", "en": "unspecified"},
    "err.base.failure.differencing_refused": {
        "zh-CN": "人群与您更早的一个结果相差不足最小人数，拒绝发布（差分攻击防护）",
        "en": "differencing refused",
    },
    "err.base.failure.task_abandoned": {
        "zh-CN": "一个任务的租约两次到期（其节点停止或卡住），不再分派",
        "en": "task abandoned",
    },
    "err.base.failure.expired": {
        "zh-CN": "{seconds} 秒内没有进展；作业已过期",
        "en": "no progress for {seconds} s; job expired",
    },
    "err.base.failure.job": {"zh-CN": "作业失败", "en": "the job failed"},
    "err.base.failure.job_named": {"zh-CN": "作业 {job} 失败", "en": "job {job} failed"},
    # a caller's mistakes (ValueError, English) the command line says as usage errors
    "err.base.value.language": {
        "zh-CN": "语言须为 {languages} 之一",
        "en": "language must be one of {languages}",
    },
    "err.base.value.role": {"zh-CN": "角色须为 {roles} 之一", "en": "role must be one of {roles}"},
    "err.base.value.name": {
        "zh-CN": "名称须为 1-64 个小写字母、数字、'.'、'_' 或 '-'",
        "en": "a name is 1-64 lower-case letters, digits, '.', '_' or '-'",
    },
    "err.base.value.signing_hex": {
        "zh-CN": "签名公钥须以十六进制给出",
        "en": "a signing key is given in hex",
    },
    "err.base.value.steward_only": {
        "zh-CN": "只有数据管理员（steward）随任命书添加",
        "en": "only a steward is added with appointments",
    },
    "err.base.value.peer_name": {
        "zh-CN": "对端空间的名称须由小写字母、数字、'.'、'_'、'-' 组成：{name}",
        "en": "a peer's name is lower-case letters, digits, '.', '_', '-': {name}",
    },
    "err.base.value.peer_url": {
        "zh-CN": "对端空间的 URL 须为 http(s)://host[:port][/path]：{url}",
        "en": "a peer's URL is http(s)://host[:port][/path]: {url}",
    },
    "err.base.value.not_hex": {
        "zh-CN": "--signing-key：不是十六进制",
        "en": "--signing-key: not hex",
    },
    "err.base.value.agreement": {
        "zh-CN": "协议中的 {field} 格式不对：{value}",
        "en": "the agreement's {field} is out of form: {value}",
    },
    "err.base.value.fingerprint": {
        "zh-CN": "指纹须为 {digits} 位十六进制数字，如 3f2a:9c01:...",
        "en": "a fingerprint is {digits} hex digits, e.g. 3f2a:9c01:...",
    },
    "err.base.value.suite": {
        "zh-CN": "未知的密码套件 {name}；可用：{available}",
        "en": "unknown crypto suite {name}; available: {available}",
    },
    # the embedded runner and the one-process overlap
    "err.base.embedded.stalled": {
        "zh-CN": "任务 {job} 在 {rounds} 轮内没有进展",
        "en": "job {job} made no progress in {rounds} rounds",
    },
    "err.base.overlap.missing_column": {
        "zh-CN": "缺少列 {column}",
        "en": "missing column {column}",
    },
}
