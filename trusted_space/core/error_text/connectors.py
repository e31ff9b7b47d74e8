"""Errors of the connectors (files, identifiers, OCDS, FHIR, HL7 v2,
Synthea) and of loading (``err.connectors.*``).

A load's rejection reasons and warnings are written to its report in
English (file formats stay English, for scripts); the terminal says them in
the reader's language (``trusted_space.core.i18n.recognised``). A reason
that is made in SQL says the English of its entry here."""

CONNECTORS: dict[str, dict[str, str]] = {
    # the load summary on the terminal
    "err.connectors.load.record": {"zh-CN": "（整条记录）", "en": "(record)"},
    "err.connectors.load.where": {
        "zh-CN": "{file}，{row}，{field}",
        "en": "{file}, {row}, {field}",
    },
    "err.connectors.load.first": {
        "zh-CN": "{where}，{field}：{reason}",
        "en": "{where}, {field}: {reason}",
    },
    # the canonical tables' checks (made in SQL: connectors/canonical.py, node_store.py)
    "err.connectors.value.one_of": {
        "zh-CN": "须为 {allowed} 之一",
        "en": "must be one of {allowed}",
    },
    "err.connectors.value.iso_date": {
        "zh-CN": "不是 ISO 日期（YYYY-MM-DD）",
        "en": "not an ISO date (YYYY-MM-DD)",
    },
    "err.connectors.value.impossible_date": {"zh-CN": "日期不存在", "en": "impossible date"},
    "err.connectors.value.date_range": {
        "zh-CN": "日期不在 {first}-{last} 年之间",
        "en": "date outside {first}-{last}",
    },
    "err.connectors.value.amount": {
        "zh-CN": "不是最多两位小数的金额",
        "en": "not a decimal amount with at most 2 decimal places",
    },
    "err.connectors.value.negative": {"zh-CN": "金额为负", "en": "negative amount"},
    "err.connectors.value.rate": {
        "zh-CN": "不是最多 8 位小数的正汇率",
        "en": "not a positive rate with at most 8 decimal places",
    },
    "err.connectors.value.currency": {
        "zh-CN": "不是 ISO 4217 货币代码",
        "en": "not an ISO 4217 currency code",
    },
    "err.connectors.value.icd10": {"zh-CN": "不是 ICD-10 编码", "en": "not an ICD-10 code"},
    "err.connectors.value.discharge": {
        "zh-CN": "出院日期早于就诊日期",
        "en": "discharge before the visit date",
    },
    "err.connectors.value.duplicate_key": {
        "zh-CN": "键 ({columns}) 重复：与 {file} 第 {row} 行相同",
        "en": "duplicate key ({columns}) of {file} row {row}",
    },
    "err.connectors.value.already_loaded": {
        "zh-CN": "键 ({columns}) 已加载过",
        "en": "key ({columns}) already loaded",
    },
    # files read as tables
    "err.connectors.file.columns_ignored": {
        "zh-CN": "{path}：忽略了以下列：{columns}",
        "en": "{path}: columns ignored: {columns}",
    },
    "err.connectors.file.read_as": {
        "zh-CN": "{path}：不是 UTF-8，已按 {encoding} 读取",
        "en": "{path}: not UTF-8; read as {encoding}",
    },
    # patient ids (connectors/id_map.py)
    "err.connectors.id_map.required": {
        "zh-CN": "{kind} 数据源不含居民身份证号（person_id），只有其自己的患者编号；"
        "请给出 --id-map 文件（表头为 source_id,person_id 的 CSV），"
        "或 --id-map {pseudonymous}（确定性的演示编号，地区码 990000）",
        "en": "{kind} sources carry no resident identity number (person_id), only their "
        "own patient ids; pass --id-map FILE (a CSV with header source_id,person_id) "
        "or --id-map {pseudonymous} (deterministic demo ids, region 990000)",
    },
    "err.connectors.id_map.not_in_map": {
        "zh-CN": "患者不在编号映射表中",
        "en": "patient not in the id map",
    },
    "err.connectors.id_map.collision": {
        "zh-CN": "该患者的假名编号与另一患者的相同；未加载（请用明确的 --id-map 文件）",
        "en": "the pseudonymous id of this patient collides with another patient's; "
        "not loaded (use an explicit --id-map FILE)",
    },
    "err.connectors.id_map.pseudonymous": {
        "zh-CN": "person_id 是由源患者编号推导出的假名演示编号（地区码 990000），"
        "不对应任何真实居民",
        "en": "person_id values are pseudonymous demo ids (region 990000), derived from the "
        "source patient ids; they match no real resident",
    },
    "err.connectors.id_map.no_birth": {
        "zh-CN": "{n} 名患者没有可用的出生日期；其假名编号使用 {date}",
        "en": "{n} patient(s) have no usable birth date; their pseudonymous ids use {date}",
    },
    "err.connectors.id_map.no_sex": {
        "zh-CN": "{n} 名患者没有男/女性别；其假名顺序码的奇偶没有意义",
        "en": "{n} patient(s) have no male/female sex; the parity of their "
        "pseudonymous sequence number means nothing",
    },
    "err.connectors.id_map.collided": {
        "zh-CN": "{n} 名患者的假名编号与其他患者的相同；其记录已拒收",
        "en": "{n} patient(s) collided with another patient's pseudonymous "
        "id; their records were rejected",
    },
    "err.connectors.codes.unmapped": {
        "zh-CN": "{n} 个 {system} 编码在 connectors/clinical_codes.py 中没有 ICD-10 映射；"
        "{consequence}：{listed}{tail}",
        "en": "{n} {system} code(s) have no ICD-10 mapping in "
        "connectors/clinical_codes.py; {consequence}: {listed}{tail}",
    },
    "err.connectors.codes.icd10_null": {
        "zh-CN": "除非该次就诊的其他编码有映射，否则其 icd10 为空",
        "en": "they leave icd10 NULL unless another code of the visit maps",
    },
    "err.connectors.codes.more": {"zh-CN": " 等，另有 {n} 个", "en": " and {n} more"},
    # HL7 v2 case notifications
    "err.connectors.hl7.empty_bytes": {"zh-CN": "空文件（0 字节）", "en": "empty file (0 bytes)"},
    "err.connectors.hl7.empty_blank": {"zh-CN": "空文件（只有空白）", "en": "empty file (blank)"},
    "err.connectors.hl7.json": {
        "zh-CN": "这是 JSON 文档，不是 HL7 v2（消息外面的信封？）；请把 HL7 消息取出存为单独的文件",
        "en": "a JSON document, not HL7 v2 (an envelope around a message?); "
        "extract the HL7 message to its own file",
    },
    "err.connectors.hl7.no_msh": {
        "zh-CN": "不是 HL7 v2 文件：其中没有消息（没有 MSH 段）",
        "en": "not an HL7 v2 file: no message in it (no MSH segment)",
    },
    "err.connectors.hl7.stray": {
        "zh-CN": "{path}：忽略了第一个 MSH 之前的 {n} 个段",
        "en": "{path}: {n} segment(s) before the first MSH ignored",
    },
    "err.connectors.hl7.separators": {
        "zh-CN": "分隔符与编码字符 {encoding}（MSH-1、MSH-2）须为互不相同的字符，如 '|^~\\&'；"
        "无法把消息拆分为字段",
        "en": "the separator and encoding characters {encoding} (MSH-1, MSH-2) must be "
        "distinct characters, as in '|^~\\&'; the message cannot be split into fields",
    },
    "err.connectors.hl7.unparsable": {
        "zh-CN": "不是可解析的 HL7 v2 消息（{detail}）",
        "en": "not a parsable HL7 v2 message ({detail})",
    },
    "err.connectors.hl7.not_oru_a": {
        "zh-CN": "{kind} 消息，不是 ORU^R01 病例报告",
        "en": "a {kind} message, not an ORU^R01 case notification",
    },
    "err.connectors.hl7.not_oru_an": {
        "zh-CN": "{kind} 消息，不是 ORU^R01 病例报告",
        "en": "an {kind} message, not an ORU^R01 case notification",
    },
    "err.connectors.hl7.no_pid": {"zh-CN": "没有 PID 段", "en": "no PID segment"},
    "err.connectors.hl7.no_patient": {"zh-CN": "没有患者编号", "en": "no patient id"},
    "err.connectors.hl7.no_obr": {"zh-CN": "没有 OBR 段", "en": "no OBR segment"},
    "err.connectors.hl7.no_record_id": {"zh-CN": "没有本地记录编号", "en": "no local record id"},
    "err.connectors.hl7.no_condition": {
        "zh-CN": "没有疾病编码：不是 NNDSS 病例报告",
        "en": "no condition code: not an NNDSS case notification",
    },
    "err.connectors.hl7.no_status": {
        "zh-CN": "没有病例分类状态（OBX {codes}）",
        "en": "no case class status (OBX {codes})",
    },
    "err.connectors.hl7.status": {
        "zh-CN": "病例分类状态不是 confirmed、probable、suspected 或 not a case",
        "en": "case class status is not confirmed, probable, suspected or not a case",
    },
    "err.connectors.hl7.no_icd10": {
        "zh-CN": "该疾病没有唯一对应的 ICD-10 编码（原因见 connectors/nndss_icd10.csv）",
        "en": "condition has no single ICD-10 equivalent (connectors/nndss_icd10.csv says why)",
    },
    "err.connectors.hl7.not_nndss": {
        "zh-CN": "疾病编码不在 CDC 的 NNDSS 事件编码表中",
        "en": "condition code is not on CDC's NNDSS event code list",
    },
    "err.connectors.hl7.reports_rejected": {
        "zh-CN": "这些报告已拒收",
        "en": "their reports were rejected",
    },
    "err.connectors.hl7.renamed": {
        "zh-CN": "OBR-31 中的名称与编码表不一致的 NNDSS 疾病编码：{listed}；请检查映射",
        "en": "NNDSS condition codes whose name in OBR-31 differs from the code table: "
        "{listed}; check the mapping",
    },
    "err.connectors.hl7.superseded": {
        "zh-CN": "已被同一病例的后续消息取代（{file}，第 {row} 条消息）",
        "en": "superseded by a later message for the same case ({file}, message {row})",
    },
    "err.connectors.hl7.out_of_order": {
        "zh-CN": "{file} 第 {row} 条消息：按文件顺序在 {earlier_file} 第 {earlier_row} 条消息"
        "之后应用，但其 OBR-22 时间更早",
        "en": "{file} message {row}: applied after {earlier_file} message "
        "{earlier_row} (file order) although its OBR-22 is earlier",
    },
    "err.connectors.hl7.withdrawn": {
        "zh-CN": "病例已撤销（Not a Case）：没有可加载的报告",
        "en": "case withdrawn (Not a Case): no report to load",
    },
    "err.connectors.hl7.withdrawn_removed": {
        "zh-CN": "{file} 第 {row} 条消息：病例已撤销（Not a Case）；"
        "已删除 {earlier_file} 第 {earlier_row} 条消息的报告",
        "en": "{file} message {row}: case withdrawn (Not a Case); the report "
        "from {earlier_file} message {earlier_row} was removed",
    },
    "err.connectors.hl7.withdrawn_unseen": {
        "zh-CN": "{file} 第 {row} 条消息：撤销（Not a Case）的病例在本次加载中此前未出现"
        "（{case}）；未删除任何内容",
        "en": "{file} message {row}: a withdrawal (Not a Case) of a case not "
        "seen earlier in this load ({case}); nothing was removed",
    },
    "err.connectors.hl7.correction_unseen": {
        "zh-CN": "{file} 第 {row} 条消息：更正（OBR-25 C）的病例在本次加载中此前未出现"
        "（{case}）；已作为新报告加载",
        "en": "{file} message {row}: a correction (OBR-25 C) of a case not seen "
        "earlier in this load ({case}); loaded as a new report",
    },
    "err.connectors.hl7.local_id": {
        "zh-CN": "本地记录编号 {id}",
        "en": "local record id {id}",
    },
    "err.connectors.hl7.state_id": {
        "zh-CN": "州病例编号 {state_id}，本地记录编号 {id}",
        "en": "state case id {state_id}, local record id {id}",
    },
    "err.connectors.hl7.state_id_in": {
        "zh-CN": "州病例编号 {state_id}（辖区 {jurisdiction}），本地记录编号 {id}",
        "en": "state case id {state_id} in jurisdiction {jurisdiction}, local record id {id}",
    },
    # consent files
    "err.connectors.consent.product": {
        "zh-CN": "未知的数据产品（已知：{known}）",
        "en": "unknown product (known: {known})",
    },
    "err.connectors.consent.consumer": {
        "zh-CN": "不是参与方名称",
        "en": "not a participant name",
    },
    "err.connectors.consent.purpose": {"zh-CN": "不是用途名称", "en": "not a purpose name"},
    "err.connectors.consent.expires": {
        "zh-CN": "不是 YYYY-MM-DD 格式的日期",
        "en": "not a date in YYYY-MM-DD form",
    },
    "err.connectors.consent.evidence": {
        "zh-CN": "为空或长于 200 个字符",
        "en": "empty or longer than 200 characters",
    },
}
