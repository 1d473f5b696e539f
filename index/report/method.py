"""The methodology page's content: each calculation step in handbook order, in plain words, with its formula.

Generated from the release's method spec (release.json method.spec), its engine log and the weights table; the
formulas are MathML, which browsers render without a library. Unknown methods still get a step, naming the
method as the spec does.
"""

from __future__ import annotations

import math

import pandas as pd

from index.report.i18n import WEIGHT_SCHEMES

# OECD-JRC handbook / COINr order; the spec's own key order is not meaningful.
STEP_ORDER = ("denominate", "impute", "screen", "treat", "normalise", "weight", "aggregate", "audit")
SPEC_KEYS = {"weight": ("weights", "weight")}
TITLES = {
    "denominate": ("折算（分母化）", "Denominate"),
    "impute": ("缺失值插补", "Impute missing values"),
    "screen": ("数据充足性筛选", "Screen for data availability"),
    "treat": ("异常值处理", "Treat outliers"),
    "normalise": ("标准化", "Normalise"),
    "weight": ("赋权", "Weight"),
    "aggregate": ("加权合成", "Aggregate"),
    "audit": ("统计审核", "Statistical audit"),
}


def _m(body: str) -> str:
    return f'<math display="block">{body}</math>'


def _mi(x):
    return f"<mi>{x}</mi>"


def _mo(x):
    return f"<mo>{x}</mo>"


def _mn(x):
    return f"<mn>{x}</mn>"


def _frac(a, b):
    return f"<mfrac><mrow>{a}</mrow><mrow>{b}</mrow></mfrac>"


def _sub(a, b):
    return f"<msub>{a}<mrow>{b}</mrow></msub>"


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _denominate(spec: dict) -> dict:
    return {
        "text": (
            "规模类指标（如企业数、交易额、收入）先除以常住人口或地区生产总值，再乘以换算系数，使盟市之间不因体量大小而直接决定排名。"
            "比例类指标（%）直接使用上报值。",
            "Size-type indicators (firm counts, turnover, revenue) are divided by the resident population or by GDP "
            "and multiplied by a scale factor, so a league's size alone does not decide its rank. Shares (%) enter as "
            "reported.",
        ),
        "formula": _m(_mi("x") + _mo("=") + _frac(_mi("a"), _mi("d")) + _mo("×") + _mi("s")),
        "legend": (
            "a：上报值；d：分母（常住人口或地区生产总值）；s：换算系数（如每百万人）。",
            "a: the reported figure; d: the denominator (resident population or GDP); s: the scale factor "
            "(e.g. per million residents).",
        ),
        "params": [],
    }


IMPUTE_TEXT = {
    "panel_linear": (
        "面板线性插补：在该盟市自己上报的年份之间按直线插值；首尾年份取最近一年的值；从未上报该指标的盟市取当年各盟市均值。",
        "Panel linear: interpolate on a straight line between the league's own reported years; before "
        "the first or after the last report, carry the nearest year; a league that never reported the "
        "indicator gets that year's mean over the leagues.",
    ),
    "panel_latest": (
        "面板就近插补：取该盟市最近一个上报年份的值。",
        "Panel latest: carry the league's nearest reported year.",
    ),
    "mean": ("均值插补：取当年各盟市均值。", "Mean: that year's mean over the leagues."),
    "median": ("中位数插补：取当年各盟市中位数。", "Median: that year's median over the leagues."),
    "group_mean": ("组均值插补：取同组盟市当年均值。", "Group mean: that year's mean over the league's group."),
    "group_median": (
        "组中位数插补：取同组盟市当年中位数。",
        "Group median: that year's median over the league's group.",
    ),
    "knn": ("近邻插补：取最相似盟市的值。", "Nearest neighbours: the values of the most similar leagues."),
    "none": (
        "不插补：缺失值保持缺失，合成时按现有指标重新分配权重。",
        "None: missing values stay missing; aggregation re-weights over the indicators present.",
    ),
}


