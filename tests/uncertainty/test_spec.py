"""The uncertainty spec: typed models, one-line errors naming the key, the README key table."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import ConfigError
from index.uncertainty import spec

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_specs_load(asem_dir):
    asem = spec.load(asem_dir / "uncertainty.toml")
    assert asem.treat.winmax_values() == [1, 2, 3, 4, 5]
    assert [a.method for a in asem.normalise.alternatives] == ["minmax", "zscore"]
    assert asem.normalise.alternatives[0].range == (1, 100)
    assert (asem.normalise.alternatives[1].mean, asem.normalise.alternatives[1].sd) == (10, 2)
    assert asem.weights.noise == {"2": 0.25, "3": 0.25}
    assert [a.method for a in asem.aggregate.alternatives] == ["amean", "gmean"]
    dei = spec.load(REPO / "sql" / "method" / "dei_uncertainty.toml")
    assert dei.replicates >= 1000 and dei.exclusion.level == 2


@pytest.mark.parametrize(
    "body, named, listed",
    [
        ({"replicatse": 10}, "'replicatse'", "'replicates'"),
        ({"treat": {"winmx": [1, 2]}}, "'treat.winmx'", "'winmax'"),
        ({"weights": {"nosie": {"2": 0.1}}}, "'weights.nosie'", "'noise'"),
        ({"sensitivity": {"boostrap": 99}}, "'sensitivity.boostrap'", "'bootstrap'"),
        (
            {"normalise": {"alternatives": [{"method": "minmax", "rnage": [0, 1]}]}},
            "'normalise.alternatives[0].rnage'",
            "'range'",
        ),
        (
            {"aggregate": {"alternatives": [{"method": "gmean", "nonpositiv": "shift"}]}},
            "'aggregate.alternatives[0].nonpositiv'",
            "'nonpositive'",
        ),
        ({"exclsion": {"level": 1}}, "'exclsion'", "'[exclusion]'"),
    ],
)
def test_an_unknown_key_is_named_with_the_valid_keys(body, named, listed):
    with pytest.raises(ConfigError) as caught:
        spec.validate(body, "u.toml")
    message = str(caught.value)
    assert message.startswith("u.toml: unknown key(s)") and named in message and listed in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "body, words",
    [
        ({"aggregate": {"alternatives": ["amen"]}}, ["aggregate.alternatives[0]", "'amen'", "gmean"]),
        ({"aggregate": {"alternatives": ["copeland"]}}, ["copeland"]),
        ({"normalise": {"alternatives": [{"method": "minmax", "range": [5, 1]}]}}, ["normalise.range"]),
        ({"normalise": {"alternatives": [{"method": "zcore"}]}}, ["normalise.alternatives[0].method", "zscore"]),
        ({"weights": {"noise": {"2": 1.5}}}, ["weights.noise.2", "less than 1"]),
        ({"weights": {"noise": {"top": 0.1}}}, ["weights.noise key 'top'"]),
        ({"weights": {}}, ["weights.noise or weights.schemes"]),
        ({"treat": {"winmax": [1], "winmax_range": [1, 2]}}, ["not both"]),
        ({"treat": {"winmax_range": [4, 2]}}, ["treat.winmax_range"]),
        ({"sensitivity": {"n": 1000}}, ["sensitivity.n", "power of 2"]),
        ({"replicates": 0}, ["replicates = 0"]),
        ({"replicates": 2.5}, ["replicates = 2.5"]),
        ({"seed": "x"}, ["seed = 'x'"]),
        ({"interval": [0.9, 0.1]}, ["interval"]),
        ({"exclusion": {"level": 0}}, ["exclusion.level"]),
        ({"impute": {"alternatives": []}}, ["impute.alternatives"]),
    ],
)
def test_a_bad_value_names_its_key(body, words):
    with pytest.raises(ConfigError) as caught:
        spec.validate(body, "u.toml")
    for word in words:
        assert word in str(caught.value)


def test_a_file_error_names_the_file(tmp_path):
    bad = tmp_path / "u.toml"
    bad.write_text("[treat]\nwinmax = [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        spec.load(bad)
    with pytest.raises(ConfigError, match="not found"):
        spec.load(tmp_path / "missing.toml")


def test_key_table_lists_every_key():
    table = spec.key_table()
    for key in spec.TOP_KEYS:
        assert f"| `{key}` |" in table
    for section, model in spec.SECTIONS.items():
        for key in model.model_fields:
            assert f"| `{section}.{key}` |" in table
    assert spec.readme_block().startswith(spec.README_START)


def test_a_broken_alternative_is_named_by_its_position():
    body = {"normalise": {"alternatives": [{"method": "minmax"}, {"method": "zscore", "cap_max": True}]}}
    with pytest.raises(ConfigError, match=r"normalise\.alternatives\[1\]: normalise\.cap_max applies only"):
        spec.validate(body, "u.toml")


def test_the_readme_key_table_is_generated_from_the_uncertainty_models(repo):
    from index.uncertainty import spec as uspec

    assert uspec.readme_block() in (repo / "README.md").read_text(encoding="utf-8")
