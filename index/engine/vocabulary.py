"""The method's vocabulary: the choices each verb offers, in one place and without heavy imports.

The typed spec (spec.py) builds its literal types from these; the CLI lists them in its help and choices
without loading pydantic; the engine modules dispatch on them.
"""

IMPUTE_METHODS = ("none", "mean", "median", "panel_linear", "panel_latest", "group_mean", "group_median", "knn")
GROUP_IMPUTE_METHODS = ("group_mean", "group_median")
SCREEN_ON = ("imputed", "raw")
TREAT_METHODS = ("none", "winsorise_then_log")
NORMALISE_METHODS = ("minmax", "zscore", "prank", "rank", "goalposts", "dist2targ", "base_period")
NORMALISE_SCOPES = ("panel", "period")
# earlier spellings, still read: the engine says "period" throughout (a period may be a year, a quarter, ...)
NORMALISE_ALIASES = {"method": {"base_year": "base_period"}, "scope": {"year": "period"}}
AGGREGATE_METHODS = ("amean", "gmean", "hmean", "genmean", "copeland", "topsis")
# methods whose score of a unit depends on the other units' (pairwise outranking, distances to the best and the
# worst unit): the uncertainty analysis's fast path (per-row means as matrix products) has no form for them
UNIT_COMPARING_METHODS = ("copeland", "topsis")
NONPOSITIVE = ("error", "shift")
# means that need positive children (genmean: for p <= 0; for p > 0 non-negative children suffice)
POSITIVE_MEANS = ("gmean", "hmean", "genmean")
# [weights] scheme: these names are computed by the engine; any other string is a weight-scheme file
OBJECTIVE_WEIGHT_SCHEMES = ("entropy", "critic", "pca", "balance")
NAMED_WEIGHT_SCHEMES = ("metadata", "equal", *OBJECTIVE_WEIGHT_SCHEMES)
# [weights] scope: objective weights from the pooled panel or from each period alone
WEIGHT_SCOPES = ("panel", "period")
KNN_DEFAULT_K = 5