def _impute(spec: dict) -> dict:
    method = str(spec.get("method", "none"))
    text = IMPUTE_TEXT.get(method, (f"插补方法：{method}。", f"Method: {method}."))
    formula = ""
    legend = ("", "")
    if method == "panel_linear":
        formula = _m(
            _sub(_mi("x"), _mi("t"))
            + _mo("=")
            + _sub(_mi("x"), _mi("a"))
            + _mo("+")
            + _frac(_mi("t") + _mo("−") + _mi("a"), _mi("b") + _mo("−") + _mi("a"))
            + _mo("·")
            + "<mrow><mo>(</mo>"
            + _sub(_mi("x"), _mi("b"))
            + _mo("−")
            + _sub(_mi("x"), _mi("a"))
            + "<mo>)</mo></mrow>"
        )
        legend = (
            "t：缺失年份；a、b：其前后最近的上报年份。",
            "t: the missing year; a, b: the nearest reported years before and after it.",
        )
    elif method in ("mean", "group_mean"):
        formula = _m(
            _sub(_mi("x"), _mi("i,t"))
            + _mo("=")
            + _frac(_mn("1"), _mi("n"))
            + "<munder><mo>∑</mo><mi>j</mi></munder>"
            + _sub(_mi("x"), _mi("j,t"))
        )
        legend = ("j：当年上报了该指标的 n 个盟市。", "j: the n leagues that reported the indicator that year.")
    return {
        "text": (text[0] + "插补值在站内标为“插补”。", text[1] + " Imputed values are marked “imputed” on the site."),
        "formula": formula,
        "legend": legend,
        "params": [(f"方法 {method}", f"method {method}")],
    }


def _screen(spec: dict) -> dict:
    share = float(spec.get("min_data", 0) or 0)
    on = spec.get("on", "imputed")
    on_zh = "插补后的数据" if on == "imputed" else "插补前的数据"
    on_en = "the imputed data" if on == "imputed" else "the data before imputation"
    if share <= 0:
        text = (
            f"最低数据覆盖率为 {share:g}：不剔除任何盟市（检查基于{on_zh}）。",
            f"Minimum data share {share:g}: no league is dropped (checked on {on_en}).",
        )
    else:
        text = (
            f"某盟市某年有数据的指标占比低于 {share:.0%} 时，该盟市该年不参与计算（检查基于{on_zh}）。",
            f"A league-year is left out when it has data for less than {share:.0%} of the indicators (checked on {on_en}).",
        )
    formula = _m(_frac(_sub(_mi("n"), _mtext("有数据")), _mi("n")) + _mo("≥") + _mn(f"{share:g}"))
    return {
        "text": text,
        "formula": formula,
        "legend": (
            "n：指标总数；n有数据：该盟市该年有数据的指标数。",
            "n: number of indicators; n有数据: those with data for the league and year.",
        ),
        "params": [(f"最低覆盖率 {share:g}", f"min_data {share:g}")],
    }


def _mtext(x):
    return f"<mtext>{x}</mtext>"


def _treat(spec: dict) -> dict:
    method = str(spec.get("method", "none"))
    skew, kurt, winmax = spec.get("skew", 2.0), spec.get("kurtosis", 3.5), spec.get("winmax", 5)
    rule = (
        f"偏度绝对值大于 {_num(skew)} 且峰度大于 {_num(kurt)} 视为有异常值",
        f"an indicator has outliers when |skewness| > {_num(skew)} and kurtosis > {_num(kurt)}",
    )
    if method == "none":
        text = (
            f"不处理：数值原样进入标准化（若处理，规则为：{rule[0]}）。统计审核仍报告此类指标。",
            f"None: values enter normalisation untreated (the rule, when switched on: {rule[1]}). The audit "
            "still reports such indicators.",
        )
        formula = _m(_sub(_mover("x"), _mi("i")) + _mo("=") + _sub(_mi("x"), _mi("i")))
    else:
        text = (
            f"{rule[0]}：先将最极端的值逐个缩尾（最多 {_num(winmax)} 个），仍偏斜则取对数。",
            f"When {rule[1]}: winsorise the most extreme values one at a time (at most {_num(winmax)}), then take "
            "logarithms if still skewed.",
        )
        formula = _m(
            "<mrow><mo>|</mo><mi>skew</mi><mo>|</mo></mrow>"
            + _mo(">")
            + _mn(_num(skew))
            + _mo("∧")
            + _mi("kurt")
            + _mo(">")
            + _mn(_num(kurt))
        )
    return {"text": text, "formula": formula, "legend": ("", ""), "params": [(f"方法 {method}", f"method {method}")]}


def _mover(x):
    return f"<mover><mi>{x}</mi><mo>~</mo></mover>"


