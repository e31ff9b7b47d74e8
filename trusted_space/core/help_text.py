# ruff: noqa: E501  (a catalog of whole sentences, each a lookup key)
"""Help text of every command and option, in zh-CN and English.

Typer reads help strings when the command tree is built, before ``--lang``
is known, so the source keeps one text (English, some with a Chinese term in
front) and ``trusted_space.cli`` swaps in the chosen language's text before
any help is shown. Keys are the source text with its whitespace collapsed;
an entry gives the zh-CN text, and the English one where the source is not
plain English. tests/unit/test_cli_language.py fails on a help string with no
entry here, or one that shows a language under the other.
"""

from __future__ import annotations

HELP: dict[str, dict[str, str]] = {
    "tspace: a privacy-preserving trusted data space (可信数据空间). Providers keep their rows; the space joins them with PSI and Paillier encryption; consumers receive only product outputs.": {
        "zh-CN": "tspace：隐私保护的可信数据空间。数据提供方保留自己的数据行；空间以 PSI 和 Paillier 加密完成关联；使用方只收到数据产品的输出。",
        "en": "tspace: a privacy-preserving trusted data space. Providers keep their rows; the space joins them with PSI and Paillier encryption; consumers receive only product outputs.",
    },
    "Console language: zh-CN or en (default zh-CN, or TSPACE_LANG).": {
        "zh-CN": "界面语言：zh-CN 或 en（默认 zh-CN，或取 TSPACE_LANG）。"
    },
    "Print the version.": {"zh-CN": "显示版本号。"},
    "演示: generate data, run the underwriting and fast-claims stories privately, check them against plaintext.": {
        "zh-CN": "演示：生成模拟数据，以隐私计算方式跑通核保评分与快速理赔全流程，并与明文参照核对。",
        "en": "Demo: generate data, run the underwriting and fast-claims stories privately, check them against plaintext.",
    },
    "Synthetic population size.": {"zh-CN": "模拟人口规模。"},
    "Applicants in the batch (default min(1000, people/10)).": {
        "zh-CN": "本批投保申请人数（默认 min(1000, people/10)）。"
    },
    "Keep data, space and nodes here (default: a temporary folder).": {
        "zh-CN": "数据、空间和节点保存在此目录（默认：临时目录）。"
    },
    "Seed of the synthetic data.": {"zh-CN": "模拟数据的随机种子。"},
    "Crypto suite of the space: default (SHA-256, Ed25519, X25519) or gm (SM3, SM2, SM4); fixed when the space is created.": {
        "zh-CN": "空间的密码算法套件：default（SHA-256、Ed25519、X25519）或 gm（SM3、SM2、SM4）；创建空间时确定，之后不可更改。"
    },
    "Run bulk work (PSI setups, tokens, encryption) on the Ray cluster at ADDRESS ('local' starts one on this machine; needs the extra tspace\\[ray]). Default: a process pool on every core here.": {
        "zh-CN": "在地址为 ADDRESS 的 Ray 集群上执行批量计算（PSI 预计算、令牌、加密）；'local' 在本机启动一个（需要安装 tspace\\[ray] 扩展）。默认：使用本机全部核心的进程池。"
    },
    "核保评分: score an insurer's applicants against hospital and CDC data, privately.": {
        "zh-CN": "核保评分：以隐私计算方式，用医院和疾控数据为保险公司的投保申请人评分。",
        "en": "Underwriting score: score an insurer's applicants against hospital and CDC data, privately.",
    },
    "Hospital visits CSV (canonical columns).": {"zh-CN": "医院就诊记录 CSV（标准列）。"},
    "CDC case reports CSV.": {"zh-CN": "疾控传染病报告 CSV。"},
    "CDC chronic registry CSV.": {"zh-CN": "疾控慢病登记 CSV。"},
    "The insurer's batch: applicant_ref,person_id.": {
        "zh-CN": "保险公司的申请批次：applicant_ref,person_id。"
    },
    "The approved scoring model (JSON).": {"zh-CN": "经批准的评分模型（JSON）。"},
    "Evaluation date, YYYY-MM-DD.": {"zh-CN": "评估日期，格式 YYYY-MM-DD。"},
    "Where to write scores.csv.": {"zh-CN": "scores.csv 的输出路径。"},
    "Keep the space and nodes here (default: a temporary folder).": {
        "zh-CN": "空间和节点保存在此目录（默认：临时目录）。"
    },
    "A steward's policy to publish and obey (repeatable).": {
        "zh-CN": "要发布并遵守的数据管理员策略（可重复）。"
    },
    "The insurer's participant id.": {"zh-CN": "保险公司的参与方标识。"},
    "Purpose of use.": {"zh-CN": "使用目的。"},
    "Evidence reference of the applicants' consent (repeatable); a policy with consent_required needs one.": {
        "zh-CN": "申请人同意的凭证编号（可重复）；要求 consent_required 的策略必须提供。"
    },
    "快速理赔: verify an insurer's claims against the hospital's records, privately.": {
        "zh-CN": "快速理赔：以隐私计算方式，将保险公司的理赔申请与医院记录核对。",
        "en": "Fast claims: verify an insurer's claims against the hospital's records, privately.",
    },
    "A hospital group's visits CSV (canonical columns; repeatable: one group may run several hospitals).": {
        "zh-CN": "医院集团的就诊记录 CSV（标准列；可重复：一个集团可下辖多家医院）。"
    },
    "The insurer's claims: claim_ref,person_id,hospital_id,visit_date,visit_type,claimed_amount,icd10 (visit_type and icd10 may be empty).": {
        "zh-CN": "保险公司的理赔申请：claim_ref,person_id,hospital_id,visit_date,visit_type,claimed_amount,icd10（visit_type 和 icd10 可以为空）。"
    },
    "Evaluation date, YYYY-MM-DD (default today, China time).": {
        "zh-CN": "评估日期，格式 YYYY-MM-DD（默认今天，北京时间）。"
    },
    "Comma-separated outputs: visit_found, billed_total, within_bill, dx_match, inpatient_days (default: all the policies allow).": {
        "zh-CN": "输出项，以逗号分隔：visit_found、billed_total、within_bill、dx_match、inpatient_days（默认：策略允许的全部）。"
    },
    "Evidence reference of the claimants' consent (repeatable); a policy with consent_required needs one.": {
        "zh-CN": "理赔申请人同意的凭证编号（可重复）；要求 consent_required 的策略必须提供。"
    },
    "信贷特征: a bank's bid-history features per company, from trading centres' OCDS data.": {
        "zh-CN": "信贷特征：根据公共资源交易中心的 OCDS 数据，为银行计算每家企业的投标历史特征。",
        "en": "Lending features: a bank's bid-history features per company, from trading centres' OCDS data.",
    },
    "One trading centre's OCDS file or folder (repeatable).": {
        "zh-CN": "一个交易中心的 OCDS 文件或目录（可重复）。"
    },
    "The bank's batch: company_ref,company_id.": {
        "zh-CN": "银行的申请批次：company_ref,company_id。"
    },
    "Where to write features.csv.": {"zh-CN": "features.csv 的输出路径。"},
    "The bank's participant id.": {"zh-CN": "银行的参与方标识。"},
    "CENTRE=SCHEME: the scheme of ids a centre's publisher writes without one "
    "(as `tspace load --mapping` declares it; CENTRE is the node name tspace prints). "
    "Repeatable.": {
        "zh-CN": "中心=编码方案：某交易中心的发布方未写编码方案时其 ID 所用的方案"
        "（与 `tspace load --mapping` 的声明相同；中心即 tspace 打印的节点名）。可重复。"
    },
    "Currency rate table (currency,base_currency,rate); never guessed.": {
        "zh-CN": "汇率表（列 `currency,base_currency,rate`）；汇率从不猜测。"
    },
    "人群统计: counts and sums over a hospital cohort x CDC cohort, with suppression and DP.": {
        "zh-CN": "人群统计：对医院人群与疾控人群的交集计数和求和，含小单元格抑制和差分隐私。",
        "en": "Cohort statistics: counts and sums over a hospital cohort x CDC cohort, with suppression and DP.",
    },
    "The cohort query (YAML).": {"zh-CN": "人群查询（YAML）。"},
    "Where to write result.csv.": {"zh-CN": "result.csv 的输出路径。"},
    "The requester's participant id.": {"zh-CN": "请求方的参与方标识。"},
    "交集规模: how many identifiers two files share, by PSI cardinality (nothing else).": {
        "zh-CN": "交集规模：用 PSI 基数协议计算两个文件共有多少标识（不透露其他任何信息）。",
        "en": "Overlap: how many identifiers two files share, by PSI cardinality (nothing else).",
    },
    "The first id file (CSV); plays the PSI client.": {
        "zh-CN": "第一个标识文件（CSV），作为 PSI 客户端。"
    },
    "The second id file (CSV); plays the PSI server.": {
        "zh-CN": "第二个标识文件（CSV），作为 PSI 服务端。"
    },
    "The identifier column.": {"zh-CN": "标识所在的列。"},
    "Print one JSON object.": {"zh-CN": "输出一个 JSON 对象。"},
    "加载数据: load a source into a node's canonical tables and report its quality.": {
        "zh-CN": "加载数据：把数据源加载到节点的标准表，并报告数据质量。",
        "en": "Load: load a source into a node's canonical tables and report its quality.",
    },
    "Source kind: csv, parquet, duckdb, synthea, fhir, hl7v2 or ocds.": {
        "zh-CN": "数据源类型：csv、parquet、duckdb、synthea、fhir、hl7v2 或 ocds。"
    },
    "Files or folders to load.": {"zh-CN": "要加载的文件或目录。"},
    "The provider node's folder.": {"zh-CN": "数据提供方节点的目录。"},
    "Column mapping (YAML or JSON) to a canonical table.": {
        "zh-CN": "到标准表的列映射（YAML 或 JSON）。"
    },
    "CSV of source_id,person_id, or 'pseudonymous' (demo ids).": {
        "zh-CN": "source_id,person_id 对照 CSV，或 'pseudonymous'（演示用假名标识）。"
    },
    "Where to write the JSON quality report.": {"zh-CN": "JSON 数据质量报告的输出路径。"},
    "Replace the target tables instead of adding rows.": {
        "zh-CN": "替换目标表，而不是追加数据行。"
    },
    "生成模拟数据: write every canonical table as CSV, and OCDS for two trading centres. OUT holds hospital_visits.csv, cdc_case_reports.csv, cdc_chronic_registry.csv, applicants.csv and claims.csv (an insurer's claims: honest, inflated, misdated, unknown and invalid); OUT/tenders holds centre_a/ and centre_b/ (OCDS release packages) and bank_applicants.csv. The same seed writes the same files.": {
        "zh-CN": "生成模拟数据：把每张标准表写成 CSV，并为两个交易中心写出 OCDS 数据。\n\nOUT 中有 hospital_visits.csv、cdc_case_reports.csv、cdc_chronic_registry.csv、applicants.csv 和 claims.csv（保险公司的理赔申请：如实的、虚高的、日期有误的、查无此次就诊的和证件号无效的）；OUT/tenders 中有 centre_a/ 和 centre_b/（OCDS 发布包）以及 bank_applicants.csv。相同的种子写出相同的文件。",
        "en": "Synthetic data: write every canonical table as CSV, and OCDS for two trading centres.\n\nOUT holds hospital_visits.csv, cdc_case_reports.csv, cdc_chronic_registry.csv,\napplicants.csv and claims.csv (an insurer's claims: honest, inflated, misdated,\nunknown and invalid); OUT/tenders holds centre_a/ and centre_b/ (OCDS release\npackages) and bank_applicants.csv. The same seed writes the same files.",
    },
    "Claims in the insurer's claims file (default min(500, people)).": {
        "zh-CN": "保险公司理赔申请文件中的申请件数（默认 min(500, people)）。"
    },
    "Size of the synthetic population.": {"zh-CN": "模拟人口规模。"},
    "Random seed; the same seed writes the same files.": {
        "zh-CN": "随机种子；相同的种子写出相同的文件。"
    },
    "Folder for the CSV files.": {"zh-CN": "CSV 文件的输出目录。"},
    "Applicants in the insurer's batch (default min(1000, people)).": {
        "zh-CN": "保险公司批次中的申请人数（默认 min(1000, people)）。"
    },
    "Companies bidding at the trading centres (default max(200, people/20)).": {
        "zh-CN": "在交易中心投标的企业数（默认 max(200, people/20)）。"
    },
    "服务: run the space as an HTTP service (uvicorn).": {
        "zh-CN": "服务：以 HTTP 服务（uvicorn）运行可信空间。",
        "en": "Serve: run the space as an HTTP service (uvicorn).",
    },
    "The space's folder (state survives restarts).": {"zh-CN": "空间的目录（重启后状态保留）。"},
    "Address to listen on.": {"zh-CN": "监听地址。"},
    "Port to listen on.": {"zh-CN": "监听端口。"},
    "Crypto suite, fixed when the space is created.": {"zh-CN": "密码算法套件，创建空间时确定。"},
    "How long a node holds a task before it is offered again.": {
        "zh-CN": "节点领取任务后，超过多久未完成即重新分派。"
    },
    "Log at DEBUG level, with a line per request.": {
        "zh-CN": "以 DEBUG 级别记录日志，每个请求一行。"
    },
    "节点: run a provider or consumer node; it only makes outbound requests.": {
        "zh-CN": "节点：运行数据提供方或使用方节点；节点只发起出站请求。",
        "en": "Node: run a provider or consumer node; it only makes outbound requests.",
    },
    "The space's URL.": {"zh-CN": "空间的 URL。"},
    "This node's participant id.": {"zh-CN": "本节点的参与方标识。"},
    "File holding this participant's API key.": {"zh-CN": "保存本参与方 API 密钥的文件。"},
    "This node's folder (keys, data, job files).": {
        "zh-CN": "本节点的目录（密钥、数据、任务文件）。"
    },
    "KIND:PATH to load before serving (kind csv if omitted); repeatable.": {
        "zh-CN": "开始服务前加载的 KIND:PATH（省略类型时为 csv）；可重复。"
    },
    "Log at DEBUG level.": {"zh-CN": "以 DEBUG 级别记录日志。"},
    "策略: write, check and publish data stewards' usage policies.": {
        "zh-CN": "策略：编写、检查和发布数据管理员的使用策略。",
        "en": "Policies: write, check and publish data stewards' usage policies.",
    },
    "Check policies against the schema and their product; exit 1 listing every error.": {
        "zh-CN": "按模式和所属产品检查策略；有错误时列出全部错误并以状态 1 退出。"
    },
    "Policy files (YAML or JSON).": {"zh-CN": "策略文件（YAML 或 JSON）。"},
    "A space's folder: warn about owners and consumers it does not know.": {
        "zh-CN": "空间的目录：对空间中不存在的 owners 和 consumers 给出警告。"
    },
    "The decision for a job, with every reason, without running anything.": {
        "zh-CN": "给出某个任务的策略决定及全部理由，不实际运行。"
    },
    "Policy file (repeatable).": {"zh-CN": "策略文件（可重复）。"},
    "The consumer's participant id.": {"zh-CN": "使用方的参与方标识。"},
    "Product name.": {"zh-CN": "产品名称。"},
    "Subjects in the batch.": {"zh-CN": "批次中的对象数。"},
    "The model file a score job would use.": {"zh-CN": "评分任务将使用的模型文件。"},
    "Comma-separated features the job uses.": {"zh-CN": "任务使用的特征，以逗号分隔。"},
    "Decide as on this date (default today).": {"zh-CN": "按此日期作出决定（默认今天）。"},
    "Differential privacy epsilon of the query.": {"zh-CN": "查询的差分隐私 ε。"},
    "ROLE=NAME of a provider (default: each role's own name).": {
        "zh-CN": "数据提供方的 ROLE=NAME（默认：与角色同名）。"
    },
    "Count quotas from this space's ledger; leave out versions it holds but has not put in force.": {
        "zh-CN": "按此空间的账本统计配额；该空间中未生效（待批准、已被取代或已停用）的版本不参与判断。"
    },
    "A consent evidence reference the job carries.": {"zh-CN": "任务携带的同意凭证编号。"},
    "Print the policy as ODRL 2.2 JSON-LD.": {"zh-CN": "以 ODRL 2.2 JSON-LD 格式输出策略。"},
    "Policy file.": {"zh-CN": "策略文件。"},
    "Print a commented starting policy for a product.": {"zh-CN": "输出某产品带注释的策略模板。"},
    "Product name, e.g. underwriting_score.": {"zh-CN": "产品名称，例如 underwriting_score。"},
    "The provider whose data the policy governs (its id).": {
        "zh-CN": "策略所管辖数据的提供方（其标识）。"
    },
    "Print the policy document's JSON Schema.": {"zh-CN": "输出策略文档的 JSON Schema。"},
    "Publish policies to an embedded space (a new version supersedes the old). Every party is in this process, so each owner the files name appoints the steward first, as an owner's signed appointment does in a service.": {
        "zh-CN": "向嵌入式空间发布策略（新版本取代旧版本）。\n\n各方都在本进程中，因此文件中的每个数据方先任命该数据管理员，如同在服务部署中数据方签名任命一样。",
        "en": "Publish policies to an embedded space (a new version supersedes the old).\n\nEvery party is in this process, so each owner the files name appoints the\nsteward first, as an owner's signed appointment does in a service.",
    },
    "Approve a pending policy version for the owners that appointed the steward.": {
        "zh-CN": "代表任命该数据管理员的数据方，批准一个待批准的策略版本。"
    },
    "The policy id to approve.": {"zh-CN": "要批准的策略标识。"},
    "The version to approve.": {"zh-CN": "要批准的版本号。"},
    "Policy files to publish.": {"zh-CN": "要发布的策略文件。"},
    "The embedded space's folder.": {"zh-CN": "嵌入式空间的目录。"},
    "The steward's participant id.": {"zh-CN": "数据管理员的参与方标识。"},
    "Retire a policy: it governs no new job; past decisions keep their versions.": {
        "zh-CN": "停用策略：不再管辖新任务；过去的决定仍保留当时的版本。"
    },
    "The policy id to retire.": {"zh-CN": "要停用的策略标识。"},
    "List every policy version a space holds, with its state.": {
        "zh-CN": "列出空间中每个策略版本及其状态。"
    },
    "The space's folder.": {"zh-CN": "空间的目录。"},
    "账本: verify, export and read the space's signed, hash-chained audit ledger.": {
        "zh-CN": "账本：校验、导出和查看空间的签名哈希链审计账本。",
        "en": "Ledger: verify, export and read the space's signed, hash-chained audit ledger.",
    },
    "校验: check every entry's chain, hash and signature, every checkpoint and every node's signature; exit 1 naming the first entry that fails.": {
        "zh-CN": "校验：检查每条记录的链接、哈希和签名、每个检查点以及每个节点的签名；失败时指出第一条出错的记录并以状态 1 退出。",
        "en": "Verify: check every entry's chain, hash and signature, every checkpoint and\nevery node's signature; exit 1 naming the first entry that fails.",
    },
    "Verify this space's ledger.": {"zh-CN": "校验此空间的账本。"},
    "Verify an export (JSON Lines) instead.": {"zh-CN": "改为校验一份导出文件（JSON Lines）。"},
    "The space's verifying key: hex, or a file holding it (from `ledger public-key`).": {
        "zh-CN": "空间的验签公钥：十六进制，或保存公钥的文件（由 `ledger public-key` 输出）。"
    },
    "导出: write every entry, one JSON object a line, in order.": {
        "zh-CN": "导出：按顺序写出每条记录，每行一个 JSON 对象。",
        "en": "Export: write every entry, one JSON object a line, in order.",
    },
    "Where to write the JSON Lines export.": {"zh-CN": "JSON Lines 导出文件的输出路径。"},
    "公钥: print the space's verifying key (hex), to publish beside exports.": {
        "zh-CN": "公钥：输出空间的验签公钥（十六进制），与导出文件一并公布。",
        "en": "Public key: print the space's verifying key (hex), to publish beside exports.",
    },
    "查看: a readable history, or one job's.": {
        "zh-CN": "查看：可读的历史记录，或某个任务的记录。",
        "en": "Show: a readable history, or one job's.",
    },
    "Only this job's entries.": {"zh-CN": "只显示此任务的记录。"},
    "证明: the Merkle inclusion proof of one entry in the checkpoint covering it.": {
        "zh-CN": "证明：某条记录在覆盖它的检查点中的 Merkle 包含证明。",
        "en": "Prove: the Merkle inclusion proof of one entry in the checkpoint covering it.",
    },
    "The entry to prove.": {"zh-CN": "要证明的记录序号。"},
    "Write the proof here.": {"zh-CN": "证明的输出路径。"},
    "核验证明: check an inclusion proof with the space's public key alone.": {
        "zh-CN": "核验证明：仅凭空间公钥核验包含证明。",
        "en": "Check proof: check an inclusion proof with the space's public key alone.",
    },
    "A proof from `ledger prove`.": {"zh-CN": "由 `ledger prove` 生成的证明。"},
    "The space's verifying key: hex or a file.": {"zh-CN": "空间的验签公钥：十六进制或文件。"},
    "计量: usage per consumer, product, provider and month, from the ledger.": {
        "zh-CN": "计量：按使用方、产品、提供方和月份统计用量，数据来自账本。",
        "en": "Usage: usage per consumer, product, provider and month, from the ledger.",
    },
    "用量报告: jobs, subjects, matches, cells released and epsilon, each row with the ledger entries it was counted from.": {
        "zh-CN": "用量报告：任务数、对象数、匹配数、发布的单元格数和 ε，每行附有其统计所依据的账本记录。",
        "en": "Usage report: jobs, subjects, matches, cells released and epsilon, each row\nwith the ledger entries it was counted from.",
    },
    "YYYY-MM (China Standard Time); default all.": {
        "zh-CN": "YYYY-MM（北京时间，UTC+08:00）；默认全部月份。"
    },
    "Print CSV instead of a table.": {"zh-CN": "输出 CSV 而不是表格。"},
    "数据产品: registration dossiers of data products.": {
        "zh-CN": "数据产品：数据产品的登记材料。",
        "en": "Products: registration dossiers of data products.",
    },
    "产品登记卡: purpose, source datasets, features, policies in plain words, quality, lineage, usage and cost — from the space's live metadata.": {
        "zh-CN": "产品登记卡：用途、来源数据集、特征、通俗表述的策略、质量、数据血缘、用量和成本——均取自空间的实时元数据。",
        "en": "Product card: purpose, source datasets, features, policies in plain words,\nquality, lineage, usage and cost — from the space's live metadata.",
    },
    "md (in the console language) or json.": {"zh-CN": "md（使用界面语言）或 json。"},
    "Write the card here.": {"zh-CN": "登记卡的输出路径。"},
    "授权同意: a provider's consent records and its subjects' opt-outs.": {
        "zh-CN": "授权同意：数据提供方的同意记录及其数据主体的退出登记。",
        "en": "Consent: a provider's consent records and its subjects' opt-outs.",
    },
    "导入: store consent records; invalid rows are listed with row and field.": {
        "zh-CN": "导入：保存同意记录；无效的行会列出行号和字段。",
        "en": "Import: store consent records; invalid rows are listed with row and field.",
    },
    "CSV: subject_id, consumer, product, purpose, expires, evidence_ref": {
        "zh-CN": "CSV，列为 `subject_id, consumer, product, purpose, expires, evidence_ref`"
    },
    "The provider node's folder (nodes/NAME when embedded).": {
        "zh-CN": "数据提供方节点的目录（嵌入式部署时为 nodes/NAME）。"
    },
    "撤回: revoke consents, or opt the subject out entirely.": {
        "zh-CN": "撤回：撤回同意，或为数据主体登记完全退出。",
        "en": "Revoke: revoke consents, or opt the subject out entirely.",
    },
    "The subject's id.": {"zh-CN": "数据主体的标识。"},
    "Product the id belongs to.": {"zh-CN": "该标识所属的产品。"},
    "Only this consumer's consent.": {"zh-CN": "只撤回此使用方的同意。"},
    "Only this purpose.": {"zh-CN": "只撤回此用途的同意。"},
    "Withdraw altogether: revoke every consent and leave every dataset (at its next version) and every cohort.": {
        "zh-CN": "完全退出：撤回全部同意，并从所有数据集（自其下一版本起）和所有人群中移除。"
    },
    "Reference of the withdrawal's evidence.": {"zh-CN": "退出凭证的编号。"},
    "状态: how many consents are live or revoked, and how many opted out.": {
        "zh-CN": "状态：有效和已撤回的同意各有多少，退出的有多少人。",
        "en": "Status: how many consents are live or revoked, and how many opted out.",
    },
    "运维: the operator's commands, run on the space's machine.": {
        "zh-CN": "运维：运维人员的命令，在空间所在机器上运行。",
        "en": "Admin: the operator's commands, run on the space's machine.",
    },
    "添加参与方: add a participant once and print its new API key once (only its hash is kept). With --signing-key its signing key is bound now and its fingerprint printed, for the other parties to pin. A name that exists is refused. A steward needs --appointment from each owner it is to govern.": {
        "zh-CN": "添加参与方：添加参与方（每个名称只能添加一次），并一次性输出其新的 API 密钥（只保存其哈希）。\n\n给出 --signing-key 时，立即绑定其签名密钥并输出指纹，供其他参与方固定。已存在的名称会被拒绝。添加数据管理员时，它所管理的每个数据方都须提供 --appointment。",
        "en": "Add participant: add a participant once and print its new API key once (only its hash is kept).\n\nWith --signing-key its signing key is bound now and its fingerprint printed,\nfor the other parties to pin. A name that exists is refused. A steward\nneeds --appointment from each owner it is to govern.",
    },
    "The participant's public signing key in hex, from its `tspace keys show`.": {
        "zh-CN": "该参与方的签名公钥（十六进制），取自其 `tspace keys show` 的输出。"
    },
    "重新绑定签名密钥: bind a participant that lost its signing key to a new one, loudly. The ledger records it; every node that pinned the old key refuses the new one until a person there checks it and runs `tspace keys trust`.": {
        "zh-CN": "重新绑定签名密钥：为丢失签名密钥的参与方绑定新密钥，并明确告警。\n\n账本会记录此事；固定了旧密钥的每个节点都会拒绝新密钥，直到该节点的负责人核对后运行 `tspace keys trust`。",
        "en": "Rebind key: bind a participant that lost its signing key to a new one, loudly.\n\nThe ledger records it; every node that pinned the old key refuses the new\none until a person there checks it and runs `tspace keys trust`.",
    },
    "The participant that lost its signing key.": {"zh-CN": "丢失签名密钥的参与方。"},
    "密钥: this node's signing key, the other parties' keys it pinned, rotation.": {
        "zh-CN": "密钥：本节点的签名密钥、本节点固定的其他参与方密钥，以及密钥轮换。",
        "en": "Keys: this node's signing key, the other parties' keys it pinned, rotation.",
    },
    "The space's crypto suite (default or gm).": {"zh-CN": "空间的密码算法套件（default 或 gm）。"},
    "The node's folder (its keys are made there if new).": {
        "zh-CN": "节点的目录（若尚无密钥，则在此生成）。"
    },
    "查看密钥: print this node's signing key and fingerprint, and every key it pinned.": {
        "zh-CN": "查看密钥：输出本节点的签名公钥及其指纹，以及本节点固定的全部密钥。",
        "en": "Show keys: print this node's signing key and fingerprint, and every key it pinned.",
    },
    "The participant whose signing key to pin.": {"zh-CN": "要固定其签名密钥的参与方。"},
    "Its fingerprint, as its owner or the operator gave it.": {
        "zh-CN": "其签名密钥指纹，由该参与方本人或运维方提供。"
    },
    "This node's folder.": {"zh-CN": "本节点的目录。"},
    "固定密钥: pin a participant's signing key by its fingerprint (a change is said loudly).": {
        "zh-CN": "固定密钥：按指纹固定某参与方的签名密钥（若与已固定的不同，会明确告警）。",
        "en": "Trust key: pin a participant's signing key by its fingerprint (a change is said loudly).",
    },
    "Replace the signing key too (the old one signs the new).": {
        "zh-CN": "同时更换签名密钥（由旧密钥为新密钥签名）。"
    },
    "轮换公钥: new keys, signed by the old signing key, registered with the space. Stop the node first and start it again after: it reads its keys when it starts.": {
        "zh-CN": "轮换公钥：生成新密钥，由旧签名密钥签名，并登记到空间。\n\n请先停止节点，轮换后再启动：节点在启动时读取密钥。",
        "en": "Rotate keys: new keys, signed by the old signing key, registered with the space.\n\nStop the node first and start it again after: it reads its keys when it starts.",
    },
    "A model file this provider's owner approves (repeatable): score tasks must then use one of the approved models.": {
        "zh-CN": "本数据提供方的所有者批准的模型文件（可重复）：此后评分任务必须使用已批准的模型之一。"
    },
    "An owner's signed appointment of this steward, from tspace client appoint-steward (repeatable: one per owner it governs).": {
        "zh-CN": "数据方对该数据管理员的签名任命，由 tspace client appoint-steward 生成（可重复：所管理的每个数据方一份）。"
    },
    "任命管理员: bind an existing steward to more owners, by their signed appointments.": {
        "zh-CN": "任命管理员：凭数据方的签名任命，让已有的数据管理员管理更多数据方。",
        "en": "Appoint steward: bind an existing steward to more owners, by their signed appointments.",
    },
    "The steward to bind to more owners.": {"zh-CN": "要增加所管理数据方的数据管理员。"},
    "Participant id, e.g. hospital-a.": {"zh-CN": "参与方标识，例如 hospital-a。"},
    "provider, consumer, steward or operator.": {
        "zh-CN": "provider（提供方）、consumer（使用方）、steward（管理员）或 operator（运维）。"
    },
    "The space's crypto suite.": {"zh-CN": "空间的密码算法套件。"},
    "轮换密钥: revoke every API key of a participant and print a new one once.": {
        "zh-CN": "轮换密钥：吊销参与方的全部 API 密钥，并一次性输出新密钥。",
        "en": "Rotate key: revoke every API key of a participant and print a new one once.",
    },
    "The participant whose keys to replace.": {"zh-CN": "要更换密钥的参与方。"},
    "备份: back up the running space to one archive, written atomically. The archive holds a consistent snapshot of the space's database, its keys and a manifest of every file's hash.": {
        "zh-CN": "备份：把运行中的空间备份为一个归档文件，原子写入。\n\n归档包含空间数据库的一致快照、空间密钥以及每个文件哈希的清单。",
        "en": "Backup: back up the running space to one archive, written atomically.\n\nThe archive holds a consistent snapshot of the space's database, its keys\nand a manifest of every file's hash.",
    },
    "The archive to write (.tar.gz).": {"zh-CN": "要写出的归档文件（.tar.gz）。"},
    "恢复: restore a backup into an empty folder, checking every file's hash. Then verify it with `tspace ledger verify --workdir` and serve it.": {
        "zh-CN": "恢复：把备份恢复到一个空目录，并核对每个文件的哈希。\n\n之后用 `tspace ledger verify --workdir` 校验，再启动服务。",
        "en": "Restore: restore a backup into an empty folder, checking every file's hash.\n\nThen verify it with `tspace ledger verify --workdir` and serve it.",
    },
    "An archive from tspace admin backup.": {"zh-CN": "由 `tspace admin backup` 生成的归档文件。"},
    "An empty folder for the space.": {"zh-CN": "用于存放空间的空目录。"},
    "客户端: a consumer's or steward's calls to a space over HTTP.": {
        "zh-CN": "客户端：使用方或数据管理员通过 HTTP 调用空间。",
        "en": "Client: a consumer's or steward's calls to a space over HTTP.",
    },
    "核保评分 over HTTP: the insurer's side; writes the same scores.csv as `tspace underwrite`.": {
        "zh-CN": "核保评分（HTTP）：保险公司一侧；写出与 `tspace underwrite` 相同的 scores.csv。",
        "en": "Underwriting score over HTTP: the insurer's side; writes the same scores.csv as `tspace underwrite`.",
    },
    "The batch: applicant_ref,person_id.": {"zh-CN": "申请批次：applicant_ref,person_id。"},
    "Model file (default: the one the policies approve).": {
        "zh-CN": "模型文件（默认：策略批准的模型）。"
    },
    "The insurer's node folder (keys, job files).": {
        "zh-CN": "保险公司节点的目录（密钥、任务文件）。"
    },
    "快速理赔 over HTTP: the insurer's side; writes the same result.csv as `tspace claims`.": {
        "zh-CN": "快速理赔（HTTP）：保险公司一侧；写出与 `tspace claims` 相同的 result.csv。",
        "en": "Fast claims over HTTP: the insurer's side; writes the same result.csv as `tspace claims`.",
    },
    "信贷特征 over HTTP: the bank's side; writes the same features.csv as `tspace lend`.": {
        "zh-CN": "信贷特征（HTTP）：银行一侧；写出与 `tspace lend` 相同的 features.csv。",
        "en": "Lending features over HTTP: the bank's side; writes the same features.csv as `tspace lend`.",
    },
    "The batch: company_ref,company_id.": {"zh-CN": "申请批次：company_ref,company_id。"},
    "Comma-separated features (default: all).": {"zh-CN": "特征，以逗号分隔（默认：全部）。"},
    "The bank's node folder (keys, job files).": {"zh-CN": "银行节点的目录（密钥、任务文件）。"},
    "人群统计 over HTTP: the requester's side; writes result.csv like `tspace cohort`.": {
        "zh-CN": "人群统计（HTTP）：请求方一侧；写出与 `tspace cohort` 相同的 result.csv。",
        "en": "Cohort statistics over HTTP: the requester's side; writes result.csv like `tspace cohort`.",
    },
    "The requester's node folder (keys, job files).": {
        "zh-CN": "请求方节点的目录（密钥、任务文件）。"
    },
    "Steward: publish policies to a space.": {"zh-CN": "数据管理员：向空间发布策略。"},
    "Steward: approve a pending policy version for the owners that appointed you.": {
        "zh-CN": "数据管理员：代表任命您的数据方，批准一个待批准的策略版本。"
    },
    "Owner: sign your appointment of a steward, for the operator to add it with.": {
        "zh-CN": "数据方：签署对数据管理员的任命，交给运营方据此添加该管理员。"
    },
    "The steward to appoint for your data.": {"zh-CN": "要为您的数据任命的数据管理员。"},
    "Your provider node's folder (its signing key).": {
        "zh-CN": "您的提供方节点目录（其中有签名密钥）。"
    },
    "Where to write the signed appointment (JSON).": {"zh-CN": "签名任命（JSON）的输出路径。"},
    "Policy files.": {"zh-CN": "策略文件。"},
    "Steward: publish a model file; policies pin it by SHA-256.": {
        "zh-CN": "数据管理员：发布模型文件；策略以 SHA-256 锁定模型。"
    },
    "Model file (JSON).": {"zh-CN": "模型文件（JSON）。"},
    # Added with the blind engine, the first-hour fixes and security round 2.
    "The scoring model (JSON; default: the product's own).": {
        "zh-CN": "评分模型（JSON；默认：产品自带的模型）。"
    },
    "Accept an --as-of after today (China time); refused otherwise, as a likely typo.": {
        "zh-CN": "接受晚于今天（中国时间）的 --as-of；否则视为可能的笔误而拒绝。"
    },
    "direct_lookup or blind_lookup (the insurer learns each score and not whether a provider holds the applicant); default: the one the policies choose.": {
        "zh-CN": "direct_lookup 或 blind_lookup（后者让保险公司只得到评分，不得知提供方是否持有该投保人）；默认：由使用策略选择。"
    },
    "blind_lookup (default: the insurer learns scores only) or direct_lookup (PSI: it also learns which applicants each provider holds).": {
        "zh-CN": "blind_lookup（默认：保险公司只得到评分）或 direct_lookup（隐私求交：它还会得知各提供方持有哪些投保人）。"
    },
    "Comma-separated features (default: all the policies allow).": {
        "zh-CN": "以逗号分隔的特征（默认：政策允许的全部特征）。"
    },
    "交集规模（本地）: how many identifiers two files on this machine share, by PSI cardinality. A local mode: one process reads both files and runs both parties (PSI client and server), so it shows the protocol's output and protects nothing between two parties. Between two providers over a space: `tspace overlap`.": {
        "zh-CN": "交集规模（本地）：用 PSI 基数协议计算本机两个文件共有多少标识。这是本地模式：一个进程读取两个文件并同时运行双方（PSI 客户端和服务端），只演示协议的输出，并不在两方之间提供任何保护。两个数据提供方之间经由空间计算：`tspace overlap`。",
        "en": "Overlap (local): how many identifiers two files on this machine share, by PSI cardinality. A local mode: one process reads both files and runs both parties (PSI client and server), so it shows the protocol's output and protects nothing between two parties. Between two providers over a space: `tspace overlap`.",
    },
    "交集规模: how many people a hospital and a CDC both hold, and nothing else. Their two nodes run PSI cardinality between them through the space (the space relays blinded sets it cannot read); you get only the count, suppressed below the policy's minimum and noised when asked. Both files on one machine: `tspace overlap-local`.": {
        "zh-CN": "交集规模：医院与疾控共同持有多少人，除此之外不透露任何信息。两方节点经由空间运行 PSI 基数协议（空间只转发其无法读取的盲化集合）；你只得到人数，低于策略最小计数时抑制，要求时加噪声。两个文件都在本机：`tspace overlap-local`。",
        "en": "Overlap: how many people a hospital and a CDC both hold, and nothing else. Their two nodes run PSI cardinality between them through the space (the space relays blinded sets it cannot read); you get only the count, suppressed below the policy's minimum and noised when asked. Both files on one machine: `tspace overlap-local`.",
    },
    "Differential privacy: the space adds discrete Laplace noise with this epsilon to the count, under encryption (a policy may require it).": {
        "zh-CN": "差分隐私：空间在密文下为人数加上此 ε 的离散拉普拉斯噪声（策略可能要求）。"
    },
    "The hospital provider (default: the first that offers data).": {
        "zh-CN": "医院数据提供方（默认：第一个提供数据的）。"
    },
    "The CDC provider (default: the first that offers data).": {
        "zh-CN": "疾控数据提供方（默认：第一个提供数据的）。"
    },
    "The day the count is recorded for, YYYY-MM-DD (default today).": {
        "zh-CN": "计数所记录的日期，格式 YYYY-MM-DD（默认今天）。"
    },
    "Console cookies without Secure: only for plain HTTP on this machine.": {
        "zh-CN": "控制台 Cookie 不带 Secure 标记：仅用于本机的明文 HTTP。"
    },
    "ROLE=NAME[,NAME...] of a role's providers (default: each role's own name).": {
        "zh-CN": "某一角色的提供方，写作 ROLE=NAME[,NAME...]（默认：与角色同名的提供方）。"
    },
    "校验: check every entry's chain, hash and signature, every checkpoint and every node's signature; with --checkpoint, that no entry a published checkpoint covers was cut off or rewritten; exit 1 naming the first entry that fails.": {
        "zh-CN": "校验：检查每条记录的链接、哈希与签名、每个检查点以及每个节点的签名；带 --checkpoint 时，还检查已发布检查点覆盖的记录没有被截去或改写；失败时以退出码 1 指出第一条出错的记录。",
        "en": "Verify: check every entry's chain, hash and signature, every checkpoint and every node's signature; with --checkpoint, that no entry a published checkpoint covers was cut off or rewritten; exit 1 naming the first entry that fails.",
    },
    "A checkpoint published outside the space (a node's checkpoints/seen.jsonl or `ledger checkpoint --out`): the ledger must still hold it. Repeatable.": {
        "zh-CN": "在空间之外发布的检查点（节点的 checkpoints/seen.jsonl 或 `ledger checkpoint --out` 的输出）：账本必须仍然包含它。可重复。"
    },
    "检查点: export the latest signed checkpoint, for an auditor to keep outside the space and check later ledgers against (`verify --checkpoint`).": {
        "zh-CN": "检查点：导出最新的已签名检查点，供审计方保存在空间之外，日后用来核对账本（`verify --checkpoint`）。",
        "en": "Checkpoint: export the latest signed checkpoint, for an auditor to keep outside the space and check later ledgers against (`verify --checkpoint`).",
    },
    "Where to write the checkpoint (JSON).": {"zh-CN": "检查点的输出路径（JSON）。"},
    "Seconds to keep retrying while the space does not answer, then give up.": {
        "zh-CN": "空间无应答时持续重试的秒数，超时后放弃。"
    },
    "结算: what each consumer owes and each provider and the operator earn in a month, from the ledger alone: per party, a CSV statement and a JSON statement signed with the space's ledger key. Only succeeded jobs decided in the month are charged. A job that ran in part at a peer needs the peer's ledger export: each space prices its own providers' part.": {
        "zh-CN": "结算：按月计算各使用方应付、各提供方和运营方应收的金额，只依据账本：为每个参与方写出一份 CSV 结算单和一份以空间账本密钥签名的 JSON 结算单。只对策略决定落在该月且成功的任务计费。部分在对等空间运行的任务需要该对等空间的账本导出文件：各空间为本空间提供方的部分计价。",
        "en": "Settle: what each consumer owes and each provider and the operator earn in a month, from the ledger alone: per party, a CSV statement and a JSON statement signed with the space's ledger key. Only succeeded jobs decided in the month are charged. A job that ran in part at a peer needs the peer's ledger export: each space prices its own providers' part.",
    },
    "A peer's ledger export (`tspace ledger export` at the peer), for the jobs that ran in part there (repeatable); checked against the key this ledger pins for the peer.": {
        "zh-CN": "对等空间的账本导出文件（在对等空间运行 `tspace ledger export` 得到），用于部分在该空间运行的任务（可重复）；按本空间账本为该对等空间固定的公钥核验。"
    },
    "YYYY-MM (China Standard Time).": {"zh-CN": "YYYY-MM（北京时间，UTC+08:00）。"},
    "The folder to write the statements to (CSV and signed JSON).": {
        "zh-CN": "结算单的输出目录（CSV 和签名的 JSON）。"
    },
    "核验结算单: recompute the statement from a ledger export and check the space's signature; exit 1 naming the first thing that does not hold.": {
        "zh-CN": "核验结算单：依据账本导出文件重新计算结算单并核验空间的签名；不成立时指出第一处问题并以状态 1 退出。",
        "en": "Verify statement: recompute the statement from a ledger export and check the space's signature; exit 1 naming the first thing that does not hold.",
    },
    "A JSON statement written by `tspace settle`.": {
        "zh-CN": "由 `tspace settle` 写出的 JSON 结算单。"
    },
    "The ledger export (`tspace ledger export`).": {
        "zh-CN": "账本导出文件（由 `tspace ledger export` 生成）。"
    },
    # -- peering (issue 26) --
    "对等协议: draft a peering agreement with another space. Both sides' stewards it names approve it; both operators add the peer with it.": {
        "zh-CN": "对等协议：起草与另一空间的对等协议。\n\n协议列出的双方数据管理员须批准它；双方运营方都用同一份协议添加对方。",
        "en": "Peering agreement: draft a peering agreement with another space.\n\nBoth sides' stewards it names approve it; both operators add the peer with it.",
    },
    "The peer space's ledger key in hex (its `tspace ledger public-key`).": {
        "zh-CN": "对方空间的账本公钥（十六进制，取自其 `tspace ledger public-key`）。"
    },
    "A product whose jobs may cross (repeatable).": {
        "zh-CN": "允许跨空间运行任务的数据产品（可重复）。"
    },
    "A steward of this space who approves it (repeatable).": {
        "zh-CN": "本空间批准该协议的数据管理员（可重复）。"
    },
    "A steward of the peer space who approves it (repeatable).": {
        "zh-CN": "对方空间批准该协议的数据管理员（可重复）。"
    },
    "Where to write the agreement (JSON).": {"zh-CN": "协议（JSON）的输出路径。"},
    "添加对等空间: pin another space's URL and ledger key under an agreement. Every steward of this space that the agreement names must have approved it.": {
        "zh-CN": "添加对等空间：依据协议固定另一空间的地址和账本公钥。\n\n协议列出的本空间每位数据管理员都须已批准该协议。",
        "en": "Add peer: pin another space's URL and ledger key under an agreement.\n\nEvery steward of this space that the agreement names must have approved it.",
    },
    "The peer's name here, e.g. city-b.": {"zh-CN": "对等空间在本空间的名称，例如 city-b。"},
    "The peer space's base URL.": {"zh-CN": "对方空间的基础 URL。"},
    "The peer space's ledger key in hex, pinned: its requests must verify under it.": {
        "zh-CN": "对方空间的账本公钥（十六进制），将被固定：对方的每个请求都须以它验签通过。"
    },
    "The peering agreement (from tspace admin draft-agreement).": {
        "zh-CN": "对等协议（由 tspace admin draft-agreement 生成）。"
    },
    "对等空间: list this space's peers, their agreements and products.": {
        "zh-CN": "对等空间：列出本空间的对等空间、协议及数据产品。",
        "en": "Peers: list this space's peers, their agreements and products.",
    },
    "移除对等空间: stop peering with a space; its requests are refused from now on.": {
        "zh-CN": "移除对等空间：停止与某空间的对等关系；此后拒绝它的请求。",
        "en": "Remove peer: stop peering with a space; its requests are refused from now on.",
    },
    "The peer to stop peering with.": {"zh-CN": "要停止对等关系的空间。"},
    "核对对等空间: call a peer with a signed request. Its signed answer's countersignature of the agreement goes in the ledger.": {
        "zh-CN": "核对对等空间：以签名请求调用对等空间。\n\n其签名应答中对协议的会签记入账本。",
        "en": "Check peer: call a peer with a signed request.\n\nIts signed answer's countersignature of the agreement goes in the ledger.",
    },
    "The peer to call.": {"zh-CN": "要调用的对等空间。"},
    "Seconds to wait for the peer.": {"zh-CN": "等待对等空间应答的秒数。"},
    "Steward: approve a peering agreement that names you, before the operator adds the peer.": {
        "zh-CN": "数据管理员：批准列出您的对等协议，之后运营方才能添加对等空间。"
    },
    "Verify this space's ledger (repeatable: peered spaces' ledgers).": {
        "zh-CN": "校验该空间的账本（可重复：对等空间的账本）。"
    },
    "Verify an export (JSON Lines) instead (repeatable, with --public-key).": {
        "zh-CN": "改为校验导出文件（JSON Lines）（可重复，配合 --public-key）。"
    },
    "The space's verifying key: hex, or a file holding it (from `ledger public-key`); one per --file, in order.": {
        "zh-CN": "空间的验证公钥：十六进制，或保存它的文件（来自 `ledger public-key`）；每个 --file 一个，按顺序。"
    },
    "校验: check every entry's chain, hash and signature, every checkpoint and every node's signature; with --checkpoint, that no entry a published checkpoint covers was cut off or rewritten; with several ledgers (peered spaces), also what each says of the others (agreements, countersignatures, jobs across spaces); exit 1 naming the first entry that fails.": {
        "zh-CN": "校验：检查每条记录的链接、摘要和签名、每个检查点以及每个节点的签名；给出 --checkpoint 时，检查已公布检查点覆盖的记录没有被截断或改写；给出多个账本（对等空间）时，还核对它们彼此的记载（协议、会签、跨空间任务）；失败时退出码为 1，并指出第一条不符的记录。",
        "en": "Verify: check every entry's chain, hash and signature, every checkpoint and every node's signature; with --checkpoint, that no entry a published checkpoint covers was cut off or rewritten; with several ledgers (peered spaces), also what each says of the others (agreements, countersignatures, jobs across spaces); exit 1 naming the first entry that fails.",
    },
}
