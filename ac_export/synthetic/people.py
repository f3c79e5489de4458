"""The true people behind the generated records: one clean row per person, before any source noise."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import polars as pl

from ac_export.synthetic import vocabulary as vocab
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.sampling import (
    choose,
    flags,
    patch,
    pick_indices,
    stream,
    uniform_days,
    zipf_weights,
)

BIRTH_FIRST = date(1945, 1, 1)
BIRTH_LAST = date(2003, 12, 31)
COMMON_SURNAME_SHARE = 0.55
FREE_MAIL_SHARE = 0.3
EXTENSION_SHARE = 0.45
# Shapes a person usually writes their number in (see noise.PHONE_SHAPES), weighted like Contoso.
HOME_SHAPE_WEIGHTS = (0.3, 0.2, 0.2, 0.1, 0.15, 0.05)
# Exchanges 200-999 without the N11 service codes, so every number is a dialable US number.
EXCHANGES = np.array([e for e in range(200, 1000) if e % 100 != 11])
LINES = 10_000
# Columns a household member takes over from the person they share an email with.
HOUSEHOLD_COLUMNS = ("email", "last_name", "street", "city", "state", "postcode")


def build_people(options: GenerateOptions) -> pl.DataFrame:
    """One row per person: identity, contact details and address, all clean; households applied."""
    size = options.profiles
    frame = pl.concat(
        [
            pl.DataFrame({"person_id": np.arange(size, dtype=np.int64)}),
            _names(stream(options.seed, "people.names"), size),
            _phones(stream(options.seed, "people.phones"), size),
            _addresses(stream(options.seed, "people.addresses"), size),
        ],
        how="horizontal",
    )
    frame = frame.with_columns(
        birth=pl.Series(uniform_days(stream(options.seed, "people.births"), BIRTH_FIRST, BIRTH_LAST, size))
    )
    frame = _with_emails(frame, stream(options.seed, "people.emails"))
    return _share_households(frame, stream(options.seed, "people.households"), options.shared_email_rate)


def _names(rng: np.random.Generator, size: int) -> pl.DataFrame:
    female = flags(rng, 0.5, size)
    firsts = vocab.FEMALE_FIRST_NAMES + vocab.MALE_FIRST_NAMES
    first_index = np.where(
        female,
        rng.integers(0, len(vocab.FEMALE_FIRST_NAMES), size),
        len(vocab.FEMALE_FIRST_NAMES) + rng.integers(0, len(vocab.MALE_FIRST_NAMES), size),
    )
    last = choose(rng, vocab.COMMON_LAST_NAMES, size, zipf_weights(len(vocab.COMMON_LAST_NAMES)))
    rare = np.flatnonzero(~flags(rng, COMMON_SURNAME_SHARE, size))
    return pl.DataFrame(
        {
            "gender": pl.Series(["Male", "Female"]).gather(female.astype(np.int64)),
            "first_name": pl.Series(firsts, dtype=pl.String).gather(first_index),
            "last_name": last.scatter(rare, _rare_surnames(rng, rare.size)),
        }
    )


def _rare_surnames(rng: np.random.Generator, size: int) -> pl.Series:
    parts = [
        choose(rng, vocab.SURNAME_ONSETS, size),
        choose(rng, vocab.SURNAME_VOWELS, size),
        choose(rng, vocab.SURNAME_MIDDLES, size),
        choose(rng, vocab.SURNAME_VOWELS, size),
        choose(rng, vocab.SURNAME_ENDINGS, size),
    ]
    return pl.DataFrame(parts).select(pl.concat_str(pl.all())).to_series()


def _phones(rng: np.random.Generator, size: int) -> pl.DataFrame:
    space = len(vocab.AREA_CODES) * len(EXCHANGES) * LINES  # 2.4 billion, far above the people limit
    # Drawn without replacement: two different people never share a number by accident.
    number = rng.choice(space, size=size, replace=False)
    area, rest = np.divmod(number, len(EXCHANGES) * LINES)
    exchange, line = np.divmod(rest, LINES)
    digits = rng.integers(3, 6, size)
    extension = rng.integers(10 ** (digits - 1), 10**digits)
    return (
        pl.DataFrame(
            {
                "area": pl.Series(vocab.AREA_CODES, dtype=pl.String).gather(area),
                "exchange": pl.Series(EXCHANGES[exchange]).cast(pl.String),
                "line": pl.Series(line).cast(pl.String).str.zfill(4),
                "extension": pl.Series(extension).cast(pl.String),
                "has_extension": flags(rng, EXTENSION_SHARE, size),
                "phone_shape": pick_indices(rng, len(HOME_SHAPE_WEIGHTS), size, HOME_SHAPE_WEIGHTS).astype(
                    np.int8
                ),
            }
        )
        .with_columns(extension=pl.when("has_extension").then("extension"))
        .drop("has_extension")
    )


def _addresses(rng: np.random.Generator, size: int) -> pl.DataFrame:
    city_index = rng.integers(0, len(vocab.CITIES), size)
    street_names = vocab.COMMON_LAST_NAMES + vocab.MALE_FIRST_NAMES + vocab.FEMALE_FIRST_NAMES
    unit_kind = rng.integers(0, 6, size)  # 0: Apt., 1: Suite, otherwise no unit
    frame = pl.DataFrame(
        {
            "number": pl.Series(rng.integers(1, 100_000, size)).cast(pl.String),
            "name": choose(rng, street_names, size),
            "suffix": choose(rng, vocab.STREET_SUFFIXES, size),
            "unit": pl.Series(rng.integers(100, 1000, size)).cast(pl.String),
            "unit_kind": unit_kind,
        }
    )
    street = pl.concat_str("number", pl.lit(" "), "name", pl.lit(" "), "suffix") + (
        pl.when(pl.col("unit_kind") == 0)
        .then(" Apt. " + pl.col("unit"))
        .when(pl.col("unit_kind") == 1)
        .then(" Suite " + pl.col("unit"))
        .otherwise(pl.lit(""))
    )
    return frame.select(
        street=street,
        city=pl.Series([c for c, _ in vocab.CITIES], dtype=pl.String).gather(city_index),
        state=pl.Series([s for _, s in vocab.CITIES], dtype=pl.String).gather(city_index),
        postcode=pl.Series(rng.integers(501, 100_000, size)).cast(pl.String).str.zfill(5),
    )


def _with_emails(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Adds email (work or free-mail, first_last) and other_email (first.lastYY at a free-mail domain)."""
    size = frame.height
    surnames = [s.lower() for s in vocab.COMMON_LAST_NAMES]
    pattern = rng.integers(0, len(vocab.COMPANY_DOMAIN_PATTERNS), size)
    work = frame.select(
        "person_id",
        _first=pl.col("first_name").str.to_lowercase(),
        _last=pl.col("last_name").str.to_lowercase(),
        _year=(pl.col("birth").cast(pl.Date).dt.year() % 100).cast(pl.String).str.zfill(2),
        _domain=choose(rng, vocab.FREE_MAIL_DOMAINS, size),
        _other_domain=choose(rng, vocab.FREE_MAIL_DOMAINS, size),
        _a=choose(rng, surnames, size),
        _b=choose(rng, surnames, size),
        _c=choose(rng, surnames, size),
    )
    company = ~flags(rng, FREE_MAIL_SHARE, size)
    for index, template in enumerate(vocab.COMPANY_DOMAIN_PATTERNS):
        work = patch(work, company & (pattern == index), _domain=_template(template))
    work = _unique_address(work, "email", pl.concat_str("_first", pl.lit("_"), "_last"), pl.col("_domain"))
    other_local = pl.concat_str("_first", pl.lit("."), "_last", "_year")
    work = _unique_address(work, "other_email", other_local, pl.col("_other_domain"))
    return frame.with_columns(work["email"], work["other_email"])


