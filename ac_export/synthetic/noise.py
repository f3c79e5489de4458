"""How one record of a person is written down in a source: names, birth date, gender, email and phone,
each with the controllable noise real sources have (typos, swapped names, case, shapes, conflicts).
"""

from __future__ import annotations

import string
from collections.abc import Callable

import numpy as np
import polars as pl

from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.sampling import flags, patch, stream

LETTERS = pl.Series(list(string.ascii_lowercase), dtype=pl.String)
NO_EXTENSION_SHAPE = 3  # a bare ten-digit number never carries an extension in Contoso
PhoneShape = Callable[[pl.Expr, pl.Expr, pl.Expr], pl.Expr]
# The shapes of the same number in the Contoso files: 569-626-5660, 384.995.7852, (764)822-8311,
# 7138821003, 001-425-553-4802 and +1-569-626-5660.
PHONE_SHAPES: tuple[PhoneShape, ...] = (
    lambda a, e, n: pl.concat_str(a, pl.lit("-"), e, pl.lit("-"), n),
    lambda a, e, n: pl.concat_str(a, pl.lit("."), e, pl.lit("."), n),
    lambda a, e, n: pl.concat_str(pl.lit("("), a, pl.lit(")"), e, pl.lit("-"), n),
    lambda a, e, n: pl.concat_str(a, e, n),
    lambda a, e, n: pl.concat_str(pl.lit("001-"), a, pl.lit("-"), e, pl.lit("-"), n),
    lambda a, e, n: pl.concat_str(pl.lit("+1-"), a, pl.lit("-"), e, pl.lit("-"), n),
)


def render_identity(rows: pl.DataFrame, options: GenerateOptions, source: str) -> pl.DataFrame:
    """One noisy record per person row: person_id, names, birth (day number), Gender, EMail, Telephone."""
    seed = options.seed
    return pl.concat(
        [
            rows.select("person_id"),
            noisy_names(rows, stream(seed, f"{source}.names"), options),
            noisy_birth_and_gender(rows, stream(seed, f"{source}.birth"), options),
            noisy_emails(rows, stream(seed, f"{source}.emails"), options),
            noisy_phones(rows, stream(seed, f"{source}.phones"), options),
        ],
        how="horizontal",
    )


def noisy_names(rows: pl.DataFrame, rng: np.random.Generator, options: GenerateOptions) -> pl.DataFrame:
    """FirstName and LastName (one of them with a one-edit typo at the typo rate) and FullName."""
    size = rows.height
    typo = flags(rng, options.name_typo_rate, size)
    in_first = flags(rng, 0.5, size)
    letter = rng.integers(0, len(LETTERS), size)
    frame = rows.select(FirstName="first_name", LastName="last_name").with_columns(
        _kind=rng.integers(0, 4, size),
        _at=rng.random(size),
        _letter=LETTERS.gather(letter),
        _other_letter=LETTERS.gather((letter + 1) % len(LETTERS)),
    )
    frame = patch(frame, typo & in_first, FirstName=_one_edit("FirstName"))
    frame = patch(frame, typo & ~in_first, LastName=_one_edit("LastName"))
    frame = frame.select(
        "FirstName", "LastName", FullName=pl.concat_str("FirstName", pl.lit(" "), "LastName")
    )
    swapped = flags(rng, options.swapped_name_rate, size)
    return patch(frame, swapped, FullName=pl.concat_str("LastName", pl.lit(" "), "FirstName"))


def _one_edit(column: str) -> pl.Expr:
    """The name with one substitution, deletion, insertion or transposition of adjacent letters."""
    name = pl.col(column)
    length = name.str.len_chars()
    at = (pl.col("_at") * length).floor().cast(pl.Int64)
    pair_at = (pl.col("_at") * (length - 1)).floor().cast(pl.Int64)
    current = name.str.slice(at, 1)
    letter = (
        pl.when(pl.col("_letter") == current.str.to_lowercase()).then("_other_letter").otherwise("_letter")
    )
    head, tail = name.str.slice(0, at), name.str.slice(at + 1)
    left, right = name.str.slice(pair_at, 1), name.str.slice(pair_at + 1, 1)
    transposed = name.str.slice(0, pair_at) + right + left + name.str.slice(pair_at + 2)
    kind = pl.col("_kind")
    return (
        pl.when((kind == 1) & (length >= 2))
        .then(head + tail)
        .when(kind == 2)
        .then(head + letter + name.str.slice(at))
        .when((kind == 3) & (left.str.to_lowercase() != right.str.to_lowercase()))
        .then(transposed)
        .otherwise(head + letter + tail)
    )


