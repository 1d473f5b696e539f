"""Interface labels in Chinese and English. Pages carry both; the language toggle shows one (see site.js)."""

from __future__ import annotations

import re
from datetime import UTC

LABELS: dict[str, tuple[str, str]] = {
    "site_title": ("数字经济发展指数监测平台", "Digital Economy Development Index Monitor"),
    # base.html adds the units the release holds: "内蒙古自治区 · 12 盟市 · 103 旗县市区"
    "site_sub": ("内蒙古自治区", "Inner Mongolia"),
    "nav_overview": ("总览", "Overview"),
    "nav_leagues": ("盟市", "Leagues"),
    "nav_indicators": ("指标浏览", "Indicators"),
    "nav_disparity": ("区域差异", "Disparity"),
    "nav_methodology": ("方法说明", "Methodology"),
    "lang_toggle": ("English", "中文"),
    "year": ("年份", "Year"),
    "map_title": ("各盟市数字经济发展指数", "DEI score by league"),
    "ranking_title": ("盟市排名", "League ranking"),
    "rank": ("排名", "Rank"),
    "league": ("盟市", "League"),
    "score": ("得分", "Score"),
    "score_change": ("较上年", "Change vs last year"),
    "rank_change": ("名次变化", "Rank change"),
    "targets_on_track": ("目标按期", "Targets on track"),
    "region_trend_title": ("自治区发展趋势", "Autonomous-region trend"),
    "region_row": ("自治区", "Autonomous region"),
    "region_mean": ("12盟市均值", "Mean of the 12 leagues"),
    "kpi_region": ("自治区指数", "Region index"),
    "kpi_top": ("排名第一", "Ranked first"),
    "kpi_most_improved": ("进步最快", "Most improved"),
    "kpi_release": ("发布版本", "Release"),
    "radar_title": ("六个维度", "Six dimensions"),
    "trend_title": ("指数走势", "Trend"),
    "dimension_table": ("维度得分与排名", "Dimension scores and ranks"),
    "dimension": ("维度", "Dimension"),
    "strengths": ("优势指标", "Strengths"),
    "weaknesses": ("短板指标", "Weaknesses"),
    "strengths_note": (
        "最新年份各指标标准化得分与12盟市均值之差（差距）。优势指标：高于均值（差距为正）的指标中差距最大的至多3项；"
        "短板指标：低于均值（差距为负）的指标中差距最大的至多3项。符合条件的不足3项时只列出符合的。",
        "Latest year: an indicator's normalised score minus the mean of the 12 leagues (the gap). Strengths: up to 3 "
        "indicators above the mean (positive gap), largest first; weaknesses: up to 3 below the mean (negative gap). "
        "Fewer are listed when fewer qualify.",
    ),
    "disparity_title": ("区域差异：蒙东与蒙西（总指数）", "Regional disparity: east and west (the index)"),
    "gini": ("基尼系数", "Gini"),
    "share_within": ("组内贡献", "Within groups"),
    "share_between": ("组间贡献", "Between groups"),
    "share_transvariation": ("超变密度贡献", "Transvariation"),
    "theil": ("泰尔指数", "Theil T"),
    "cv": ("变异系数", "CV"),
    "disparity_note": (
        "Dagum 基尼系数分解：总体差异 = 组内 + 组间 + 超变密度（各列为占基尼系数的比重）；"
        "蒙东：呼伦贝尔、兴安、通辽、赤峰、锡林郭勒，蒙西：其余7个盟市。",
        "Dagum's Gini decomposition: overall = within + between + transvariation (each column a share of the Gini); "
        "east: Hulunbuir, Hinggan, Tongliao, Chifeng, Xilingol; west: the other 7 leagues.",
    ),
    # the 区域差异 page (disparity.html; index/report/disparity.py)
    "disparity_page_title": ("区域差异与协调发展", "Regional disparity and coordination"),
    "disparity_lead": (
        "12个盟市之间数字经济发展的差距有多大、来自哪里、是否在缩小。所有数字取自本发布的分析表"
        "（index/analyses/），只比较盟市，不含旗县市区。",
        "How far apart the 12 leagues are in the digital economy, where the gap comes from and whether it is "
        "closing. Every number comes from this release's analysis tables (index/analyses/); leagues only, no counties.",
    ),
    "no_disparity": (
        "此发布没有区域差异分析（发布时尚无 disparity、coupling、convergence 等分析表），因此本页不显示图表。",
        "This release has no regional disparity analysis (it was published before the disparity, coupling and "
        "convergence tables existed), so this page shows no charts.",
    ),
    "grouping": ("分组", "Grouping"),
    "disparity_controls_note": (
        "分组与节点用于基尼系数分解和分组图；核密度与收敛随节点变化。",
        "The grouping and node apply to the Gini decomposition and the group charts; density and convergence follow the node.",
    ),
    "dagum_title": ("基尼系数及其来源（Dagum 分解）", "The Gini coefficient and where it comes from (Dagum)"),
    "dagum_explain": (
        "柱高为总体基尼系数（0 = 各盟市完全相同，越大差距越大），分成三部分：组内差距、组间差距和两组交叉重叠（超变密度）。",
        "The bar's height is the overall Gini (0 = every league the same, larger = wider gaps), split into the gap "
        "within the groups, the gap between them, and their overlap (transvariation).",
    ),
    "dagum_note": (
        "Dagum 基尼系数分解：基尼系数 = 组内 + 组间 + 超变密度。泰尔指数与变异系数是另两种差距度量，数值越大差距越大。",
        "Dagum's decomposition: Gini = within + between + transvariation. The Theil index and the coefficient of "
        "variation are two other measures of the gap; larger means wider.",
    ),
    "gini_within": ("组内差距", "Within groups"),
    "gini_between": ("组间差距", "Between groups"),
    "gini_transvariation": ("超变密度", "Transvariation (overlap)"),
    "gini_overall": ("总体基尼系数", "Overall Gini"),
    "group_gini_title": ("各组内部的基尼系数", "The Gini within each group"),
    "group_gini_explain": (
        "每条线是一组盟市内部的差距：线越高，组内盟市之间越不均衡。",
        "Each line is the gap among the leagues of one group: the higher the line, the more uneven the group.",
    ),
    "pair_gini_title": ("两组之间的基尼系数", "The Gini between the groups"),
    "pair_gini_explain": (
        "两组盟市之间的差距（组间基尼系数）：线越高，两组之间差得越远。",
        "The gap between the two groups (the between-group Gini): the higher the line, the further apart they are.",
    ),
    "density_title": ("得分分布的变化（核密度）", "How the scores spread (kernel density)"),
    "density_explain": (
        "每条曲线是一年中12个盟市得分的分布，自下而上按年份排列：曲线右移表示整体提高，变窄表示差距缩小，出现两个峰表示分化。",
        "Each curve is one year's spread of the 12 leagues' scores, years stacked bottom to top: a shift right means "
        "higher scores overall, a narrower curve a smaller gap, two peaks a split into two groups.",
    ),
    "density": ("核密度", "Density"),
    "coupling_title": ("耦合协调度（盟市 × 年份）", "Coupling coordination (league × year)"),
    "coupling_explain": (
        "耦合协调度 D 衡量各子系统（维度）是否同步发展：D 越接近1，各维度发展越高且越均衡；颜色越深越协调。",
        "The coupling coordination degree D says whether the subsystems (dimensions) develop together: the closer D "
        "is to 1, the higher and more even they are; darker means better coordinated.",
    ),
    "coupling_system": ("子系统", "Subsystems"),
    "coupling_classes": (
        "协调等级（D 按0.1分为十档，取自 index/analyses/coupling.py）：",
        "Classes (D in ten bands of 0.1, from index/analyses/coupling.py):",
    ),
    "coupling_d": ("耦合协调度 D", "Coupling coordination D"),
    "coupling_c": ("耦合度 C", "Coupling C"),
    "coupling_t": ("协调指数 T", "Coordination T"),
    "coupling_class": ("协调等级", "Class"),
    "convergence_title": ("差距是否在缩小（σ 收敛与 β 收敛）", "Is the gap closing? (σ and β convergence)"),
    "sigma_explain": (
        "变异系数（标准差 ÷ 均值）逐年下降即 σ 收敛：各盟市得分的相对差距在缩小。",
        "A falling coefficient of variation (standard deviation ÷ mean) is σ convergence: the leagues' relative gap is narrowing.",
    ),
    "beta_title": ("β 收敛：起点低的盟市是否增长更快", "β convergence: do the lower-scoring leagues grow faster?"),
    "beta_explain": (
        "β 为各盟市年均对数增长率对初始对数得分的回归斜率：β < 0 且 p < 0.05 为收敛；半衰期为按此速度差距减半所需的年数。",
        "β is the slope of the leagues' mean annual log growth on their initial log score: β < 0 with p < 0.05 is "
        "convergence; the half-life is the time to halve the gap at that speed.",
    ),
    "no_beta_node": ("此节点没有 β 收敛结果。", "No β convergence result for this node."),
    "county_reported": ("旗县上报", "Reported by counties"),
    "county_weight": ("旗县权重", "County weight"),
    "county_mark": ("旗县", "county"),
    "county_levels_note": (
        "标有“旗县”的指标也由旗县市区上报（框架 levels = league,county），旗县市区的指数只用这些指标；"
        "旗县权重为在旗县市区计算中同一上级下的权重（权重方案按旗县级指标重新归一）。",
        "Indicators marked “county” are also reported by the counties (framework levels = league,county), and the "
        "counties' index uses these only; the county weight is the weight within the parent in the county build "
        "(the scheme rescaled over the county-level indicators).",
    ),
    "obstacles": ("主要障碍因素", "Main obstacles"),
    "obstacle_share": ("障碍度", "Obstacle degree"),
    "obstacles_note": (
        "障碍度模型：指标的有效权重 ×（1 − 标准化得分/100），占该盟市全部指标合计的比重；列出最新年份最大的3项。",
        "Obstacle degree model: an indicator's effective weight × (1 − normalised score / 100), as a share of the "
        "league's total over all indicators; the three largest in the latest year.",
    ),
    "none_above": ("没有高于12盟市均值的指标。", "No indicator is above the mean of the 12 leagues."),
    "none_below": ("没有低于12盟市均值的指标。", "No indicator is below the mean of the 12 leagues."),
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "normalised": ("标准化得分", "Normalised score"),
    "league_mean": ("盟市均值", "League mean"),
    "gap": ("差距", "Gap"),
    "indicator_rank": ("指标排名", "Indicator rank"),
    "targets_title": ("2025年目标进度", "Progress toward the 2025 targets"),
    "target": ("2025年目标", "2025 target"),
    "share_reached": ("完成度", "Share reached"),
    "on_track": ("按期", "On track"),
    "off_track": ("滞后", "Behind"),
    "target_note": ("目标说明", "Target note"),
    "targets_source_table": (
        "目标完成度取自发布表 target_attainment：完成度 = 最新值 ÷ 2025年目标（逆向指标为 目标 ÷ 最新值）；"
        "按期 = 已达标，或按上一报告年以来的年均复合增长率外推至2025年可达标。",
        "Shares come from the release table target_attainment: share = latest value ÷ 2025 target (target ÷ value "
        "for lower-is-better indicators); on track = target already met, or met in 2025 at the compound annual "
        "growth rate since the previous reported year.",
    ),
    "targets_source_absent": (
        "此发布没有 target_attainment 表，因此不显示目标完成度。",
        "This release has no target_attainment table, so no target shares are shown.",
    ),
    "no_targets": ("本盟市没有设定2025年目标的指标数据。", "No indicator with a 2025 target has data for this league."),
    "explorer_title": ("指标浏览", "Indicator explorer"),
    "measure": ("口径", "Measure"),
    "measure_value": ("指标值（计算口径）", "Value (as it enters the index)"),
    "measure_raw": ("原始上报值", "Raw reported value"),
    "measure_normalised": ("标准化得分（0–100）", "Normalised score (0–100)"),
    "imputed_note": (
        "* 插补值：该盟市该年未上报，由引擎插补（空心标记）。",
        "* Imputed: not reported for that league and year, filled by the engine (hollow marker).",
    ),
    "unit": ("单位", "Unit"),
    "raw_unit": ("上报单位", "Reported unit"),
    "polarity": ("方向", "Polarity"),
    "polarity_pos": ("正向（越高越好）", "higher is better"),
    "polarity_neg": ("逆向（越低越好）", "lower is better"),
    "department": ("报送部门", "Department"),
    "definition": ("定义", "Definition"),
    "clause": ("政策依据", "Policy clause"),
    "weight": ("权重", "Weight"),
    "effective_weight": ("在总指数中的权重", "Weight in the index"),
    "framework_title": ("指标体系", "Indicator framework"),
    "denominators": ("分母变量", "Denominators"),
    "weights_title": ("权重方案", "Weight scheme"),
    "method_title": ("计算方法", "Method"),
    "engine_log": ("计算步骤记录", "Engine log"),
    "audit_title": ("统计审核", "Statistical audit"),
    "audit_missing": ("本版本未包含统计审核表（audit.parquet）。", "This release has no audit table (audit.parquet)."),
    "audit_flags": ("审核标记", "Audit flags"),
    "audit_correlations": ("相关性概览", "Correlations summary"),
    "sources_title": ("数据与资料来源", "Data and sources"),
    "map_source": ("地图边界", "Map boundaries"),
    "lineage": ("版本与数据血缘", "Release and lineage"),
    "release_id": ("版本号", "Release id"),
    "created_at": ("生成时间", "Created"),
    "published_at": ("发布时间", "Published"),
    "code_version": ("代码版本", "Code version"),
    "framework": ("指标体系文件", "Framework file"),
    "weight_scheme": ("权重方案文件", "Weight scheme file"),
    "method": ("方法文件", "Method file"),
    "triggered_by": ("触发方式", "Triggered by"),
    "inputs": ("输入文件", "Input files"),
    "file": ("文件", "File"),
    "synthetic": ("合成数据", "Synthetic"),
    "synthetic_yes": ("是（示例数据）", "yes (sample)"),
    "values": ("数据点", "Values"),
    "years": ("年份", "Years"),
    "node": ("节点", "Node"),
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "step": ("步骤", "Step"),
    "rows": ("行数", "Rows"),
    "notes": ("说明", "Notes"),
    "section": ("部分", "Section"),
    "statistic": ("统计量", "Statistic"),
    "threshold": ("阈值", "Threshold"),
    "flag": ("标记", "Flag"),
    "period": ("时期", "Period"),
    "count": ("数量", "Count"),
    "flagged": ("标记数", "Flagged"),
    "min": ("最小", "Min"),
    "median": ("中位数", "Median"),
    "max": ("最大", "Max"),
    "other_node": ("对应节点", "Other node"),
    "index": ("指数", "Index"),
    "latest_year": ("最新年份", "Latest year"),
    "no_data": ("无数据", "No data"),
    "imputed": ("插补", "Imputed"),
    "all_leagues": ("全部盟市", "All leagues"),
    "download": ("下载", "Download"),
    "beijing_time": ("北京时间", "Beijing time (UTC+8)"),
    "chinese_original": ("中文原文", "Chinese original"),
    "color_scale": ("色标", "Colour scale"),
    "scale_year": ("按当年", "This year"),
    "scale_pooled": ("全部年份统一", "All years pooled"),
    "scale_note_year": ("色标按所选年份的最低与最高得分", "Colours span the selected year's lowest to highest score"),
    "scale_note_pooled": (
        "色标按2019年以来全部年份的最低与最高得分，可跨年比较颜色",
        "Colours span the lowest to highest score of all years, comparable across years",
    ),
    "targets_counts": (
        "{on}/{judged} 项按期；{total} 项设有2025年目标，其中 {nj} 项无法判断趋势（上一年数值为零或负、或缺上年数据，增速无法计算），不计入分母。",
        "{on} of {judged} on track; {total} indicators have a 2025 target, {nj} of them cannot be projected "
        "(no previous year, or a zero or negative previous value, so no growth rate) and are left out of the denominator.",
    ),
    "targets_col_note": (
        "目标按期 = 按期指标数 / 可判断趋势的指标数。设有2025年目标的指标中，已达标或可按增速外推的才能判断；"
        "上一年数值为零或负（增速无法计算）的不计入分母，因此各盟市分母可能不同（带 * 者有指标无法判断）。",
        "Targets on track = indicators on track / indicators that can be judged. Of the indicators with a 2025 target, "
        "only those already met or projectable from their growth rate can be judged; those whose previous value is zero "
        "or negative (no growth rate) are left out, so the denominator can differ between leagues (* marks a league with "
        "indicators that cannot be judged).",
    ),
    "targets_counts_all": (
        "{on}/{judged} 项按期；{total} 项设有2025年目标，均可判断趋势。",
        "{on} of {judged} on track; all {total} indicators with a 2025 target can be judged.",
    ),
    "targets_kpi_sub_all": ("{total} 项有目标，均可判断", "{total} with a target, all judged"),
    "targets_kpi_sub": ("{total} 项有目标，{nj} 项无法判断", "{total} with a target, {nj} cannot be judged"),
    "not_judged": ("无法判断", "cannot be judged"),
    "targets_kpi_judged": ("可判断", "judged"),
    "method_steps": ("计算步骤", "Calculation steps"),
    "formula": ("公式", "Formula"),
    "parameters": ("参数", "Parameters"),
    "weights_tree": ("权重结构", "Weight tree"),
    "scheme": ("权重方案", "Weight scheme"),
    "within_parent": ("在上级中的权重", "Weight within parent"),
    "audit_summary": ("审核摘要", "Audit summary"),
    "meaning": ("含义", "What it means"),
    "checked": ("检查项数", "Checked"),
    "pooled": ("全部年份", "all years pooled"),
    "release_workbook": (
        "下载完整发布数据（XLSX，含全部发布表）",
        "Download the whole release (XLSX, every published table)",
    ),
    "region_note_trend": ("自治区", "Region"),
    "ranking_note": (
        "各维度得分满分100；按框架顺序排列。",
        "Dimension scores on a 0–100 scale, in the framework's order.",
    ),
    "no_flag": ("无标记", "none flagged"),
    # the uncertainty analysis published with the release (rank_intervals, sensitivity)
    "interval_title": ("名次有多确定", "How certain is each rank?"),
    "nominal_rank": ("公布名次", "Published rank"),
    "rank_interval": ("名次区间", "Rank interval"),
    "share_kept": ("保持名次的比例", "Share keeping the rank"),
    "league_intervals": ("各维度名次区间", "Rank interval of every dimension"),
    "no_uncertainty": (
        "此版本发布时尚无不确定性分析，没有名次区间。",
        "This release was published before the uncertainty analysis existed: it has no rank intervals.",
    ),
    "sobol_title": ("哪些方法选择影响排名", "Which method choices move the ranking"),
    "method_choice": ("方法选择", "Method choice"),
    "alternatives": ("备选方案", "Alternatives"),
    "first_order": ("一阶指数（单独作用）", "First order (alone)"),
    "total_order": ("总效应指数（含交互作用）", "Total (with interactions)"),
    "confidence": ("置信区间", "confidence interval"),
    # 旗县市区 (counties) on the 盟市 pages and their own pages
    "county": ("旗县市区", "County"),
    "county_map_title": ("所辖旗县市区数字经济发展指数", "DEI score of its counties"),
    "county_ranking_title": ("所辖旗县市区排名", "Ranking of its counties"),
    "rank_in_league": ("盟市内排名", "Rank in league"),
    "region_rank": ("全区排名", "Region-wide rank"),
    "rank_in_league_change": ("盟市内名次变化", "Change of rank in league"),
    "county_mean": ("旗县市区均值", "County mean"),
    "no_counties": (
        "此发布没有该盟市所辖旗县市区的数据，因此不显示旗县市区地图和排名。",
        "This release has no figures for the counties of this league, so there is no county map or ranking.",
    ),
    "county_ranking_note": (
        "盟市内排名：在本盟市所辖旗县市区中的名次；全区排名：在全区103个旗县市区中的名次；"
        "名次变化为盟市内排名较上年的变化（↑ 上升），首年为 —。旗县市区只与旗县市区比较，只用旗县级指标。",
        "Rank in league: among this league's counties; region-wide rank: among the 103 counties of the region; the "
        "change is that of the rank in the league against the previous year (↑ up), — in the first year. Counties "
        "are compared with counties, over the county-level indicators only.",
    ),
    "county_basis": (
        "旗县市区只与旗县市区比较：得分、排名和均值都只在全区旗县市区之间计算，且只用框架中在旗县一级上报的指标"
        "（旗县级指标），因此与盟市的得分不能直接比较。",
        "Counties are compared with counties: scores, ranks and means are computed among the counties of the region "
        "only, over the county-level indicators (those the framework collects at county level), so they cannot be "
        "compared directly with the leagues' scores.",
    ),
    "strengths_note_county": (
        "最新年份各指标标准化得分与全区旗县市区均值之差（差距），只含旗县级指标。优势指标：高于均值的指标中差距最大的"
        "至多3项；短板指标：低于均值的指标中差距最大的至多3项。符合条件的不足3项时只列出符合的。",
        "Latest year: an indicator's normalised score minus the mean of all counties (the gap), county-level "
        "indicators only. Strengths: up to 3 indicators above the mean, largest first; weaknesses: up to 3 below the "
        "mean. Fewer are listed when fewer qualify.",
    ),
    "none_above_county": ("没有高于旗县市区均值的指标。", "No indicator is above the mean of the counties."),
    "none_below_county": ("没有低于旗县市区均值的指标。", "No indicator is below the mean of the counties."),
    "obstacles_note_county": (
        "障碍度模型：指标的有效权重 ×（1 − 标准化得分/100），占该旗县市区全部旗县级指标合计的比重；列出最新年份最大的3项。",
        "Obstacle degree model: an indicator's effective weight × (1 − normalised score / 100), as a share of the "
        "county's total over the county-level indicators; the three largest in the latest year.",
    ),
    "no_targets_county": (
        "本旗县市区没有设定2025年目标的指标数据。",
        "No indicator with a 2025 target has data for this county.",
    ),
    "county_no_uncertainty": (
        "此版本没有旗县市区的名次区间（发布时只对盟市做了不确定性分析）。",
        "This release has no rank intervals for the counties (its uncertainty analysis covered the leagues only).",
    ),
}