def _template(template: str) -> pl.Expr:
    """A domain template such as `{a}inc.com` as a string expression over the columns _a, _b, _c."""
    parts = [
        pl.col(f"_{piece[1]}") if re.fullmatch(r"\{[abc]\}", piece) else pl.lit(piece)
        for piece in re.split(r"(\{[abc]\})", template)
        if piece
    ]
    return pl.concat_str(parts)


def _unique_address(work: pl.DataFrame, name: str, local: pl.Expr, domain: pl.Expr) -> pl.DataFrame:
    """Column `name` = local@domain, the person id appended to the local part if the address is taken."""
    # Namesakes at one domain are common at a million people; each must still own their address.
    work = work.with_columns(pl.concat_str(local, pl.lit("@"), domain).alias(name))
    taken = ~work[name].is_first_distinct().to_numpy()
    numbered = pl.concat_str(local, pl.col("person_id").cast(pl.String), pl.lit("@"), domain)
    return patch(work, taken, **{name: numbered})


def _share_households(frame: pl.DataFrame, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """Some people use a household member's email, surname and address (a different person, same email)."""
    joiners = flags(rng, rate, frame.height)
    hosts = np.flatnonzero(~joiners)
    if not joiners.any() or hosts.size == 0:
        return frame.with_columns(household_of=pl.lit(None, pl.Int64))
    joiner_rows = np.flatnonzero(joiners)
    host_rows = rng.choice(hosts, size=joiner_rows.size)
    shared = [
        frame[column].scatter(joiner_rows, frame[column].gather(host_rows)) for column in HOUSEHOLD_COLUMNS
    ]
    household_of = (
        pl.repeat(None, frame.height, dtype=pl.Int64, eager=True)
        .alias("household_of")
        .scatter(joiner_rows, host_rows)
    )
    return frame.with_columns(*shared, household_of)
