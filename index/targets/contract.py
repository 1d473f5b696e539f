"""The published-tables contract: every table a release publishes, its columns, types and meaning.

One dict, used three ways: ``render()`` writes docs/published_tables.md, the tests compare every published
table's actual schema with it, and the PostgreSQL target creates its tables from it.
Run ``python -m index.targets.contract`` to rewrite the doc after changing this file.
"""

from __future__ import annotations

from pathlib import Path

# DuckDB type name -> PostgreSQL type
PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "VARCHAR[]": "text[]",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}

REGION_NOTE = (
    "Rows with `unit_level = 'region'` are the 自治区 (unit_code 150000, 内蒙古自治区), built from the 12 盟市 "
    "where an indicator can be combined: a denominated indicator (framework.denominator set) as "
    "sum(numerator) / sum(denominator) × denominator_scale over the leagues that reported both; a percentage "
    "indicator (unit `%`, not denominated) as the mean weighted by population (the `population` Denominator's "
    "values). Other indicators (indices, ratios such as PUE) have no region row. Region rows use reported "
    "figures only, `units_covered` says how many leagues entered, and they carry no score "
    "(treated, normalised, effective_weight, contribution are NULL)."
)

# columns many tables share, worded once
RELEASE_ID = ("release_id", "VARCHAR", "release the row belongs to")
YEAR = ("year", "INTEGER", "reporting year")
NODE_ID = ("node_id", "VARCHAR", "framework node: `DEI` or a dimension id")
# The unit of a row (条例 第七十一条: 自治区 → 盟市 → 旗县市区; reference/units.csv). Every per-unit table has these.
UNIT_CODE = ("unit_code", "INTEGER", "GB/T 2260 code of the unit: a 盟市 (e.g. 150100) or a 旗县市区 (e.g. 150121)")
UNIT_NAME = ("unit_name", "VARCHAR", "Chinese name of the unit")
UNIT_LEVEL = ("unit_level", "VARCHAR", "`league` (盟市) or `county` (旗县市区)")
PARENT_CODE = ("parent_code", "INTEGER", "the unit's parent: 150000 (the 自治区) for a 盟市, its 盟市 for a 旗县市区")
UNITS = [UNIT_CODE, UNIT_NAME, UNIT_LEVEL, PARENT_CODE]
# the same, for tables that also hold the 自治区 row
REGION_UNITS = [
    ("unit_code", "INTEGER", "GB/T 2260 code of the unit; 150000 for the 自治区 row"),
    ("unit_name", "VARCHAR", "Chinese name of the unit, or 内蒙古自治区"),
    ("unit_level", "VARCHAR", "`league` (盟市), `county` (旗县市区) or `region` (the 自治区 aggregate)"),
    ("parent_code", "INTEGER", "150000 for a 盟市, its 盟市 for a 旗县市区, NULL for the 自治区 row"),
]
# tables published for the 盟市 only (the analyses across units, and the uncertainty analysis in this release)
LEAGUE_ONLY = " Rows are the 12 盟市 (unit_level `league`)."

