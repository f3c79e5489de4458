"""sources.yaml: the demo file maps what segments rely on; mistakes fail with one clear message."""

from pathlib import Path

import pytest

from ac_export import settings
from ac_export.config.loading import ConfigError
from ac_export.profiles.sources_config import load_sources_config

VALID = """
profile_sources:
  crm:
    path: crm.csv
    primary_key: id
    columns:
      Mail: email
      Points: {attribute: points, type: integer}
activity_sources:
  orders:
    path: orders.csv
    primary_key: order_id
    links_to: {source: crm, column: customer}
    columns:
      Total: {attribute: total, type: float}
"""


def _load(tmp_path: Path, text: str) -> None:
    (tmp_path / "sources.yaml").write_text(text)
    load_sources_config(tmp_path)


def test_demo_sources_map_the_attributes_segments_use() -> None:
    config = load_sources_config(settings.PROJECT_ROOT / "data" / "config")
    assert set(config.profile_sources) == {"crm_records", "ecommerce_contacts", "loyalty_members"}
    assert set(config.activity_sources) == {"online_purchases", "pos_purchases", "website_reviews"}
    extras = config.extra_attribute_types()
    assert extras["email_subscriber"] == "boolean"
    assert extras["income"] == "float"
    assert extras["reward_points"] == "integer"
    for name in ("loyalty_tier", "occupation", "customer_satisfaction", "credit_card"):
        assert extras[name] == "string"
    loyalty = config.profile_sources["loyalty_members"]
    assert "ContactId" not in loyalty.columns, "the loyalty ContactId is the truth, never an attribute"


def test_valid_file_loads(tmp_path: Path) -> None:
    _load(tmp_path, VALID)


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (("Mail: email", "Mail: emial_address"), None, None),
        (
            ("primary_key: id\n    columns", "primary_key: id\n    priorty: 3\n    columns"),
            "priorty",
            "unknown key; did you mean 'priority'?",
        ),
        (
            ("Points: {attribute: points, type: integer}", "Points: {attribute: email, type: integer}"),
            "profile_sources.crm",
            "both map to 'email'",
        ),
        (
            ("Points: {attribute: points, type: integer}", "Points: {attribute: birth_date, type: integer}"),
            "profile_sources.crm",
            "canonical attribute of type date",
        ),
        (
            ("Points: {attribute: points, type: integer}", "Points: customer_id"),
            "profile_sources.crm",
            "reserved",
        ),
        (
            ("links_to: {source: crm", "links_to: {source: shop"),
            "activity_sources.orders.links_to.source",
            "unknown profile source 'shop'",
        ),
        (
            ("Total: {attribute: total, type: float}", "Total: {attribute: profile_key, type: float}"),
            "activity_sources.orders",
            "column of every activity table",
        ),
        (
            (
                "primary_key: id\n    columns",
                "primary_key: id\n    date_formats: ['%d.%m.%Y', 'YYYY']\n    columns",
            ),
            "date_formats",
            "no % directive",
        ),
        (
            (
                "primary_key: id\n    columns",
                "primary_key: id\n    true_values: ['yes', '1']\n    false_values: ['no', '1']\n    columns",
            ),
            "profile_sources.crm",
            "share ['1']",
        ),
        (
            ("primary_key: id\n    columns", "primary_key: id\n    true_values: [yes, Y]\n    columns"),
            "true_values",
            "quote every value",
        ),
        (
            ("primary_key: id\n    columns", "primary_key: id\n    priority: 20000\n    columns"),
            "priority",
            "less than or equal to 16383",
        ),
    ],
)
def test_mistakes_fail_with_file_field_and_reason(
    tmp_path: Path, change: tuple[str, str], field: str | None, says: str | None
) -> None:
    old, new = change
    assert old in VALID
    text = VALID.replace(old, new)
    if field is None:
        _load(tmp_path, text)  # an unknown further attribute is kept by name: not a mistake
        return
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert str(tmp_path / "sources.yaml") in message
    assert field in message
    assert says in message


def test_one_attribute_has_one_type_across_sources(tmp_path: Path) -> None:
    text = VALID.replace(
        "activity_sources:",
        "  shop:\n    path: shop.csv\n    primary_key: id\n    columns:\n"
        "      Points: {attribute: points, type: float}\nactivity_sources:",
    )
    with pytest.raises(ConfigError, match="'points' is integer in 'crm' but float in 'shop'"):
        _load(tmp_path, text)
