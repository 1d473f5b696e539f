"""The generated sample landing set: coverage, clean parse, real PKU values, synthetic labels, byte-identical."""

import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from index.config import settings
from index.framework import load_framework
from index.ingest import parse_file
from index.leagues import league_codes
from index.samples import DEFAULT_SEED, PKU_COLUMNS, PKU_DEPARTMENT, SYNTHETIC_NOTE, YEARS, generate


@pytest.fixture(scope="module")
def framework():
    return load_framework(settings().framework_file)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, framework):
    out = tmp_path_factory.mktemp("landing")
    result = generate(out, seed=DEFAULT_SEED, framework=framework)
    parsed = pd.concat([parse_file(f, framework) for f in result.files], ignore_index=True)
    # ingest names the unit column unit_code (a 盟市 code here); the generator's truth keeps league_code
    parsed = parsed.rename(columns={"unit_code": "league_code"})
    return out, result, parsed


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_one_file_per_department_and_year(generated, framework):
    out, result, _ = generated
    departments = set(framework.loc[framework["node_type"] != "Aggregate", "department"].dropna())
    names = [p.name for p in result.files]
    assert names == sorted(names) or len(set(names)) == len(names)
    for department in departments:
        years = sorted(int(n[:4]) for n in names if n.split("_")[1] == department)
        expected = [y for y in YEARS if not (department == PKU_DEPARTMENT and y > 2023)]
        assert years == expected, department
    assert {p.suffix for p in result.files} == {".xlsx", ".csv"}


def test_covers_every_league_year_indicator(generated, framework):
    _, _, parsed = generated
    nodes = framework[framework["node_type"].isin(["Indicator", "Denominator"])]
    pku = set(nodes.loc[nodes["department"] == PKU_DEPARTMENT, "node_id"])
    expected = {
        (code, year, node)
        for node in nodes["node_id"]
        for code in league_codes()
        for year in YEARS
        if not (node in pku and year == 2024)
    }
    got = set(zip(parsed["league_code"], parsed["year"], parsed["indicator_id"]))
    assert got == expected
    # denominators ride along in many department files, always with the same value
    spread = parsed.groupby(["league_code", "year", "indicator_id"])["value"].nunique(dropna=False)
    assert (spread == 1).all()


def test_parsed_values_equal_generator_truth(generated):
    _, result, parsed = generated
    merged = parsed.merge(
        result.truth,
        on=["league_code", "year", "indicator_id", "source_file"],
        how="outer",
        suffixes=("", "_truth"),
        indicator=True,
    )
    assert (merged["_merge"] == "both").all()
    both_nan = merged["value"].isna() & merged["value_truth"].isna()
    assert (both_nan | (merged["value"] == merged["value_truth"])).all()
    assert 1 <= parsed["value"].isna().sum() <= 10  # a few deterministic — / blank cells


def test_values_within_framework_bounds(generated, framework):
    _, _, parsed = generated
    bounds = parsed.merge(framework[["node_id", "valid_min", "valid_max"]], left_on="indicator_id", right_on="node_id")
    bounds = bounds[bounds["value"].notna()]
    assert (bounds["value"] >= bounds["valid_min"]).all()
    assert ((bounds["value"] <= bounds["valid_max"]) | bounds["valid_max"].isna()).all()


def test_pku_values_are_the_reference(generated):
    _, _, parsed = generated
    ref = pd.read_csv(settings().reference / "nmg_pku_dfiic_city_2011_2023.csv")
    ref = ref[ref["year"] >= 2019]
    for node, column in PKU_COLUMNS.items():
        got = parsed[parsed["indicator_id"] == node].set_index(["league_code", "year"])["value"]
        want = pd.Series(
            ref[column].to_numpy(),
            index=pd.MultiIndex.from_arrays([(ref["pref_code_year18"] * 100).astype(int), ref["year"].astype(int)]),
        )
        assert len(got) == 60
        for key, value in got.items():
            assert value == want[key], (node, key)
        assert 2024 not in got.index.get_level_values("year")


def test_synthetic_files_say_so(generated):
    _, result, _ = generated
    for path in result.files:
        if path.suffix == ".xlsx":
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            text = " ".join(str(v) for row in sheet.to_python() for v in row)
        else:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gbk")
        if PKU_DEPARTMENT in path.name:
            assert "真实数据" in text and "1401-1418" in text
        else:
            assert SYNTHETIC_NOTE in text, path.name


