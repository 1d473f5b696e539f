"""A submission whose title or footnotes declare made-up figures (示例数据（合成）) is flagged on every row.

Files: the committed sample submissions in data_lake/landing (SYNTHETIC, except the real PKU index files,
whose titles say 真实数据).
"""

from __future__ import annotations

import pytest

from index.framework import load_framework
from index.ingest import declares_synthetic, parse_file


@pytest.fixture(scope="module")
def framework(repo):
    return load_framework(repo / "sql" / "framework" / "dei_framework.sql")


@pytest.mark.parametrize(
    "title",
    [
        "2019年各盟市电子商务发展情况（示例数据（合成），非官方统计）",
        "2023年主要指标（模拟数据）",
        "Key indicators, 2023 (synthetic)",
        "SYNTHETIC data for the demonstration",
    ],
)
def test_titles_that_declare_made_up_figures(title):
    assert declares_synthetic(title)


@pytest.mark.parametrize(
    "title",
    [
        "2019年各盟市数字普惠金融指数分项（北京大学数字普惠金融指数，真实数据）",
        "2023年合成橡胶产量",  # a product, not made-up data
        "synthetic rubber output, 2023",
        "非合成数据",
        "",
    ],
)
def test_titles_that_do_not(title):
    assert not declares_synthetic(title)


def test_a_sample_submission_is_flagged_on_every_row(repo, framework):
    frame = parse_file(repo / "data_lake" / "landing" / "2019_自治区商务厅_电子商务发展情况.csv", framework)
    assert len(frame) > 0
    assert frame["synthetic"].all()
    assert str(frame["synthetic"].dtype) == "bool"


def test_a_footnote_is_enough_when_there_is_no_title(repo, framework):
    path = repo / "data_lake" / "landing" / "2019_自治区科学技术厅_科技创新主要指标.csv"
    assert path.read_text(encoding="utf-8-sig").startswith("盟市,")  # header first: no title line
    assert parse_file(path, framework)["synthetic"].all()


def test_the_real_pku_index_is_not_flagged(repo, framework):
    frame = parse_file(
        repo / "data_lake" / "landing" / "2019_北京大学数字金融研究中心_数字普惠金融指数分项.csv", framework
    )
    assert len(frame) > 0
    assert not frame["synthetic"].any()