def _normalise(spec: dict) -> dict:
    method = str(spec.get("method", "minmax"))
    lo, hi = (spec.get("range") or [0, 100])[:2]
    scope = spec.get("scope", "panel")
    scope_text = (
        (
            "最小值、最大值取自2019年以来全部年份的全部盟市，因此得分可以跨年比较。",
            "The minimum and maximum are taken over all leagues and all years pooled, so scores compare across years.",
        )
        if scope == "panel"
        else ("最小值、最大值按年份分别计算。", "The minimum and maximum are taken year by year.")
    )
    if method == "minmax":
        text = (
            f"最小-最大标准化：把每个指标换算到 {_num(lo)}–{_num(hi)} 分，最差为 {_num(lo)}、最好为 {_num(hi)}；"
            "逆向指标（越低越好，如数据中心PUE）先反转方向。" + scope_text[0],
            f"Min-max: each indicator is rescaled to {_num(lo)}–{_num(hi)}, worst {_num(lo)}, best {_num(hi)}; "
            "lower-is-better indicators (such as data-centre PUE) are turned round first. " + scope_text[1],
        )
        span = _mi("max") + _mo("−") + _mi("min")
        diff_hi = _frac(_mi("x") + _mo("−") + _mi("min"), span)
        diff_lo = _frac(_mi("max") + _mo("−") + _mi("x"), span)
        # y = lo + diff × (hi − lo), one line per polarity
        scaled = _mo("×") + "<mrow><mo>(</mo>" + _mn(_num(hi)) + _mo("−") + _mn(_num(lo)) + "<mo>)</mo></mrow>"
        formula = "".join(
            _m(_mi("y") + _mo("=") + _mn(_num(lo)) + _mo("+") + diff + scaled + _mtext(note))
            for diff, note in ((diff_hi, "\u2003正向 / higher is better"), (diff_lo, "\u2003逆向 / lower is better"))
        )
        legend = (
            "x：折算、插补后的指标值；min、max：该指标的最小值和最大值。",
            "x: the indicator value after denominating and imputing; min, max: the indicator's minimum and maximum.",
        )
    elif method == "zscore":
        text = (
            "Z分数标准化：减去均值、除以标准差。" + scope_text[0],
            "z-score: subtract the mean, divide by the standard deviation. " + scope_text[1],
        )
        formula = _m(_mi("y") + _mo("=") + _frac(_mi("x") + _mo("−") + _mi("μ"), _mi("σ")))
        legend = ("μ、σ：该指标的均值和标准差。", "μ, σ: the indicator's mean and standard deviation.")
    else:
        text = (f"标准化方法：{method}。" + scope_text[0], f"Method: {method}. " + scope_text[1])
        formula, legend = "", ("", "")
    return {
        "text": text,
        "formula": formula,
        "legend": legend,
        "params": [
            (f"方法 {method}", f"method {method}"),
            (f"范围 {_num(lo)}–{_num(hi)}", f"range {_num(lo)}–{_num(hi)}"),
            (f"范围口径 {scope}", f"scope {scope}"),
        ],
    }


def _weight(spec: dict, scheme: tuple[str, str, str]) -> dict:
    key, zh, en = scheme
    return {
        "text": (
            f"采用{zh}方案（{key}）：每个指标在所属维度中、每个维度在总指数中各有一个权重，同一上级下的权重之和为1。"
            "指标在总指数中的权重是沿树向上各级权重之积。某盟市某年缺少指标时，其余指标按原比例重新分配权重。",
            f"The {en} scheme ({key}): every indicator has a weight within its dimension and every dimension a "
            "weight within the index; the weights under one parent add up to 1. An indicator's weight in the "
            "index is the product of the weights up the tree. When a league-year lacks an indicator, the others "
            "share its weight in proportion.",
        ),
        "formula": _m(
            "<msubsup><mi>w</mi><mi>i</mi><mtext>DEI</mtext></msubsup>"
            + _mo("=")
            + _sub(_mi("w"), _mi("i"))
            + _mo("×")
            + _sub(_mi("w"), _mi("d"))
            + _mtext("\u2003")
            + _sub(_mi("w"), _mi("j") + _mo("′"))
            + _mo("=")
            + _frac(
                _sub(_mi("w"), _mi("j")),
                "<munder><mo>∑</mo><mrow><mi>k</mi><mo>∈</mo><mtext>有数据</mtext></mrow></munder>"
                + _sub(_mi("w"), _mi("k")),
            )
        ),
        "legend": (
            "w_i^DEI：指标在总指数中的权重；w_i：指标在维度中的权重；w_d：维度在总指数中的权重；右式为缺项时的重新分配。",
            "w_i^DEI: the indicator's weight in the index; w_i: its weight within its dimension; w_d: the dimension's weight in the index; right: "
            "re-weighting over the indicators present (有数据 = with data).",
        ),
        "params": [(f"方案 {key}（{zh}）", f"scheme {key} ({en})")],
    }


