"""The words of matching shared by rules and the probabilistic model: normalisers and similarities."""

from __future__ import annotations

from typing import Literal

Normaliser = Literal[
    "trim_case", "whitespace", "symbols", "accents", "phone_e164", "name_order", "email_domain"
]
Similarity = Literal["jaro_winkler", "levenshtein"]


def check_normalisers(value: list[Normaliser]) -> list[Normaliser]:
    """Each normaliser once, and phone_e164 alone (it replaces the whole value)."""
    if len(set(value)) != len(value):
        raise ValueError("a normaliser is listed twice; list each once")
    if "phone_e164" in value and len(value) > 1:
        raise ValueError("phone_e164 replaces the whole value; use it alone")
    return value


def similarity_sql(similarity: Similarity | None, left: str, right: str) -> str:
    """SQL for the similarity (0..1) of two text expressions."""
    if similarity == "levenshtein":
        return f"(1.0 - levenshtein({left}, {right}) / greatest(length({left}), length({right})))"
    return f"jaro_winkler_similarity({left}, {right})"


def similar_sql(similarity: Similarity | None, threshold: float | None, left: str, right: str) -> str:
    """SQL that holds when two text expressions are at least `threshold` similar."""
    return f"{similarity_sql(similarity, left, right)} >= {float(threshold or 0.0)!r}"
