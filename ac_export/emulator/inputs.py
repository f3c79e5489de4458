"""Reading request input the way ActiveCampaign does: wrapped JSON bodies, numeric ids, paging."""

from __future__ import annotations

from typing import Any, overload

import orjson
from starlette.requests import Request

from ac_export.emulator.shapes import json_response

# ActiveCampaign pages collections by 20 unless asked, and never returns more than 100 at once.
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


class InputError(Exception):
    """The request cannot be read; `response` is what the emulator answers."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.response = json_response({"message": message}, status)


async def wrapped_object(request: Request, key: str) -> dict[str, Any]:
    """The object under `key` in the JSON body (`{"contact": {...}}`), or InputError."""
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InputError("Request body is not valid JSON.") from None
    inner = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(inner, dict):
        raise InputError(f"Request body must be a JSON object with a {key!r} object.", 422)
    return inner


def as_id(value: Any) -> int | None:
    """A positive integer id from a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return None


@overload
def int_param(request: Request, name: str, default: int) -> int: ...
@overload
def int_param(request: Request, name: str, default: None) -> int | None: ...
def int_param(request: Request, name: str, default: int | None) -> int | None:
    """An integer query parameter, or InputError naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"Query parameter {name!r} must be an integer, got {raw!r}.") from None


def paging(request: Request) -> tuple[int, int]:
    """(limit, offset): limit defaults to 20 and is capped at 100; offset is zero-based."""
    limit = int_param(request, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
    offset = int_param(request, "offset", 0)
    return min(max(limit, 1), MAX_LIMIT), max(offset, 0)


def base_url(request: Request) -> str:
    """The scheme and host the client called, for the `links` URLs of the answer."""
    return str(request.base_url).rstrip("/")


def text(value: Any) -> str:
    """A scalar JSON value as ActiveCampaign stores it (text)."""
    return "" if value is None else str(value)
