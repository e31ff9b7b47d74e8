"""The log lines a person reads on the terminal of ``tspace node`` and
``tspace service serve`` (keys ``log.*``), in zh-CN and English.

They are said in the process's language (``--lang``, ``TSPACE_LANG``), not a
request's: the operator reads them (``trusted_space.core.i18n.logged``). The
English is what scripts and the service tests match. Debug lines stay
English: they are for developers."""

LOGS: dict[str, dict[str, str]] = {
    # a node (nodes/runner.py, nodes/base.py, nodes/consumer.py)
    "log.node.offers": {
        "zh-CN": "{name} 提供 {n} 个数据集",
        "en": "{name} offers {n} dataset(s)",
    },
    "log.node.pulling": {"zh-CN": "{name} 正在拉取任务", "en": "{name} is pulling work"},
    "log.node.pausing": {
        "zh-CN": "{name}：{kind}；暂停 {seconds} 秒",
        "en": "{name}: {kind}; pausing {seconds} s",
    },
    "log.node.shared_failed": {
        "zh-CN": "{name}：{n} 个任务的共用工作失败：{kind}",
        "en": "{name}: shared work for {n} tasks failed: {kind}",
    },
    "log.node.dropped": {
        "zh-CN": "{name}：任务 {task} 已放弃：{kind}",
        "en": "{name}: task {task} dropped: {kind}",
    },
    "log.node.refused": {
        "zh-CN": "{name}：拒绝了任务 {task}：{reason}",
        "en": "{name}: task {task} refused: {reason}",
    },
    "log.node.failed": {
        "zh-CN": "{name}：任务 {task} 失败：{kind}",
        "en": "{name}: task {task} failed: {kind}",
    },
    "log.node.not_taken": {
        "zh-CN": "{name}：{task} 的结果未被接收（{status}）",
        "en": "{name}: result of {task} not taken ({status})",
    },
    "log.node.result_refused": {
        "zh-CN": "{name}：{task} 的结果被拒绝（{status}）",
        "en": "{name}: result of {task} refused ({status})",
    },
    "log.node.parts": {
        "zh-CN": "{name}：{task} 的结果分 {n} 部分发送（{size} 字节）",
        "en": "{name}: result of {task} sent in {n} parts ({size} bytes)",
    },
    "log.node.submitted": {
        "zh-CN": "已提交作业 {job}（{product}，{n} 名对象）",
        "en": "submitted job {job} ({product}, {n} subjects)",
    },
    "log.node.submitted_blind": {
        "zh-CN": "已提交盲查作业 {job}（{product}，{n} 名对象）",
        "en": "submitted blind job {job} ({product}, {n} subjects)",
    },
    "log.node.submitted_product": {
        "zh-CN": "已提交作业 {job}（{product}）",
        "en": "submitted job {job} ({product})",
    },
    "log.node.retrying": {
        "zh-CN": "空间不可用（{failure}）；{seconds} 秒后重试",
        "en": "space unavailable ({failure}); retrying in {seconds} s",
    },
    "log.node.checkpoint_back": {
        "zh-CN": "空间的账本检查点从第 {old} 条退回到了第 {new} 条",
        "en": "the space's ledger checkpoint went back from entry {old} to {new}",
    },
    # a provider's data work (connectors/node/)
    "log.node.psi_setup": {
        "zh-CN": "已为 {dataset} v{version} 构建 PSI 预计算（{n} 名对象）",
        "en": "built PSI setup for {dataset} v{version} ({n} subjects)",
    },
    "log.node.features": {
        "zh-CN": "已为 {subjects} 名对象计算 {n} 个特征",
        "en": "computed {n} features for {subjects} subjects",
    },
    "log.node.blind_tokens": {
        "zh-CN": "已为 {dataset} v{version} 构建盲查令牌（{n} 名对象）",
        "en": "built blind tokens for {dataset} v{version} ({n} subjects)",
    },
    "log.node.masked_upload": {
        "zh-CN": "已为 {dataset} 的 {n} 名对象上传掩码数据",
        "en": "masked upload for {n} subjects of {dataset}",
    },
    "log.node.ahead_failed": {
        "zh-CN": "{name}：提前构建失败；查询照常进行",
        "en": "{name}: building ahead failed; queries go on",
    },
    "log.node.snapshot": {
        "zh-CN": "特征快照 {product}/{role}（{as_of}）：{n} 名对象",
        "en": "feature snapshot {product}/{role} on {as_of}: {n} subjects",
    },
    # the space (service/, space/)
    "log.space.serving": {
        "zh-CN": "空间从 {workdir} 提供服务（密码套件 {suite}）",
        "en": "space serving from {workdir} (suite {suite})",
    },
    "log.space.background_failed": {
        "zh-CN": "后台工作失败：{kind}",
        "en": "background work failed: {kind}",
    },
    "log.space.peer_failed": {
        "zh-CN": "与对端空间的工作失败：{kind}",
        "en": "peer work failed: {kind}",
    },
    "log.space.storage": {
        "zh-CN": "{method} {path} 时存储不可用：{reason}",
        "en": "storage unavailable on {method} {path}: {reason}",
    },
    "log.space.unexpected": {
        "zh-CN": "{method} {path} 时出现意外的 {kind}",
        "en": "unexpected {kind} on {method} {path}",
    },
    "log.space.job": {
        "zh-CN": "作业 {job} {state}（{product}，批量 {batch}）",
        "en": "job {job} {state} ({product}, batch {batch})",
    },
    "log.space.job_failed": {"zh-CN": "作业 {job} 失败", "en": "job {job} failed"},
    "log.space.step_done": {
        "zh-CN": "作业 {job}：{step} 已完成",
        "en": "job {job}: {step} done",
    },
    "log.space.peer": {
        "zh-CN": "作业 {job}：对端空间 {peer}：{code}",
        "en": "job {job}: peer {peer}: {code}",
    },
    "log.space.abandoned": {
        "zh-CN": "作业 {job} 的任务 {task} 已放弃：租约在 {node} 处到期 {n} 次",
        "en": "task {task} of job {job} abandoned: {n} leases ran out at {node}",
    },
    # uvicorn's own lines about the server's life (trusted_space/service/server_words.py)
    "log.server.started": {
        "zh-CN": "服务进程已启动 [{pid}]",
        "en": "Started server process [{pid}]",
    },
    "log.server.finished": {
        "zh-CN": "服务进程已结束 [{pid}]",
        "en": "Finished server process [{pid}]",
    },
    "log.server.running": {
        "zh-CN": "服务运行于 {url}（按 CTRL+C 退出）",
        "en": "Uvicorn running on {url} (Press CTRL+C to quit)",
    },
    "log.server.startup_waiting": {
        "zh-CN": "正在等待应用启动。",
        "en": "Waiting for application startup.",
    },
    "log.server.startup_done": {"zh-CN": "应用启动完成。", "en": "Application startup complete."},
    "log.server.stopping": {"zh-CN": "正在关闭", "en": "Shutting down"},
    "log.server.shutdown_waiting": {
        "zh-CN": "正在等待应用关闭。",
        "en": "Waiting for application shutdown.",
    },
    "log.server.shutdown_done": {"zh-CN": "应用关闭完成。", "en": "Application shutdown complete."},
}