# table -> (description, [(column, duckdb type, meaning)])
TABLES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "index_scores": (
        "One row per unit (盟市 or 旗县市区), year and aggregate node (the composite `DEI` and each dimension). "
        "Each level is scored on its own (index/levels.py): the 盟市 against the 盟市 with the whole framework, the "
        "旗县市区 against the 旗县市区 with the indicators the framework marks `levels = 'league,county'` (the "
        "scheme's weights rescaled to 1 under each parent).",
        [
            ("release_id", "VARCHAR", "release the row belongs to (content hash, see releases)"),
            *UNITS,
            YEAR,
            NODE_ID,
            ("node_name_zh", "VARCHAR", "Chinese name of the node"),
            ("node_name_en", "VARCHAR", "English name of the node"),
            ("level", "INTEGER", "3 = index, 2 = dimension"),
            ("score", "DOUBLE", "score of the node (normalised scale, 0–100 with the default method)"),
            (
                "rank",
                "INTEGER",
                "rank among the units of the same level in the 自治区 that year (12 盟市, or 103 旗县市区), "
                "1 = best, ties share the lowest rank",
            ),
            (
                "rank_in_parent",
                "INTEGER",
                "rank within the parent that year: a 旗县市区 among its 盟市's 旗县市区; a 盟市 (parent the 自治区) as rank",
            ),
            ("score_change", "DOUBLE", "score minus the score in the previous year; NULL in the first year"),
            ("rank_change", "INTEGER", "previous rank minus rank (positive = moved up); NULL in the first year"),
        ],
    ),
    "indicator_values": (
        "Every indicator for every unit (盟市 or 旗县市区) and year, from the submitted figure to its contribution to "
        "the composite; for each unit and year the contributions add up to the `DEI` score. A 旗县市区 has rows "
        "for the indicators of its level only. " + REGION_NOTE,
        [
            RELEASE_ID,
            *REGION_UNITS,
            YEAR,
            ("indicator_id", "VARCHAR", "framework node_id of the indicator"),
            ("raw_value", "DOUBLE", "figure as submitted, in raw_unit (region: summed numerator or weighted mean)"),
            ("denominated_value", "DOUBLE", "value in the indicator's unit after dividing by its denominator"),
            ("imputed", "BOOLEAN", "true when the engine filled a missing value"),
            ("imputation", "VARCHAR", "imputation method used for a filled value, else NULL"),
            (
                "treated",
                "DOUBLE",
                "value entering normalisation: the imputed value after outlier treatment "
                "(equal to it when the method's treat step is `none`)",
            ),
            ("treatment", "VARCHAR", "what the treat step did to the value (e.g. winsorised, log), NULL = untouched"),
            ("normalised", "DOUBLE", "normalised value, polarity applied (higher = better)"),
            ("effective_weight", "DOUBLE", "weight of the indicator in the composite for this unit and year"),
            ("contribution", "DOUBLE", "normalised × effective_weight: points this indicator adds to the DEI score"),
            ("units_covered", "INTEGER", "1 for a 盟市 or 旗县市区 row; number of 盟市 combined for the region row"),
        ],
    ),
    "target_attainment": (
        "For each unit (盟市, 旗县市区, and the 自治区 region row, built as in indicator_values), indicator with a "
        "2025 target and year: the share of the target reached, and whether the unit is on track. On track: the target is "
        "already reached, or the compound annual growth between the previous reported year and this year, "
        "extrapolated to 2025, reaches it. Reported figures only.",
        [
            RELEASE_ID,
            *REGION_UNITS,
            YEAR,
            ("indicator_id", "VARCHAR", "framework node_id of the indicator"),
            ("unit", "VARCHAR", "unit of value and target"),
            ("polarity", "INTEGER", "+1 higher is better, -1 lower is better"),
            ("target_2025", "DOUBLE", "2025 target from the framework"),
            ("value", "DOUBLE", "reported denominated value; NULL when not reported"),
            (
                "attainment",
                "DOUBLE",
                "share of the target reached: value / target, or target / value for polarity -1 (1 = reached)",
            ),
            ("target_reached", "BOOLEAN", "value meets the target (>= target, or <= for polarity -1)"),
            ("growth_rate", "DOUBLE", "compound annual growth from the previous reported year to this year"),
            ("projected_2025", "DOUBLE", "value extrapolated to 2025 at growth_rate (the value itself from 2025)"),
            ("on_track", "BOOLEAN", "target reached, or projected_2025 meets it; NULL when it cannot be projected"),
        ],
    ),
    "framework": (
        "The indicator framework the release was computed with (docs/architecture.md), with the weight used.",
        [
            RELEASE_ID,
            ("node_id", "VARCHAR", "node id"),
            ("parent_id", "VARCHAR", "parent node id; NULL for the root and denominators"),
            ("level", "INTEGER", "1 indicator / denominator, 2 dimension, 3 index"),
            ("node_type", "VARCHAR", "`Indicator`, `Aggregate` or `Denominator`"),
            ("name_zh", "VARCHAR", "Chinese name"),
            ("name_en", "VARCHAR", "English name"),
            ("unit", "VARCHAR", "unit after denomination"),
            ("raw_unit", "VARCHAR", "unit of the submitted figure"),
            ("polarity", "INTEGER", "+1 / -1; NULL for aggregates and denominators"),
            ("denominator", "VARCHAR", "node_id of the denominator, or NULL"),
            ("denominator_scale", "DOUBLE", "multiplier applied after dividing"),
            ("weight", "DOUBLE", "weight within the parent (1 for the root, NULL for denominators)"),
            ("target_2025", "DOUBLE", "2025 target in unit, NULL where none"),
            ("target_note", "VARCHAR", "how to read the target"),
            ("department", "VARCHAR", "reporting department"),
            ("definition", "VARCHAR", "one-line definition"),
            ("source_clause", "VARCHAR", "policy clause behind the node"),
            (
                "levels",
                "VARCHAR",
                "units reporting the figure: `league` (the 盟市 only) or `league,county` (also the 旗县市区); "
                "NULL for aggregates",
            ),
            (
                "county_weight",
                "DOUBLE",
                "weight within the parent in the 旗县市区 build (the scheme rescaled over the county-level nodes); "
                "NULL for a node the 旗县 are not scored on, and when the release has no 旗县",
            ),
        ],
    ),
    "weights": (
        "The weight scheme used: every node under the root with its weight within its parent and its nominal "
        "effective weight in the composite (product of weights up to the root; per league and year the engine "
        "re-weights over present indicators, see indicator_values.effective_weight).",
        [
            RELEASE_ID,
            ("scheme", "VARCHAR", "weight scheme name (file stem or named scheme such as `entropy`); NULL if unset"),
            ("node_id", "VARCHAR", "node id"),
            ("parent_id", "VARCHAR", "parent node id"),
            ("level", "INTEGER", "1 indicator, 2 dimension"),
            ("node_type", "VARCHAR", "`Indicator` or `Aggregate`"),
            ("weight", "DOUBLE", "weight within the parent"),
            ("effective_weight", "DOUBLE", "weight in the composite; indicators' effective weights sum to 1"),
        ],
    ),
    "period_weights": (
        'The objective weights derived year by year (method `[weights] scope = "period"`, e.g. 逐年熵值法): every '
        "node under the root with its weight within its parent in each year, from that year's data alone; the "
        "scores of a year are built with that year's weights. Empty when the release's weights are the same in "
        "every year (scope `panel`, the default: see weights).",
        [
            RELEASE_ID,
            ("scheme", "VARCHAR", "weight scheme name (`entropy`, `critic`, `pca` or `balance`)"),
            ("year", "INTEGER", "the year the weights were derived from"),
            ("node_id", "VARCHAR", "node id"),
            ("parent_id", "VARCHAR", "parent node id"),
            ("level", "INTEGER", "1 indicator, 2 dimension"),
            ("node_type", "VARCHAR", "`Indicator` or `Aggregate`"),
            ("weight", "DOUBLE", "weight within the parent in that year; siblings' weights sum to 1"),
        ],
    ),
    "audit": (
        "The statistical audit of the computed index (index/engine/audit.py, COINr get_stats / get_corr).",
        [
            ("section", "VARCHAR", "`indicators`, `correlations`, `pairs` or `aggregates`"),
            ("node_id", "VARCHAR", "node the statistic is about"),
            ("other_node_id", "VARCHAR", "second node for correlations and pairs, else NULL"),
            ("period", "INTEGER", "year; NULL = all years pooled"),
            ("statistic", "VARCHAR", "statistic name, e.g. availability, pearson, cronbach_alpha"),
            ("value", "DOUBLE", "value of the statistic"),
            ("threshold", "DOUBLE", "threshold it is compared with, NULL when none"),
            ("flag", "BOOLEAN", "true when the value crosses the threshold"),
        ],
    ),
    "rank_intervals": (
        "How sure each rank is: the uncertainty analysis of the same build (inputs, weights, method) under "
        "the choices of sql/method/dei_uncertainty.toml (imputation, treatment, normalisation, weight schemes "
        "and ±25 % weight noise, aggregation), drawn at random in every Monte Carlo replicate (release.json "
        "`uncertainty`: replicates, seed). One row per unit, year and aggregate node (`DEI` and each dimension): "
        "each unit level's build analysed on its own, the 12 盟市 (unit_level `league`, ranks among the 盟市) and "
        "the 旗县市区 (unit_level `county`, ranks among all 旗县 as index_scores.rank, parent_code their 盟市). "
        "Releases published before the analysis existed have no such table; those published before the 旗县 "
        "intervals have 盟市 rows only.",
        [
            RELEASE_ID,
            *UNITS,
            YEAR,
            NODE_ID,
            ("level", "INTEGER", "3 = index, 2 = dimension"),
            ("nominal_score", "DOUBLE", "score in the published build (index_scores.score)"),
            ("nominal_rank", "INTEGER", "rank in the published build, ties within rounding noise shared"),
            ("engine_rank", "INTEGER", "rank as the engine gave it (index_scores.rank)"),
            ("mean_rank", "DOUBLE", "mean rank over the replicates"),
            ("median_rank", "DOUBLE", "median rank over the replicates"),
            ("rank_low", "DOUBLE", "lower quantile (interval_low) of the rank over the replicates, 1 = best"),
            ("rank_high", "DOUBLE", "upper quantile (interval_high) of the rank over the replicates"),
            ("share_nominal_rank", "DOUBLE", "share of replicates giving the nominal rank"),
            ("mean_score", "DOUBLE", "mean score over the replicates"),
            ("median_score", "DOUBLE", "median score over the replicates"),
            ("score_low", "DOUBLE", "lower quantile (interval_low) of the score"),
            ("score_high", "DOUBLE", "upper quantile (interval_high) of the score"),
            ("interval_low", "DOUBLE", "quantile of rank_low and score_low, e.g. 0.05"),
            ("interval_high", "DOUBLE", "quantile of rank_high and score_high, e.g. 0.95"),
            (
                "indistinguishable_from",
                "VARCHAR",
                "unit codes (`;`-separated) whose rank interval for the same "
                "node and year overlaps this one: the ranking cannot tell them apart",
            ),
        ],
    ),
    "sensitivity": (
        "Which method choices move the ranking: first-order and total Sobol indices (scipy.stats.sobol_indices, "
        "Saltelli design, bootstrap intervals) of every uncertain input of the same analysis as rank_intervals, "
        "for the mean absolute rank shift of the `DEI` against the published ranking and for each unit's `DEI` "
        "rank, per year, for each unit level's build (the 盟市' and the 旗县'). First order: the share of the output's variance the input explains alone; total: "
        "with its interactions. Releases published before the analysis existed have no such table.",
        [
            RELEASE_ID,
            (
                "input",
                "VARCHAR",
                "uncertain input: `impute`, `treat`, `normalise`, `weights` (whole schemes), "
                "`weight_noise`, `aggregate`",
            ),
            ("alternatives", "VARCHAR", "the input's alternatives (` | `-separated), as the spec names them"),
            (
                "output",
                "VARCHAR",
                "`mean_abs_rank_shift` (all units of the build together) or `rank` (one unit's rank)",
            ),
            ("unit_code", "INTEGER", "the unit of a `rank` output; NULL for `mean_abs_rank_shift`"),
            ("unit_name", "VARCHAR", "name of the unit, NULL for `mean_abs_rank_shift`"),
            (
                "unit_level",
                "VARCHAR",
                "`league` or `county`; for `mean_abs_rank_shift` NULL (the 盟市 build) or `county` (the 旗县 build)",
            ),
            ("parent_code", "INTEGER", "150000 (the 自治区) or the 旗县's 盟市; NULL for `mean_abs_rank_shift`"),
            YEAR,
            ("node_id", "VARCHAR", "node whose ranks are explained (the composite `DEI`)"),
            ("first_order", "DOUBLE", "first-order Sobol index (NULL when the output does not vary)"),
            ("first_order_low", "DOUBLE", "lower bound of its bootstrap confidence interval"),
            ("first_order_high", "DOUBLE", "upper bound of its bootstrap confidence interval"),
            ("total_order", "DOUBLE", "total Sobol index"),
            ("total_order_low", "DOUBLE", "lower bound of its bootstrap confidence interval"),
            ("total_order_high", "DOUBLE", "upper bound of its bootstrap confidence interval"),
            ("output_variance", "DOUBLE", "variance of the output over the design (0: the indices are undefined)"),
        ],
    ),
    "exclusion_effects": (
        "How each unit's scores and ranks move when one dimension is left out of the published build (its "
        "siblings' weights rescaled to 1), at every aggregate node left and every year, for the 盟市 build and "
        "the 旗县 build (unit_level). Releases published "
        "before the analysis existed have no such table.",
        [
            RELEASE_ID,
            ("excluded", "VARCHAR", "node left out"),
            ("excluded_level", "INTEGER", "its framework level (2 = dimension)"),
            (
                "rebuilt",
                "BOOLEAN",
                "true when the engine was run again without it (data-driven steps), false "
                "when a zero weight is the same build",
            ),
            *UNITS,
            YEAR,
            ("node_id", "VARCHAR", "aggregate node whose score and rank this row gives"),
            ("nominal_score", "DOUBLE", "score in the published build"),
            ("score", "DOUBLE", "score without the excluded node"),
            ("nominal_rank", "INTEGER", "rank in the published build"),
            ("rank", "INTEGER", "rank without the excluded node"),
            ("score_change", "DOUBLE", "score minus nominal_score"),
            ("rank_change", "INTEGER", "nominal_rank minus rank (positive = moves up without the node)"),
        ],
    ),
    "releases": (
        "Every release ever published, with its lineage, what triggered it and its status. Not part of a "
        "release directory: published/releases.parquet, the catalog's `releases` table and PostgreSQL's "
        "`<schema>.releases` are rewritten on each publish, rollback and prune.",
        [
            ("release_id", "VARCHAR", "content hash of inputs, framework, weights, method and code version"),
            (
                "status",
                "VARCHAR",
                "`current`, `superseded` (replaced by a newer publish), `rolled_back` "
                "(replaced by a rollback) or `pruned` (files deleted, beyond the last N)",
            ),
            ("is_current", "BOOLEAN", "status = current"),
            ("triggered_by", "VARCHAR", "`airflow:<run_id>` or `cli` of the first publish"),
            ("published_at", "TIMESTAMP WITH TIME ZONE", "first publish"),
            ("last_current_at", "TIMESTAMP WITH TIME ZONE", "last time the release was made current"),
            ("created_at", "TIMESTAMP WITH TIME ZONE", "when compute wrote it"),
            (
                "code_version",
                "VARCHAR",
                "package version + hash of every release source (sql/, index/, reference/, expectations, lock file)",
            ),
            ("framework_sha256", "VARCHAR", "sha256 of the framework file"),
            ("weight_scheme", "VARCHAR", "weight scheme file (repo-relative path)"),
            ("weight_scheme_sha256", "VARCHAR", "sha256 of the weight scheme file"),
            ("method", "VARCHAR", "method spec file (repo-relative path)"),
            ("method_sha256", "VARCHAR", "sha256 of the method spec file"),
            ("input_sha256s", "VARCHAR[]", "sha256 of every curated input file, sorted"),
            (
                "synthetic_inputs",
                "INTEGER",
                "input files whose title or footnotes declare their figures synthetic "
                "(示例数据（合成）); 0 when every input is real",
            ),
        ],
    ),
    "disparity": (
        "How unequal the 盟市 are and where the inequality comes from (index/analyses/disparity.py), per year and "
        "aggregate node, for two groupings of reference/league_groups.csv: `region_group` (蒙东 / 蒙西) and "
        "`core_group` (呼包鄂乌 / 其他). Dagum's decomposition: gini = gini_within + gini_between + "
        "gini_transvariation. A node with a score of 0 has no row (the Gini needs values above 0).",
        [
            RELEASE_ID,
            ("grouping", "VARCHAR", "`region_group` or `core_group`"),
            YEAR,
            NODE_ID,
            ("units", "INTEGER", "盟市 with a score"),
            ("gini", "DOUBLE", "Gini coefficient of the scores"),
            ("gini_within", "DOUBLE", "Dagum: within-group contribution"),
            ("gini_between", "DOUBLE", "Dagum: net between-group contribution"),
            ("gini_transvariation", "DOUBLE", "Dagum: transvariation (overlap) contribution"),
            ("share_within", "DOUBLE", "gini_within / gini"),
            ("share_between", "DOUBLE", "gini_between / gini"),
            ("share_transvariation", "DOUBLE", "gini_transvariation / gini"),
            ("theil", "DOUBLE", "Theil T index"),
            ("theil_within", "DOUBLE", "Theil T within groups"),
            ("theil_between", "DOUBLE", "Theil T between groups (theil = within + between)"),
            ("cv", "DOUBLE", "coefficient of variation: population standard deviation / mean"),
        ],
    ),
    "disparity_groups": (
        "Each group's own inequality in the Dagum decomposition of `disparity` (index/analyses/disparity.py), per "
        "grouping, year and aggregate node." + LEAGUE_ONLY,
        [
            RELEASE_ID,
            ("grouping", "VARCHAR", "`region_group` or `core_group`"),
            ("group_name", "VARCHAR", "the group: 蒙东 / 蒙西, or 呼包鄂乌 / 其他"),
            YEAR,
            NODE_ID,
            ("units", "INTEGER", "盟市 of the group with a score"),
            ("mean", "DOUBLE", "mean score of the group"),
            ("gini", "DOUBLE", "the group's own Gini coefficient (Dagum's G_jj)"),
            ("share_units", "DOUBLE", "p_j: the group's share of the 盟市"),
            ("share_values", "DOUBLE", "s_j: the group's share of the summed scores"),
        ],
    ),
    "disparity_pairs": (
        "Between each pair of groups in the Dagum decomposition of `disparity`: the between-group Gini, the "
        "gross and transvariation distances and the relative economic affluence, per grouping, year and "
        "aggregate node." + LEAGUE_ONLY,
        [
            RELEASE_ID,
            ("grouping", "VARCHAR", "`region_group` or `core_group`"),
            ("group_a", "VARCHAR", "the group with the higher mean score"),
            ("group_b", "VARCHAR", "the other group"),
            YEAR,
            NODE_ID,
            ("gini_between", "DOUBLE", "Dagum's between-group Gini G_ab"),
            ("d", "DOUBLE", "d_ab: mean over every pair of 盟市 (one of each group) of max(y_a − y_b, 0)"),
            ("p", "DOUBLE", "p_ab: the first moment of transvariation, the mean of max(y_b − y_a, 0)"),
            ("relative_affluence", "DOUBLE", "D_ab = (d − p) / (d + p)"),
            ("net_between", "DOUBLE", "the pair's net between-group contribution to the overall Gini"),
            ("transvariation", "DOUBLE", "the pair's transvariation contribution to the overall Gini"),
        ],
    ),
    "distribution": (
        "The distribution of the 盟市' scores by year (index/analyses/convergence.py): a Gaussian kernel density "
        "(scipy.stats.gaussian_kde, Scott's bandwidth) on a grid of points, for the site's density ridges."
        + LEAGUE_ONLY,
        [
            RELEASE_ID,
            NODE_ID,
            YEAR,
            ("x", "DOUBLE", "score at the grid point"),
            ("density", "DOUBLE", "estimated density at x"),
        ],
    ),
    "obstacles": (
        "Which indicators and dimensions hold each 盟市 back most: the obstacle degree model (障碍度模型, "
        "index/analyses/obstacles.py), effective weight × (1 − normalised / 100) as a share of the 盟市's total. "
        "A unit's indicator obstacles add up to 1 in each year. Rows for the 盟市 and for the 旗县市区 (over the "
        "indicators of their level).",
        [
            RELEASE_ID,
            *UNITS,
            YEAR,
            ("node_id", "VARCHAR", "an indicator, or an aggregate (the sum over the indicators below it)"),
            ("node_type", "VARCHAR", "`Indicator` or `Aggregate`"),
            ("obstacle", "DOUBLE", "obstacle degree, a share (0..1); NULL when the 盟市 leads on every indicator"),
            ("top_rank", "INTEGER", "1, 2, 3 for the 盟市's three largest indicator obstacles that year, else NULL"),
        ],
    ),
    "coupling": (
        "How well subsystems develop together: coupling degree C, coordination index T and coupling "
        "coordination degree D = sqrt(C T) (耦合协调度, index/analyses/coupling.py) per 盟市 and year, for the "
        "six dimensions and for 数字产业化 × 产业数字化, with the customary ten classes (bands of 0.1). Rows for "
        "the 盟市 and for the 旗县市区.",
        [
            RELEASE_ID,
            *UNITS,
            YEAR,
            ("system", "VARCHAR", "`六维度` (the six dimensions) or `数字产业化 × 产业数字化`"),
            ("subsystems", "VARCHAR", "the node ids coupled (` × `-separated; `level 2`: every dimension)"),
            ("coupling", "DOUBLE", "C = m (Π U)^(1/m) / Σ U, U the scores / 100"),
            ("coordination", "DOUBLE", "T = mean of U"),
            ("coupling_coordination", "DOUBLE", "D = sqrt(C × T)"),
            ("class_zh", "VARCHAR", "class of D: 极度失调 … 优质协调"),
            ("class_en", "VARCHAR", "class of D in English"),
        ],
    ),
    "convergence_sigma": (
        "σ convergence (index/analyses/convergence.py): the dispersion of the 盟市's scores per node and year; "
        "a falling cv or sd_log is convergence.",
        [
            RELEASE_ID,
            NODE_ID,
            YEAR,
            ("units", "INTEGER", "盟市 with a score"),
            ("mean", "DOUBLE", "mean score"),
            ("sd", "DOUBLE", "population standard deviation"),
            ("cv", "DOUBLE", "sd / mean"),
            ("sd_log", "DOUBLE", "standard deviation of the log scores (NULL when a score is 0)"),
        ],
    ),
    "convergence_beta": (
        "Absolute β convergence (index/analyses/convergence.py): per node, the mean annual log growth between "
        "the first and last year regressed on the initial log score (OLS, scipy.stats.linregress).",
        [
            RELEASE_ID,
            NODE_ID,
            ("first_year", "INTEGER", "initial year"),
            ("last_year", "INTEGER", "final year"),
            ("units", "INTEGER", "盟市 with a score in both years"),
            ("alpha", "DOUBLE", "intercept"),
            ("beta", "DOUBLE", "slope: below 0 means the lower-scoring 盟市 grow faster"),
            ("beta_stderr", "DOUBLE", "standard error of beta"),
            ("p_value", "DOUBLE", "two-sided p-value of beta"),
            ("r_squared", "DOUBLE", "R² of the regression"),
            ("converging", "BOOLEAN", "beta < 0 and p_value < 0.05"),
            ("speed", "DOUBLE", "convergence speed θ = −ln(1 + β T) / T"),
            ("half_life", "DOUBLE", "years to halve the gap: ln 2 / θ"),
        ],
    ),
}

