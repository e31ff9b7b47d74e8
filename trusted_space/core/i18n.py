"""Console text in Chinese (zh-CN, the default) and English.

The language comes from ``--lang``, else ``TSPACE_LANG``, else zh-CN: the
people who run a trusted space work in Chinese. File formats, column names and
JSON keys stay English in both languages so that scripts do not depend on it.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import os
import re
import string
from collections.abc import Iterator

from trusted_space.core.error_text import ERRORS
from trusted_space.core.log_text import LOGS

LANGUAGES = ("zh-CN", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "list.empty": {"zh-CN": "（无）", "en": "(none)"},
    "demo.title": {
        "zh-CN": "tspace 演示：商业健康险核保评分",
        "en": "tspace demo: underwriting score",
    },
    "demo.workdir": {"zh-CN": "工作目录：{path}", "en": "Work folder: {path}"},
    "demo.workdir_temp": {
        "zh-CN": "工作目录：临时目录（结束后删除）",
        "en": "Work folder: temporary (removed at the end)",
    },
    "backup.done": {
        "zh-CN": "已备份到 {path}：账本 {n} 条，最后摘要 {hash}",
        "en": "Backed up to {path}: {n} ledger entries, last hash {hash}",
    },
    "restore.done": {
        "zh-CN": "已恢复到 {path}：账本 {n} 条（备份于 {created}）",
        "en": "Restored to {path}: {n} ledger entries (backed up {created})",
    },
    "stage.synth": {"zh-CN": "生成模拟数据", "en": "Generate synthetic data"},
    "stage.reference": {"zh-CN": "明文参照计算（DuckDB）", "en": "Plaintext reference (DuckDB)"},
    "table.item": {"zh-CN": "项目", "en": "Item"},
    "table.value": {"zh-CN": "数值", "en": "Value"},
    "table.stage": {"zh-CN": "阶段", "en": "Stage"},
    "table.seconds": {"zh-CN": "耗时（秒）", "en": "Seconds"},
    "table.band": {"zh-CN": "风险等级", "en": "Band"},
    "table.count": {"zh-CN": "人数", "en": "Applicants"},
    "summary.engine": {"zh-CN": "计算方式", "en": "Engine"},
    "engine.blind_lookup": {
        "zh-CN": "盲查：保险方只得到评分，不知道谁在医院或疾控中心有记录",
        "en": "Blind lookup: the insurer learns scores only, not who the hospital or CDC holds",
    },
    "engine.direct_lookup": {
        "zh-CN": "直接查找：隐私求交，保险方得知各提供方持有哪些投保人",
        "en": "Direct lookup: PSI; the insurer learns which applicants each provider holds",
    },
    "summary.people": {"zh-CN": "模拟人口", "en": "Synthetic population"},
    "summary.applicants": {"zh-CN": "投保申请人", "en": "Applicants"},
    "summary.invalid": {"zh-CN": "身份证号无效", "en": "Invalid resident ids"},
    "summary.matched": {"zh-CN": "{provider} 匹配人数", "en": "Matched at {provider}"},
    "summary.rejected": {"zh-CN": "{provider} 数据质量拒收行", "en": "Rows rejected at {provider}"},
    "summary.peak_memory": {"zh-CN": "峰值内存（主进程）", "en": "Peak memory (main process)"},
    "summary.peak_memory_workers": {
        "zh-CN": "峰值内存（最大的工作进程）",
        "en": "Peak memory (largest worker)",
    },
    "check.ok": {
        "zh-CN": "全部 {n} 个评分与明文参照一致（误差 ≤ {tol}）",
        "en": "All {n} scores match the plaintext reference (within {tol})",
    },
    "check.claims_ok": {
        "zh-CN": "全部 {n} 件理赔申请的核验结果与明文参照一致",
        "en": "All {n} claims' answers match the plaintext reference",
    },
    "check.claims_mismatch": {
        "zh-CN": "{n} 件理赔申请的核验结果与明文参照不一致",
        "en": "{n} claims' answers differ from the plaintext reference",
    },
    "demo.claims_title": {
        "zh-CN": "tspace 演示：快速理赔核验",
        "en": "tspace demo: fast claims verification",
    },
    "table.status": {"zh-CN": "核验结果", "en": "Status"},
    "table.claims": {"zh-CN": "件数", "en": "Claims"},
    "check.mismatch": {
        "zh-CN": "{n} 个评分与明文参照不一致",
        "en": "{n} scores differ from the plaintext reference",
    },
    "stage.load": {"zh-CN": "加载与校验数据", "en": "Load and validate"},
    "stage.psi_setup": {
        "zh-CN": "PSI 预计算（按数据版本缓存）",
        "en": "PSI setup (cached per version)",
    },
    "stage.keys": {"zh-CN": "保险方密钥", "en": "Insurer keys"},
    "stage.submit": {"zh-CN": "提交任务（PSI 请求）", "en": "Submit job (PSI request)"},
    "stage.submit_blind": {"zh-CN": "提交任务（盲化点）", "en": "Submit job (blinded points)"},
    "stage.blind_evaluate": {
        "zh-CN": "提供方盲评估 OPRF 并上传掩码贡献（按日缓存）",
        "en": "Providers evaluate the OPRF blind, upload masked parts (cached per day)",
    },
    "stage.blind_finish": {
        "zh-CN": "保险方去盲并加密掩码消除项",
        "en": "Insurer unblinds and encrypts the mask removals",
    },
    "stage.psi_respond": {"zh-CN": "提供方应答 PSI", "en": "Providers answer PSI"},
    "stage.psi_finish": {"zh-CN": "求交并密封匹配对象", "en": "Intersect and seal matches"},
    "stage.compute_features": {
        "zh-CN": "提供方计算并加密特征",
        "en": "Providers compute and encrypt features",
    },
    "stage.combine": {"zh-CN": "可信空间密文聚合", "en": "Space combines ciphertexts"},
    "stage.result_ready": {"zh-CN": "保险方解密", "en": "Insurer decrypts"},
    "underwrite.done": {
        "zh-CN": "已写出 {path}：{scored} 人评分，{invalid} 人身份证号无效，"
        "{no_consent} 人无有效同意",
        "en": "Wrote {path}: {scored} scored, {invalid} with invalid ids, "
        "{no_consent} without consent",
    },
    "underwrite.blind": {
        "zh-CN": "已写出 {path}：{scored} 人评分，{invalid} 人身份证号无效（盲查：只得到评分，"
        "不知道医院或疾控中心是否持有投保人）",
        "en": "Wrote {path}: {scored} scored, {invalid} with invalid ids (blind lookup: scores "
        "only, not whether the hospital or the CDC holds an applicant)",
    },
    "lend.done": {
        "zh-CN": "已写出 {path}：找到 {found} 家，未找到 {missing} 家，代码无效 {invalid} 家",
        "en": "Wrote {path}: {found} found, {missing} not found, {invalid} with invalid ids",
    },
    "lend.default_scheme_form": {
        "zh-CN": "--default-scheme {value}：应写作 中心=编码方案（如 centre_tw=TW-UBN）",
        "en": "--default-scheme {value}: expected CENTRE=SCHEME (e.g. centre_tw=TW-UBN)",
    },
    "lend.default_scheme_centre": {
        "zh-CN": "--default-scheme 指定的中心不存在：{names}；本次的中心为：{centres}",
        "en": "--default-scheme names no centre of this run: {names}; the centres are: {centres}",
    },
    "underwrite.sources_provider": {
        "zh-CN": "sources 指定的数据方不存在：{names}；核保的数据方为：{providers}",
        "en": "sources names no provider of underwriting: {names}; the providers are: {providers}",
    },
    "claims.done": {
        "zh-CN": "已写出 {path}：核验相符 {verified} 件，不符 {mismatch} 件，"
        "未找到 {not_found} 件，无效 {invalid} 件，无有效同意 {no_consent} 件",
        "en": "Wrote {path}: {verified} verified, {mismatch} mismatched, {not_found} not found, "
        "{invalid} invalid, {no_consent} without consent",
    },
    "claims.hospital_held_twice": {
        "zh-CN": "医院 {hospitals} 同时由两个医院集团持有，它们会对同一件申请各自作答："
        "本批结果已拒绝。一个 hospital_id 只能属于一个医院集团的节点",
        "en": "hospital {hospitals} is held by two hospital groups, which would each answer "
        "the same claim: the batch's result is refused. A hospital_id belongs to one "
        "hospital group's node only",
    },
    "claims.invalid_header": {
        "zh-CN": "{n} 件理赔申请无效（{path} 的 detail 列写明了行号、字段和原因）：",
        "en": "{n} invalid claims (the detail column of {path} says where and why):",
    },
    "synth.claims": {
        "zh-CN": "理赔申请 {n} 件（{path}）：{mix}",
        "en": "{n} claims ({path}): {mix}",
    },
    "cohort.done": {
        "zh-CN": "已写出 {path}：{cells} 个单元格，其中 {suppressed} 个因人数不足被抑制",
        "en": "Wrote {path}: {cells} cells, {suppressed} suppressed under min_count",
    },
    "cohort.privacy": {
        "zh-CN": "差分隐私：本次 ε={epsilon}，本期已用 {spent}，剩余 {remaining}",
        "en": "Differential privacy: this query ε={epsilon}; "
        "spent this period {spent}, remaining {remaining}",
    },
    "cohort.noise": {
        "zh-CN": "差分隐私噪声标准差（每个单元格，与 result.csv 同单位）：{values}",
        "en": "Differential privacy noise, standard deviation per cell "
        "(units as in result.csv): {values}",
    },
    "cohort.noise_sep": {"zh-CN": "，", "en": ", "},
    "cohort.noise_warning": {
        "zh-CN": "警告：{total} 个单元格中有 {n} 个的 {name} 小于其噪声标准差 {sd}，"
        "这些数值可能与真实值相差一倍以上；请合并分组、扩大人群或提高 ε",
        "en": "Warning: in {n} of {total} cells {name} is smaller than its noise's "
        "standard deviation {sd}; those values may be off by more than their own size: "
        "merge groups, widen the cohort or raise epsilon",
    },
    "overlap.done": {
        "zh-CN": "交集人数（本地模式，两个文件都在本机一个进程中）：{n}",
        "en": "Overlap (local mode: both files in this one process): {n}",
    },
    "overlap.count": {
        "zh-CN": "医院与疾控共有人数：{n}",
        "en": "People both the hospital and the CDC hold: {n}",
    },
    "overlap.suppressed": {
        "zh-CN": "共有人数低于策略的最小计数，已抑制（不公布）",
        "en": "The number of people both hold is under the policy's minimum count: suppressed",
    },
    "overlap.noise": {
        "zh-CN": "已加差分隐私噪声（ε = {epsilon}），噪声标准差约 {sd} 人",
        "en": "Differentially private (epsilon {epsilon}): the noise's standard deviation "
        "is about {sd} people",
    },
    "overlap.both_or_neither": {
        "zh-CN": "--hospital 与 --cdc 要么都给出，要么都不给",
        "en": "give both --hospital and --cdc, or neither",
    },
    "overlap.invalid": {
        "zh-CN": "{path}：{n} 行标识无效（行号 {rows}）",
        "en": "{path}: {n} rows with invalid identifiers (rows {rows})",
    },
    "load.done": {
        "zh-CN": "读取 {read} 行，加载 {loaded} 行，拒收 {rejected} 行；报告：{report}",
        "en": "Read {read} rows, loaded {loaded}, rejected {rejected}; report: {report}",
    },
    "load.not_kept": {
        "zh-CN": "未保留（临时工作目录已删除；用 --workdir 目录 可保留）",
        "en": "not kept (a temporary work folder, removed; --workdir DIR keeps it)",
    },
    "load.summary": {
        "zh-CN": "{provider}：读取 {read} 行，加载 {loaded} 行，拒收 {rejected} 行；"
        "首个拒收：{first}；报告：{report}",
        "en": "{provider}: read {read} rows, loaded {loaded}, rejected {rejected}; "
        "first rejection: {first}; report: {report}",
    },
    "load.unusable": {
        "zh-CN": "该提供方没有可用数据，任务无法进行。{summary}",
        "en": "A provider has no usable data, so the job cannot run. {summary}",
    },
    "load.nothing": {
        "zh-CN": "未加载任何行（退出码 {code}）：请查看上面的拒收原因和报告",
        "en": "Nothing was loaded (exit code {code}): see the rejections above and the report",
    },
    "load.skipped_files": {
        "zh-CN": "所给文件夹中有 {n} 个文件不是 {kind} 文件，未读取（如 {e}）",
        "en": "files in the folders given that are not {kind} files, not read: {n} (e.g. {e})",
    },
    "load.rows_rejected": {
        "zh-CN": "拒收 {n} 行，按原因（{reasons} 种，多者在前）：",
        "en": "{n} row(s) rejected, by reason ({reasons}, commonest first):",
    },
    "load.first_at": {
        "zh-CN": "首见于 {where}",
        "en": "first at {where}",
    },
    "load.more_reasons": {
        "zh-CN": "  … 另有 {n} 种原因，见报告",
        "en": "  … {n} more reason(s) in the report",
    },
    "load.files_rejected": {
        "zh-CN": "{n} 个文件无法读取，已跳过：",
        "en": "{n} file(s) could not be read and were skipped:",
    },
    "synth.done": {"zh-CN": "已写出模拟数据到 {path}", "en": "Wrote synthetic data to {path}"},
    "error": {"zh-CN": "错误：{message}", "en": "Error: {message}"},
    "error.at": {"zh-CN": "{where}：{message}", "en": "{where}: {message}"},
    "id.wrong_length": {
        "zh-CN": "长度为 {n}（应为 18 位）",
        "en": "wrong length {n} (expected 18)",
    },
    "id.first17_digits": {
        "zh-CN": "前 17 位须为数字",
        "en": "the first 17 characters must be digits",
    },
    "id.last_char": {
        "zh-CN": "最后一位须为数字或 X",
        "en": "the last character must be a digit or X",
    },
    "id.birth_date": {"zh-CN": "出生日期 {date} 不存在", "en": "impossible birth date {date}"},
    "id.check_char": {
        "zh-CN": "校验位 {got} 与计算所得的 {expected} 不符",
        "en": "check character {got} does not match the computed {expected}",
    },
    "id.empty_resident": {"zh-CN": "身份证号为空", "en": "empty resident id"},
    "id.missing": {"zh-CN": "缺少值", "en": "missing value"},
    "id.invalid": {"zh-CN": "无效", "en": "invalid"},
    "uscc.chars": {
        "zh-CN": "不允许的字符 {chars}（不用 I、O、S、V、Z）",
        "en": "characters {chars} are not allowed (no I, O, S, V or Z)",
    },
    "uscc.first8": {"zh-CN": "前 8 位须为数字", "en": "the first 8 characters must be digits"},
    "uscc.empty": {"zh-CN": "代码为空", "en": "empty code"},
    "scheme.empty": {"zh-CN": "标识方案为空", "en": "empty identifier scheme"},
    "scheme.long": {"zh-CN": "标识方案长于 {n} 个字符", "en": "identifier scheme longer than {n}"},
    "scheme.bad": {
        "zh-CN": "标识方案 {scheme} 含冒号或控制字符",
        "en": "identifier scheme {scheme} holds a colon or a control character",
    },
    "ident.empty_long": {"zh-CN": "标识为空或过长", "en": "empty or overlong identifier"},
    "ident.control": {"zh-CN": "标识含控制字符", "en": "identifier holds a control character"},
    "id.invalid_person": {"zh-CN": "person_id 无效：{reason}", "en": "invalid person_id: {reason}"},
    "csv.not_text": {
        "zh-CN": "第 {line} 行既不是 UTF-8 也不是 GB18030 文本（是二进制文件吗？）",
        "en": "line {line} is neither UTF-8 nor GB18030 text (a binary file?)",
    },
    "csv.mixed": {
        "zh-CN": "文本编码混用：第 {utf8} 行是 UTF-8，第 {other} 行不是（GB18030？）；"
        "请用同一种编码保存文件",
        "en": "mixed text encodings: line {utf8} is UTF-8 and line {other} is not "
        "(GB18030?); save the file in one encoding",
    },
    "csv.empty": {"zh-CN": "空文件", "en": "empty file"},
    "csv.encoding": {"zh-CN": "未知编码 {encoding}", "en": "unknown encoding {encoding}"},
    "csv.header": {"zh-CN": "无法读取表头：{reason}", "en": "unreadable header: {reason}"},
    "csv.no_header": {"zh-CN": "第一行不是表头", "en": "the first line is not a header"},
    "csv.repeated": {
        "zh-CN": "表头中列名重复：{columns}",
        "en": "repeated column names in the header: {columns}",
    },
    "csv.nul": {"zh-CN": "表头中有 NUL 字节", "en": "NUL byte in the header"},
    "csv.unreadable": {"zh-CN": "无法读取 CSV：{reason}", "en": "unreadable CSV: {reason}"},
    "csv.malformed": {"zh-CN": "记录格式错误：{reason}", "en": "malformed record: {reason}"},
    "csv.fields": {
        "zh-CN": "应有 {expected} 个字段，实有 {found} 个",
        "en": "expected {expected} fields, found {found}",
    },
    "batch.missing_column": {
        "zh-CN": "缺少列 {column}（文件中的列：{header}）",
        "en": "missing column {column} (the file has {header})",
    },
    "batch.empty_ref": {"zh-CN": "编号为空", "en": "empty reference"},
    "batch.long_ref": {"zh-CN": "长于 {n} 个字符", "en": "longer than {n} characters"},
    "batch.duplicate_ref": {
        "zh-CN": "编号重复（首次出现在第 {first} 行）",
        "en": "duplicate reference (first at row {first})",
    },
    "batch.no_rows": {"zh-CN": "文件中没有数据行", "en": "no rows in the file"},
    # Source files (connectors): the errors a user meets first on load.
    "file.missing": {"zh-CN": "文件或文件夹不存在：{path}", "en": "no such file or folder: {path}"},
    "file.cannot_read": {"zh-CN": "无法读取：{reason}", "en": "cannot read: {reason}"},
    "file.empty": {"zh-CN": "空文件", "en": "empty file"},
    "file.empty_bytes": {"zh-CN": "文件为空（0 字节）", "en": "the file is empty (0 bytes)"},
    "file.undecodable": {
        "zh-CN": "不是有效的 {encoding} 文本（按检测到的编码），出错位置在第 {offset} 字节附近",
        "en": "not valid {encoding} (as detected) near byte {offset}",
    },
    "file.no_encoding": {
        "zh-CN": "不是 UTF-8，也无法识别文本编码",
        "en": "not UTF-8, and no text encoding could be detected",
    },
    "file.bad_parquet": {
        "zh-CN": "无法读取的 Parquet 文件：{reason}",
        "en": "unreadable Parquet file: {reason}",
    },
    "load.unknown_kind": {
        "zh-CN": "未知的数据源类型 {kind}；可选：{kinds}",
        "en": "unknown source kind {kind}; choose one of {kinds}",
    },
    "load.duckdb_table": {
        "zh-CN": "DuckDB 数据源需要 --mapping 并写明 source_table",
        "en": "a DuckDB source needs --mapping with source_table",
    },
    "load.table_unreadable": {
        "zh-CN": "无法读取表 {table}：{reason}",
        "en": "cannot read table {table}: {reason}",
    },
    "mapping.unreadable": {
        "zh-CN": "无法读取映射文件：{reason}",
        "en": "cannot read mapping: {reason}",
    },
    "mapping.not_mapping": {
        "zh-CN": "映射文件必须是键值映射",
        "en": "a mapping must be a mapping of keys",
    },
    "mapping.unknown_keys": {
        "zh-CN": "未知的映射键：{keys}",
        "en": "unknown mapping keys: {keys}",
    },
    "mapping.table": {
        "zh-CN": "'table' 必须是以下之一：{tables}",
        "en": "'table' must be one of {tables}",
    },
    "mapping.section": {
        "zh-CN": "'{section}' 必须是键值映射",
        "en": "'{section}' must be a mapping",
    },
    "mapping.bad_columns": {
        "zh-CN": "'{section}' 中的列 {bad} 不是 {table} 的列（{table} 的列为 {columns}）",
        "en": "'{section}' names columns {bad} that {table} does not have ({columns})",
    },
    "mapping.absent_column": {
        "zh-CN": (
            "缺少 {table} 的列 {absent}；文件中的列为 {header}。"
            "请在表头中写出每一列（空值即缺失值），或使用 --mapping FILE"
        ),
        "en": (
            "missing column {absent} of {table}; the file has {header}. Name every column "
            "in the header (an empty value is a missing value), or pass --mapping FILE"
        ),
    },
    "mapping.absent_columns": {
        "zh-CN": (
            "缺少 {table} 的列 {absent}；文件中的列为 {header}。"
            "请在表头中写出每一列（空值即缺失值），或使用 --mapping FILE"
        ),
        "en": (
            "missing columns {absent} of {table}; the file has {header}. Name every column "
            "in the header (an empty value is a missing value), or pass --mapping FILE"
        ),
    },
    "mapping.no_columns": {
        "zh-CN": "（无）",
        "en": "no columns",
    },
    "mapping.no_mapped": {
        "zh-CN": "映射文件没有映射任何列",
        "en": "the mapping maps no columns",
    },
    "mapping.absent": {
        "zh-CN": "映射文件指定的列 {missing} 不在文件中（文件中的列为 {columns}）",
        "en": "columns {missing} named by the mapping are not in the file (it has {columns})",
    },
    "hl7.none_readable": {
        "zh-CN": "{n} 个文件都不是 HL7 v2：{files}",
        "en": "none of the {n} files is HL7 v2: {files}",
    },
    "hl7.no_files": {
        "zh-CN": "给出的路径中没有 HL7 v2 文件（.hl7、.txt、.msg、.er7）",
        "en": "no HL7 v2 files (.hl7, .txt, .msg, .er7) among the paths given",
    },
    "synthea.no_encounters": {
        "zh-CN": "给出的 Synthea 路径中没有 {name}",
        "en": "no {name} among the Synthea paths given",
    },
    "synthea.twice": {
        "zh-CN": "给出了两个 {name} 文件：{first} 和 {second}",
        "en": "two {name} files given: {first} and {second}",
    },
    "synthea.columns": {
        "zh-CN": "不是 Synthea 的 {name}：缺少列 {missing}",
        "en": "not a Synthea {name}: missing columns {missing}",
    },
    "consent.columns": {
        "zh-CN": "缺少列：{missing}",
        "en": "missing columns: {missing}",
    },
    "ocds.declaration_unreadable": {
        "zh-CN": "无法读取发布方声明：{reason}",
        "en": "cannot read the publisher declaration: {reason}",
    },
    "ocds.declaration_keys": {
        "zh-CN": "OCDS 映射文件只声明一个键：default_scheme（未写明方案的标识所用的方案）",
        "en": (
            "an OCDS mapping declares exactly one key, default_scheme "
            "(the scheme of ids written without one)"
        ),
    },
    "ocds.declaration_scheme": {
        "zh-CN": "default_scheme 必须是方案名称",
        "en": "default_scheme must be a scheme name",
    },
    "ocds.declaration_bad": {
        "zh-CN": "default_scheme：{reason}",
        "en": "default_scheme: {reason}",
    },
    "fhir.settings_unreadable": {
        "zh-CN": "无法读取 FHIR 设置：{reason}",
        "en": "cannot read FHIR settings: {reason}",
    },
    "fhir.settings_keys": {
        "zh-CN": "FHIR 设置只接受 {keys}",
        "en": "FHIR settings take only {keys}",
    },
    "fhir.settings_keys_not": {
        "zh-CN": "FHIR 设置只接受 {keys}；不接受 {unknown}",
        "en": "FHIR settings take only {keys}; not {unknown}",
    },
    "fhir.visit_type": {
        "zh-CN": "encounter_class {code}：{value} 不在 {choices} 之中",
        "en": "encounter_class {code}: {value} is not one of {choices}",
    },
    "fhir.edition": {
        "zh-CN": "code_systems {uri}：{value} 不在 {choices} 之中",
        "en": "code_systems {uri}: {value} is not one of {choices}",
    },
    "fhir.shift": {
        "zh-CN": "date_shift_days 必须是整数天数",
        "en": "date_shift_days must be a whole number of days",
    },
    "fhir.mappings": {
        "zh-CN": "encounter_class 和 code_systems 必须是键值映射",
        "en": "encounter_class and code_systems are mappings",
    },
    "fhir.crosswalk_columns": {
        "zh-CN": "ICD-9 对照表需要 icd9,icd10 两列；实际的列为 {columns}",
        "en": "an ICD-9 crosswalk needs columns icd9,icd10; it has {columns}",
    },
    "fhir.crosswalk_unreadable": {
        "zh-CN": "无法读取 ICD-9 对照表：{reason}",
        "en": "cannot read the ICD-9 crosswalk: {reason}",
    },
    "fhir.undeclared_systems": {
        "zh-CN": "未声明的编码系统 {n} 个：{systems}；若其中有 ICD-10 或 ICD-9 版本，"
        "请在 FHIR 设置（--mapping）的 code_systems 下声明",
        "en": "code systems not declared: {n}: {systems}; if one is an ICD-10 or ICD-9 "
        "edition, declare it under code_systems in the FHIR settings (--mapping)",
    },
    "fhir.no_files": {
        "zh-CN": "给出的 FHIR 路径中没有 .ndjson、.jsonl 或 .json 文件",
        "en": "no .ndjson, .jsonl or .json files among the FHIR paths given",
    },
    "consent.needs_evidence": {
        "zh-CN": "退出同意需要 --evidence",
        "en": "an opt-out needs --evidence",
    },
    "peering.not_hex": {
        "zh-CN": "{option}：不是十六进制（应为对方的 `tspace ledger public-key`）",
        "en": "{option}: not hex (the peer's `tspace ledger public-key`)",
    },
    "policy.provider_form": {
        "zh-CN": "--provider {item}：应为 ROLE=NAME[,NAME...]",
        "en": "--provider {item}: expected ROLE=NAME[,NAME...]",
    },
    "product.format": {
        "zh-CN": "--format 只能是 md 或 json，不能是 {value}",
        "en": "--format must be md or json, not {value}",
    },
    "service.key_of": {
        "zh-CN": "该 API 密钥属于 {owner}，不属于 {name}",
        "en": "the API key belongs to {owner}, not {name}",
    },
    "service.approves": {
        "zh-CN": "{name} 的角色是 {role}；只有提供方才能批准模型",
        "en": "{name} is a {role}; only a provider approves models",
    },
    "service.runs_nodes": {
        "zh-CN": "{name} 的角色是 {role}；只有提供方和使用方运行节点",
        "en": "{name} is a {role}; only providers and consumers run nodes",
    },
    "service.appoints": {
        "zh-CN": "{name} 的角色是 {role}；只有数据所有方（提供方）才能任命",
        "en": "{name} is a {role}; only an owner (a provider) appoints",
    },
    "settle.not_json_because": {
        "zh-CN": "{path}：不是 JSON 结算单（{reason}）",
        "en": "{path}: not a JSON statement ({reason})",
    },
    "settle.not_json": {
        "zh-CN": "{path}：不是 JSON 结算单",
        "en": "{path}: not a JSON statement",
    },
    "usage.month": {
        "zh-CN": "--month：{month} 不是 YYYY-MM 格式",
        "en": "--month: {month} is not YYYY-MM",
    },
    "ocds.no_files": {
        "zh-CN": "给出的路径中没有 OCDS 文件（.json、.jsonl、.ndjson）",
        "en": "no OCDS files (.json, .jsonl, .ndjson) among the paths given",
    },
    "ocds.only_white_space": {
        "zh-CN": "文件中没有 JSON 值（只有空白）",
        "en": "no JSON value in the file (only white space)",
    },
    "ocds.no_value": {"zh-CN": "文件中没有 JSON 值", "en": "no JSON value in the file"},
    "ocds.empty_array": {
        "zh-CN": "空的 JSON 数组（[]）：没有数据包、记录或发布",
        "en": "an empty JSON array ([]): no package, record or release",
    },
    "ocds.malformed": {
        "zh-CN": "第 {document} 个文档的 JSON 格式错误（已读 {rows} 条发布/记录之后）：{reason}",
        "en": "malformed JSON in document {document}, after {rows} release(s)/record(s): {reason}",
    },
    "ocds.not_ocds": {
        "zh-CN": "第 {document} 个文档不是 OCDS 数据包、记录或发布（而是 {what}）",
        "en": "document {document} is {what}, not an OCDS package, record or release",
    },
    "ocds.what_item": {
        "zh-CN": "一个不是 JSON 对象的数组元素",
        "en": "an array item that is not a JSON object",
    },
    "ocds.what_top": {"zh-CN": "顶层的 {event} 值", "en": "a top-level {event} value"},
    "ocds.what_object": {
        "zh-CN": "一个没有 ocid、releases 或 records 的对象",
        "en": "an object without ocid, releases or records",
    },
    "ocds.none_readable": {
        "zh-CN": "{n} 个文件都不是可读的 OCDS：{files}",
        "en": "none of the {n} files is readable OCDS: {files}",
    },
    "id_map.missing": {
        "zh-CN": "找不到身份映射（应为 CSV 文件或 'pseudonymous'）",
        "en": "id map not found (expected a CSV file or 'pseudonymous')",
    },
    "id_map.header": {
        "zh-CN": "身份映射需要表头 source_id,person_id（缺少 {missing}）",
        "en": "the id map needs the header source_id,person_id (missing {missing})",
    },
    "id_map.empty": {"zh-CN": "source_id 为空", "en": "empty source_id"},
    "id_map.two_people": {
        "zh-CN": "同一 source_id 对应两个不同的 person_id",
        "en": "source_id maps to two different person_ids",
    },
    "json.invalid": {
        "zh-CN": "不是 JSON 文档（第 {line} 行第 {column} 列处出错）",
        "en": "not a JSON document (it breaks at line {line}, column {column})",
    },
    "json.not_utf8": {"zh-CN": "不是 UTF-8 编码的 JSON 文档", "en": "not a UTF-8 JSON document"},
    "model.unreadable": {"zh-CN": "无法读取模型：{reason}", "en": "cannot read model: {reason}"},
    "model.not_object": {"zh-CN": "模型须为 JSON 对象", "en": "a model must be a JSON object"},
    "model.unknown_keys": {"zh-CN": "未知的键 {keys}", "en": "unknown keys {keys}"},
    "model.nonempty_string": {"zh-CN": "须为非空字符串", "en": "must be a non-empty string"},
    "model.number": {"zh-CN": "须为数值", "en": "must be a number"},
    "model.weights": {
        "zh-CN": "须为“特征: 权重”形式的对象",
        "en": "must be an object of feature: weight",
    },
    "model.bands": {
        "zh-CN": "须为非空的 [等级, 上界] 列表",
        "en": "must be a non-empty list of [label, bound]",
    },
    "model.band": {"zh-CN": "须为 [等级, 上界]", "en": "must be [label, bound]"},
    "model.band_rise": {
        "zh-CN": "上界须在 [0, 1] 内严格递增",
        "en": "bounds must rise strictly within [0, 1]",
    },
    "model.band_last": {
        "zh-CN": "最后一个上界须为 1.0，使每个概率都有等级",
        "en": "the last bound must be 1.0 so every probability has a band",
    },
    "policy.not_yet": {
        "zh-CN": "{start} 起才生效（今天是 {today}）",
        "en": "not valid before {start} (today is {today})",
    },
    "policy.expired": {
        "zh-CN": "已于 {end} 失效（今天是 {today}）",
        "en": "expired on {end} (today is {today})",
    },
    "policy.valid_between": {"zh-CN": "有效期 {start} 至 {end}", "en": "valid {start} to {end}"},
    "policy.consumer_in": {
        "zh-CN": "{consumer} 在允许的使用方 {consumers} 之中",
        "en": "{consumer} is among {consumers}",
    },
    "policy.consumer_out": {
        "zh-CN": "{consumer} 不在允许的使用方 {consumers} 之中",
        "en": "{consumer} is not among {consumers}",
    },
    "policy.purpose_in": {
        "zh-CN": "使用目的 {purpose} 在允许的目的 {purposes} 之中",
        "en": "purpose {purpose} is among {purposes}",
    },
    "policy.purpose_out": {
        "zh-CN": "使用目的 {purpose} 不在允许的目的 {purposes} 之中",
        "en": "purpose {purpose} is not among {purposes}",
    },
    "policy.output_mode": {
        "zh-CN": "本策略允许 {mode} 类输出；{product} 的输出为 {produces}",
        "en": "policy allows {mode} output; {product} produces {produces}",
    },
    "policy.features_all": {
        "zh-CN": "产品的每个特征都获允许",
        "en": "every feature of the product is allowed",
    },
    "policy.features_extra": {
        "zh-CN": "输出规则不允许特征 {features}",
        "en": "features {features} are not allowed by the output rule",
    },
    "policy.features_ok": {
        "zh-CN": "特征 {features} 获允许",
        "en": "features {features} are allowed",
    },
    "policy.column_allows": {
        "zh-CN": "{column} 的类别为 {disclosure}{listed}：允许 {product} 将其用于{use}",
        "en": "{column} is {disclosure}{listed}: allows its use in {use} by {product}",
    },
    "policy.column_forbids": {
        "zh-CN": "{column} 的类别为 {disclosure}{listed}：禁止 {product} 将其用于{use}",
        "en": "{column} is {disclosure}{listed}: forbids its use in {use} by {product}",
    },
    "policy.column_unlisted": {
        "zh-CN": "（未列出的列为 never）",
        "en": " (unlisted columns are 'never')",
    },
    "use.join_key_only": {"zh-CN": "匹配对象", "en": "matching subjects"},
    "use.aggregate_only": {"zh-CN": "汇总统计", "en": "aggregates"},
    "use.encrypted_only": {"zh-CN": "加密的逐对象结果", "en": "an encrypted per-subject result"},
    "use.plaintext": {"zh-CN": "公开的逐对象数值", "en": "a released per-subject value"},
    "policy.batch_below": {
        "zh-CN": "批次 {n} 个，少于下限 {minimum}",
        "en": "batch of {n} is below the minimum {minimum}",
    },
    "policy.batch_above": {
        "zh-CN": "批次 {n} 个，多于上限 {maximum}",
        "en": "batch of {n} is above the maximum {maximum}",
    },
    "policy.batch_ok": {
        "zh-CN": "批次 {n} 个，在 {minimum}-{maximum} 之内",
        "en": "batch of {n} within {minimum}-{maximum}",
    },
    "policy.jobs_uncounted": {
        "zh-CN": "每天至多 {limit} 个任务（此处不计用量）",
        "en": "at most {limit} jobs a day (usage not counted here)",
    },
    "policy.jobs_used": {
        "zh-CN": "今天已用 {done} 个任务，上限 {limit}",
        "en": "{done} of {limit} jobs used today",
    },
    "policy.jobs_used_up": {
        "zh-CN": "今天已用 {done} 个任务，上限 {limit}；当日配额已用完",
        "en": "{done} of {limit} jobs used today; the daily quota is used up",
    },
    "policy.subjects_uncounted": {
        "zh-CN": "每月至多 {limit} 个对象（此处不计用量）",
        "en": "at most {limit} subjects a month (usage not counted here)",
    },
    "policy.subjects_used": {
        "zh-CN": "本月已用 {done} 个对象，上限 {limit}，本批次再加 {adds} 个",
        "en": "{done} of {limit} subjects used this month, this batch adds {adds}",
    },
    "policy.dp_required": {
        "zh-CN": "本策略要求差分隐私，而该查询未设定 epsilon",
        "en": "the policy requires differential privacy and the query sets no epsilon",
    },
    "policy.no_budget": {
        "zh-CN": "该任务不消耗隐私预算",
        "en": "the job spends no privacy budget",
    },
    "policy.epsilon_over": {
        "zh-CN": "epsilon {epsilon} 超过每次查询的上限 {per_query}",
        "en": "epsilon {epsilon} exceeds {per_query} per query",
    },
    "policy.budget_uncounted": {
        "zh-CN": "预算为每{period} {budget}（此处不计用量）",
        "en": "budget {budget} a {period} (usage not counted here)",
    },
    "policy.budget_spent": {
        "zh-CN": "本{period}已用 epsilon {spent}，预算 {budget}，本次查询要求 {asks}",
        "en": "{spent} of {budget} epsilon spent this {period}, this query asks {asks}",
    },
    "period.day": {"zh-CN": "日", "en": "day"},
    "period.month": {"zh-CN": "月", "en": "month"},
    "period.quarter": {"zh-CN": "季度", "en": "quarter"},
    "period.year": {"zh-CN": "年", "en": "year"},
    "policy.no_model": {
        "zh-CN": "本策略未为该评分产品批准任何模型",
        "en": "the policy approves no model for this score product",
    },
    "policy.model_other": {
        "zh-CN": "模型 {got} 不是已批准的 {approved}…",
        "en": "model {got} is not the approved {approved}…",
    },
    "policy.model_unnamed": {"zh-CN": "（未指明）", "en": "(none named)"},
    "policy.model_ok": {
        "zh-CN": "模型 {approved}… 是已批准的模型",
        "en": "model {approved}… is the approved one",
    },
    "policy.consent_attached": {
        "zh-CN": "附有 {n} 个授权同意凭证编号",
        "en": "{n} consent evidence references attached",
    },
    "policy.consent_missing": {
        "zh-CN": "本策略要求授权同意，而该任务未附授权同意凭证",
        "en": "consent is required and the job carries no consent evidence",
    },
    "policy.owners_missing": {
        "zh-CN": "该任务须同时包含每个所有方的数据；缺少 {missing}（只有一个所有方时会公开"
        "该所有方自己的数值）",
        "en": "the job must include every owner's data together; missing {missing} "
        "(one owner alone would release that owner's own figures)",
    },
    "policy.owners_together": {
        "zh-CN": "全部 {n} 个所有方共同参与",
        "en": "all {n} owners take part together",
    },
    "policy.unknown_parameters": {
        "zh-CN": "{product} 没有参数 {unknown}",
        "en": "{product} has no parameters {unknown}",
    },
    "policy.coverage": {
        "zh-CN": "没有已发布的 {product} 策略管辖 {provider} 的数据",
        "en": "no published policy for {product} governs the data of {provider}",
    },
    "policy.no_policy": {
        "zh-CN": "未配置策略；嵌入式单一所有方运行",
        "en": "no policy configured; embedded single-owner run",
    },
    "policy.reason_of": {
        "zh-CN": "{policy} 第 {version} 版：{detail}",
        "en": "{policy} v{version}: {detail}",
    },
    "problem.400": {"zh-CN": "请求有误", "en": "Bad request"},
    "problem.401": {"zh-CN": "未认证", "en": "Unauthenticated"},
    "problem.403": {"zh-CN": "无权操作", "en": "Forbidden"},
    "problem.404": {"zh-CN": "未找到", "en": "Not found"},
    "problem.409": {"zh-CN": "冲突", "en": "Conflict"},
    "problem.413": {"zh-CN": "请求体过大", "en": "Payload too large"},
    "problem.422": {"zh-CN": "无法处理的请求内容", "en": "Unprocessable payload"},
    "problem.500": {"zh-CN": "内部错误", "en": "Internal error"},
    "problem.503": {"zh-CN": "服务暂不可用", "en": "Service unavailable"},
    "problem.other": {"zh-CN": "错误", "en": "Error"},
    "problem.schema": {
        "zh-CN": "请求不符合接口的结构定义",
        "en": "the request does not match the schema",
    },
    "problem.storage": {
        "zh-CN": "空间的存储暂不可用（{reason}）；请稍后重试",
        "en": "the space's storage is unavailable ({reason}); retry later",
    },
    "problem.unexpected": {
        "zh-CN": "意外错误；空间的日志记有其类型",
        "en": "unexpected error; the space's log has the type",
    },
    "schema.missing": {"zh-CN": "缺少必填字段", "en": "Field required"},
    "schema.extra": {"zh-CN": "不允许有此字段", "en": "Extra inputs are not permitted"},
    "schema.int": {"zh-CN": "须为整数", "en": "Input should be a valid integer"},
    "schema.number": {"zh-CN": "须为数值", "en": "Input should be a valid number"},
    "schema.string": {"zh-CN": "须为字符串", "en": "Input should be a valid string"},
    "schema.bool": {"zh-CN": "须为 true 或 false", "en": "Input should be a valid boolean"},
    "schema.list": {"zh-CN": "须为列表", "en": "Input should be a valid list"},
    "schema.mapping": {"zh-CN": "须为映射（键: 值）", "en": "Input should be a mapping"},
    "schema.date": {
        "zh-CN": "须为存在的日期（YYYY-MM-DD）",
        "en": "Input should be a valid date (YYYY-MM-DD)",
    },
    "schema.ge": {
        "zh-CN": "须大于或等于 {bound}",
        "en": "Input should be greater than or equal to {bound}",
    },
    "schema.gt": {"zh-CN": "须大于 {bound}", "en": "Input should be greater than {bound}"},
    "schema.le": {
        "zh-CN": "须小于或等于 {bound}",
        "en": "Input should be less than or equal to {bound}",
    },
    "schema.lt": {"zh-CN": "须小于 {bound}", "en": "Input should be less than {bound}"},
    "schema.literal": {"zh-CN": "须为 {bound}", "en": "Input should be {bound}"},
    "schema.too_short": {
        "zh-CN": "至少须有 {bound} 项",
        "en": "List should have at least {bound} items",
    },
    "policy_doc.large": {"zh-CN": "大于 1 MiB", "en": "larger than 1 MiB"},
    "policy_doc.utf8": {"zh-CN": "不是 UTF-8 文本", "en": "not UTF-8 text"},
    "policy_doc.yaml": {
        "zh-CN": "不是 YAML 或 JSON（第 {line} 行处出错）{problem}",
        "en": "not YAML or JSON: {problem} (line {line})",
    },
    "policy_doc.aliases": {
        "zh-CN": "策略中不允许使用 YAML 别名（第 {line} 行）",
        "en": "YAML aliases are not allowed in policies (line {line})",
    },
    "policy_doc.mapping": {"zh-CN": "策略须为映射（键: 值）", "en": "a policy must be a mapping"},
    "policy_doc.product": {
        "zh-CN": "未知的产品 {name}；已知的产品：{known}",
        "en": "unknown product {name}; known: {known}",
    },
    "policy_doc.mode": {
        "zh-CN": "{product} 的输出为 {mode}",
        "en": "{product} produces {mode} output",
    },
    "policy_doc.feature": {
        "zh-CN": "{product} 没有特征 {feature}",
        "en": "{product} has no feature {feature}",
    },
    "policy_doc.no_feature": {
        "zh-CN": "{product} 没有这个特征",
        "en": "{product} has no such feature",
    },
    "policy_doc.parameter": {
        "zh-CN": "{product} 没有这个参数（它的参数：{listed}）",
        "en": "{product} has no such parameter (it has {listed})",
    },
    "policy_doc.column": {"zh-CN": "不是规范表的列", "en": "not a column of a canonical table"},
    "policy_doc.participant": {
        "zh-CN": "{name} 不是本空间的参与方{hint}",
        "en": "{name} is not a participant of this space{hint}",
    },
    "policy_doc.did_you_mean": {"zh-CN": "；是否想写 {name}？", "en": "; did you mean {name}?"},
    "policy_doc.places": {
        "zh-CN": "{value} 的小数位多于 {feature} 发布时的 {places} 位",
        "en": "{value} has more than the {places} decimal places {feature} is released with",
    },
    "policy_doc.model": {
        "zh-CN": "{product} 是评分产品：请固定已批准模型的 sha256",
        "en": "{product} is a score product: pin the approved model's sha256",
    },
    "policy_doc.privacy": {
        "zh-CN": "汇总类产品需要隐私设置或 min_count",
        "en": "an aggregate product needs privacy settings or a min_count",
    },
    "where.row": {"zh-CN": "第 {row} 行", "en": "row {row}"},
    "where.row_line": {
        "zh-CN": "第 {row} 行（文件第 {line} 行）",
        "en": "row {row} (line {line})",
    },
    "where.field": {"zh-CN": "字段 {field}", "en": "field {field}"},
    "error.missing_path": {
        "zh-CN": "{option} 指定的路径不存在：{path}",
        "en": "{option}: no such file or folder: {path}",
    },
    "error.os": {"zh-CN": "{path}：{reason}", "en": "{path}: {reason}"},
    "error.date": {
        "zh-CN": "{option} {value}：{reason}",
        "en": "{option} {value}: {reason}",
    },
    "date.form": {"zh-CN": "不是 YYYY-MM-DD 形式的日期", "en": "not a date in YYYY-MM-DD form"},
    "date.impossible": {
        "zh-CN": "日历上不存在的日期（{reason}）",
        "en": "no such day in the calendar ({reason})",
    },
    "date.year_range": {"zh-CN": "年份须在 1 到 9999 之间", "en": "the year is 1 to 9999"},
    "date.month_range": {"zh-CN": "月份须在 1 到 12 之间", "en": "the month is 1 to 12"},
    "date.day_range": {
        "zh-CN": "{month} 只有 {days} 天",
        "en": "{month} has {days} days",
    },
    "date.future": {
        "zh-CN": "晚于今天（{today}，北京时间），可能是笔误；确需如此请加 --allow-future",
        "en": "after today ({today}, China time), likely a typo; pass --allow-future if intended",
    },
    "model.unknown_feature": {
        "zh-CN": "模型权重中有 {product} 没有的特征：{unknown}{hint}（可用特征：{features}）",
        "en": "model weights name features {product} lacks: {unknown}{hint} "
        "(its features: {features})",
    },
    "hint.did_you_mean": {"zh-CN": "；您是否想写 {name}？", "en": "; did you mean {name}?"},
    "invalid.header": {
        "zh-CN": "{n} 行标识无效（{path} 的 detail 列写明了行号和原因）：",
        "en": "{n} rows with invalid ids (the detail column of {path} says where and why):",
    },
    "invalid.row": {
        "zh-CN": "第 {row} 行（文件第 {line} 行），{field}：{reason}",
        "en": "row {row} (line {line}), {field}: {reason}",
    },
    "invalid.more": {"zh-CN": "…… 另有 {n} 行，见 {path}", "en": "… {n} more in {path}"},
    "client.retry": {
        "zh-CN": "可信空间 {space} 暂不可用（{failure}），{delay:.1f} 秒后重试"
        "（还将等待约 {left:.0f} 秒）",
        "en": "space {space} unavailable ({failure}); retrying in {delay:.1f} s "
        "(giving up in about {left:.0f} s)",
    },
    "mapping.missing_columns": {
        "zh-CN": "表头最接近 {table} 表，但缺少必需的列：{columns}；请在文件中改用规范列名，"
        "或用 tspace load csv 文件 --mapping 映射文件 --node-dir 节点目录 按映射加载",
        "en": "the header is nearest to {table} but lacks its required column {columns}; "
        "rename the column in the file, or load the file with "
        "`tspace load csv FILE --mapping MAPPING --node-dir NODE`",
    },
    "mapping.column_hint": {
        "zh-CN": "{column}（文件中的 {close}？）",
        "en": "{column} (is it {close}?)",
    },
    "mapping.no_table": {
        "zh-CN": "表头与任何规范表的列都不对应（{expected}）；请在文件中改用规范列名，"
        "或用 tspace load csv 文件 --mapping 映射文件 --node-dir 节点目录 按映射加载",
        "en": "the header does not name the columns of one canonical table ({expected}); "
        "rename the columns, or load the file with "
        "`tspace load csv FILE --mapping MAPPING --node-dir NODE`",
    },
    "progress.psi_setup": {"zh-CN": "PSI 预计算（标识）", "en": "PSI setup (identifiers)"},
    "progress.tokens": {"zh-CN": "标识令牌化", "en": "Tokenise identifiers"},
    "progress.blind_tokens": {
        "zh-CN": "盲查令牌（OPRF，对象）",
        "en": "Blind lookup tokens (OPRF, subjects)",
    },
    "progress.blind_masks": {
        "zh-CN": "盲查掩码（HMAC，对象）",
        "en": "Blind lookup masks (HMAC, subjects)",
    },
    "progress.load": {"zh-CN": "加载与校验（行）", "en": "Load and validate (rows)"},
    "progress.encrypt": {"zh-CN": "同态加密（密文）", "en": "Encrypt (ciphertexts)"},
    "progress.rerandomise": {"zh-CN": "密文重随机化", "en": "Re-randomise ciphertexts"},
    "progress.zeros": {"zh-CN": "预计算加密随机数", "en": "Precompute encryption noise"},
    "progress.decrypt": {"zh-CN": "解密结果", "en": "Decrypt results"},
    "warning": {"zh-CN": "警告：{message}", "en": "Warning: {message}"},
    "warn.future_as_of": {
        "zh-CN": "评估日期 {as_of} 晚于今天（{today}），按要求照常计算",
        "en": "evaluation date {as_of} is after today ({today}); computing as asked",
    },
    "warn.stale_as_of": {
        "zh-CN": "评估日期 {as_of} 晚于所有提供方的最新记录（{newest}），"
        "时间窗口可能为空、结果偏低风险；请核对 --as-of",
        "en": "evaluation date {as_of} is after the newest record of every provider "
        "({newest}); windows may be empty and results look low-risk: check --as-of",
    },
    "policy.denied": {"zh-CN": "策略拒绝了该任务，原因：", "en": "Denied by policy:"},
    "policy.allow": {"zh-CN": "允许", "en": "allow"},
    "policy.engine": {"zh-CN": "  引擎：{engine}（{why}）", "en": "  engine: {engine} ({why})"},
    "policy.engine_asked": {"zh-CN": "按 --engine 指定", "en": "as --engine asks"},
    "policy.deny": {"zh-CN": "拒绝", "en": "deny"},
    "policy.valid": {
        "zh-CN": "{file}：有效（{id} 第 {version} 版）",
        "en": "{file}: valid ({id} v{version})",
    },
    "policy.warning": {
        "zh-CN": "{file}：警告：{path}：{message}",
        "en": "{file}: warning: {path}: {message}",
    },
    "policy.invalid": {"zh-CN": "{file}：{n} 处错误", "en": "{file}: {n} errors"},
    "policy.published": {"zh-CN": "已发布 {file}（{hash}…）", "en": "Published {file} ({hash}…)"},
    "policy.retired": {"zh-CN": "已停用策略 {id}", "en": "Retired policy {id}"},
    "policy.pending": {
        "zh-CN": "{id} 第 {version} 版待批准，尚未生效：还需 {awaiting} 的数据管理员批准",
        "en": "{id} v{version} is pending and not in force: it awaits the approval of "
        "the steward of {awaiting}",
    },
    "policy.approved": {
        "zh-CN": "已批准 {id} 第 {version} 版（代表 {owners}）",
        "en": "Approved {id} v{version} (for {owners})",
    },
    "policy.in_force": {"zh-CN": "{id} 第 {version} 版已生效", "en": "{id} v{version} is in force"},
    "policy.not_in_force": {
        "zh-CN": "{file}：{id} 第 {version} 版在该空间中状态为 {state}，未生效，不参与判断",
        "en": "{file}: {id} v{version} is {state} in that space, not in force: left out",
    },
    "steward.appointed": {
        "zh-CN": "已写出 {owner} 对数据管理员 {steward} 的签名任命：{path}",
        "en": "Wrote {owner}'s signed appointment of steward {steward}: {path}",
    },
    "steward.bound": {
        "zh-CN": "数据管理员 {steward} 现管理：{owners}",
        "en": "Steward {steward} now governs: {owners}",
    },
    "steward.not_governing": {
        "zh-CN": "{steward} 不是 {policy} 的数据方（{owners}）任命的数据管理员；"
        "数据管理员只能发布、替换、停用或批准任命了它的数据方的策略",
        "en": "{steward} was appointed by none of the owners of {policy} ({owners}); "
        "a steward publishes, supersedes, retires or approves only the policies of "
        "owners that appointed it",
    },
    "steward.not_superseding": {
        "zh-CN": "{policy} 属于 {owners}；{steward} 不是其中任何一方任命的数据管理员，"
        "不能发布它的新版本",
        "en": "{policy} belongs to {owners}; {steward} was appointed by none of them, "
        "so it cannot publish a new version of it",
    },
    "appointment.missing": {
        "zh-CN": "添加数据管理员 {steward} 需要它所管理的每个数据方的签名任命（--appointment），"
        "运营方不能单独指定",
        "en": "adding steward {steward} needs a signed appointment from each owner it is to "
        "govern (--appointment); the operator alone cannot make one",
    },
    "appointment.other_steward": {
        "zh-CN": "该任命是 {owner} 对 {named} 的任命，不是对 {steward} 的",
        "en": "the appointment is {owner}'s of {named}, not of {steward}",
    },
    "appointment.not_a_steward": {
        "zh-CN": "{name} 是 {role}，任命只能给数据管理员",
        "en": "{name} is a {role}; only a steward can be appointed",
    },
    "appointment.unknown_owner": {
        "zh-CN": "{owner} 不是已登记签名密钥的数据提供方，无法核验其任命",
        "en": "{owner} is not a provider with a registered signing key: its appointment "
        "cannot be checked",
    },
    "appointment.other_space": {
        "zh-CN": "{owner} 对 {steward} 的任命是给另一个空间的（{space}）",
        "en": "{owner}'s appointment of {steward} is for another space ({space})",
    },
    "appointment.bad_signature": {
        "zh-CN": "{owner} 对 {steward} 的任命没有 {owner} 登记的签名密钥的有效签名",
        "en": "{owner}'s appointment of {steward} is not signed by {owner}'s registered key",
    },
    "appointment.not_owner_node": {
        "zh-CN": "{path} 中的签名密钥不是 {owner} 在空间登记的密钥；请用 {owner} 节点自己的目录",
        "en": "the signing key in {path} is not the one {owner} registered with the space; "
        "use {owner}'s own node folder",
    },
    "ledger.ok": {
        "zh-CN": "账本完好：{count} 条记录，{checkpoints} 个检查点（{suite} 算法套件）",
        "en": "Ledger intact: {count} entries, {checkpoints} checkpoints ({suite} suite)",
    },
    "ledger.entry": {
        "zh-CN": "账本第 {seq} 条记录：{reason}",
        "en": "ledger entry {seq}: {reason}",
    },
    "ledger.bad_hash": {
        "zh-CN": "内容与其摘要不符",
        "en": "content does not match its hash",
    },
    "ledger.bad_signature": {
        "zh-CN": "签名不是本空间的",
        "en": "signature is not the space's",
    },
    "ledger.bad_seq": {
        "zh-CN": "序号应为 {expected}，实际为 {found}",
        "en": "expected sequence number {expected}, found {found}",
    },
    "ledger.bad_chain": {
        "zh-CN": "未与上一条记录相链接",
        "en": "does not chain to the previous entry",
    },
    "ledger.bad_root": {
        "zh-CN": "检查点的根与其之前的记录不符",
        "en": "checkpoint root does not match the entries before it",
    },
    "ledger.unkeyed_appointment": {
        "zh-CN": "{owner} 的任命，但其此前未登记签名密钥",
        "en": "an appointment by {owner}, who registered no signing key before it",
    },
    "ledger.other_space": {
        "zh-CN": "该任命指向另一个空间",
        "en": "the appointment names another space",
    },
    "ledger.unsigned_appointment": {
        "zh-CN": "对 {steward} 的任命并非由 {owner} 的密钥签署",
        "en": "the appointment of {steward} is not signed by {owner}'s key",
    },
    "ledger.stray_approval": {
        "zh-CN": "{actor} 代 {owners} 批准，但对方并未任命它",
        "en": "{actor} approved for {owners}, who did not appoint it",
    },
    "ledger.unapproved_policy": {
        "zh-CN": "策略未经 {stewards} 批准即生效",
        "en": "a policy put in force without the approval of {stewards}",
    },
    "ledger.unkeyed_step": {
        "zh-CN": "{actor} 的步骤，但其此前未登记签名密钥",
        "en": "a step of {actor}, who registered no signing key before it",
    },
    "ledger.unsigned_step": {
        "zh-CN": "该步骤并非由 {actor} 登记的密钥签署",
        "en": "the step is not signed by {actor}'s registered key",
    },
    "ledger.not_checkpoint": {
        "zh-CN": "公布的检查点不是检查点记录",
        "en": "the published checkpoint is not a checkpoint entry",
    },
    "ledger.cut_off": {
        "zh-CN": "账本止于第 {last} 条记录，在公布的检查点之前（记录被截断）",
        "en": (
            "the ledger ends at entry {last}, before a published checkpoint (entries were cut off)"
        ),
    },
    "ledger.checkpoint_gone": {
        "zh-CN": "账本中已没有公布的检查点（被改写）",
        "en": "the ledger no longer holds the published checkpoint (rewritten)",
    },
    "ledger.rewritten": {
        "zh-CN": "公布的检查点之前的记录被改写",
        "en": "the entries before the published checkpoint were rewritten",
    },
    "ledger.key_not_hex": {
        "zh-CN": "--public-key：{value} 既不是十六进制，也不是存有十六进制的文件",
        "en": "--public-key: {value} is neither hex nor a file holding hex",
    },
    "ledger.workdir_or_file": {
        "zh-CN": "请给出 --workdir 或 --file（均可重复），不要同时给出",
        "en": "give --workdir or --file (either repeatable), not both",
    },
    "ledger.key_per_file": {
        "zh-CN": "核验导出文件需要为每个 --file 依次给出一个 --public-key",
        "en": "verifying exports needs one --public-key per --file, in order",
    },
    "ledger.key_per_workdir": {
        "zh-CN": "请为每个 --workdir 给出一个 --public-key，或都不给",
        "en": "give one --public-key per --workdir, or none",
    },
    "ledger.other_key": {
        "zh-CN": "该空间是用另一个验证密钥创建的",
        "en": "the space was created with another verifying key",
    },
    "keys.unknown_role": {
        "zh-CN": "空间称 {name} 的角色为 {role}",
        "en": "the space says {name} is a {role}",
    },
    "ledger.proof_size": {
        "zh-CN": "不是该大小的检查点",
        "en": "not a checkpoint of that size",
    },
    "ledger.proof_position": {
        "zh-CN": "该证明针对的是另一个位置",
        "en": "the proof is for another position",
    },
    "ledger.proof_missing": {
        "zh-CN": "不包含在该检查点中",
        "en": "not included in the checkpoint",
    },
    "ledger.malformed_proof": {
        "zh-CN": "证明格式错误（{reason}）",
        "en": "malformed proof ({reason})",
    },
    "ledger.empty": {"zh-CN": "账本为空", "en": "the ledger is empty"},
    "ledger.export_empty": {"zh-CN": "账本导出文件为空", "en": "the ledger export is empty"},
    "ledger.first_entry": {
        "zh-CN": "第一条记录不是空间的创建记录",
        "en": "the first entry is not the space's creation",
    },
    "ledger.bad": {
        "zh-CN": "账本校验失败：第 {seq} 条记录：{reason}",
        "en": "Ledger verification failed at entry {seq}: {reason}",
    },
    "ledger.published_ok": {
        "zh-CN": "账本仍包含全部 {count} 个外部保存的检查点（未被截断或改写）",
        "en": "The ledger still holds all {count} published checkpoints (not cut or rewritten)",
    },
    "ledger.checkpoint_written": {
        "zh-CN": "已将第 {seq} 条记录处的检查点写出到 {path}",
        "en": "Wrote the checkpoint at entry {seq} to {path}",
    },
    "ledger.exported": {
        "zh-CN": "已导出 {count} 条记录到 {path}",
        "en": "Exported {count} entries to {path}",
    },
    "ledger.shown": {"zh-CN": "共 {count} 条记录", "en": "{count} entries"},
    "ledger.col.seq": {"zh-CN": "序号", "en": "Seq"},
    "ledger.col.time": {"zh-CN": "时间", "en": "Time"},
    "ledger.col.actor": {"zh-CN": "参与方", "en": "Actor"},
    "ledger.col.kind": {"zh-CN": "事件", "en": "Kind"},
    "ledger.col.details": {"zh-CN": "内容", "en": "Details"},
    "ledger.proof_ok": {
        "zh-CN": "证明有效：第 {seq} 条记录包含在检查点（第 {checkpoint} 条）中",
        "en": "Proof holds: entry {seq} is in the checkpoint at entry {checkpoint}",
    },
    "ledger.proof_bad": {"zh-CN": "证明无效：{reason}", "en": "Proof does not hold: {reason}"},
    "price.currency": {
        "zh-CN": "price.currency：只接受 CNY（人民币），而不是 {value}",
        "en": "price.currency: only CNY (renminbi) is accepted, not {value}",
    },
    "price.yuan": {
        "zh-CN": "{field}：{value} 不是以元计、至多两位小数（到分）的非负金额；"
        '请写成带引号的字符串，如 "0.50"',
        "en": "{field}: {value} is not a non-negative amount in yuan with at most two "
        'decimals (fen); write it as a quoted string, e.g. "0.50"',
    },
    "price.fraction": {
        "zh-CN": "{field}：{value} 不是 0 到 1 之间、至多六位小数的比例；"
        '请写成带引号的字符串，如 "0.10"',
        "en": "{field}: {value} is not a fraction from 0 to 1 with at most six decimals; "
        'write it as a quoted string, e.g. "0.10"',
    },
    "price.nothing": {
        "zh-CN": "price：至少须给出 per_job、per_subject_queried、per_subject_matched 之一",
        "en": "price: give at least one of per_job, per_subject_queried, per_subject_matched",
    },
    "price.split_one": {
        "zh-CN": "price.split：须给出 by（matched 或 queried）或 weights，二者只能取其一",
        "en": "price.split: give either by (matched or queried) or weights, not both",
    },
    "price.weights_sum": {
        "zh-CN": "price.split.weights：各提供方份额之和须恰为 1，现为 {total}",
        "en": "price.split.weights: the providers' shares must add up to exactly 1, not {total}",
    },
    "price.weights_owner": {
        "zh-CN": "price.split.weights.{name}：{name} 不是本策略的 owners 之一",
        "en": "price.split.weights.{name}: {name} is not one of this policy's owners",
    },
    "price.blind_required": {
        "zh-CN": "{field}：本策略要求盲查（lookup: blind），而盲查的匹配数不记入账本"
        "（按匹配计价会让账单回答某人是否在库），因此不能按匹配对象计价或分成；"
        "请用 per_subject_queried 计价，按 queried 或 weights 分成",
        "en": "{field}: this policy requires the blind lookup (lookup: blind), whose matches "
        "the ledger never records (a bill per match would answer whether a subject is held), "
        "so it cannot price or split by matched subjects; price per_subject_queried and "
        "split by queried or weights",
    },
    "price.blind_allowed": {
        "zh-CN": "{product} 的任务可以盲查方式运行（本策略 lookup: any 允许），而盲查的匹配数"
        "不记入账本（按匹配计价会让账单回答某人是否在库），因此不能按匹配对象计价或分成；"
        "请用 per_subject_queried 计价，按 queried 或 weights 分成",
        "en": "{product} jobs may run as a blind lookup (this policy's lookup: any allows it), "
        "whose matches the ledger never records (a bill per match would answer whether a "
        "subject is held), so it cannot price or split by matched subjects; price "
        "per_subject_queried and split by queried or weights",
    },
    "settle.written": {
        "zh-CN": "已写出 {month} 的 {count} 份结算单到 {path}（账本截至第 {seq} 条）",
        "en": "Wrote {count} statements for {month} to {path} (ledger up to entry {seq})",
    },
    "settle.month": {
        "zh-CN": "--month：{value} 不是 YYYY-MM 形式的月份",
        "en": "--month: {value} is not a month as YYYY-MM",
    },
    "settle.needs": {
        "zh-CN": "结算需要 --month、--workdir 和 --out（或使用子命令 verify）",
        "en": "settling needs --month, --workdir and --out (or the verify command)",
    },
    "settle.col.party": {"zh-CN": "参与方", "en": "Party"},
    "settle.col.role": {"zh-CN": "角色", "en": "Role"},
    "settle.col.jobs": {"zh-CN": "计费任务", "en": "Charged jobs"},
    "settle.col.total": {"zh-CN": "金额", "en": "Amount"},
    "settle.role.consumer": {"zh-CN": "使用方（应付）", "en": "consumer (owes)"},
    "settle.role.provider": {"zh-CN": "提供方（应收）", "en": "provider (earns)"},
    "settle.role.operator": {"zh-CN": "运营方（应收）", "en": "operator (earns)"},
    "settle.role.home": {
        "zh-CN": "对等空间：任务的发起空间（应付本空间的部分）",
        "en": "peer, home of the jobs (owes this space's part)",
    },
    "settle.role.peer": {
        "zh-CN": "对等空间：承担任务部分的空间（应收其部分）",
        "en": "peer that ran part of the jobs (earns its part)",
    },
    "settle.peer_missing": {
        "zh-CN": "本月有任务的一部分在对等空间 {peers} 运行：请用 --peer-ledger 给出其账本导出文件"
        "（tspace ledger export），使用方的结算单才能列出这些空间的部分",
        "en": "jobs of the month ran in part at the peer space(s) {peers}: give their ledger "
        "exports (tspace ledger export) with --peer-ledger, so the consumers' statements "
        "list those spaces' parts",
    },
    "settle.peer_bad": {
        "zh-CN": "对等空间的账本不可用：{reason}",
        "en": "a peer's ledger cannot be used: {reason}",
    },
    "settle.ok": {
        "zh-CN": "结算单有效：{party}，{role}，{month}：{total}；与账本截至第 {seq} 条的记录"
        "重新计算一致，签名属于空间 {space}",
        "en": "Statement holds: {party}, {role}, {month}: {total}; it matches a recomputation "
        "from the ledger up to entry {seq}, and is signed by space {space}",
    },
    "settle.key_from_export": {
        "zh-CN": "注意：未给出 --public-key，已使用导出账本首条记录中的空间公钥；"
        "请与空间公布的公钥核对",
        "en": "Note: no --public-key given; the space key in the export's first entry was "
        "used. Check it against the key the space publishes",
    },
    "settle.bad": {"zh-CN": "结算单无效：{reason}", "en": "The statement does not hold: {reason}"},
    "settle.bad_ledger": {
        "zh-CN": "结算单无效：账本第 {seq} 条：{reason}",
        "en": "The statement does not hold: ledger entry {seq}: {reason}",
    },
    "usage.col.month": {"zh-CN": "月份", "en": "Month"},
    "usage.col.consumer": {"zh-CN": "使用方", "en": "Consumer"},
    "usage.col.product": {"zh-CN": "产品", "en": "Product"},
    "usage.col.engine": {"zh-CN": "计算方式", "en": "Engine"},
    "usage.col.provider": {"zh-CN": "提供方", "en": "Provider"},
    "usage.col.jobs": {"zh-CN": "任务数", "en": "Jobs"},
    "usage.col.succeeded": {"zh-CN": "成功", "en": "Succeeded"},
    "usage.col.subjects": {"zh-CN": "提交对象数", "en": "Subjects"},
    "usage.col.matched": {"zh-CN": "匹配数", "en": "Matched"},
    "usage.col.cells_released": {"zh-CN": "发布单元格", "en": "Cells released"},
    "usage.col.epsilon": {"zh-CN": "隐私预算 ε", "en": "Epsilon"},
    "usage.col.ledger_entries": {"zh-CN": "账本记录", "en": "Ledger entries"},
    "usage.rows": {
        "zh-CN": "共 {count} 行（每行对应的账本记录见 --csv）",
        "en": "{count} rows (the ledger entries behind each row: --csv)",
    },
    "consent.imported": {
        "zh-CN": "已保存 {stored} 条同意记录，拒绝 {rejected} 行",
        "en": "Stored {stored} consent records; {rejected} rows rejected",
    },
    "consent.revoked": {"zh-CN": "已撤回 {count} 条同意", "en": "Revoked {count} consents"},
    "consent.opted_out": {
        "zh-CN": "已登记退出：同意已全部撤回，对象将从下一数据版本和所有队列中移除",
        "en": "Opt-out recorded: every consent revoked; the subject leaves the next "
        "dataset version and every cohort",
    },
    "consent.status": {
        "zh-CN": "有效同意 {live} 条，已撤回 {revoked} 条，退出 {opted_out} 人",
        "en": "{live} live consents, {revoked} revoked, {opted_out} opted out",
    },
    "paillier.too_large": {
        "zh-CN": "Paillier 公钥模数 {bits} 位，超过上限 {max} 位，已拒绝",
        "en": "Paillier key of {bits} bits refused: at most {max} are allowed",
    },
    "cohort.too_many_months": {
        "zh-CN": "按月分组的查询最多跨 {max} 个月，此查询跨 {months} 个月（{start} 至 {end}）",
        "en": "a query grouped by month may span at most {max} months; "
        "this one spans {months} ({start} to {end})",
    },
    "cohort.too_many_cells": {
        "zh-CN": "一个查询最多 {max} 个单元格，此查询有 {cells} 个（{shape}）",
        "en": "a query may have at most {max} cells; this one has {cells} ({shape})",
    },
    "duty.retention": {
        "zh-CN": "义务：评分结果须在 {days} 天内删除",
        "en": "Duty: delete these results within {days} days",
    },
    "duty.retention_claims": {
        "zh-CN": "义务：核验结果须在 {days} 天内删除",
        "en": "Duty: delete these answers within {days} days",
    },
    "duty.retention_features": {
        "zh-CN": "义务：特征结果须在 {days} 天内删除",
        "en": "Duty: delete these features within {days} days",
    },
    "keys.unsigned": {
        "zh-CN": "{name} 的公钥声明未经其签名密钥签名（或签名无效）：拒绝使用",
        "en": "{name}'s keys are not signed by its signing key (or the signature is invalid): "
        "refused",
    },
    "keys.wrong_suite": {
        "zh-CN": "{name} 的公钥属于 {suite} 套件，而不是本方使用的 {ours} 套件",
        "en": "{name}'s keys are for the {suite} suite, not {ours}",
    },
    "keys.wrong_role": {
        "zh-CN": "{name} 的公钥声明其角色为 {role}，而此处需要 {expected}",
        "en": "{name}'s keys announce it as a {role}; this needs a {expected}",
    },
    "keys.changed": {
        "zh-CN": "{name} 的签名密钥已变更：本节点固定的指纹为 {pinned}，现收到 {offered}，"
        "且没有由原密钥签名的轮换证明。不会向其封装任何数据，也不会为其计算。"
        "若确属正常更换，请与 {name} 当面或电话核对新指纹后运行："
        "tspace keys trust {name} {offered} --workdir {workdir}",
        "en": "{name}'s signing key has changed: this node pinned {pinned}, it is now offered "
        "{offered}, and no rotation signed by the pinned key leads to it. Nothing is sealed "
        "to it or computed for it. If the change is genuine, check the new fingerprint with "
        "{name} in person or by phone, then run: "
        "tspace keys trust {name} {offered} --workdir {workdir}",
    },
    "keys.rolled_back": {
        "zh-CN": "{name} 的公钥声明序号为 {offered}，不晚于已见过的序号 {serial}（且密钥不同）："
        "这是一份旧声明（可能被回滚），拒绝使用",
        "en": "{name}'s keys are announced with serial {offered}, not newer than serial "
        "{serial} already seen with other keys: an old announcement (rolled back?), refused",
    },
    "keys.space_bound": {
        "zh-CN": "{name} 的签名密钥已绑定为 {bound}；新密钥 {offered} 必须附有由已绑定密钥签名的"
        "轮换（tspace keys rotate），或由运维方重新绑定（tspace admin rebind-key）",
        "en": "{name}'s signing key is bound to {bound}; a new key ({offered}) must come with a "
        "rotation signed by the bound key (tspace keys rotate), or the operator rebinds it "
        "(tspace admin rebind-key)",
    },
    "participant.exists": {
        "zh-CN": "参与方 {name} 已存在（角色 {role}）：不能重复添加。"
        "需要新的 API 密钥请用 tspace admin rotate-key；"
        "更换公钥请由该参与方运行 tspace keys rotate",
        "en": "participant {name} exists already (a {role}): it cannot be added again. For a "
        "new API key use tspace admin rotate-key; for new public keys the participant runs "
        "tspace keys rotate",
    },
    "keys.pinned_first_use": {
        "zh-CN": "首次使用时固定 {name} 的签名密钥指纹：{fingerprint}",
        "en": "Pinned {name}'s signing key on first use: {fingerprint}",
    },
    "keys.rotated": {
        "zh-CN": "{name} 已轮换签名密钥（由原密钥签名）：{old} → {new}",
        "en": "{name} rotated its signing key (signed by the old one): {old} -> {new}",
    },
    "keys.show": {
        "zh-CN": "本节点签名公钥：{public}\n指纹：{fingerprint}",
        "en": "This node's signing key: {public}\nFingerprint: {fingerprint}",
    },
    "keys.suite": {
        "zh-CN": "密码算法套件：{suite}（{implementation}）",
        "en": "Crypto suite: {suite} ({implementation})",
    },
    "crypto.impl.default": {
        "zh-CN": "OpenSSL 与 libsodium",
        "en": "OpenSSL and libsodium",
    },
    "crypto.impl.gm_tongsuo": {
        "zh-CN": "SM2 由铜锁（Tongsuo）C 代码计算，秘密标量的点乘为常数时间",
        "en": "SM2 by Tongsuo's C code, constant-time multiplications by secret scalars",
    },
    "crypto.impl.gm_gmssl": {
        "zh-CN": "SM2 由 gmssl 纯 Python 计算，非常数时间（本平台无铜锁安装包）",
        "en": "SM2 by gmssl in pure Python, not constant-time (no Tongsuo wheel for this platform)",
    },
    "keys.pins_title": {"zh-CN": "已固定的签名密钥指纹", "en": "Pinned signing keys"},
    "keys.pin_row": {
        "zh-CN": "{name}：{fingerprint}（{how}，序号 {serial}）",
        "en": "{name}: {fingerprint} ({how}, serial {serial})",
    },
    "keys.pinned_how.first_use": {"zh-CN": "首次使用时固定", "en": "pinned on first use"},
    "keys.pinned_how.person": {"zh-CN": "由负责人固定", "en": "pinned by a person"},
    "keys.no_pins": {
        "zh-CN": "尚未固定任何参与方的密钥",
        "en": "No participant's key is pinned yet",
    },
    "keys.trusted": {
        "zh-CN": "已固定 {name} 的签名密钥指纹：{fingerprint}",
        "en": "Pinned {name}'s signing key: {fingerprint}",
    },
    "keys.repinned": {
        "zh-CN": "注意：{name} 的签名密钥指纹由 {old} 改为 {new}。此后本节点信任新密钥，"
        "不再信任旧密钥。请确认已与 {name} 当面或电话核对过新指纹。",
        "en": "WARNING: {name}'s pinned signing key changes from {old} to {new}. From now on "
        "this node trusts the new key and no longer the old one. Be sure you checked the new "
        "fingerprint with {name} in person or by phone.",
    },
    "keys.rotated_own": {
        "zh-CN": "已轮换本节点的密钥（序号 {serial}）：签名密钥指纹 {signing}，"
        "封装公钥指纹 {sealing}",
        "en": "Rotated this node's keys (serial {serial}): signing key {signing}, sealing key "
        "{sealing}",
    },
    "participant.fingerprint": {
        "zh-CN": "{name} 的签名密钥指纹：{fingerprint}（请交给其他参与方固定："
        "tspace keys trust {name} {fingerprint} --workdir 节点目录）",
        "en": "{name}'s signing key fingerprint: {fingerprint} (give it to the other parties "
        "to pin: tspace keys trust {name} {fingerprint} --workdir NODE_DIR)",
    },
    "participant.no_fingerprint": {
        "zh-CN": "{name} 尚未绑定签名密钥：其首次登记公钥时绑定，指纹随后显示在控制台的"
        "“参与方”页面；各节点在首次使用时固定它。",
        "en": "{name} has no signing key bound yet: its first key registration binds one, "
        "whose fingerprint the console's Participants page then shows; nodes pin it on "
        "first use.",
    },
    "node.model_approved": {
        "zh-CN": "已批准模型 {path}（SHA-256 {hash}…）：评分任务须使用已批准的模型",
        "en": "Approved model {path} (SHA-256 {hash}...): score tasks must use an approved model",
    },
    "participant.rebound": {
        "zh-CN": "注意：{name} 的签名密钥已重新绑定为 {fingerprint}（已记入账本）。"
        "固定了旧密钥的节点会拒绝它，直到其负责人核对后运行 tspace keys trust。",
        "en": "WARNING: {name}'s signing key is rebound to {fingerprint} (recorded in the "
        "ledger). Nodes that pinned the old key refuse it until a person there checks it "
        "and runs tspace keys trust.",
    },
    # -- peering between spaces (issue 26) --------------------------------------------
    "peer.unsigned": {
        "zh-CN": "来自其他空间的请求没有签名（缺少 X-Tspace-Peer、时间、随机数或签名）",
        "en": "the request from another space is not signed (no X-Tspace-Peer, time, nonce "
        "or signature)",
    },
    "peer.unknown": {
        "zh-CN": "指纹为 {peer} 的空间不是本空间的对等空间（tspace admin add-peer）",
        "en": "the space with fingerprint {peer} is not a peer of this space (tspace admin "
        "add-peer)",
    },
    "peer.forged": {
        "zh-CN": "该请求不是对等空间 {peer} 固定的签名密钥签发的，或不是发给本空间的",
        "en": "the request is not signed by the key pinned for peer {peer}, or is meant for "
        "another space",
    },
    "peer.stale": {
        "zh-CN": "对等空间 {peer} 的请求时间与本空间时钟相差 {seconds} 秒，超过 {window} 秒",
        "en": "the request of peer {peer} is {seconds} s from this space's clock, more than "
        "{window} s",
    },
    "peer.replayed": {
        "zh-CN": "对等空间 {peer} 的请求重复使用了已见过的随机数（重放），已拒绝",
        "en": "the request of peer {peer} repeats a nonce already seen (a replay): refused",
    },
    "peer.unreachable": {
        "zh-CN": "对等空间 {peer} 没有应答（{reason}）；其部分将失败或稍后重试",
        "en": "peer {peer} did not answer ({reason}); its part fails or is retried later",
    },
    "peer.bad_answer": {
        "zh-CN": "对等空间 {peer} 的应答没有其固定签名密钥的有效签名，已拒绝",
        "en": "the answer of peer {peer} is not signed by the key pinned for it: refused",
    },
    "peering.other_suite": {
        "zh-CN": "协议使用 {suite} 算法套件，本空间使用 {mine}；对等空间须使用同一套件",
        "en": "the agreement uses the {suite} suite and this space {mine}; peers use one suite",
    },
    "peering.not_this_space": {
        "zh-CN": "该协议没有列出本空间（账本密钥指纹 {space}）",
        "en": "the agreement does not name this space (ledger key fingerprint {space})",
    },
    "peering.unknown_product": {
        "zh-CN": "协议中的数据产品 {product} 在本空间不存在",
        "en": "the agreement's product {product} does not exist here",
    },
    "peering.steward_not_named": {
        "zh-CN": "协议没有列出 {steward} 为本空间的批准管理员（列出的是：{stewards}）",
        "en": "the agreement does not name {steward} among this space's approving stewards "
        "({stewards})",
    },
    "peering.other_key": {
        "zh-CN": "给出的签名密钥不是协议中 {peer} 一方的账本密钥",
        "en": "the signing key given is not the ledger key the agreement names for {peer}",
    },
    "peering.awaiting": {
        "zh-CN": "协议尚待本空间数据管理员批准：{stewards}（tspace client approve-agreement）；"
        "运营方不能单独建立对等关系",
        "en": "the agreement still awaits the approval of this space's stewards: {stewards} "
        "(tspace client approve-agreement); the operator alone cannot open a channel",
    },
    "peering.name_in_use": {
        "zh-CN": "已有名为 {peer} 的对等空间；先用 tspace admin remove-peer 移除",
        "en": "a peer named {peer} exists already; remove it first (tspace admin remove-peer)",
    },
    "peering.key_in_use": {
        "zh-CN": "该签名密钥已属于对等空间 {peer}",
        "en": "this signing key belongs to peer {peer} already",
    },
    "peering.other_agreement": {
        "zh-CN": "对等空间 {peer} 持有的协议与本空间的不同（摘要不一致）",
        "en": "peer {peer} holds another agreement than this space (the hashes differ)",
    },
    "peering.consumer_name_clash": {
        "zh-CN": "转来的任务的使用方 {consumer} 与本空间的参与方同名；为免混同，已拒绝",
        "en": "the forwarded job's consumer {consumer} has the name of a participant of this "
        "space; refused, so the two are never confused",
    },
    "peering.engine_not_federated": {
        "zh-CN": "数据产品 {product}（{engine} 引擎）的任务暂不能跨空间运行：{provider} "
        "是对等空间的提供方。该引擎的最小计数、差分隐私噪声和差分查询检查只能由一个空间执行；"
        "请只选择本空间的提供方，或到托管这些提供方的空间提交任务",
        "en": "jobs of {product} on the {engine} engine do not cross spaces yet: {provider} is "
        "a peer space's provider. That engine's min_count, differential-privacy noise and "
        "differencing checks are applied by one space only; name this space's providers, "
        "or submit the job at the space that hosts them",
    },
    "peering.engine_not_federated_peer": {
        "zh-CN": "{peer} 转来的任务属于数据产品 {product}（{engine} 引擎），"
        "该引擎的任务暂不能跨空间运行",
        "en": "{peer} forwarded a job of {product} on the {engine} engine, whose jobs do not "
        "cross spaces yet",
    },
    "peering.product_not_agreed": {
        "zh-CN": "与 {peer} 的对等协议不包括数据产品 {product}",
        "en": "the peering agreement with {peer} does not cover the product {product}",
    },
    "ledger.cross_bad": {
        "zh-CN": "账本之间的交叉引用不符：{problem}",
        "en": "Cross-reference between the ledgers fails: {problem}",
    },
    "ledger.cross_ok": {
        "zh-CN": "账本之间的交叉引用一致：核对 {checked} 处；"
        "{unchecked} 处指向未提供账本的空间，未核对",
        "en": "Cross-references between the ledgers hold: {checked} checked; {unchecked} point "
        "to spaces whose ledger was not given, not checked",
    },
    "peering.drafted": {
        "zh-CN": "已写出对等协议 {path}（摘要 {agreement}）；请交给对方运营方，并请双方列出的"
        "数据管理员批准",
        "en": "Wrote the peering agreement {path} (hash {agreement}); send it to the other "
        "operator, and have the stewards it names on both sides approve it",
    },
    "peering.approved": {
        "zh-CN": "已批准协议 {agreement}；本空间已批准的管理员：{stewards}",
        "en": "Approved agreement {agreement}; this space's stewards that approved: {stewards}",
    },
    "peering.added": {
        "zh-CN": "已添加对等空间 {peer}（{url}，指纹 {fingerprint}），协议摘要 {agreement}，"
        "可跨空间的数据产品：{products}",
        "en": "Added peer {peer} ({url}, fingerprint {fingerprint}) under agreement "
        "{agreement}; products that may cross: {products}",
    },
    "peering.removed": {
        "zh-CN": "已移除对等空间 {peer}：此后拒绝它的请求",
        "en": "Removed peer {peer}: its requests are refused from now on",
    },
    "peering.none": {"zh-CN": "本空间没有对等空间", "en": "This space has no peers"},
    "peering.confirmed": {
        "zh-CN": "对等空间 {peer} 已应答并会签协议 {agreement}",
        "en": "Peer {peer} answered and countersigned agreement {agreement}",
    },
    "peering.col.name": {"zh-CN": "名称", "en": "Name"},
    "peering.col.url": {"zh-CN": "地址", "en": "URL"},
    "peering.col.fingerprint": {"zh-CN": "指纹", "en": "Fingerprint"},
    "peering.col.agreement": {"zh-CN": "协议摘要", "en": "Agreement"},
    "peering.col.products": {"zh-CN": "数据产品", "en": "Products"},
    "peering.col.state": {"zh-CN": "状态", "en": "State"},
    "peering.col.confirmed": {"zh-CN": "对方会签", "en": "Countersigned"},
    "peering.state.active": {"zh-CN": "生效", "en": "active"},
    "peering.state.removed": {"zh-CN": "已移除", "en": "removed"},
    "peering.yes": {"zh-CN": "是", "en": "yes"},
    "peering.no": {"zh-CN": "否", "en": "no"},
}

if ERRORS.keys() & MESSAGES.keys():
    raise ValueError(
        f"both console messages and error texts: {sorted(ERRORS.keys() & MESSAGES.keys())}"
    )
MESSAGES.update(ERRORS)
if LOGS.keys() & MESSAGES.keys():
    raise ValueError(f"both messages and log lines: {sorted(LOGS.keys() & MESSAGES.keys())}")
MESSAGES.update(LOGS)

_language = os.environ.get("TSPACE_LANG", "zh-CN")
# A language for one piece of work (a service request's Accept-Language),
# over the process's: ``speaking``.
_speaking: contextvars.ContextVar[str | None] = contextvars.ContextVar("speaking", default=None)


def set_language(language: str | None) -> None:
    global _language
    if language is None:
        return
    if language not in LANGUAGES:
        raise ValueError(text_in("en", "err.base.value.language", languages=", ".join(LANGUAGES)))
    _language = language


def language() -> str:
    spoken = _speaking.get()
    if spoken in LANGUAGES:
        return spoken
    return _language if _language in LANGUAGES else "zh-CN"


@contextlib.contextmanager
def speaking(lang: str | None) -> Iterator[None]:
    """Say everything in ``lang`` within the block (None or an unknown
    language: the process's language)."""
    token = _speaking.set(lang if lang in LANGUAGES else None)
    try:
        yield
    finally:
        _speaking.reset(token)


def accepted(header: str | None) -> str | None:
    """The language an HTTP ``Accept-Language`` header asks for, of ours
    (``en-GB,en;q=0.8`` -> en, ``zh`` -> zh-CN); None when neither."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return None


class Text:
    """A catalog message said in the language current when it is shown
    (``str``), not when it was made: an error raised in a worker or under
    the service's language reads in the reader's. Parameters are kept as
    given (another ``Text`` is said in the same language)."""

    def __init__(self, key: str, **params: object) -> None:
        if key not in MESSAGES:
            raise ValueError(f"no message {key!r}")
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        with speaking(lang):
            return str(self)

    def __str__(self) -> str:
        # A parameter that is itself a Text is said when formatted, in this language.
        return t(self.key, **self.params)

    def __repr__(self) -> str:
        return f"Text({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash(self.key)

    def __getstate__(self) -> dict[str, object]:
        return {"key": self.key, "params": self.params}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)


def json_problem(exc: Exception) -> Text:
    """Why a document is not JSON, with the line and column where it stops."""
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if line is None or column is None:
        return Text("json.not_utf8")
    return Text("json.invalid", line=line, column=column)


class OnlyInEnglish:
    """A library's own English words (a YAML parser's reason): shown to a
    reader in English, left out in zh-CN, where the message says enough."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text if language() == "en" else ""