AGG_TEXT = {
    "amean": (
        "加权算术平均：维度得分是其指标标准化得分的加权平均，总指数是各维度得分的加权平均，指标之间可以相互补偿。",
        "Weighted arithmetic mean: a dimension's score is the weighted mean of its indicators' normalised scores, "
        "the index the weighted mean of the dimensions; a strong indicator can make up for a weak one.",
    ),
    "gmean": (
        "加权几何平均：短板对得分的拖累更大，补偿性较弱。",
        "Weighted geometric mean: a weak component pulls the score down more; less compensation.",
    ),
    "hmean": ("加权调和平均：补偿性最弱。", "Weighted harmonic mean: the least compensation."),
}


def _aggregate(spec: dict) -> dict:
    method = str(spec.get("method", "amean"))
    text = AGG_TEXT.get(method, (f"合成方法：{method}。", f"Method: {method}."))
    y = _sub(_mi("y"), _mi("j"))
    w = _sub(_mi("w"), _mi("j"))
    total = "<munder><mo>∑</mo><mi>j</mi></munder>"
    if method == "gmean":
        body = _mi("S") + _mo("=") + "<munder><mo>∏</mo><mi>j</mi></munder>" + f"<msup>{y}{w}</msup>"
    elif method == "hmean":
        body = _mi("S") + _mo("=") + _frac(_mn("1"), total + _frac(w, y))
    else:
        body = _mi("S") + _mo("=") + total + w + y
    return {
        "text": text,
        "formula": _m(body) if method in ("amean", "gmean", "hmean") else "",
        "legend": (
            "y_j：下级（指标或维度）得分；w_j：其权重（和为1）。",
            "y_j: a child's score (indicator or dimension); w_j: its weight (they add up to 1).",
        ),
        "params": [(f"方法 {method}", f"method {method}")],
    }


def _audit_step() -> dict:
    return {
        "text": (
            "计算完成后按 OECD-JRC《综合指数编制手册》和 COINr 的做法审核：数据覆盖率、偏度与峰度（异常值）、"
            "指标与所属维度及总指数的相关性、同一维度内指标两两相关（冗余）、维度内部一致性（Cronbach α）和主成分结构。"
            "结果见下文“统计审核”。审核只提示问题，不改变得分。",
            "After computing, the index is audited as the OECD-JRC Handbook and COINr do: data availability, "
            "skewness and kurtosis (outliers), correlation of each indicator with its dimension and with the index, "
            "pairwise correlation within a dimension (redundancy), internal consistency (Cronbach's alpha) and "
            "principal components. See “Statistical audit” below. The audit flags; it does not change scores.",
        ),
        "formula": _m(
            _mi("r")
            + _mo("=")
            + _frac(
                "<munder><mo>∑</mo><mi>i</mi></munder><mo>(</mo>"
                + _sub(_mi("x"), _mi("i"))
                + _mo("−")
                + _mover("x").replace("~", "¯")
                + "<mo>)</mo><mo>(</mo>"
                + _sub(_mi("y"), _mi("i"))
                + _mo("−")
                + _mover("y").replace("~", "¯")
                + "<mo>)</mo>",
                _mi("n") + _sub(_mi("s"), _mi("x")) + _sub(_mi("s"), _mi("y")),
            )
        ),
        "legend": (
            "相关系数 r：x 为指标得分，y 为所属维度或总指数得分。",
            "Correlation r: x an indicator's score, y its dimension's or the index's score.",
        ),
        "params": [],
    }


