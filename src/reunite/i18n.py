"""Every word reunite shows a person, one table per language: English (the default) and Chinese.

The labels of comparison levels, in both languages, live with their comparison
(:mod:`reunite.matching.comparisons`), which owns their order. Everything else a report, a visit
sheet, RANKED.csv's headers or a command's closing lines say is looked up in :data:`TEXT` by key.
This module imports nothing of reunite but the error tree, so every stage may use it.
"""

from __future__ import annotations

from typing import Literal, get_args

from reunite.errors import ConfigError

__all__ = [
    "LANGUAGES", "RANKED_HEADERS", "TEXT", "Language", "calendar_text", "check_language",
    "error_text", "reason_separator", "sex_text", "text",
]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

# RANKED.csv's headers per language (the English ones are the data contract).
RANKED_HEADERS: dict[Language, dict[str, str]] = {
    "en": {},
    "zh": {
        "case_id": "案件编号", "rank": "排名", "person_id": "人员编号", "score": "得分", "probability": "概率",
        "case_probability": "案件有匹配的概率", "reasons": "理由", "name": "姓名", "sex": "性别",
        "birth_date": "出生日期", "region": "户籍地", "id_number": "身份证号", "pairs_compared": "比对人数",
    },
}

_CALENDAR: dict[Language, dict[str, str]] = {"en": {}, "zh": {"lunar": "农历", "solar": "公历"}}
_SEX = {"en": {"M": "M", "F": "F", "": ""}, "zh": {"M": "男", "F": "女", "": ""}}