def english(message: object) -> str:
    """A message (a ``Text`` or a plain string) in English, for logs and codes."""
    return message.text("en") if isinstance(message, Text) else str(message)


def t(key: str, **values: object) -> str:
    return text_in(language(), key, **values)


def logged(key: str, **values: object) -> str:
    """A log line in the process's language (``--lang``, ``TSPACE_LANG``),
    whatever language the request at hand speaks: the operator reads it."""
    with speaking(None):
        return t(key, **values)


def text_in(lang: str, key: str, **values: object) -> str:
    """A message in ``lang`` (zh-CN when ``lang`` is neither language). A
    list, tuple or set among ``values`` is said as that language lists
    (``listed``), never as Python writes one."""
    lang = lang if lang in LANGUAGES else "zh-CN"
    text = MESSAGES[key][lang]
    if not values:
        return text
    return text.format(**{name: listed(value, lang) for name, value in values.items()})


def listed(value: object, lang: str) -> object:
    """``value`` as ``lang`` lists it when it is a list, tuple or set: items
    joined by the enumeration comma (、) in zh-CN, by ", " in English, a set
    sorted, an empty one "（无）" / "(none)"; anything else as it is."""
    if not isinstance(value, list | tuple | set | frozenset):
        return value
    if not value:
        return MESSAGES["list.empty"][lang]
    words = [item.text(lang) if isinstance(item, Text) else str(item) for item in value]
    if not isinstance(value, list | tuple):
        words.sort()  # a set in a stable order: by the words said in ``lang``
    return ("、" if lang == "zh-CN" else ", ").join(words)