def steps(spec: dict | None, engine_log: list[dict] | None, scheme: tuple[str, str, str]) -> list[dict]:
    """The eight handbook steps with text, formula, parameters and the engine's own note for the step."""
    spec = spec or {}
    log = {str(row.get("step")): row for row in (engine_log or []) if row.get("step")}
    build = {
        "denominate": _denominate,
        "impute": _impute,
        "screen": _screen,
        "treat": _treat,
        "normalise": _normalise,
        "aggregate": _aggregate,
    }
    out = []
    for number, key in enumerate(STEP_ORDER, start=1):
        params = next((spec[k] for k in SPEC_KEYS.get(key, (key,)) if isinstance(spec.get(k), dict)), {})
        if key == "weight":
            step = _weight(params, scheme)
        elif key == "audit":
            step = _audit_step()
        else:
            step = build[key](params)
        entry = log.get(key) or {}
        out.append({"key": key, "n": number, "title": TITLES[key], **step, "log": entry.get("notes") or None})
    return out


def weight_scheme(release: dict, weights: pd.DataFrame | None) -> tuple[str, str, str]:
    """(key, Chinese name, English name): the weights table's scheme column, else the scheme file's stem."""
    key = None
    if weights is not None and "scheme" in weights.columns:
        names = weights["scheme"].dropna().astype(str).unique().tolist()
        key = names[0] if names else None
    if not key:
        path = ((release.get("weight_scheme") or {}).get("path") or "").rsplit("/", 1)[-1]
        key = path.rsplit(".", 1)[0] or "—"
    zh, en = WEIGHT_SCHEMES.get(key, (key, key))
    return key, zh, en


def weight_tree(nodes: list[dict]) -> list[dict]:
    """The framework tree (nodes already in framework order, with depth) as rows for a nested list."""
    rows = []
    for node in nodes:
        if node.get("node_type") == "Denominator":
            continue
        weight, effective = node.get("weight"), node.get("effective_weight")
        rows.append(
            {
                **node,
                "share": None if weight is None or (isinstance(weight, float) and math.isnan(weight)) else weight,
                "effective": effective,
            }
        )
    return rows


# ---------------------------------------------------------------- audit, in words

# (section, statistic) -> (meaning in Chinese, in English). The thresholds are the release's own (audit.threshold).
AUDIT_MEANING = {
    "availability": (
        "数据覆盖率：实际上报（插补前）的盟市-年份占比；低于阈值标记，说明该指标缺数较多。",
        "Availability: share of league-years actually reported (before imputing); flagged below the threshold, the indicator has many gaps.",
    ),
    "share_zeros": ("零值占比：取值为0的占比过高时标记。", "Share of zeros: flagged when too many values are zero."),
    "share_unique": (
        "不同取值占比：取值重复过多、区分度低时标记。",
        "Share of unique values: flagged when values repeat so much they barely discriminate.",
    ),
    "skew": (
        "偏度：与峰度一起判断异常值，偏度绝对值和峰度都超过阈值时标记。",
        "Skewness: with kurtosis, flags possible outliers when both exceed their thresholds.",
    ),
    "kurt": ("峰度：见偏度。", "Kurtosis: see skewness."),
    "pearson_parent": (
        "与所属上级（维度或总指数）的皮尔逊相关：低于阈值（相关弱或为负）标记，说明该项与其上级走向不一致。",
        "Pearson correlation with the parent (dimension or index): flagged below the threshold; the item moves apart from its parent.",
    ),
    "spearman_parent": (
        "与所属上级的斯皮尔曼等级相关：含义同上，对异常值不敏感。",
        "Spearman rank correlation with the parent: as above, robust to outliers.",
    ),
    "pearson_index": (
        "与总指数的皮尔逊相关：低于阈值标记。",
        "Pearson correlation with the index: flagged below the threshold.",
    ),
    "spearman_index": (
        "与总指数的斯皮尔曼等级相关：低于阈值标记。",
        "Spearman rank correlation with the index: flagged below the threshold.",
    ),
    "pearson": (
        "同一上级下两项之间的相关：高于 0.9 可能重复计量（冗余），低于 −0.4 相互抵消，均标记。",
        "Correlation between two siblings: above 0.9 they may measure the same thing (redundant), below −0.4 they cancel out; both are flagged.",
    ),
    "cronbach_alpha": (
        "Cronbach α：维度内部一致性，低于阈值标记。",
        "Cronbach's alpha: internal consistency of a dimension; flagged below the threshold.",
    ),
    "pca_components": (
        "主成分个数（特征值大于1）：多于阈值时标记，说明该维度包含不止一个方向的信息。",
        "Principal components with eigenvalue above 1: flagged above the threshold; the dimension measures more than one thing.",
    ),
}
STAT_NAMES = {
    "availability": ("数据覆盖率", "availability"),
    "share_zeros": ("零值占比", "share of zeros"),
    "share_unique": ("不同取值占比", "share of unique values"),
    "skew": ("偏度", "skewness"),
    "kurt": ("峰度", "kurtosis"),
    "pearson_parent": ("与上级皮尔逊相关", "Pearson with parent"),
    "spearman_parent": ("与上级斯皮尔曼相关", "Spearman with parent"),
    "pearson_index": ("与总指数皮尔逊相关", "Pearson with index"),
    "spearman_index": ("与总指数斯皮尔曼相关", "Spearman with index"),
    "pearson": ("同级相关", "sibling correlation"),
    "cronbach_alpha": ("Cronbach α", "Cronbach's alpha"),
    "pca_components": ("主成分个数", "principal components"),
}
SECTION_NAMES = {
    "indicators": ("指标数据", "Indicator data"),
    "correlations": ("与上级和总指数的相关", "Correlation with parent and index"),
    "pairs": ("同级两两相关", "Pairs of siblings"),
    "aggregates": ("维度结构", "Dimension structure"),
}


