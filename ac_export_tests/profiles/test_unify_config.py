"""unify.yaml: structure and consistency with sources.yaml are checked at load, in one message per file."""

from pathlib import Path

import pytest

from ac_export import settings
from ac_export.config.loading import ConfigError
from ac_export.profiles.sources_config import SourcesConfig, load_sources_config
from ac_export.profiles.unify_config import load_unify_config

SOURCES = SourcesConfig.model_validate(
    {
        "profile_sources": {
            "crm": {
                "path": "crm.csv",
                "primary_key": "id",
                "columns": {"Mail": "email", "First": "first_name", "Born": "birth_date", "Tier": "tier"},
            },
            "shop": {
                "path": "shop.csv",
                "primary_key": "id",
                "columns": {
                    "Mail": "email",
                    "First": "first_name",
                    "Phone": "phone",
                    "Street": "street",
                    "City": "city",
                    "Created": "created_at",
                },
            },
        }
    }
)

VALID = """
match_rules:
  - name: same_email
    conditions:
      - {attribute: email, normalize: [trim_case]}
      - {attribute: first_name, compare: fuzzy, threshold: 0.9}
merge:
  attributes: {email: most_recent}
  groups:
    address: {attributes: [street, city], policy: most_filled}
"""


def _load(tmp_path: Path, text: str) -> None:
    (tmp_path / "unify.yaml").write_text(text)
    load_unify_config(tmp_path, SOURCES)


def _problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'unify.yaml'}: ")
    return message


def test_demo_unify_config_loads_against_demo_sources() -> None:
    config_dir = settings.PROJECT_ROOT / "data" / "config"
    config = load_unify_config(config_dir, load_sources_config(config_dir))
    assert config.match_rules[0].name == "same_email"
    assert all(rule.exact_conditions() for _, rule in config.rules())
    attributes = {c.attribute for _, rule in config.rules() for c in rule.conditions}
    assert "contact_id" not in attributes


def test_valid_file_loads(tmp_path: Path) -> None:
    _load(tmp_path, VALID)


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        (
            "{attribute: email, normalize: [trim_case]}",
            "{attribute: emial, normalize: [trim_case]}",
            "match_rules[0].conditions[0].attribute",
            "unknown attribute 'emial'",
        ),
        (
            "{attribute: email, normalize: [trim_case]}",
            "{attribute: email, compare: fuzzy, threshold: 0.8}",
            "match_rules[0]",
            "at least one exact condition",
        ),
        (
            "{attribute: first_name, compare: fuzzy, threshold: 0.9}",
            "{attribute: first_name, compare: fuzzy}",
            "match_rules[0].conditions[1]",
            "needs a threshold",
        ),
        (
            "{attribute: first_name, compare: fuzzy, threshold: 0.9}",
            "{attribute: first_name, threshold: 0.9}",
            "match_rules[0].conditions[1]",
            "apply to fuzzy conditions",
        ),
        (
            "{attribute: first_name, compare: fuzzy, threshold: 0.9}",
            "{attribute: first_name, compare: fuzzy, threshold: 1.5}",
            "match_rules[0].conditions[1].threshold",
            "less than or equal to 1",
        ),
        (
            "normalize: [trim_case]",
            "normalize: [phone_e164, trim_case]",
            "match_rules[0].conditions[0].normalize",
            "use it alone",
        ),
        (
            "normalize: [trim_case]",
            "normalize: [lowercase]",
            "match_rules[0].conditions[0].normalize[0]",
            "'trim_case'",
        ),
        (
            "{attribute: email, normalize: [trim_case]}",
            "{attribute: birth_date, normalize: [trim_case]}",
            "match_rules[0].conditions[0]",
            "normalisers and fuzzy comparison need strings",
        ),
        (
            "{attribute: email, normalize: [trim_case]}",
            "{attribute: phone}",
            "match_rules[0]",
            "no two profile sources map all of",
        ),
        (
            "attributes: {email: most_recent}",
            "attributes: {emial: most_recent}",
            "merge.attributes.emial",
            "unknown attribute 'emial'",
        ),
        (
            "attributes: {email: most_recent}",
            "attributes: {street: most_recent}",
            "merge",
            "belong to a group",
        ),
        (
            "attributes: {email: most_recent}",
            "attributes: {email: newest}",
            "merge.attributes.email",
            "most_recent",
        ),
        ("match_rules:", "phone_region: XX\nmatch_rules:", "phone_region", "unknown region 'XX'"),
        (
            "match_rules:",
            "dedup:\n  - name: same_email\n    conditions: [{attribute: email}]\nmatch_rules:",
            "(top level)",
            "used more than once",
        ),
    ],
)
def test_mistakes_fail_with_file_field_and_reason(
    tmp_path: Path, old: str, new: str, field: str, says: str
) -> None:
    assert old in VALID
    message = _problems(tmp_path, VALID.replace(old, new))
    assert f"  - {field}" in message
    assert says in message


def test_rule_sources_must_exist_and_map_the_attributes(tmp_path: Path) -> None:
    text = VALID.replace("  - name: same_email\n", "  - name: same_email\n    sources: [crm, shop, pos]\n")
    message = _problems(tmp_path, text)
    assert "match_rules[0].sources[2]: unknown profile source 'pos'" in message
    text = VALID.replace(
        "match_rules:",
        "dedup:\n  - name: tier\n    sources: [shop]\n    conditions: [{attribute: tier}]\nmatch_rules:",
    )
    assert "dedup[0].sources: source 'shop' does not map 'tier'" in _problems(tmp_path, text)


def test_recency_policies_need_a_mapped_date(tmp_path: Path) -> None:
    text = VALID + "  recency: [updated_at]\n"
    message = _problems(tmp_path, text)
    assert "merge.recency: most_recent/least_recent need a mapped date or timestamp" in message
    text = VALID + "  recency: [email]\n"
    assert "merge.recency[0]: 'email' is a string" in _problems(tmp_path, text)


def test_every_problem_is_listed_in_one_message(tmp_path: Path) -> None:
    text = VALID.replace("attribute: email,", "attribute: emial,").replace(
        "email: most_recent", "tier2: most_recent"
    )
    message = _problems(tmp_path, text)
    assert "2 problem(s)" in message
    assert "unknown attribute 'emial'" in message and "unknown attribute 'tier2'" in message


def test_missing_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unify\.yaml: file not found"):
        load_unify_config(tmp_path, SOURCES)
