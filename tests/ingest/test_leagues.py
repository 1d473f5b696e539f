"""League name / alias / code resolution against reference/leagues.csv."""

import pytest

from index.leagues import league_codes, league_names, resolve_league


def test_twelve_codes_sorted():
    codes = league_codes()
    assert len(codes) == 12
    assert codes == sorted(codes)
    assert codes[0] == 150100 and codes[-1] == 152900


def test_names():
    names = league_names()
    assert names[150100] == "呼和浩特市"
    assert names[152500] == "锡林郭勒盟"
    assert len(names) == 12


@pytest.mark.parametrize(
    "text, code",
    [
        ("呼和浩特市", 150100),
        ("呼和浩特", 150100),
        ("呼市", 150100),
        ("青城", 150100),
        ("锡盟", 152500),
        ("锡林郭勒", 152500),
        ("锡林郭勒盟", 152500),
        ("鄂市", 150600),
        ("鄂尔多斯", 150600),
        ("巴市", 150800),
        ("阿盟", 152900),
        ("兴安", 152200),
        ("150100", 150100),
        (150100, 150100),
        (150100.0, 150100),
        ("150100.0", 150100),
        ("１５０１００", 150100),
        ("  包头市 ", 150200),
        ("\u3000包头市\u3000", 150200),
        ("包 头 市", 150200),
    ],
)
def test_resolves(text, code):
    assert resolve_league(text) == code


@pytest.mark.parametrize("text", ["北京市", "", None, "150000", 150000, "内蒙古自治区", "1501", 150100.5, True])
def test_does_not_guess(text):
    assert resolve_league(text) is None