def test_messy_shapes_present(generated):
    _, result, parsed = generated
    encodings = set()
    for path in result.files:
        if path.suffix == ".csv":
            encodings.add("bom" if path.read_bytes().startswith(b"\xef\xbb\xbf") else "gbk")
    assert encodings == {"bom", "gbk"}
    columns = set(parsed["source_column"])
    assert any("（万元）" in c for c in columns)  # a unit other than the framework's 亿元
    assert any(c.endswith("（人）") for c in columns)  # 人 instead of 万人


def test_regeneration_is_byte_identical(generated, tmp_path, framework):
    out, _, _ = generated
    generate(tmp_path, seed=DEFAULT_SEED, framework=framework)
    assert _digests(tmp_path) == _digests(out)
    for path in tmp_path.glob("*.xlsx"):  # fixed zip timestamps
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
            assert {i.date_time for i in z.infolist()} == {(2024, 1, 1, 0, 0, 0)}
            assert b"2024-01-01T00:00:00Z" in z.read("docProps/core.xml")


def test_latent_factor_correlations_are_the_documented_ones():
    import math

    import numpy as np

    from index.leagues import leagues_table
    from index.samples import DIMENSION_LOADINGS, _dimension_factors, _general_factor

    leagues = leagues_table(settings().reference / "leagues.csv")
    codes = [l["code"] for l in leagues]
    general = np.array([_general_factor(leagues)[c] for c in codes])
    gdppc = np.log([l["approx_gdp_2023_100m_yuan"] / l["approx_pop_2023_10k"] for l in leagues])
    assert np.corrcoef(general, gdppc)[0, 1] > 0.9  # the general factor is tied to GDP per capita
    dims = sorted(DIMENSION_LOADINGS)
    factors = _dimension_factors(leagues, dims, DEFAULT_SEED)
    matrix = np.array([[factors[d][c] for c in codes] for d in dims])
    lam = np.array([DIMENSION_LOADINGS[d] for d in dims])
    expected = np.outer(lam, lam)
    np.fill_diagonal(expected, 1.0)
    assert np.allclose(np.corrcoef(matrix), expected, atol=1e-9)
    assert np.allclose([np.corrcoef(row, general)[0, 1] for row in matrix], lam, atol=1e-9)
    assert all(0.3 <= a * b <= 0.7 for i, a in enumerate(lam) for b in lam[i + 1 :])
    assert not any(math.isnan(v) for v in matrix.ravel())


def test_dimensions_are_correlated_but_not_collinear(generated, framework):
    """On the 2024 cross-section (min-max over the pooled panel, equal weights) the six dimensions correlate in a
    realistic band, not at 0.92–0.97 as a single common score would make them."""
    import numpy as np

    _, result, _ = generated
    truth = result.truth.drop_duplicates(["league_code", "year", "indicator_id"])
    wide = truth.pivot_table(index=["league_code", "year"], columns="indicator_id", values="value")
    nodes = framework[framework["node_type"] == "Indicator"].set_index("node_id")
    for node, row in nodes.iterrows():
        if isinstance(row["denominator"], str):
            wide[node] = wide[node] / wide[row["denominator"]] * row["denominator_scale"]
    wide = wide.groupby(level=0).ffill()  # PKU 2024 carried forward, as the pipeline imputes it
    scores = {}
    for dim, rows in nodes.groupby("parent_id"):
        x = wide[list(rows.index)] * rows["polarity"].to_numpy()
        scores[dim] = ((x - x.min()) / (x.max() - x.min())).mean(axis=1)
    latest = pd.DataFrame(scores).xs(2024, level="year")
    corr = latest.corr().to_numpy()[np.triu_indices(len(scores), 1)]
    assert corr.min() >= 0.2, corr
    assert corr.max() <= 0.8, corr
    assert 0.4 <= corr.mean() <= 0.65, corr


def test_some_leagues_reach_the_targets_and_some_do_not(generated, framework):
    _, result, _ = generated
    truth = result.truth.drop_duplicates(["league_code", "year", "indicator_id"])
    latest = truth[truth["year"] == 2024].pivot_table(index="league_code", columns="indicator_id", values="value")
    targeted = framework[
        (framework["node_type"] == "Indicator")
        & framework["target_2025"].notna()
        & (framework["polarity"] == 1)
        & framework["denominator"].isna()
    ]
    mixed = 0
    for _, row in targeted.iterrows():
        reached = (latest[row["node_id"]] >= row["target_2025"]).sum()
        mixed += 0 < reached < len(latest)
    assert mixed >= 3  # several targets are already met by some 盟市 and missed by others