# What changed in the contract, newest first: a dashboard reading an older layout finds its columns here.
CHANGELOG = [
    (
        "2026-12 (the 旗县市区 level)",
        "Every per-unit table names its unit with `unit_code`, `unit_name`, `unit_level` and `parent_code` "
        "instead of `league_code` and `league_name`; `level_kind` (indicator_values, target_attainment) is "
        "`unit_level`, whose values `league` and `region` are unchanged and which adds `county`; indicator_values' "
        "`leagues_covered` is `units_covered`; index_scores adds `rank_in_parent`; framework adds `levels` and `county_weight`. index_scores, "
        "indicator_values, target_attainment, obstacles and coupling now also hold the 103 旗县市区. To read a "
        "release the old way: `select unit_code as league_code, unit_name as league_name, * from index_scores "
        "where unit_level = 'league'` (the rows and values of the 盟市 are what they were). Releases published "
        "before the change keep their own layout; `dei ranking` and `dei compare` read both.",
    )
]


# tables every release directory must hold (releases lives beside them; audit is written by the lead's step)
RELEASE_TABLES = ("index_scores", "indicator_values", "target_attainment", "framework", "weights", "period_weights")
# written by the uncertainty analysis of the same build (index/uncertainty/release.py); a release whose
# release.json declares the analysis is published only with them, older releases stay readable without
UNCERTAINTY_TABLES = ("rank_intervals", "sensitivity", "exclusion_effects")
# written by compute after the audit from the staged tables (index/analyses/release.py)
ANALYSIS_TABLES = (
    "disparity",
    "disparity_groups",
    "disparity_pairs",
    "obstacles",
    "coupling",
    "convergence_sigma",
    "convergence_beta",
    "distribution",
)


