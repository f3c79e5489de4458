"""What `ac-export generate` can be asked for: size, seed, noise rates and activity volumes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from ac_export.config.loading import StrictModel

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Mean = Annotated[float, Field(ge=0.0, le=1000.0)]


class GenerateOptions(StrictModel):
    """Every knob of the generator; the same options and seed always give byte-identical files."""

    profiles: int = Field(ge=1, le=100_000_000, description="number of distinct people")
    seed: int = Field(default=0, ge=0, description="random seed")
    contact_share: Rate = Field(default=0.9, description="share of people with a Contact.txt record")
    loyalty_share: Rate = Field(default=0.5, description="share of people in the loyalty programme")
    crm_share: Rate = Field(default=0.5, description="share of people in the CRM (CustomerRecordContoso)")
    duplicate_rate: Rate = Field(
        default=0.05, description="share of people given a second record in the same source, per source"
    )
    email_case_rate: Rate = Field(default=0.05, description="share of emails in mixed or upper case")
    email_whitespace_rate: Rate = Field(
        default=0.03, description="share of emails with leading/trailing spaces"
    )
    missing_email_rate: Rate = Field(default=0.03, description="share of records without an email")
    invalid_email_rate: Rate = Field(default=0.02, description="share of records with a malformed email")
    other_email_rate: Rate = Field(
        default=0.05, description="share of records carrying the person's second (personal) address"
    )
    shared_email_rate: Rate = Field(
        default=0.01, description="share of people who use a household member's email, surname and address"
    )
    name_typo_rate: Rate = Field(default=0.05, description="share of records with one edit in a name")
    swapped_name_rate: Rate = Field(default=0.15, description="share of records with FullName 'Last First'")
    phone_reformat_rate: Rate = Field(
        default=0.3, description="share of records writing the person's number in another shape"
    )
    garbage_phone_rate: Rate = Field(default=0.02, description="share of records with a broken phone")
    missing_phone_rate: Rate = Field(default=0.01, description="share of records without a phone")
    birth_date_conflict_rate: Rate = Field(
        default=0.02, description="share of records with a wrong birth date"
    )
    missing_birth_date_rate: Rate = Field(default=0.01, description="share of records without a birth date")
    gender_conflict_rate: Rate = Field(default=0.01, description="share of records with the other gender")
    online_purchases_mean: Mean = Field(
        default=2.5, description="mean online purchases per contact record (OnlinePurchases.txt)"
    )
    pos_purchases_mean: Mean = Field(
        default=4.0, description="mean in-store purchases per loyalty record (POSPurchases.txt)"
    )
    reviews_mean: Mean = Field(default=4.0, description="mean website reviews per contact record")
    start_date: date = Field(default=date(2017, 1, 1), description="first activity/creation date")
    end_date: date = Field(default=date(2019, 12, 31), description="last activity/creation date")

    @model_validator(mode="after")
    def _consistent(self) -> GenerateOptions:
        if self.start_date > self.end_date:
            raise ValueError(f"start_date {self.start_date} is after end_date {self.end_date}; swap them")
        if self.missing_email_rate + self.invalid_email_rate > 1:
            raise ValueError("missing_email_rate + invalid_email_rate must not exceed 1")
        if self.missing_phone_rate + self.garbage_phone_rate > 1:
            raise ValueError("missing_phone_rate + garbage_phone_rate must not exceed 1")
        if self.missing_birth_date_rate + self.birth_date_conflict_rate > 1:
            raise ValueError("missing_birth_date_rate + birth_date_conflict_rate must not exceed 1")
        return self