TEXT: dict[Language, dict[str, str]] = {
    "en": {
        # the report
        "report_title": "reunite: ranked candidates",
        "summary": "Summary",
        "cases_screened": "cases screened",
        "pairs_compared": "pairs compared",
        "cases_ranked": "cases with ranked candidates",
        "cases_p50": "cases with a candidate at p ≥ 0.5",
        "cases_p90": "cases with a candidate at p ≥ 0.9",
        "cases_changed": "cases whose top-k changed in the last run",
        "dna_outcomes": "DNA outcomes",
        "dna_confirmed": "confirmed",
        "dna_excluded": "excluded",
        "dna_pending": "pending",
        "dna_none": "no DNA outcomes recorded",
        "first_scores": "Score of each case's first candidate (bits)",
        "likely_match": "child likely among the candidates (case probability ≥ 0.5)",
        "unlikely_match": "child likely not among them",
        "field_colours": "Field weights (bits): colours",
        "filters": "Filters",
        "filter_region": "region",
        "filter_all": "all",
        "filter_probability": "first candidate p ≥",
        "filter_changed": "changed since last run only",
        "shown": "cases shown",
        "cases": "Cases",
        "case": "Case",
        "case_probability": "case probability",
        "changed": "changed in last run",
        "rank": "rank",
        "person": "person",
        "score": "score",
        "probability": "probability",
        "reasons": "reasons",
        "field": "field",
        "weight": "weight",
        "case_record": "case",
        "candidate_record": "candidate",
        "no_candidates": "no candidates ranked",
        "weights_chart": "Each case shows how the score of each of its first {n} candidates adds up, field by field "
                         "(bits; a step to the right is for, to the left against; the last bar is the score).",
        "weights_caption": "score, field by field (bits)",
        "records_side_by_side": "records side by side",
        "today": "today",
        "generated": "generated",
        "source": "source",
        "ids_masked": "ID numbers masked",
        "ids_revealed": "ID numbers NOT masked (--reveal-ids)",
        "detail_note": "Charts and side-by-side records for the first {n} candidates of each case; "
                       "every ranked candidate is in its case's table, with its strongest reasons "
                       "(all of them are in RANKED.csv).",
        "dna": "DNA",
        "all_cases": "all cases",
        "same_characters": "same character",
        "same_sound": "same sound (同音字)",
        "shifted_year": "the year of a birthday shared in another year",
        # record fields
        "f_name": "name", "f_alias": "childhood name", "f_former_names": "former names", "f_sex": "sex",
        "f_birth_date": "birth date", "f_birth_calendar": "calendar", "f_missing_date": "missing date",
        "f_missing_region": "missing region", "f_region": "region", "f_registration_date": "registered",
        "f_marks": "marks", "f_id_number": "ID number", "f_dates": "dates",
        # comparisons (chart legend)
        "c_other": "other",  # the weights of comparisons a chart leaves out (each comparison's title: its module)
        # visit sheets
        "plan_title": "DNA sampling visit sheets",
        "plan_county": "county",
        "plan_unknown_county": "(county unknown)",
        "plan_unknown_township": "(township not in the address)",
        "plan_township": "township",
        "plan_persons": "persons",
        "plan_to_collect": "samples to collect",
        "plan_in_database": "compare in the database (profile on file)",
        "plan_person": "person",
        "plan_cases": "cases (rank, probability)",
        "plan_reasons": "three strongest reasons",
        "plan_notes": "notes",
        "plan_page": "page",
        "plan_visited": "visited ☐  sample taken ☐",
        "plan_empty": "nobody to visit: no open case has a candidate left to sample",
        # command line
        "msg_ranked": "ranked candidates: {path}",
        "msg_report": "report: {path}",
        "msg_report_open": "report: {path}  (open it in a browser; it needs no network)",
        "msg_plan_html": "visit sheets: {path}",
        "msg_done": "done in {seconds:.1f} s",
        "msg_plan_csv": "sampling plan: {path}",
        "msg_plan_summary": "{persons} persons for {cases} cases: {collect} samples to collect, "
                            "{database} to compare in the database",
        "msg_plan_province": "province", "msg_plan_county": "county", "msg_plan_persons": "persons",
        "msg_plan_cases": "cases", "msg_plan_samples": "samples", "msg_unknown": "(unknown)",
        "msg_seconds": "  ({seconds:.1f} s)",
        "msg_quarantine": "quarantined and flagged rows: {path}",
        "msg_quarantine_stale": "nothing quarantined or flagged in {source}: the quarantine file an earlier run "
                                "left is kept as {path}",
        "msg_quarantine_earlier": "the file left where {source}'s quarantine file goes (an earlier run's) is "
                                  "kept as {path}",
        "msg_model_out": "fitted model: {path}",
        "msg_prepared": "prepared table: {path} ({rows} records; give it to screen or rescreen as --candidates)",
        "msg_prepare_updated": "updated from {path}: names read for {names} and places for {regions} of {rows} "
                               "records (the others' as {path} read them; dates and ID numbers read anew)",
        "msg_prepare_not_updated": "not updated from {path} ({why}): every record prepared anew",
        "rescreen_started": "run {run} started: {kind} re-screen ({reason})",
        "rescreen_kind_full": "full", "rescreen_kind_incremental": "incremental", "rescreen_kind_nothing": "no",
        "rescreen_changes": "{new_cases} new and {changed_cases} changed cases, {new_candidates} new and "
                            "{changed_candidates} changed candidates",
        "rescreen_removed": "; removed {cases} cases and {candidates} candidates",
        "rescreen_restored": "; restored {cases} cases and {candidates} candidates",
        "rescreen_nothing": "nothing to do: {changes}; the stored top-{top_k} is current ({reason})",
        "rescreen_nothing_reason": "no new or changed rows, no removals, no new DNA exclusions",
        "rescreen_run": "run {run}: {kind} re-screen ({reason}); model {model}",
        "rescreen_screened": "screened {all} cases against every candidate and {delta} against the new, "
                             "changed and removed ones: {pairs:,} pairs compared",
        "rescreen_screened_night": "screened {all} cases against every candidate{why} and {delta} against the "
                                   "{candidates} new, changed and removed candidates: {pairs:,} pairs compared",
        "rescreen_screened_no_delta": "screened {all} cases against every candidate{why}; no candidate is new, "
                                      "changed or removed, so no other case was screened: {pairs:,} pairs compared",
        "rescreen_because": " ({why})",
        "rescreen_because_new": "{n} new", "rescreen_because_changed": "{n} changed",
        "rescreen_because_no_totals": "{n} reopened, without stored totals",
        "rescreen_because_exclusions": "{n} with DNA exclusions recorded since their last screen",
        "rescreen_because_read_otherwise": "{n} reading otherwise today",
        "rescreen_because_unscreened": "{n} written outside a run",
        "rescreen_because_window": "{n} whose stored top-k the new candidates could not be merged into",
        "rescreen_new_in_top": "{n} cases have new candidates in their top {top_k}",
        "msg_quarantined_not_stored": "quarantined rows: {path} (not stored)",
        "msg_quarantined_not_removed": "quarantined rows: {path} (not removed)",
        "msg_quarantined_not_restored": "quarantined rows: {path} (not restored)",
        "msg_quarantined_rows": "quarantined rows: {path}",
        "msg_exported": "{rows} rows of the stored top-k: {path}",
        "msg_verified": "verified: the stored ranking of {cases:,} open cases ({rows:,} rows) equals a full screen "
                        "of them against the {candidates:,} stored candidates with the stored fitted model {model} "
                        "({pairs:,} pairs compared)",
        "msg_verify_differs": "DIFFERS: {n:,} differences between the stored ranking of {cases:,} open cases and "
                              "a full screen with the stored fitted model {model}; the first:",
        "msg_verify_not_compared": " (their differences from a full screen are that night's work, not a fault)",
        "msg_unlocked": "removed the run lock held by {holder}",
        "msg_no_lock": "no run lock was held",
        "msg_dna_recorded": "recorded: case {case}, person {person}: {outcome}",
        "msg_dna_already_recorded": "already recorded, not stored again: case {case}, person {person}: {outcome} "
                                    "(the same outcome, date, lab ref and note)",
        "msg_dna_closes": " (the case is closed)",
        "msg_profiles": "{n} persons with a DNA profile on file in {source}; {new} newly marked",
        "preview_head": "{cases} cases x {candidates} candidates",
        "preview_total": "total",
        "preview_ratio": "reduction ratio",
        "eval_cases": "cases {n} (with a true candidate {with_match}, found in the ranking {found})",
        "eval_mrr": "MRR {mrr:.3f}  mean rank of found {mean_rank:.2f}  AUC(top score) {auc:.3f}",
        "eval_pairs": "pairs compared {pairs:,}  reduction ratio {ratio}",
        "eval_tag": "tag",
        "explain_head": "case {case} / person {person}: score {score:+.2f}",
        "explain_missing": "missing",
        "train_weights_kind": "weights (bits), cases of kind {kind}:",
        "train_weights_all": "weights (bits), all cases:",
        "train_model": "model {version}: {path}",
        "train_confirmed_unused": "{source}: {n} of {total} confirmed pairs are not in these cases and candidates "
                                  "and were not used (rows {rows})",
        "kind_baby": "baby", "kind_child": "child", "kind_unknown": "unknown",
        "msg_generating": "generating {cases} cases and {candidates} candidates (seed {seed}) ...",
        # ingest summary (IngestReport.summary); the problems by kind stay as the reader wrote them
        "ingest_counts": "{source}: read {read}, accepted {accepted}, quarantined {quarantined}",
        "ingest_counts_recorded": "{source}: read {read}, imported {stored}, already recorded {already} (identical "
                                  "outcome, date, lab ref and note; not stored again), quarantined {quarantined}",
        "ingest_encoding": " (encoding {encoding})",
        "ingest_flagged": "  flagged {n} accepted row(s), kept for screening (see the quarantine file)",
        "ingest_flagged_removal": "  flagged {n} accepted row(s): already removed, or removed with a DNA outcome to "
                                  "note (see the quarantine file)",
        "ingest_flagged_dna": "  flagged {n} accepted row(s), recorded (see the quarantine file for how each was read)",
        "ingest_blank": "  skipped {n} blank row(s)",
        "ingest_ignored": "  ignored columns: {columns}",
        "list_separator": ", ",
        # screen summary (ScreenResult.summary, FitReport.format)
        "screen_screened": "screened {cases} cases against {candidates} candidates: {pairs:,} pairs compared",
        "screen_ranked": "{n} cases have ranked candidates (top {top_k}); {rows} rows",
        "screen_strong": "{n} cases have a first candidate with probability >= 0.5",
        "screen_unlikely": "{n} cases likely have no match among the candidates at all (case probability < 0.5); "
                           "expected matched cases {expected:.0f} of {cases}",
        "fit_head": "m fitted on {cases:,} cases ({pairs:,} pairs): {confident} cases with a likely child, "
                    "{expected:.0f} expected true pairs, {iterations} EM iterations",
        "fit_rejected": "m not fitted ({reason}); the model's own m is used",
        "fit_moved": "  weights that moved most ({n} moved by a bit or more):",
        "fit_weight": "  {name:<13} {label:<44} {before:+6.2f} -> {after:+6.2f} bits",
        # a user's error, as the command line prints it: framing, then (Chinese only) what kind of error
        "error": "{prefix}: error: {message}",
        "error_kind": "{kind}{message}",
        "interrupted": "{prefix}: interrupted",
        "out_of_memory": "{prefix}: error: not enough memory for what was asked (e.g. --cases, --candidates or "
                         "--top-k too large for this machine); ask for less, or run it on a larger machine",
        "run_under_way": "{prefix}: warning: a re-screen is under way ({holder}): the stored ranking written "
                         "here may change when it commits; run this again after it finishes",
        "awaiting_a_plan": "{prefix}: warning: {n:,} open case(s) have no stored ranking yet (reopened, or written "
                           "outside a run) and are not in this plan{ids}; run reunite rescreen first",
        "awaiting_a_night": "{prefix}: warning: {n:,} open case(s) changed since the last re-screen and are not "
                            "re-ranked yet: {excluded:,} with DNA exclusions recorded since (each excluded person "
                            "is still listed, the probabilities are those before), {unranked:,} without a stored "
                            "ranking (reopened, or written outside a run: not in it){ids}; run reunite rescreen "
                            "first",
        # the kind of a user's error, by class: English says it in the message alone
        "err_MissingFileError": "",
        "err_MissingColumnsError": "",
        "err_EncodingError": "",
        "err_OutputError": "",
        "err_ConcurrentRunError": "",
        "err_StoreError": "",
        "err_ConfigError": "",
        "err_NotFittedError": "",
        "err_InputError": "",
    },
    "zh": {
        "report_title": "reunite：候选人排名",
        "summary": "概况",
        "cases_screened": "筛查案件数",
        "pairs_compared": "比对对数",
        "cases_ranked": "有候选人的案件",
        "cases_p50": "有候选人概率 ≥ 0.5 的案件",
        "cases_p90": "有候选人概率 ≥ 0.9 的案件",
        "cases_changed": "上次运行中候选名单有变化的案件",
        "dna_outcomes": "DNA 比对结果",
        "dna_confirmed": "已确认",
        "dna_excluded": "已排除",
        "dna_pending": "待检",
        "dna_none": "尚无 DNA 比对结果",
        "first_scores": "各案件第一候选人的得分（比特）",
        "likely_match": "孩子很可能在候选人中（案件匹配概率 ≥ 0.5）",
        "unlikely_match": "孩子很可能不在候选人中",
        "field_colours": "各项权重（比特）：颜色",
        "filters": "筛选",
        "filter_region": "地区",
        "filter_all": "全部",
        "filter_probability": "第一候选人概率 ≥",
        "filter_changed": "只看上次运行后有变化的",
        "shown": "显示案件数",
        "cases": "案件",
        "case": "案件",
        "case_probability": "案件匹配概率",
        "changed": "上次运行有变化",
        "rank": "排名",
        "person": "人员",
        "score": "得分",
        "probability": "概率",
        "reasons": "理由",
        "field": "项目",
        "weight": "权重",
        "case_record": "案件",
        "candidate_record": "候选人",
        "no_candidates": "没有候选人",
        "weights_chart": "每个案件列出前 {n} 名候选人的得分如何逐项累加"
                         "（比特；向右一步为支持，向左为反对；最后一条为总分）。",
        "weights_caption": "得分逐项累加（比特）",
        "records_side_by_side": "记录对照",
        "today": "今",
        "generated": "生成时间",
        "source": "来源",
        "ids_masked": "身份证号已遮蔽",
        "ids_revealed": "身份证号未遮蔽（--reveal-ids）",
        "detail_note": "每个案件前 {n} 名候选人附图表和记录对照；所有候选人都列在案件表格中，附最强的几条理由"
                       "（全部理由见 RANKED.csv）。",
        "dna": "DNA",
        "all_cases": "全部案件",
        "same_characters": "相同的字",
        "same_sound": "同音字",
        "shifted_year": "生日相同而年份不同的年份",
        "f_name": "姓名", "f_alias": "小名", "f_former_names": "曾用名", "f_sex": "性别",
        "f_birth_date": "出生日期", "f_birth_calendar": "历法", "f_missing_date": "走失日期",
        "f_missing_region": "走失地点", "f_region": "户籍地", "f_registration_date": "入户日期",
        "f_marks": "体貌特征", "f_id_number": "身份证号", "f_dates": "日期",
        "c_other": "其他",
        "plan_title": "DNA 采样走访单",
        "plan_county": "县区",
        "plan_unknown_county": "（县区不明）",
        "plan_unknown_township": "（地址中无乡镇）",
        "plan_township": "乡镇街道",
        "plan_persons": "走访人数",
        "plan_to_collect": "需采样",
        "plan_in_database": "数据库比对（已有 DNA 档案）",
        "plan_person": "人员",
        "plan_cases": "可能对应的案件（排名，概率）",
        "plan_reasons": "最强的三条理由",
        "plan_notes": "备注",
        "plan_page": "第",
        "plan_visited": "已走访 ☐  已采样 ☐",
        "plan_empty": "没有需要走访的人：所有未结案件都没有待采样的候选人",
        "msg_ranked": "候选人排名：{path}",
        "msg_report": "报告：{path}",
        "msg_report_open": "报告：{path}（用浏览器打开，无需联网）",
        "msg_plan_html": "走访单：{path}",
        "msg_done": "用时 {seconds:.1f} 秒",
        "msg_plan_csv": "采样计划：{path}",
        "msg_plan_summary": "走访 {persons} 人，涉及 {cases} 个案件：需采样 {collect} 人，数据库比对 {database} 人",
        "msg_plan_province": "省", "msg_plan_county": "县区", "msg_plan_persons": "人数",
        "msg_plan_cases": "案件", "msg_plan_samples": "采样", "msg_unknown": "（不明）",
        "msg_seconds": "（{seconds:.1f} 秒）",
        "msg_quarantine": "隔离和标记的行：{path}",
        "msg_quarantine_stale": "{source} 没有隔离或标记的行：之前运行留下的隔离文件已改名保留为 {path}",
        "msg_quarantine_earlier": "{source} 的隔离文件位置上原有的文件（之前运行留下的）已改名保留为 {path}",
        "msg_model_out": "拟合后的模型：{path}",
        "msg_prepared": "预处理表：{path}（{rows} 条记录；可作为 screen 或 rescreen 的 --candidates）",
        "msg_prepare_updated": "由 {path} 更新：{rows} 条记录中 {names} 条重新读取姓名、{regions} 条重新读取地区"
                               "（其余沿用 {path} 的读取结果；日期和身份证号全部重新读取）",
        "msg_prepare_not_updated": "未能由 {path} 更新（{why}）：全部记录重新预处理",
        "rescreen_started": "第 {run} 次运行开始：{kind}重新筛查（{reason}）",
        "rescreen_kind_full": "全量", "rescreen_kind_incremental": "增量", "rescreen_kind_nothing": "无",
        "rescreen_changes": "新增案件 {new_cases} 个、变更 {changed_cases} 个，新增候选人 {new_candidates} 人、"
                            "变更 {changed_candidates} 人",
        "rescreen_removed": "；移除案件 {cases} 个、候选人 {candidates} 人",
        "rescreen_restored": "；恢复案件 {cases} 个、候选人 {candidates} 人",
        "rescreen_nothing": "无需运行：{changes}；已存的前 {top_k} 名是最新的（{reason}）",
        "rescreen_nothing_reason": "没有新增或变更的记录，没有移除，没有新的 DNA 排除结果",
        "rescreen_run": "第 {run} 次运行：{kind}重新筛查（{reason}）；模型 {model}",
        "rescreen_screened": "{all} 个案件与全部候选人比对，{delta} 个案件与新增、变更和移除的候选人比对："
                             "共比对 {pairs:,} 对",
        "rescreen_screened_night": "{all} 个案件与全部候选人比对{why}，{delta} 个案件与 {candidates} 个"
                                   "新增、变更和移除的候选人比对：共比对 {pairs:,} 对",
        "rescreen_screened_no_delta": "{all} 个案件与全部候选人比对{why}；没有新增、变更或移除的候选人，"
                                      "其他案件未比对：共比对 {pairs:,} 对",
        "rescreen_because": "（{why}）",
        "rescreen_because_new": "新增 {n} 个", "rescreen_because_changed": "变更 {n} 个",
        "rescreen_because_no_totals": "重新开启、无已存合计 {n} 个",
        "rescreen_because_exclusions": "上次筛查后有新 DNA 排除结果 {n} 个",
        "rescreen_because_read_otherwise": "今天读法不同 {n} 个",
        "rescreen_because_unscreened": "在运行外写入 {n} 个",
        "rescreen_because_window": "已存前 k 名无法与新候选人合并 {n} 个",
        "rescreen_new_in_top": "{n} 个案件的前 {top_k} 名中有新候选人",
        "msg_quarantined_not_stored": "隔离的行：{path}（未存入）",
        "msg_quarantined_not_removed": "隔离的行：{path}（未移除）",
        "msg_quarantined_not_restored": "隔离的行：{path}（未恢复）",
        "msg_quarantined_rows": "隔离的行：{path}",
        "msg_exported": "已存前 k 名共 {rows} 行：{path}",
        "msg_verified": "核对无误：{cases:,} 个未结案件的已存排序（{rows:,} 行）与用已存拟合模型 {model} "
                        "对 {candidates:,} 名已存候选人全量筛查的结果一致（比对 {pairs:,} 对）",
        "msg_verify_differs": "不一致：{cases:,} 个未结案件的已存排序与用已存拟合模型 {model} 全量筛查的结果"
                              "有 {n:,} 处不同；前几处：",
        "msg_verify_not_compared": "（其与全量筛查的不同之处由下次重新筛查处理，并非错误）",
        "msg_unlocked": "已解除 {holder} 持有的运行锁",
        "msg_no_lock": "没有运行锁",
        "msg_dna_recorded": "已记录：案件 {case}，人员 {person}：{outcome}",
        "msg_dna_already_recorded": "此前已记录，不再重复存储：案件 {case}，人员 {person}：{outcome}"
                                    "（结果、日期、实验室编号和备注均相同）",
        "msg_dna_closes": "（该案件已结案）",
        "msg_profiles": "{source} 中有 DNA 档案的人员 {n} 人；新标记 {new} 人",
        "preview_head": "{cases} 个案件 × {candidates} 个候选人",
        "preview_total": "合计",
        "preview_ratio": "缩减比",
        "eval_cases": "案件 {n} 个（有真实候选人 {with_match} 个，排名中找到 {found} 个）",
        "eval_mrr": "MRR {mrr:.3f}  找到者的平均名次 {mean_rank:.2f}  AUC（首位得分）{auc:.3f}",
        "eval_pairs": "比对 {pairs:,} 对  缩减比 {ratio}",
        "eval_tag": "标签",
        "explain_head": "案件 {case} / 人员 {person}：得分 {score:+.2f}",
        "explain_missing": "缺失",
        "train_weights_kind": "权重（比特），{kind}案件：",
        "train_weights_all": "权重（比特），全部案件：",
        "train_model": "模型 {version}：{path}",
        "train_confirmed_unused": "{source}：{total} 对已确认配对中有 {n} 对不在这些案件和候选人中，"
                                  "未使用（第 {rows} 行）",
        "kind_baby": "婴儿", "kind_child": "儿童", "kind_unknown": "类别不明的",
        "msg_generating": "生成 {cases} 个案件和 {candidates} 个候选人（随机种子 {seed}）……",
        "ingest_counts": "{source}：读取 {read} 行，接受 {accepted} 行，隔离 {quarantined} 行",
        "ingest_counts_recorded": "{source}：读取 {read} 行，导入 {stored} 行，已记录 {already} 行（结果、日期、"
                                  "实验室编号和备注均相同，不再重复存储），隔离 {quarantined} 行",
        "ingest_encoding": "（编码 {encoding}）",
        "ingest_flagged": "  标记了 {n} 个已接受的行，仍参与筛查（见隔离文件）",
        "ingest_flagged_removal": "  标记了 {n} 个已接受的行：此前已移除，或移除时有需注意的 DNA 结果（见隔离文件）",
        "ingest_flagged_dna": "  标记了 {n} 个已接受的行，已记录（各行如何读取见隔离文件）",
        "ingest_blank": "  跳过 {n} 个空行",
        "ingest_ignored": "  未使用的列：{columns}",
        "list_separator": "、",
        "screen_screened": "筛查 {cases} 个案件，候选人 {candidates} 人：比对 {pairs:,} 对",
        "screen_ranked": "{n} 个案件有候选人排名（前 {top_k} 名）；共 {rows} 行",
        "screen_strong": "{n} 个案件的第一候选人概率 ≥ 0.5",
        "screen_unlikely": "{n} 个案件很可能在候选人中完全没有匹配（案件匹配概率 < 0.5）；"
                           "预计有匹配的案件 {expected:.0f} 个（共 {cases} 个）",
        "fit_head": "已用 {cases:,} 个案件（{pairs:,} 对）拟合 m：{confident} 个案件很可能有孩子在候选人中，"
                    "预计真实配对 {expected:.0f} 对，EM 迭代 {iterations} 次",
        "fit_rejected": "未拟合 m（{reason}）；使用模型自带的 m",
        "fit_moved": "  变化最大的权重（{n} 项变化 1 比特以上）：",
        "fit_weight": "  {name:<13} {label:<44} {before:+6.2f} -> {after:+6.2f} 比特",
        "error": "{prefix}：错误：{message}",
        "error_kind": "{kind}：{message}",
        "interrupted": "{prefix}：已中断",
        "out_of_memory": "{prefix}：错误：内存不足（例如 --cases、--candidates 或 --top-k 对本机过大）；"
                         "请减少数量，或在内存更大的机器上运行",
        "run_under_way": "{prefix}：警告：一次重新筛查正在进行（{holder}）：此处写出的已存排序在其提交后可能改变；"
                         "请在其结束后重新运行",
        "awaiting_a_plan": "{prefix}：警告：{n:,} 个未结案件尚无已存排序（重新开启的案件，或在运行之外写入的案件），"
                           "不在本计划中{ids}；请先运行 reunite rescreen",
        "awaiting_a_night": "{prefix}：警告：{n:,} 个未结案件在上次重新筛查后有变化，尚未重新排序：{excluded:,} 个此后"
                            "记录了 DNA 排除（被排除的人仍在排序中，概率仍为排除前的），{unranked:,} 个没有已存排序"
                            "（重新开启的案件，或在运行之外写入的案件：不在其中）{ids}；请先运行 reunite rescreen",
        # the kind of a user's error, by class (the first of the error's classes found here)
        "err_MissingFileError": "找不到文件",
        "err_MissingColumnsError": "缺少必需的列",
        "err_EncodingError": "文件编码无法识别",
        "err_OutputError": "无法写入输出文件",
        "err_ConcurrentRunError": "另一次运行正在使用该数据库",
        "err_StoreError": "数据库无法按要求使用",
        "err_ConfigError": "选项、配置或模型文件无效",
        "err_NotFittedError": "模型尚未拟合",
        "err_InputError": "输入数据无法使用",
    },
}


