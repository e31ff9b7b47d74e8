"""Rejection reasons and warnings of the FHIR, Synthea and OCDS connectors
(``err.connectors.fhir.*``, ``err.connectors.synthea.*``,
``err.connectors.ocds.*``).

As for the other connectors (``connectors.py`` beside this module), the
load's report keeps them in English, for scripts; the terminal says them in
the reader's language (``trusted_space.core.i18n.recognised``)."""

FORMATS: dict[str, dict[str, str]] = {
    # FHIR: lines and documents that are not resources
    "err.connectors.fhir.not_utf8": {"zh-CN": "不是 UTF-8 文本", "en": "not UTF-8 text"},
    "err.connectors.fhir.too_deep": {"zh-CN": "JSON 嵌套过深", "en": "JSON nested too deeply"},
    "err.connectors.fhir.line_ends": {
        "zh-CN": "不是有效的 JSON（一行在值的中间结束）：多行排版的 JSON 文档或 Bundle "
        "须以 .json 为后缀",
        "en": "not valid JSON (a line ends inside a value): a pretty-printed JSON document "
        "or Bundle needs the .json suffix",
    },
    "err.connectors.fhir.bad_json": {
        "zh-CN": "不是有效的 JSON（{detail}）",
        "en": "not valid JSON ({detail})",
    },
    "err.connectors.fhir.not_document": {
        "zh-CN": "不是 JSON 文档（{detail}）",
        "en": "not a JSON document ({detail})",
    },
    "err.connectors.fhir.array": {
        "zh-CN": "这是 JSON 数组，不是 FHIR 资源或 Bundle",
        "en": "a JSON array, not a FHIR resource or Bundle",
    },
    "err.connectors.fhir.empty_array": {
        "zh-CN": "空的 JSON 数组：其中没有 FHIR 资源",
        "en": "an empty JSON array: no FHIR resource in it",
    },
    "err.connectors.fhir.no_type": {
        "zh-CN": "不是 FHIR 资源（没有 resourceType）",
        "en": "not a FHIR resource (no resourceType)",
    },
    "err.connectors.fhir.entry": {
        "zh-CN": "Bundle 第 {index} 个条目：没有资源",
        "en": "Bundle entry {index}: no resource",
    },
    # FHIR: encounters that are not visits
    "err.connectors.fhir.part_of": {
        "zh-CN": "属于住院 {admission}，而该住院已拒收",
        "en": "part of admission {admission}, which was rejected",
    },
    "err.connectors.fhir.status": {
        "zh-CN": "状态为 {status}：不是一次就诊",
        "en": "status {status}: not a visit",
    },
    "err.connectors.fhir.no_patient": {
        "zh-CN": "没有 Patient 引用",
        "en": "no Patient reference",
    },
    "err.connectors.fhir.class": {
        "zh-CN": "Encounter.class {code} 没有声明的就诊类型；"
        "请在 FHIR 设置（--mapping）的 encounter_class 下声明",
        "en": "Encounter.class {code} has no declared visit type; "
        "declare it under encounter_class in the FHIR settings (--mapping)",
    },
    "err.connectors.fhir.class_in": {
        "zh-CN": "Encounter.class {code}（编码系统 {system}）没有声明的就诊类型；"
        "请在 FHIR 设置（--mapping）的 encounter_class 下声明",
        "en": "Encounter.class {code} (system {system}) has no declared visit type; "
        "declare it under encounter_class in the FHIR settings (--mapping)",
    },
    # FHIR: the load's warnings
    "err.connectors.fhir.whole": {
        "zh-CN": "{path}：是一个 JSON 文档，不是 NDJSON（每行一个资源）；已整体读取",
        "en": "{path}: one JSON document, not NDJSON (one resource per line); read whole",
    },
    "err.connectors.fhir.bundle": {
        "zh-CN": "{file}：一个 {kind} 类型的 Bundle，含 {n} 个条目；其资源已读取",
        "en": "{file}: a {kind} Bundle of {n} entries; its resources were read",
    },
    "err.connectors.fhir.no_cost": {
        "zh-CN": "total_cost 为空：FHIR Encounter 资源不含费用",
        "en": "total_cost is NULL: FHIR Encounter resources carry no cost",
    },
    "err.connectors.fhir.no_encounter": {
        "zh-CN": "本次加载没有 Encounter：没有记录成为就诊（Patient 和 Condition "
        "只为同时加载的 Encounter 提供信息）",
        "en": "no Encounter in this load: nothing becomes a visit (Patients and Conditions "
        "only inform the Encounters loaded with them)",
    },
    "err.connectors.fhir.unknown_classes": {
        "zh-CN": "没有声明就诊类型的 Encounter.class 编码，其就诊已拒收：{listed}",
        "en": "Encounter.class codes without a declared visit type, their encounters "
        "rejected: {listed}",
    },
    "err.connectors.fhir.folded": {
        "zh-CN": "{n} 个属于某次住院（partOf）的 Encounter 已并入该住院",
        "en": "{n} encounter(s) partOf an admission were folded into it",
    },
    "err.connectors.fhir.shifted": {
        "zh-CN": "日期按声明平移了 {days} 天",
        "en": "dates shifted by {days} days, as declared",
    },
    "err.connectors.fhir.orphans": {
        "zh-CN": "{n} 个带诊断（Condition.encounter）的 Encounter 不在本次加载中："
        "其诊断未使用；请把 Condition 与其 Encounter 一起加载",
        "en": "{n} encounter(s) with diagnoses (Condition.encounter) are not in this "
        "load: their diagnoses were not used; load Conditions with their Encounters",
    },
    "err.connectors.fhir.no_hospital": {
        "zh-CN": "{n} 个 Encounter 没有可用的 serviceProvider：hospital_id 记为 '{hospital}'",
        "en": "{n} encounter(s) without a usable serviceProvider: hospital_id '{hospital}'",
    },
    "err.connectors.fhir.ignored": {
        "zh-CN": "未用于 hospital_visits 的资源：{listed}",
        "en": "resources not used for hospital_visits: {listed}",
    },
    "err.connectors.fhir.icd9": {
        "zh-CN": "{n} 个 ICD-9 诊断编码未读取：ICD-9 只通过列出该编码的已声明对照表"
        "（icd9_crosswalk）使用",
        "en": "{n} ICD-9 diagnosis code(s) not read: ICD-9 is used only through a declared "
        "crosswalk (icd9_crosswalk) that lists the code",
    },
    # What Python's JSON reader says of a document that is not JSON (its
    # English as written there, found again from a reason's detail)
    "err.connectors.json.value": {"zh-CN": "此处应有一个值", "en": "Expecting value"},
    "err.connectors.json.name": {
        "zh-CN": "此处应有用双引号括起的属性名",
        "en": "Expecting property name enclosed in double quotes",
    },
    "err.connectors.json.colon": {
        "zh-CN": "此处应有分隔符 ':'",
        "en": "Expecting ':' delimiter",
    },
    "err.connectors.json.comma": {
        "zh-CN": "此处应有分隔符 ','",
        "en": "Expecting ',' delimiter",
    },
    "err.connectors.json.unterminated": {
        "zh-CN": "字符串没有结束",
        "en": "Unterminated string starting at",
    },
    "err.connectors.json.control": {
        "zh-CN": "无效的控制字符",
        "en": "Invalid control character at",
    },
    "err.connectors.json.escape": {"zh-CN": "无效的转义", "en": "Invalid \\escape"},
    "err.connectors.json.unicode_escape": {
        "zh-CN": "无效的 \\uXXXX 转义",
        "en": "Invalid \\uXXXX escape",
    },
    "err.connectors.json.extra": {"zh-CN": "文档之后还有多余的数据", "en": "Extra data"},
    # Synthea
    "err.connectors.synthea.cost": {
        "zh-CN": "total_cost 即原样的 TOTAL_CLAIM_COST，以数据源的货币计；未作换算",
        "en": "total_cost is TOTAL_CLAIM_COST as written, in the source's currency; "
        "it was not converted",
    },
    "err.connectors.synthea.not_used": {
        "zh-CN": "{path}：未使用（只读取 {files}）",
        "en": "{path}: not used (only {files})",
    },
    "err.connectors.synthea.malformed": {
        "zh-CN": "{path} {where}：{reason}；已忽略",
        "en": "{path} {where}: {reason}; ignored",
    },
    "err.connectors.synthea.no_patients": {
        "zh-CN": "没有 {name}：患者的出生日期和性别未知",
        "en": "no {name}: birth dates and sex of the patients are unknown",
    },
    "err.connectors.synthea.repeated": {
        "zh-CN": "{path}：{n} 个重复的患者 Id；使用了第一行",
        "en": "{path}: {n} repeated patient Id(s); the first row was used",
    },
    "err.connectors.synthea.no_conditions": {
        "zh-CN": "没有 {name}：icd10 只取自 REASONCODE",
        "en": "no {name}: icd10 comes from REASONCODE only",
    },
    "err.connectors.synthea.classes": {
        "zh-CN": "{file}：未知的 ENCOUNTERCLASS 按门诊（outpatient）处理：{listed}",
        "en": "{file}: unknown ENCOUNTERCLASS taken as outpatient: {listed}",
    },
    "err.connectors.synthea.after_death": {
        "zh-CN": "{file}：{n} 次就诊开始于患者的 DEATHDATE 之后；按原样加载",
        "en": "{file}: {n} encounter(s) start after the patient's DEATHDATE; loaded as given",
    },
    # OCDS: rejections
    "err.connectors.ocds.not_organisation": {
        "zh-CN": "不是机构对象",
        "en": "not an organisation object",
    },
    "err.connectors.ocds.unknown_party": {
        "zh-CN": "引用了 parties[] 中没有的参与方编号，且没有标识符",
        "en": "refers to a party id not in parties[] and has no identifier",
    },
    "err.connectors.ocds.no_reference": {
        "zh-CN": "没有标识符，也没有参与方引用；不会凭空生成参与方键",
        "en": "no identifier and no party reference; no party key is invented",
    },
    "err.connectors.ocds.not_award": {"zh-CN": "不是中标对象", "en": "not an award object"},
    "err.connectors.ocds.award_id": {"zh-CN": "中标没有编号", "en": "award has no id"},
    "err.connectors.ocds.tenderer_keyless": {
        "zh-CN": "投标方没有参与方键：{reason}",
        "en": "tenderer without a party key: {reason}",
    },
    "err.connectors.ocds.supplier_keyless": {
        "zh-CN": "供应商没有参与方键：{reason}",
        "en": "supplier without a party key: {reason}",
    },
    "err.connectors.ocds.tenderer_keyless_see": {
        "zh-CN": "投标方没有参与方键：{reason}（见 {field}）",
        "en": "tenderer without a party key: {reason} (see {field})",
    },
    "err.connectors.ocds.supplier_keyless_see": {
        "zh-CN": "供应商没有参与方键：{reason}（见 {field}）",
        "en": "supplier without a party key: {reason} (see {field})",
    },
    "err.connectors.ocds.empty_code": {"zh-CN": "代码为空", "en": "empty code"},
    "err.connectors.ocds.uscc": {
        "zh-CN": "不是有效的统一社会信用代码：{reason}",
        "en": "not a valid unified social credit code: {reason}",
    },
    "err.connectors.ocds.no_scheme": {
        "zh-CN": "没有编码方案（scheme），其编号既不是统一社会信用代码，也不是墨西哥 RFC；"
        "不会凭空生成参与方键（发布方的编号不写 scheme 的交易中心请声明其 default_scheme）",
        "en": "no scheme, and the id is neither a unified social credit code nor a "
        "Mexican RFC; no party key is invented (a centre whose publisher writes "
        "ids without a scheme declares its default_scheme)",
    },
    "err.connectors.ocds.no_identifier": {
        "zh-CN": "没有标识符（id）或 additionalIdentifiers；不会凭空生成参与方键",
        "en": "no identifier (id) or additionalIdentifiers; no party key is invented",
    },
    # OCDS: where a counted note was seen (the first few places)
    "err.connectors.ocds.at": {"zh-CN": "{file} 第 {row} 项", "en": "{file} row {row}"},
    "err.connectors.ocds.e_g1": {"zh-CN": "（如 {first}）", "en": " (e.g. {first})"},
    "err.connectors.ocds.e_g2": {
        "zh-CN": "（如 {first}；{second}）",
        "en": " (e.g. {first}; {second})",
    },
    "err.connectors.ocds.e_g3": {
        "zh-CN": "（如 {first}；{second}；{third}）",
        "en": " (e.g. {first}; {second}; {third})",
    },
    # OCDS: counted notes, each "{what}: {n}{examples}"
    "err.connectors.ocds.note.undated": {
        "zh-CN": "没有可读日期的发布，已排在同一 ocid 的有日期发布之前合并：{n}{examples}",
        "en": "releases without a readable date, merged before the dated releases of "
        "their ocid: {n}{examples}",
    },
    "err.connectors.ocds.note.repeated_release": {
        "zh-CN": "重复了已读过的（ocid, 发布编号）的发布（同一发布在多个文件中？）；"
        "已再次按日期顺序合并：{n}{examples}",
        "en": "releases repeating an (ocid, release id) already read (the same "
        "release in several files?); merged again in date order: {n}{examples}",
    },
    "err.connectors.ocds.note.linked_only": {
        "zh-CN": "只有链接发布（url、date、tag）而没有 compiledRelease 的记录："
        "没有数据，没有行：{n}{examples}",
        "en": "records with only linked releases (url, date, tag) and no "
        "compiledRelease: no data, no rows: {n}{examples}",
    },
    "err.connectors.ocds.note.linked_skipped": {
        "zh-CN": "混有链接发布和内嵌发布的记录：链接发布已跳过：{n}{examples}",
        "en": "records mixing linked and embedded releases: the linked ones were "
        "skipped: {n}{examples}",
    },
    "err.connectors.ocds.note.empty_package": {
        "zh-CN": "没有发布也没有记录的数据包：{n}{examples}",
        "en": "packages without releases or records: {n}{examples}",
    },
    "err.connectors.ocds.note.no_bids": {
        "zh-CN": "既没有投标方也没有中标的汇编发布（如只有合同）：没有投标行：{n}{examples}",
        "en": "compiled releases with neither tenderers nor awards (e.g. contract-only): "
        "no bid rows: {n}{examples}",
    },
    "err.connectors.ocds.note.no_suppliers": {
        "zh-CN": "没有供应商的中标：没有供应商行：{n}{examples}",
        "en": "awards without suppliers: no supplier rows: {n}{examples}",
    },
    "err.connectors.ocds.note.no_buyer": {
        "zh-CN": "没有采购方的汇编发布：buyer_key 留空：{n}{examples}",
        "en": "compiled releases without a buyer: buyer_key left NULL: {n}{examples}",
    },
    "err.connectors.ocds.note.buyer_unidentified": {
        "zh-CN": "采购方没有参与方键的汇编发布：buyer_key 留空：{n}{examples}",
        "en": "compiled releases whose buyer has no party key: buyer_key left NULL: {n}{examples}",
    },
    "err.connectors.ocds.note.duplicate_party_id": {
        "zh-CN": "parties[] 中有重复参与方编号的汇编发布：引用指向第一个：{n}{examples}",
        "en": "compiled releases with a party id repeated in parties[]: "
        "references go to the first: {n}{examples}",
    },
    "err.connectors.ocds.note.tenderer_role": {
        "zh-CN": "角色为 'tenderer' 但 tender.tenderers 没有列出的参与方：未为其生成投标方行："
        "{n}{examples}",
        "en": "parties with the role 'tenderer' that tender.tenderers does not list: "
        "no tenderer row was made for them: {n}{examples}",
    },
    "err.connectors.ocds.note.default_scheme": {
        "zh-CN": "没有编码方案的标识符，按交易中心声明的 default_scheme 生成键：{n}{examples}",
        "en": "identifiers without a scheme keyed under the centre's declared "
        "default_scheme: {n}{examples}",
    },
    "err.connectors.ocds.note.undated_bid": {
        "zh-CN": "没有可用日期的投标（没有招标期、招标 datePublished，供应商也没有中标日期；"
        "从不使用发布的公布日期）：已加载，但不计入任何时间窗口（bids_12m）：{n}{examples}",
        "en": "bids without a usable date (no tender period, tender datePublished or, "
        "for a supplier, award date; a release's publication date is never used): loaded, "
        "left out of every time window (bids_12m): {n}{examples}",
    },
    "err.connectors.ocds.note.award_release_dated": {
        "zh-CN": "没有日期也没有已签合同的中标，以其发布的日期为准：{n}{examples}",
        "en": "awards without a date or a signed contract, dated by their "
        "release's date: {n}{examples}",
    },
    "err.connectors.ocds.note.period_reversed": {
        "zh-CN": "结束早于开始的招标期（按公布的原样；投标日期取开始日期）：{n}{examples}",
        "en": "tender periods that end before they start (as published; "
        "the start is the bid date): {n}{examples}",
    },
    "err.connectors.ocds.note.period_after_award": {
        "zh-CN": "晚于其中标日期的招标日期（按公布的原样）：{n}{examples}",
        "en": "tender dates after their award's date (as published): {n}{examples}",
    },
    "err.connectors.ocds.note.rfc_inferred": {
        "zh-CN": "没有编码方案、按形式读作墨西哥 RFC（MX-RFC）的标识符：{n}{examples}",
        "en": "identifiers without a scheme read as Mexican RFCs (MX-RFC) from their form: "
        "{n}{examples}",
    },
    "err.connectors.ocds.note.rfc_bad_date": {
        "zh-CN": "没有编码方案、读作 RFC 但其日期部分不是日期的编号（把数字 0 写成了字母 O？）："
        "{n}{examples}",
        "en": "ids without a scheme read as RFCs although their date part is not a date "
        "(a letter O for a zero?): {n}{examples}",
    },
    "err.connectors.ocds.note.float_id": {
        "zh-CN": "写成浮点数形式（'11111111.0'）的标识符编号，已按整数读取：{n}{examples}",
        "en": "identifier ids written like floats ('11111111.0') read as integers: {n}{examples}",
    },
    "err.connectors.ocds.note.rounded": {
        "zh-CN": "超过两位小数的中标金额已按四舍六入五成双舍入到分：{n}{examples}",
        "en": "award amounts with more than 2 decimal places rounded half-even to cents: "
        "{n}{examples}",
    },
    "err.connectors.ocds.not_array": {
        "zh-CN": "{name} 不是数组（是对象？）的汇编发布：未读取，不生成行，"
        "其中的 {inside} 个供应商条目未计入：{n}{examples}",
        "en": "compiled releases whose {name} is not an array (an object?): not read, "
        "no rows from it, {inside} supplier entries inside left out: {n}{examples}",
    },
    "err.connectors.ocds.not_array_one": {
        "zh-CN": "{name} 不是数组（是对象？）的汇编发布：未读取，不生成行，"
        "其中的 1 个供应商条目未计入：{n}{examples}",
        "en": "compiled releases whose {name} is not an array (an object?): not read, "
        "no rows from it, 1 supplier entry inside left out: {n}{examples}",
    },
    "err.connectors.ocds.statuses": {
        "zh-CN": "不属于 pending|active|cancelled|unsuccessful 的中标状态，"
        "award_status 留空：{listed}",
        "en": "award statuses other than pending|active|cancelled|unsuccessful, "
        "award_status left NULL: {listed}",
    },
    "err.connectors.ocds.empty_status": {"zh-CN": "（空）", "en": "(empty)"},
    # OCDS: listings
    "err.connectors.ocds.spellings": {
        "zh-CN": "以多个名称出现的参与方键；保留了最常见的写法：{n}：{listed}{more}",
        "en": "party keys seen under more than one name; the most frequent spelling was "
        "kept: {n}: {listed}{more}",
    },
    "err.connectors.ocds.spelling_count": {
        "zh-CN": "{party}（{n} 种写法）",
        "en": "{party} ({n} spellings)",
    },
    "err.connectors.ocds.shared_names": {
        "zh-CN": "可能的冲突：同一规范化名称被多个参与方键使用（未合并；请核对标识符）："
        "{n}：{listed}{more}",
        "en": "possible conflicts: one normalised name used by several party keys "
        "(kept apart; check the identifiers): {n}: {listed}{more}",
    },
    "err.connectors.ocds.key_count": {
        "zh-CN": "{keys}（{n} 个键）",
        "en": "{keys} ({n} keys)",
    },
    # OCDS: files and currencies
    "err.connectors.ocds.twice": {
        "zh-CN": "{file}：给出了两次；只读取一次",
        "en": "{file}: given twice; read once",
    },
    "err.connectors.ocds.detected": {
        "zh-CN": "{path}：不是 UTF-8；已按 {encoding} 读取（由 charset-normalizer 检测）",
        "en": "{path}: not UTF-8; read as {encoding} (detected by charset-normalizer)",
    },
    "err.connectors.ocds.no_rate": {
        "zh-CN": "以 {currency} 计的金额在 currency_rates 中没有到 {base} 的汇率"
        "（{n} 个投标行）；金额特征将不计入它们",
        "en": "amounts in {currency} have no rate to {base} in currency_rates "
        "({n} bid row(s)); amount features will leave them out",
    },
    "err.connectors.ocds.no_currency": {
        "zh-CN": "{n} 个中标金额没有货币；金额特征将不计入它们",
        "en": "{n} award amount(s) have no currency; amount features will leave them out",
    },
}
