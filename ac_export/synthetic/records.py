"""The three profile sources (Contact.txt, Customer-Loyalty.txt, CustomerRecordContoso.txt) and the
ground truth that says which of their records belong to the same person.

Keys follow Contoso: a person's contact id `CNTID_<1000 + person>` is their key in Contact.txt and in
the CRM file alike, and the loyalty file's ContactId points at it. Duplicate records get fresh, higher
ids, numbered after every person's own, so a key never names two people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ac_export.synthetic import vocabulary as vocab
from ac_export.synthetic.noise import render_identity
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.sampling import (
    ISO_DATE,
    US_DATE,
    choose,
    flags,
    format_days,
    numbered,
    stream,
    uniform_days,
)

CONTACT_FILE = "Contact.txt"
LOYALTY_FILE = "Customer-Loyalty.txt"
CRM_FILE = "CustomerRecordContoso.txt"
CONTACT_COLUMNS = (
    "ContactId", "FirstName", "LastName", "FullName", "DateOfBirth", "Gender", "EMail", "Telephone",
    "PostCode", "StreetAddress", "City", "State", "Country", "CreatedOn", "Loyalty Tier",
    "Email Subscriber", "Income", "Occupation", "CustomerSatisfaction",
)  # fmt: skip
LOYALTY_COLUMNS = (
    "LoyaltyId", "ContactId", "FirstName", "LastName", "FullName", "DateOfBirth", "Gender", "EMail",
    "Telephone", "RewardPoints", "CreditCard", "CreatedOn",
)  # fmt: skip
CRM_COLUMNS = (
    "ContactId",
    "FirstName",
    "LastName",
    "FullName",
    "DateOfBirth",
    "Gender",
    "EMail",
    "Telephone",
)
# The column holding each profile file's primary key, as written to truth.csv.
KEY_COLUMNS = {CONTACT_FILE: "ContactId", LOYALTY_FILE: "LoyaltyId", CRM_FILE: "ContactId"}
FIRST_NUMBER = 1000  # Contoso's ids start at CNTID_1000, LOYID_1000, ...
CONTACT_PREFIX = "CNTID_"
LOYALTY_PREFIX = "LOYID_"
INCOME_FLOOR = 20000.0  # Contoso clips incomes here, so many records hold exactly 20000.0


@dataclass(frozen=True)
class Members:
    """Who has records in one source: person ids of primary records, then of duplicate records."""

    person_ids: np.ndarray
    primaries: int

    @property
    def duplicates(self) -> int:
        """How many records are second records of someone already in the source."""
        return len(self.person_ids) - self.primaries


@dataclass(frozen=True)
class ProfileSources:
    """The three profile files, with their exact Contoso columns, and truth rows (file, key, person_id)."""

    contacts: pl.DataFrame
    loyalty: pl.DataFrame
    crm: pl.DataFrame
    truth: pl.DataFrame


def pick_members(rng: np.random.Generator, people: int, share: float, duplicate_rate: float) -> Members:
    """About `share` of the people, in person order, plus a second record for `duplicate_rate` of them."""
    present = np.flatnonzero(flags(rng, share, people))
    duplicated = present[flags(rng, duplicate_rate, present.size)]
    return Members(np.concatenate([present, duplicated]), present.size)


def build_profile_sources(people: pl.DataFrame, options: GenerateOptions) -> ProfileSources:
    """Contact, loyalty and CRM records for the people, each rendered with its own noise."""
    seed, size = options.seed, people.height
    contact_members = pick_members(
        stream(seed, "contacts.members"), size, options.contact_share, options.duplicate_rate
    )
    crm_members = pick_members(stream(seed, "crm.members"), size, options.crm_share, options.duplicate_rate)
    loyalty_members = pick_members(
        stream(seed, "loyalty.members"), size, options.loyalty_share, options.duplicate_rate
    )
    contact_keys = _contact_keys(contact_members, FIRST_NUMBER + size)
    crm_keys = _contact_keys(crm_members, FIRST_NUMBER + size + contact_members.duplicates)
    contacts = _contacts(people, contact_members, contact_keys, options)
    crm = _crm(people, crm_members, crm_keys, options)
    loyalty = _loyalty(people, loyalty_members, _linked(size, contact_members, crm_members), options)
    truth = pl.concat(
        [
            _truth(CONTACT_FILE, contact_keys, contact_members),
            _truth(LOYALTY_FILE, loyalty["LoyaltyId"], loyalty_members),
            _truth(CRM_FILE, crm_keys, crm_members),
        ]
    )
    return ProfileSources(contacts=contacts, loyalty=loyalty, crm=crm, truth=truth)


def _contact_keys(members: Members, first_duplicate: int) -> pl.Series:
    numbers = np.concatenate(
        [
            FIRST_NUMBER + members.person_ids[: members.primaries],
            np.arange(first_duplicate, first_duplicate + members.duplicates),
        ]
    )
    return CONTACT_PREFIX + pl.Series("key", numbers).cast(pl.String)


def _linked(size: int, *members: Members) -> np.ndarray:
    """Whether each person has a primary record carrying their contact id (Contact.txt or the CRM)."""
    linked = np.zeros(size, dtype=bool)
    for member in members:
        linked[member.person_ids[: member.primaries]] = True
    return linked


def _identity(rows: pl.DataFrame, options: GenerateOptions, source: str, date: str) -> pl.DataFrame:
    records = render_identity(rows, options, source)
    return records.with_columns(DateOfBirth=format_days(records["birth"], date)).drop("birth")


def _created_on(rng: np.random.Generator, options: GenerateOptions, size: int, date: str) -> pl.Series:
    return format_days(pl.Series(uniform_days(rng, options.start_date, options.end_date, size)), date)


def _contacts(
    people: pl.DataFrame, members: Members, keys: pl.Series, options: GenerateOptions
) -> pl.DataFrame:
    rng = stream(options.seed, "contacts.attributes")
    rows = people[members.person_ids]
    size = rows.height
    address = rows.select(PostCode="postcode", StreetAddress="street", City="city", State="state")
    income = np.maximum(INCOME_FLOOR, rng.lognormal(mean=11.2, sigma=0.8, size=size))
    extras = pl.DataFrame(
        {
            "Country": pl.repeat("USA", size, eager=True),
            "CreatedOn": _created_on(rng, options, size, US_DATE),
            "Loyalty Tier": _categories(rng, vocab.LOYALTY_TIERS, size),
            "Email Subscriber": _yes_no(rng, vocab.EMAIL_SUBSCRIBER_SHARE, size),
            "Income": income,
            "Occupation": _categories(rng, vocab.OCCUPATIONS, size),
            "CustomerSatisfaction": _categories(rng, vocab.SATISFACTION_LEVELS, size),
        }
    )
    identity = _identity(rows, options, "contacts", US_DATE).with_columns(ContactId=keys)
    return pl.concat([identity, address, extras], how="horizontal").select(CONTACT_COLUMNS)


def _crm(people: pl.DataFrame, members: Members, keys: pl.Series, options: GenerateOptions) -> pl.DataFrame:
    identity = _identity(people[members.person_ids], options, "crm", US_DATE)
    return identity.with_columns(ContactId=keys).select(CRM_COLUMNS)


def _loyalty(
    people: pl.DataFrame, members: Members, linked: np.ndarray, options: GenerateOptions
) -> pl.DataFrame:
    rng = stream(options.seed, "loyalty.attributes")
    size = len(members.person_ids)
    person = pl.Series(members.person_ids)
    link = pl.when(pl.Series(linked[members.person_ids])).then(
        CONTACT_PREFIX + (person + FIRST_NUMBER).cast(pl.String)
    )
    identity = _identity(people[members.person_ids], options, "loyalty", ISO_DATE)
    return identity.with_columns(
        LoyaltyId=numbered(LOYALTY_PREFIX, FIRST_NUMBER, size),
        ContactId=link,
        RewardPoints=pl.Series(rng.integers(10, 356, size)),
        CreditCard=_yes_no(rng, vocab.CREDIT_CARD_SHARE, size),
        CreatedOn=_created_on(rng, options, size, ISO_DATE),
    ).select(LOYALTY_COLUMNS)


def _categories(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...], size: int) -> pl.Series:
    return choose(rng, [value for value, _ in weighted], size, [weight for _, weight in weighted])


def _yes_no(rng: np.random.Generator, yes_share: float, size: int) -> pl.Series:
    return pl.Series(np.where(flags(rng, yes_share, size), "Yes", "No"))


def _truth(file: str, keys: pl.Series, members: Members) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "file": pl.repeat(file, len(keys), eager=True),
            "key": keys,
            "person_id": members.person_ids.astype(np.int64),
        }
    )
