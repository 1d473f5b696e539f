"""The statistical audit as text for a terminal (`dei audit`): the flags first with what each means, then the
tables. The engine's audit (index/engine/audit.py) computes the statistics and flags of any framework; how they
read, in Chinese names and the DEI's words (盟市), is formatted here, outside the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from index.engine.audit import THRESHOLDS


def _names(frames: dict[str, pd.DataFrame], names: dict[str, str] | None) -> dict[str, str]:
    if names is not None:
        return dict(names)
    nodes = frames.get("nodes")
    if nodes is None or "name" not in nodes.columns:
        return {}
    named = nodes[nodes["name"].notna() & (nodes["name"].astype(str).str.strip() != "")]
    return dict(zip(named["node_id"].astype(str), named["name"].astype(str)))


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _period(value) -> str:
    return (
        "all"
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
        else str(int(value))
    )


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    from index.tables import render

    return render(headers, rows, align="<" * len(headers), rule=True)


# Each kind of flag in one line, for the summary of ``dei audit``.
FLAG_MEANINGS = {
    "availability": "an indicator reported for too few 盟市-years (below t_avail): its scores lean on imputation",
    "zeros": "mostly zeros: it hardly tells the 盟市 apart",
    "unique": "few distinct values: it hardly tells the 盟市 apart",
    "outliers": "skewed and heavy-tailed (|skew| > t_skew and kurt > t_kurt): a few 盟市 dominate it",
    "weak correlation": "a node correlates weakly with its parent or the index (< t_weak): it pulls its own way",
    "collinear pair": "two siblings correlate above t_high: they may count the same thing twice",
    "negative pair": "two siblings correlate below t_negative: they trade off inside their parent",
    "low alpha": "an aggregate's children are not consistent (Cronbach's alpha < t_alpha)",
    "several components": "an aggregate's children need more than one principal component: not one-dimensional",
}


def _shown_scope(frames: dict[str, pd.DataFrame]):
    """The pooled scope and the latest period (what the report shows; audit.parquet has every period)."""
    periods = [int(p) for p in frames["indicators"]["period"].dropna().unique().tolist()]
    latest = max(periods) if periods else None

    def shown(frame: pd.DataFrame) -> pd.DataFrame:
        keep = frame["period"].isna()
        if latest is not None:
            keep = keep | (frame["period"] == latest)
        return frame[keep.fillna(False).astype(bool)]

    return latest, shown


def _without_repeats(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    # with the parent being the root, the 'index' row repeats the 'parent' row
    corr = frames["correlations"]
    nodes = frames.get("nodes")
    parent_of = dict(zip(nodes["node_id"], nodes["parent_id"])) if nodes is not None else {}
    return corr[~((corr["relation"] == "index") & (corr["node_id"].map(parent_of) == corr["other_node_id"]))]


def _sev(value) -> float:
    return 0.0 if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else float(value)


# indicator flags: (flag column, kind, severity, what is wrong given the thresholds t); lazy, for flagged rows only
_INDICATOR_CHECKS = (
    (
        "flag_availability",
        "availability",
        lambda r: 1 - _sev(r.availability),
        lambda r, t: f"availability {_fmt(r.availability)} < {t['t_avail']:g}",
    ),
    (
        "flag_zeros",
        "zeros",
        lambda r: _sev(r.share_zeros),
        lambda r, t: f"share of zeros {_fmt(r.share_zeros)} > {1 - t['t_zero']:g}",
    ),
    (
        "flag_unique",
        "unique",
        lambda r: 1 - _sev(r.share_unique),
        lambda r, t: f"share of unique values {_fmt(r.share_unique)} < {t['t_unq']:g}",
    ),
    (
        "flag_outliers",
        "outliers",
        lambda r: abs(_sev(r.skew)),
        lambda r, t: (
            f"possible outliers, skew {_fmt(r.skew)}, kurt {_fmt(r.kurt)} "
            f"(|skew| > {t['t_skew']:g} and kurt > {t['t_kurt']:g})"
        ),
    ),
)


def flag_items(frames: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> list[tuple[str, float, str]]:
    """(kind, severity, line) for every flag in the shown scope; a larger severity is worse."""
    label = _names(frames, names)

    def name(node_id) -> str:
        return label.get(node_id) or str(node_id)

    t = (
        dict(zip(frames["thresholds"]["threshold"], frames["thresholds"]["value"]))
        if "thresholds" in frames
        else dict(THRESHOLDS)
    )
    _, shown = _shown_scope(frames)
    ind, pairs, agg = (frames[k] for k in ("indicators", "pairs", "aggregates"))
    corr = _without_repeats(frames)
    flags: list[tuple[str, float, str]] = []

    def flag(kind: str, severity: float, text: str) -> None:
        flags.append((kind, severity, text))

    for row in shown(ind).itertuples(index=False):
        where = f"{name(row.indicator_id)} [{_period(row.period)}]"
        for column, kind, severity, text in _INDICATOR_CHECKS:
            if getattr(row, column):
                flag(kind, severity(row), f"indicators   {where}: {text(row, t)}")
    for row in shown(corr).itertuples(index=False):
        if row.flag_weak_pearson or row.flag_weak_spearman:
            flag(
                "weak correlation",
                -min(_sev(row.pearson), _sev(row.spearman)),
                f"correlations {name(row.node_id)} ~ {name(row.other_node_id)} ({row.relation}) "
                f"[{_period(row.period)}]: pearson {_fmt(row.pearson)}, spearman {_fmt(row.spearman)} "
                f"(weak below {t['t_weak']:g})",
            )
    for row in shown(pairs).itertuples(index=False):
        if row.flag_high or row.flag_negative:
            bound = f"> {t['t_high']:g}" if row.flag_high else f"< {t['t_negative']:g}"
            flag(
                "collinear pair" if row.flag_high else "negative pair",
                abs(_sev(row.pearson)),
                f"pairs        {name(row.node_id)} ~ {name(row.other_node_id)} [{_period(row.period)}]: "
                f"pearson {_fmt(row.pearson)} {bound}",
            )
    for row in shown(agg).itertuples(index=False):
        if row.flag_alpha:
            flag(
                "low alpha",
                -_sev(row.cronbach_alpha),
                f"aggregates   {name(row.node_id)} [{_period(row.period)}]: Cronbach's alpha "
                f"{_fmt(row.cronbach_alpha)} < {t['t_alpha']:g}",
            )
        if row.flag_pca:
            flag(
                "several components",
                _sev(row.pca_components),
                f"aggregates   {name(row.node_id)} [{_period(row.period)}]: {row.pca_components} "
                f"principal components with eigenvalue > 1",
            )
    return flags


def format_audit_summary(frames: dict[str, pd.DataFrame], names: dict[str, str] | None = None, worst: int = 3) -> str:
    """The short form `dei audit` prints first: flags counted by kind, what each kind means, the worst few."""
    from index.tables import render

    latest, _ = _shown_scope(frames)
    items = flag_items(frames, names)
    scope = f"pooled 'all' and {latest}" if latest is not None else "pooled"
    out = [f"统计审计 / statistical audit: Flags ({len(items)}, in the {scope} scope)"]
    if not items:
        return "\n".join(out + ["  nothing flagged"])
    kinds = [k for k in FLAG_MEANINGS if any(i[0] == k for i in items)]
    out += render(
        ["kind", "count", "meaning"],
        [[k, sum(1 for i in items if i[0] == k), FLAG_MEANINGS[k]] for k in kinds],
        align="<><",
        indent="  ",
    )
    out.append("worst:")
    for kind in kinds:
        ranked = sorted((i for i in items if i[0] == kind), key=lambda i: -i[1])
        out += [f"  {i[2]}" for i in ranked[:worst]]
        if len(ranked) > worst:
            out.append(f"  … and {len(ranked) - worst} more ({kind})")
    return "\n".join(out)


def format_audit(frames: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> str:
    """A readable report for ``dei audit``: the flags first, then one compact table per section (pooled
    scope, plus the latest period). Nodes are shown by their name (frames["nodes"].name: the DEI's Chinese name, or
    ``names``: node_id -> name), falling back to node_id."""
    label = _names(frames, names)

    def name(node_id) -> str:
        return label.get(node_id) or str(node_id)

    ind, pairs, agg = (frames[k] for k in ("indicators", "pairs", "aggregates"))
    corr = _without_repeats(frames)
    out: list[str] = ["统计审计 / statistical audit", ""]
    latest, shown = _shown_scope(frames)
    flags = [text for _, _, text in flag_items(frames, names)]
    flag_columns = {
        "indicators": ["flag_availability", "flag_zeros", "flag_unique", "flag_outliers"],
        "correlations": ["flag_weak_pearson", "flag_weak_spearman"],
        "pairs": ["flag_high", "flag_negative"],
        "aggregates": ["flag_alpha", "flag_pca"],
    }
    frames_now = {"indicators": ind, "correlations": corr, "pairs": pairs, "aggregates": agg}
    earlier = sum(
        int((frame[flag_columns[k]].any(axis=1) & ~frame.index.isin(shown(frame).index)).sum())
        for k, frame in frames_now.items()
    )
    out.append(f"Flags ({len(flags)})")
    out.extend(f"  {f}" for f in flags) if flags else out.append("  none")
    if earlier:
        out.append(f"  (+ {earlier} flagged rows in earlier periods: see audit.parquet)")

    scope_note = f"(pooled 'all' and latest period {latest})" if latest is not None else "(pooled)"

    def section(headers: list[str], frame: pd.DataFrame, keys, statistics: tuple[str, ...]) -> list[str]:
        """One table of the shown scope: each row's keys as given, then its statistics formatted."""
        rows = [[*keys(r), *(_fmt(getattr(r, c)) for c in statistics)] for r in shown(frame).itertuples(index=False)]
        return ["  " + s for s in _table(headers, rows)]

    out += ["", f"Indicators {scope_note}, before imputation"]
    out += section(
        ["indicator", "period", "avail", "zeros", "unique", "skew", "kurt"],
        ind,
        lambda r: [name(r.indicator_id), _period(r.period)],
        ("availability", "share_zeros", "share_unique", "skew", "kurt"),
    )
    out += ["", f"Correlations with parent and index {scope_note}"]
    out += section(
        ["node", "with", "period", "pearson", "spearman"],
        corr,
        lambda r: [name(r.node_id), f"{name(r.other_node_id)} ({r.relation})", _period(r.period)],
        ("pearson", "spearman"),
    )
    out += ["", f"Sibling pairs {scope_note}"]
    out += section(
        ["parent", "pair", "period", "pearson"],
        pairs,
        lambda r: [name(r.parent_id), f"{name(r.node_id)} ~ {name(r.other_node_id)}", _period(r.period)],
        ("pearson",),
    )
    out += ["", f"Aggregates {scope_note}"]
    out += section(
        ["aggregate", "period", "children", "alpha", "PC1 share", "eigen>1"],
        agg,
        lambda r: [name(r.node_id), _period(r.period)],
        ("children", "cronbach_alpha", "pca_first_share", "pca_components"),
    )
    return "\n".join(out) + "\n"


__all__ = ["FLAG_MEANINGS", "flag_items", "format_audit", "format_audit_summary"]