def columns(table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, _ in TABLES[table][1]]


def render() -> str:
    lines = [
        "# Published tables",
        "",
        "<!-- generated by `python -m index.targets.contract` from index/targets/contract.py; edit that file -->",
        "",
        "Every release publishes the same tables to three targets:",
        "",
        "* Parquet: `data_lake/published/releases/<release_id>/<table>.parquet`; `latest` is a symlink to the "
        "current `releases/<release_id>/`, switched atomically. Resolve it once "
        "(`os.path.realpath('data_lake/published/latest')`) and read that directory's files; never open "
        "`latest/<table>.parquet` file by file (a publish between two opens mixes two releases). "
        "`data_lake/published/releases.parquet` lists every release.",
        "* DuckDB: `data_lake/published/catalog.duckdb`, one view per table over the current release's Parquet "
        "files plus a `releases` table and a one-row `release_info(release_id, path)`; open it with "
        "`read_only=True` (a publish replaces the file; an open connection keeps its release).",
        "* PostgreSQL (when `DEI_POSTGRES_DSN` is set): schema `dei` (`DEI_POSTGRES_SCHEMA`), one view per table "
        "over the current release's rows in `dei_store`, a one-row view `dei.release_info(release_id)` and the "
        "table `dei.releases`; role `dei_reader` reads (grant it to dashboard logins). Read several tables in one "
        "REPEATABLE READ transaction (or one statement) to get them from one release; publishes never block it.",
        "",
        "Types are DuckDB / Parquet types; PostgreSQL uses "
        + ", ".join(f"{k} → {v}" for k, v in PG_TYPES.items())
        + ".",
        "",
    ]
    lines += ["## Changelog", ""]
    lines += [f"* {when}: {what}" for when, what in CHANGELOG]
    lines.append("")
    for table, (description, cols) in TABLES.items():
        lines += [f"## {table}", "", description, "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| {name} | {kind} | {meaning} |" for name, kind, meaning in cols]
        lines.append("")
    return "\n".join(lines)


README_START = "<!-- published-tables:start (generated from index/targets/contract.py) -->"
README_END = "<!-- published-tables:end -->"


def readme_block() -> str:
    """The table part of the contract as the README shows it: one heading level lower, no title."""
    body = render().split("\n", 4)[4]  # drop the title and the generated-by comment
    demoted = "\n".join("##" + line if line.startswith("#") else line for line in body.splitlines())
    return f"{README_START}\n{demoted}\n{README_END}"


def write_doc(path: Path | None = None) -> Path:
    root = Path(__file__).resolve().parents[2]
    path = path or root / "docs" / "published_tables.md"
    path.write_text(render(), encoding="utf-8")
    from index.files import replace_between

    replace_between(root / "README.md", README_START, README_END, readme_block())
    return path


def cast_select(table: str, source: str) -> str:
    """``select`` of ``source`` (a registered frame) with every column cast to its contract type."""
    cols = ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind in columns(table))
    return f"select {cols} from {source}"


if __name__ == "__main__":
    print(write_doc())