def help_text(source: str) -> str:
    """A command's or option's help (``source``: the text in the code) in the
    current language, from ``trusted_space.core.help_text``; the source text
    itself when it has no entry (tests/unit/test_cli_language.py forbids that)."""
    from trusted_space.core.help_text import HELP

    entry = HELP.get(" ".join(source.split()))
    if entry is None:
        return source
    return entry.get(language(), source)


# Typer's own words in help screens and usage errors.
TYPER_WORDS: dict[str, dict[str, str]] = {
    "ARGUMENTS_PANEL_TITLE": {"zh-CN": "参数", "en": "Arguments"},
    "OPTIONS_PANEL_TITLE": {"zh-CN": "选项", "en": "Options"},
    "COMMANDS_PANEL_TITLE": {"zh-CN": "命令", "en": "Commands"},
    "ERRORS_PANEL_TITLE": {"zh-CN": "错误", "en": "Error"},
    "ABORTED_TEXT": {"zh-CN": "已中止。", "en": "Aborted."},
    "DEFAULT_STRING": {"zh-CN": "[默认：{}]", "en": "[default: {}]"},
    "ENVVAR_STRING": {"zh-CN": "[环境变量：{}]", "en": "[env var: {}]"},
    "REQUIRED_LONG_STRING": {"zh-CN": "[必填]", "en": "[required]"},
    "RICH_HELP": {
        "zh-CN": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
        "en": "Try [blue]'{command_path} {help_option}'[/] for help.",
    },
}
HELP_OPTION = {"zh-CN": "显示本帮助并退出。", "en": "Show this message and exit."}


