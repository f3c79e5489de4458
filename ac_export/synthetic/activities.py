"""The activity sources: online purchases and website reviews by contact, in-store purchases by
loyalty member, in the exact columns and formats of the Contoso files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ac_export.synthetic import vocabulary as vocab
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.sampling import (
    ISO_DATE,
    US_DATE,
    counts,
    flags,
    format_days,
    numbered,
    stream,
    uniform_days,
)

ONLINE_FILE = "OnlinePurchases.txt"
POS_FILE = "POSPurchases.txt"
REVIEWS_FILE = "WebsiteReviews_LinkedToEcommerceContacts.txt"
ONLINE_COLUMNS = (
    "ContactId",
    "PurchaseId",
    "ProductId",
    "PurchasedOn",
    "TotalPrice",
    "ActivityTypeDisplay",
    "Subject",
)
POS_COLUMNS = (
    "LoyaltyId", "PurchaseId", "ProductId", "PurchasedOn", "TotalPrice", "RewardPointsAdded",
    "ActivityTypeDisplay", "Subject",
)  # fmt: skip
REVIEW_COLUMNS = ("ReviewId", "UserId", "ReviewText", "ActivityTypeDisplay", "ReviewRating", "ReviewDate")
FIRST_NUMBER = 1000
PRODUCTS = 300  # Contoso's online catalogue: ProdID_1000 .. ProdID_1299
PREMIUM_SHARE = 0.12  # share of products in Contoso's 2000-2650 price band; the rest cost 30-250


@dataclass(frozen=True)
class ActivitySources:
    """The three activity files, with their exact Contoso columns."""

    online: pl.DataFrame
    pos: pl.DataFrame
    reviews: pl.DataFrame


def build_activities(
    contact_ids: pl.Series, loyalty_ids: pl.Series, options: GenerateOptions
) -> ActivitySources:
    """Purchases and reviews for the given contact and loyalty records, dated within the options' range."""
    return ActivitySources(
        online=_online(contact_ids, options),
        pos=_pos(loyalty_ids, options),
        reviews=_reviews(contact_ids, options),
    )


def _owners(rng: np.random.Generator, keys: pl.Series, mean: float) -> pl.Series:
    """Each record's key repeated once per event it has; events per record follow `counts`."""
    return keys.gather(np.repeat(np.arange(len(keys)), counts(rng, mean, len(keys))))


def _dates(rng: np.random.Generator, options: GenerateOptions, size: int, pattern: str) -> pl.Series:
    return format_days(pl.Series(uniform_days(rng, options.start_date, options.end_date, size)), pattern)


def _online(contact_ids: pl.Series, options: GenerateOptions) -> pl.DataFrame:
    rng = stream(options.seed, "activities.online")
    owners = _owners(rng, contact_ids, options.online_purchases_mean)
    size = len(owners)
    prices = np.where(
        flags(rng, PREMIUM_SHARE, PRODUCTS),
        rng.integers(2000, 2651, PRODUCTS),
        rng.integers(30, 251, PRODUCTS),
    )
    product = rng.integers(0, PRODUCTS, size)
    activity, subject = vocab.ONLINE_ACTIVITY
    return pl.DataFrame(
        {
            "ContactId": owners,
            "PurchaseId": numbered("OPID_", FIRST_NUMBER, size),
            "ProductId": "ProdID_" + pl.Series(product + FIRST_NUMBER).cast(pl.String),
            "PurchasedOn": _dates(rng, options, size, US_DATE),
            "TotalPrice": prices[product],
            "ActivityTypeDisplay": pl.repeat(activity, size, eager=True),
            "Subject": pl.repeat(subject, size, eager=True),
        }
    ).select(ONLINE_COLUMNS)


def _pos(loyalty_ids: pl.Series, options: GenerateOptions) -> pl.DataFrame:
    rng = stream(options.seed, "activities.pos")
    owners = _owners(rng, loyalty_ids, options.pos_purchases_mean)
    size = len(owners)
    price = rng.integers(30, 196, size)
    # Points earned are a share of the price, as in Contoso's in-store purchases.
    points = np.maximum(1, np.rint(price * rng.uniform(0.1, 0.6, size))).astype(np.int64)
    activity, subject = vocab.POS_ACTIVITY
    return pl.DataFrame(
        {
            "LoyaltyId": owners,
            "PurchaseId": numbered("PID_", FIRST_NUMBER, size),
            "ProductId": "ProdID_"
            + pl.Series(rng.integers(0, PRODUCTS, size) + FIRST_NUMBER).cast(pl.String),
            "PurchasedOn": _dates(rng, options, size, ISO_DATE),
            "TotalPrice": price,
            "RewardPointsAdded": points,
            "ActivityTypeDisplay": pl.repeat(activity, size, eager=True),
            "Subject": pl.repeat(subject, size, eager=True),
        }
    ).select(POS_COLUMNS)


def _reviews(contact_ids: pl.Series, options: GenerateOptions) -> pl.DataFrame:
    rng = stream(options.seed, "activities.reviews")
    owners = _owners(rng, contact_ids, options.reviews_mean)
    size = len(owners)
    review = rng.integers(0, len(vocab.REVIEWS), size)
    return pl.DataFrame(
        {
            "ReviewId": numbered("REVWID_", FIRST_NUMBER, size),
            "UserId": owners,
            "ReviewText": pl.Series([text for text, _ in vocab.REVIEWS], dtype=pl.String).gather(review),
            "ActivityTypeDisplay": pl.repeat(vocab.REVIEW_ACTIVITY, size, eager=True),
            "ReviewRating": np.array([rating for _, rating in vocab.REVIEWS])[review],
            "ReviewDate": _dates(rng, options, size, US_DATE),
        }
    ).select(REVIEW_COLUMNS)