# Units as the framework spells them -> (after a number in Chinese, in English, described in Chinese, in English).
# A ratio or an index has no unit word: "1.19", not "1.19 比值".
UNITS: dict[str, tuple[str, str, str, str]] = {
    "%": ("%", "%", "%（百分比）", "percent (%)"),
    "比值": ("", "", "比值（无单位）", "ratio (no unit)"),
    "指数": ("", "", "指数（无单位）", "index (no unit)"),
    "家/百万人": (
        "家/百万人",
        "per million residents",
        "家/百万人（每百万常住人口企业数）",
        "firms per million residents",
    ),
    "家": ("家", "firms", "家（企业数）", "firms"),
    "元/人": ("元/人", "yuan per resident", "元/人（按常住人口人均）", "yuan per resident"),
    "亿元": ("亿元", "× 100 million yuan", "亿元", "100 million yuan"),
    "万元": ("万元", "× 10,000 yuan", "万元", "10,000 yuan"),
    "万人": ("万人", "× 10,000 persons", "万人", "10,000 persons"),
    "元/万元GDP": (
        "元/万元GDP",
        "yuan per 10,000 yuan of GDP",
        "元/万元GDP（每万元地区生产总值）",
        "yuan per 10,000 yuan of GDP",
    ),
    "PFlop/s": ("PFlop/s", "PFlop/s", "PFlop/s（每秒千万亿次浮点运算）", "PFlop/s (petaflops)"),
    "PFlop/s/万人": (
        "PFlop/s/万人",
        "PFlop/s per 10,000 residents",
        "PFlop/s/万人（每万常住人口）",
        "PFlop/s per 10,000 residents",
    ),
}