# -- English back to the catalog ------------------------------------------------------------
# Reports keep a load's rejection reasons and warnings in English (file
# formats are English, for scripts); the terminal says them in the reader's
# language by finding the catalog entry each one is the English of.

_PATTERNS: list[tuple[str, str, re.Pattern[str]]] | None = None
_EXACT: dict[str, str] = {}
# Placeholders written side by side ("{listed}{tail}"): where one ends is a guess.
_ADJACENT: dict[str, list[tuple[str, str]]] = {}


def _patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    global _PATTERNS
    if _PATTERNS is None:
        found = []
        for key, entry in MESSAGES.items():
            english_text = entry.get("en", "")
            parts = list(string.Formatter().parse(english_text))
            if all(name is None for _, name, _, _ in parts):
                _EXACT.setdefault(english_text.replace("{{", "{").replace("}}", "}"), key)
                continue
            literal = "".join(text for text, _, _, _ in parts)
            # A template of punctuation and placeholders ("{where}: {message}")
            # would claim any text: only worded ones are recognised (three
            # letters, or two in five marks: " (e.g. {first})").
            letters = sum(ch.isalpha() for ch in literal)
            if letters < 2 or (letters == 2 and len("".join(literal.split())) < 5):
                continue
            pattern, seen = "", set()
            _ADJACENT[key] = [
                (before[1], after[1])
                for before, after in itertools.pairwise(parts)
                if before[1] and after[1] and not after[0]
            ]
            for text, name, _, conversion in parts:
                pattern += re.escape(text)
                if name is None:
                    continue
                # "{product!r}": the value found would be quoted twice when said.
                if not name.isidentifier() or conversion:
                    pattern = ""
                    break
                if name in seen:
                    pattern += f"(?P={name})"
                else:
                    # A count is a number: "{n}{examples}" splits after it.
                    pattern += r"(?P<n>\d[\d,]*)" if name == "n" else f"(?P<{name}>.*?)"
                seen.add(name)
            if pattern:
                longest = max((text for text, _, _, _ in parts), key=len)
                found.append((key, longest, re.compile(pattern, re.DOTALL)))
        # The most literal text first: the most specific entry wins (its
        # words, not its placeholders' names: " (e.g. {first})" before
        # "{file} row {row}").
        words = {key: len(re.sub(r"\{[^{}]*\}", "", MESSAGES[key]["en"])) for key, _, _ in found}
        found.sort(key=lambda item: (-words[item[0]], -len(item[2].pattern)))
        _PATTERNS = found
    return _PATTERNS