def noisy_birth_and_gender(
    rows: pl.DataFrame, rng: np.random.Generator, options: GenerateOptions
) -> pl.DataFrame:
    """birth (day number; missing or wrong at their rates) and Gender (flipped at its rate)."""
    size = rows.height
    draw = rng.random(size)
    missing = draw < options.missing_birth_date_rate
    wrong = ~missing & (draw < options.missing_birth_date_rate + options.birth_date_conflict_rate)
    flip = flags(rng, options.gender_conflict_rate, size)
    frame = rows.select("birth", Gender="gender").with_columns(
        _kind=rng.integers(0, 3, size),
        _sign=np.where(flags(rng, 0.5, size), 1, -1),
        _days=rng.integers(1, 29, size),
    )
    day = pl.col("birth").cast(pl.Date)
    swappable = (day.dt.day() <= 12) & (day.dt.day() != day.dt.month())
    # Guarded so that rows which cannot swap still build a valid date (every branch is evaluated).
    swapped = pl.date(
        day.dt.year(),
        pl.when(swappable).then(day.dt.day()).otherwise(day.dt.month()),
        pl.when(swappable).then(day.dt.month()).otherwise(day.dt.day()),
    ).cast(pl.Int32)
    # A wrong birth date is a day/month mix-up where one is possible, a few days off, or a year off.
    wrong_birth = (
        pl.when((pl.col("_kind") == 0) & swappable)
        .then(swapped)
        .when(pl.col("_kind") == 1)
        .then(pl.col("birth") + pl.col("_sign") * pl.col("_days"))
        .otherwise(pl.col("birth") + pl.col("_sign") * 365)
    )
    frame = patch(frame, missing, birth=pl.lit(None, pl.Int32))
    frame = patch(frame, wrong, birth=wrong_birth)
    other_gender = pl.when(pl.col("Gender") == "Male").then(pl.lit("Female")).otherwise(pl.lit("Male"))
    return patch(frame, flip, Gender=other_gender).select("birth", "Gender")


def noisy_emails(rows: pl.DataFrame, rng: np.random.Generator, options: GenerateOptions) -> pl.DataFrame:
    """EMail: the person's address (or their other one), sometimes missing, malformed, re-cased or padded."""
    size = rows.height
    draw = rng.random(size)
    other = flags(rng, options.other_email_rate, size)
    missing = draw < options.missing_email_rate
    invalid = ~missing & (draw < options.missing_email_rate + options.invalid_email_rate)
    case = flags(rng, options.email_case_rate, size)
    space = flags(rng, options.email_whitespace_rate, size)
    frame = rows.select(EMail=pl.when(pl.Series(other)).then("other_email").otherwise("email")).with_columns(
        _broken=rng.integers(0, 5, size), _upper=flags(rng, 0.5, size), _pad=rng.integers(0, 3, size)
    )
    email, broken, pad = pl.col("EMail"), pl.col("_broken"), pl.col("_pad")
    # Each malformation is one that email validators reject: no @, two @, no TLD, a space, two dots.
    malformed = (
        pl.when(broken == 0)
        .then(email.str.replace("@", "", literal=True))
        .when(broken == 1)
        .then(email.str.replace("@", "@@", literal=True))
        .when(broken == 2)
        .then(email.str.replace(r"\.[a-z]+$", ""))
        .when(broken == 3)
        .then(email.str.replace("@", " @", literal=True))
        .otherwise(email.str.replace(r"\.([a-z]+)$", "..${1}"))
    )
    frame = patch(frame, invalid, EMail=malformed)
    frame = patch(frame, missing, EMail=pl.lit(None, pl.String))
    cased = pl.when("_upper").then(email.str.to_uppercase()).otherwise(email.str.to_titlecase())
    frame = patch(frame, case, EMail=cased)
    padded = (
        pl.when(pad == 0).then(" " + email).when(pad == 1).then(email + " ").otherwise("  " + email + " ")
    )
    return patch(frame, space, EMail=padded).select("EMail")


def noisy_phones(rows: pl.DataFrame, rng: np.random.Generator, options: GenerateOptions) -> pl.DataFrame:
    """Telephone: the person's number in their usual shape or another, sometimes missing or broken."""
    size = rows.height
    draw = rng.random(size)
    missing = draw < options.missing_phone_rate
    garbage = ~missing & (draw < options.missing_phone_rate + options.garbage_phone_rate)
    home = rows["phone_shape"].to_numpy()
    reshape = flags(rng, options.phone_reformat_rate, size)
    shape = np.where(reshape, (home + rng.integers(1, len(PHONE_SHAPES), size)) % len(PHONE_SHAPES), home)
    frame = rows.select("area", "exchange", "line", "extension").with_columns(
        Telephone=pl.lit(None, pl.String), _broken=rng.integers(0, 3, size)
    )
    area, exchange, line = pl.col("area"), pl.col("exchange"), pl.col("line")
    for index, write in enumerate(PHONE_SHAPES):
        frame = patch(frame, shape == index, Telephone=write(area, exchange, line))
    with_extension = rows["extension"].is_not_null().to_numpy() & (shape != NO_EXTENSION_SHAPE)
    frame = patch(frame, with_extension, Telephone=pl.concat_str("Telephone", pl.lit("x"), "extension"))
    # Broken numbers as Contoso has them: a truncated tail (-6854), a dropped digit, a cut-off number.
    broken = pl.col("_broken")
    garbled = (
        pl.when(broken == 0)
        .then("-" + line)
        .when(broken == 1)
        .then(pl.concat_str(area, exchange, line.str.slice(0, 3)))
        .otherwise(pl.concat_str(pl.lit("+1-"), area, pl.lit("-"), exchange))
    )
    frame = patch(frame, garbage, Telephone=garbled)
    return patch(frame, missing, Telephone=pl.lit(None, pl.String)).select("Telephone")
