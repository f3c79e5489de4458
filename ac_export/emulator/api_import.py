"""ActiveCampaign's bulk import: `POST/GET /import/bulk_import` and `GET /import/info`."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.automations import mark_automations
from ac_export.emulator.batches import COMPLETED
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import BULK_RATE_MESSAGES, bulk_failure, json_response
from ac_export.emulator.validation import VALIDATION_MESSAGE, BulkValidationError, parse_bulk_request


async def bulk_import(request: Request, emulator: Emulator) -> Response:
    """Validate all or nothing, count against the bulk window, then queue one batch."""
    account, knobs = emulator.account, emulator.knobs
    readings = knobs.readings
    try:
        parsed = parse_bulk_request(
            await request.body(), account.fields, account.lists, readings.failure_index
        )
    except BulkValidationError as refused:
        return bulk_failure(VALIDATION_MESSAGE, refused.reasons)
    contacts = parsed.contacts
    if knobs.rate_limit:
        window = emulator.limits.bulk_window(len(contacts))
        if window.try_acquire(time.monotonic(), knobs.time_scale) is not None:
            # ActiveCampaign answers its bulk budget with a 400, not a 429, and queues nothing.
            emulator.stats.throttled += 1
            return bulk_failure("Rate limit exceeded.", [BULK_RATE_MESSAGES[len(contacts) == 1]])
    # Decided on arrival, from the request as sent: the reading in force then is the one that applies.
    mark_automations(contacts, parsed.exclude_automations, readings.automations_flag)
    batch = emulator.batches.submit(contacts, knobs.scaled(knobs.processing_delay), time.time())
    emulator.stats.bulk_imports_queued += 1
    emulator.stats.contacts_queued += batch.size
    return json_response(
        {
            readings.success_key: 1,
            "queued_contacts": batch.size,
            "batchId": batch.id,
            "message": "Contact import queued",
        }
    )


async def bulk_import_summary(request: Request, emulator: Emulator) -> Response:
    """`GET /import/bulk_import`: only daily aggregates, as ActiveCampaign gives."""
    return json_response(emulator.batches.daily())


async def import_info(request: Request, emulator: Emulator) -> Response:
    """`GET /import/info?batchId=`: `false`, waiting, claimed, active, then completed with outcomes."""
    batch_id = request.query_params.get("batchId")
    if not batch_id:
        return json_response({"success": 0, "message": "'batchId' is a required field."}, 400)
    batch = emulator.batches.batches.get(batch_id)
    if batch is None:
        return json_response({"message": f"No Result found for Batch with id {batch_id}"}, 404)
    status = batch.status(time.time())
    if status != COMPLETED:
        return json_response({"status": status, "success": [], "failure": []})
    return json_response(
        {"status": status, "success": batch.success, "failure": [email for email, _ in batch.failures]}
    )