def recognised(text: str, depth: int = 3) -> Text | str:
    """The catalog ``Text`` whose English is ``text`` (its parameters
    recognised in turn), said in the reader's language when shown; ``text``
    itself when no entry says it."""
    patterns = _patterns()
    if text in _EXACT:
        return Text(_EXACT[text])
    for key, longest, pattern in patterns:
        if longest not in text:
            continue
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = _resplit(key, match.groupdict(), depth)
        params: dict[str, object] = {
            name: recognised(value, depth - 1) if depth > 1 and value else value
            for name, value in values.items()
        }
        return Text(key, **params)
    return text


def _resplit(key: str, values: dict[str, str], depth: int) -> dict[str, str]:
    """Move the boundary between side-by-side placeholders so that the second
    is a catalog text when it can be: ``{listed}{tail}`` of "a (1), b (2) and
    3 more" ends ``listed`` before " and 3 more", not at once."""
    for first, second in _ADJACENT.get(key, []):
        tail = values.get(second) or ""
        if depth <= 1 or isinstance(recognised(tail, depth - 1), Text):
            continue
        both = (values.get(first) or "") + tail
        # A tail of the catalog starts with a space (" and 3 more", " (e.g. ...)").
        for cut in range(len(both) - 1, -1, -1):
            if both[cut] == " " and isinstance(recognised(both[cut:], depth - 1), Text):
                values = {**values, first: both[:cut], second: both[cut:]}
                break
    return values