def unit_forms(unit: str | None) -> dict[str, str]:
    """Readable forms of a framework unit; an unknown unit is shown as written in both languages."""
    if not unit:
        return {"unit_zh": "", "unit_en": "", "unit_long_zh": "", "unit_long_en": ""}
    zh, en, long_zh, long_en = UNITS.get(unit, (unit, unit, unit, unit))
    return {"unit_zh": zh, "unit_en": en, "unit_long_zh": long_zh, "unit_long_en": long_en}


def with_unit(text: str, short: str) -> str:
    if not short:
        return text
    return f"{text}{short}" if short == "%" else f"{text} {short}"


# English rendering of target_note: the notes follow a handful of patterns; anything else is shown as the Chinese
# original, labelled so. Each rule: (regex matching the whole note, English template).
_PER = {"每百万人": "per million residents", "人均": "per resident", "每万人": "per 10,000 residents"}
_NOTE_RULES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"^达(?P<x>[\d.]+%?)以上$"), lambda m: f"reach {m['x']} or more"),
    (re.compile(r"^达(?P<x>[\d.]+%?)$"), lambda m: f"reach {m['x']}"),
    (re.compile(r"^年均增长(?P<x>[\d.]+%)$"), lambda m: f"average annual growth of {m['x']}"),
    (
        re.compile(r"^不高于(?P<x>[\d.]+)（工作方案：降至(?P<y>[\d.]+)以下）$"),
        lambda m: f"no higher than {m['x']} (工作方案 work plan: below {m['y']})",
    ),
    (re.compile(r"^不高于(?P<x>[\d.]+%?)$"), lambda m: f"no higher than {m['x']}"),
    (re.compile(r"^工业园区全部建成智慧园区$"), lambda m: "every industrial park built as a smart park"),
    (
        re.compile(r"^自治区级目标：(?P<t>.+)；盟市按(?P<per>每百万人|人均|每万人)计，不设目标$"),
        lambda m: (
            f"region-wide target (自治区级目标, Chinese original: {m['t']}); leagues are measured "
            f"{_PER[m['per']]}, with no league target"
        ),
    ),
    (
        re.compile(r"^自治区级目标：(?P<t>.+)；无金额目标$"),
        lambda m: f"region-wide target (自治区级目标, Chinese original: {m['t']}); no amount target",
    ),
]


def target_note_en(note: str | None) -> tuple[str | None, bool]:
    """(English text, translated?) for a target note; untranslated notes come back as the Chinese original."""
    if not note:
        return None, True
    for pattern, render in _NOTE_RULES:
        match = pattern.match(note.strip())
        if match:
            return render(match), True
    return note, False


WEIGHT_SCHEMES = {
    "expert": ("专家赋权", "expert weights"),
    "equal": ("等权", "equal weights"),
    "pca": ("主成分赋权", "PCA weights"),
    "entropy": ("熵值法赋权", "entropy weights"),
}


def beijing_time(iso: str | None) -> dict[str, str] | None:
    """An ISO timestamp (UTC or with offset) as Beijing time, UTC+8, minutes precision."""
    from datetime import datetime, timedelta, timezone

    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return {"zh": str(iso), "en": str(iso)}
    if moment.tzinfo is None:  # a naive stamp is taken as UTC, as the pipeline writes them
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    return {"zh": f"{local} 北京时间", "en": f"{local} Beijing time (UTC+8)"}


def label(key: str, lang: str) -> str:
    zh, en = LABELS[key]
    return en if lang == "en" else zh