def _is_flagged(flag: pd.Series) -> pd.Series:
    if flag.dtype == bool or str(flag.dtype) == "boolean":
        return flag.fillna(False).astype(bool)
    text = flag.astype("string").str.strip().str.lower()
    return (flag.notna() & ~text.isin(["", "false", "0", "ok", "none", "pass", "<na>"])).fillna(False).astype(bool)


def audit_summary(audit: pd.DataFrame | None, names: dict[str, tuple[str, str]]) -> dict | None:
    """One row per (section, statistic) that carries a flag: meaning, threshold, checked, flagged; then the flags."""
    if audit is None:
        return None
    frame = audit.copy()
    for col in ("section", "statistic", "node_id", "other_node_id", "period", "value", "threshold", "flag"):
        if col not in frame.columns:
            frame[col] = None
    frame["section"] = frame["section"].fillna("audit").astype(str)
    frame["statistic"] = frame["statistic"].fillna("").astype(str)
    frame["_flagged"] = _is_flagged(frame["flag"].astype(object) if frame["flag"].dtype == object else frame["flag"])
    has_flag = frame["flag"].notna()
    rows = []
    for (section, statistic), group in frame.groupby(["section", "statistic"], sort=False):
        judged = group[has_flag.loc[group.index]]
        if judged.empty and not group["_flagged"].any():
            continue  # descriptive statistics without a flag (e.g. PCA variance shares)
        threshold = group["threshold"].dropna()
        meaning = AUDIT_MEANING.get(statistic, (statistic, statistic))
        rows.append(
            {
                "section": SECTION_NAMES.get(section, (section, section)),
                "statistic": statistic,
                "meaning": meaning,
                "threshold": None
                if threshold.empty
                else float(threshold.iloc[0])
                if threshold.nunique() == 1
                else " / ".join(f"{v:g}" for v in sorted(threshold.unique())),
                "checked": int(len(group)),
                "flagged": int(group["_flagged"].sum()),
            }
        )
    flagged = frame[frame["_flagged"]].copy()

    def name(node_id):
        if node_id is None or (isinstance(node_id, float) and math.isnan(node_id)) or node_id is pd.NA:
            return None
        return names.get(str(node_id), (str(node_id), str(node_id)))

    flags = []
    for row in flagged.head(400).itertuples(index=False):
        period = row.period
        pooled = period is None or (isinstance(period, float) and math.isnan(period)) or period is pd.NA
        flags.append(
            {
                "section": SECTION_NAMES.get(row.section, (row.section, row.section)),
                "statistic": row.statistic,
                "statistic_name": STAT_NAMES.get(row.statistic, (row.statistic, row.statistic)),
                "node": name(row.node_id),
                "other": name(row.other_node_id),
                "node_id": None if name(row.node_id) is None else str(row.node_id),
                "period": None if pooled else int(period),
                "value": None if row.value is None or pd.isna(row.value) else float(row.value),
                "threshold": None if row.threshold is None or pd.isna(row.threshold) else float(row.threshold),
                "flag": row.flag if isinstance(row.flag, str) else None,
            }
        )
    return {"rows": rows, "flags": flags, "total": int(len(frame)), "flagged": int(frame["_flagged"].sum())}
