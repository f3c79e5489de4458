"""Normalisers, each alone and combined, evaluated by DuckDB as unification evaluates them."""

import duckdb
import pytest

from ac_export.profiles.normalize import email_sql, normalised_sql


def _normalise(value: str | None, *normalisers: str) -> str | None:
    expression = normalised_sql("v", normalisers)  # type: ignore[arg-type]
    return duckdb.execute(f"SELECT {expression} FROM (SELECT CAST(? AS VARCHAR) AS v)", [value]).fetchall()[
        0
    ][0]


@pytest.mark.parametrize(
    ("value", "normalisers", "expected"),
    [
        ("  Ann@Example.COM ", ["trim_case"], "ann@example.com"),
        ("Mary   Ann\tLee ", ["whitespace"], "Mary Ann Lee"),
        ("O'Brien-Smith, Jr.", ["symbols"], "OBrienSmith Jr"),
        ("Zoë Ñandú Çelik", ["accents"], "Zoe Nandu Celik"),
        ("Moss  Abbie", ["name_order"], "Abbie Moss"),
        ("Abbie Moss", ["name_order"], "Abbie Moss"),
        (" Ann@Mail.Example.com", ["trim_case", "email_domain"], "mail.example.com"),
        ("no-at-sign", ["email_domain"], None),
        (
            "  Émile  O'Hara-Zoë ",
            ["accents", "trim_case", "symbols", "whitespace", "name_order"],
            "emile oharazoe",
        ),
        ("   ", ["trim_case"], None),
        (None, ["trim_case"], None),
        ("Exactly As Given ", [], "Exactly As Given "),
    ],
)
def test_normalisers(value: str | None, normalisers: list[str], expected: str | None) -> None:
    assert _normalise(value, *normalisers) == expected


def test_order_of_listing_does_not_matter() -> None:
    value = " Ünal   O'Neil "
    assert _normalise(value, "symbols", "accents", "trim_case", "whitespace") == "unal oneil"
    assert _normalise(value, "whitespace", "trim_case", "accents", "symbols") == "unal oneil"


def test_symbols_keep_letters_of_any_script() -> None:
    assert _normalise("Łukasz Żółć-Ö", "symbols") == "Łukasz ŻółćÖ"


def test_email_profile_form_is_trimmed_and_lower_cased() -> None:
    assert (
        duckdb.execute(f"SELECT {email_sql('e')} FROM (SELECT ' Ann@X.COM ' AS e)").fetchall()[0][0]
        == "ann@x.com"
    )


def test_phone_is_a_lookup_not_an_expression() -> None:
    with pytest.raises(ValueError, match="phone map"):
        normalised_sql("phone", ["phone_e164"])