def check_language(value: str) -> Language:
    """``value`` as a :data:`Language`, or a :class:`ConfigError` naming the allowed ones.

    >>> check_language("zh")
    'zh'
    >>> check_language("cn")
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: lang: expected one of en, zh; got 'cn'
    """
    if value not in LANGUAGES:
        raise ConfigError(f"lang: expected one of {', '.join(LANGUAGES)}; got {value!r}")
    return "zh" if value == "zh" else "en"


def text(lang: Language, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, formatted with ``values``.

    >>> text("zh", "msg_report", path="r.html")
    '报告：r.html'
    """
    return TEXT[lang][key].format(**values) if values else TEXT[lang][key]


def error_text(lang: Language, prefix: str, error: BaseException, message: str | None = None) -> str:
    """A user's error as the command line prints it: ``reunite CMD: error: <message>``.

    In Chinese the framing is Chinese and the kind of error (file not found, missing column, unknown
    encoding, ...) leads, by the error's class; the message itself stays as raised (English, with the
    file, row and column it names). ``message``: the error's own (default ``str(error)``).

    >>> from reunite.errors import MissingFileError
    >>> error_text("en", "reunite screen", MissingFileError("cases.csv: no such file"))
    'reunite screen: error: cases.csv: no such file'
    >>> error_text("zh", "reunite screen", MissingFileError("cases.csv: no such file"))
    'reunite screen：错误：找不到文件：cases.csv: no such file'
    """
    table = TEXT[lang]
    message = str(error) if message is None else message
    kind = next((table[key] for key in (f"err_{c.__name__}" for c in type(error).__mro__) if key in table), None)
    if kind is not None:
        message = table["error_kind"].format(kind=kind, message=message)
    return table["error"].format(prefix=prefix, message=message)


def reason_separator(lang: Language) -> str:
    """What joins the reasons of one pair: ``"; "`` in English, ``"；"`` in Chinese."""
    return "；" if lang == "zh" else "; "


def calendar_text(lang: Language, value: str) -> str:
    """A birth_calendar cell as shown in ``lang``: lunar/solar as 农历/公历 in Chinese; anything else
    (农历, 阴历 ... as the family wrote it) as it is.

    >>> calendar_text("zh", "lunar"), calendar_text("en", "lunar"), calendar_text("zh", "阴历")
    ('农历', 'lunar', '阴历')
    """
    return _CALENDAR[lang].get(value.strip().lower(), value)


def sex_text(lang: Language, code: str) -> str:
    """M/F as shown in ``lang`` (男/女 in Chinese); anything else as it is."""
    return _SEX[lang].get(code, code)
