"""Reading Meta's batch answers: statuses, warnings and validation errors, and closing a run whose batches are done."""

from __future__ import annotations

import re

from django.utils import timezone

from catalog.issues import Reported, from_batch_message
from catalog.models import CatalogBatch, CatalogSync, ProductIssue, SyncRun

Status = SyncRun.Status

#: check_batch_request_status's values (Meta's "Get batch request" guide, catalog batch API):
#: scheduled, dispatched and started are in progress; finished is done ("individual requests with
#: errors were not saved"); canceled and error end the batch without a promise about the rest
#: ("some of the requests might not have finished successfully"). Meta writes them in lower case
#: in its samples and capitalised in its table: compared in lower case.
IN_PROGRESS_STATUSES = ("scheduled", "dispatched", "started")
FINISHED_STATUSES = ("finished",)
FAILED_STATUSES = ("error", "failed", "canceled", "cancelled")

#: Meta's wording when a record would create an item without a required field (reported by
#: check_batch_request_status, not at submission): 'You cannot create a ProductItem without
#: required field Availability'.
_MISSING_REQUIRED = re.compile(r"without required field|required field is missing", re.IGNORECASE)


def batch_state(status) -> str:
    """"done", "failed" or "pending" (in progress, or a status Meta may add later: polled again)."""
    status = str(status or "").strip().lower()
    if status in FINISHED_STATUSES:
        return "done"
    if status in FAILED_STATUSES:
        return "failed"
    return "pending"


def lacks_required_fields(messages) -> bool:
    """Meta refused the record because it would create an item without a required field: the
    item is not (or no longer) at Meta, so a partial record cannot make it; send the full one."""
    return any(_MISSING_REQUIRED.search(m or "") for m in messages)


def warning_report(message: str) -> Reported:
    found = from_batch_message(message)
    return Reported(code=found.code if found.code != "BATCH_REJECTED" else "BATCH_WARNING", message=message,
                    field=found.field, severity=ProductIssue.Severity.WARNING)


def validation_errors(answer) -> list[dict]:
    out = []
    for entry in (answer or {}).get("validation_status") or []:
        for error in entry.get("errors") or []:
            out.append({"id": entry.get("retailer_id", ""), "message": error.get("message", "")})
    return out


def close_run_if_done(run_id: int | None) -> None:
    """A run waiting for Meta ends when its last batch is applied (or failed)."""
    if not run_id:
        return
    if CatalogBatch.objects.filter(run_id=run_id, status__in=(CatalogBatch.Status.SENT,
                                                               CatalogBatch.Status.PENDING)).exists():
        return
    now = timezone.now()
    run = SyncRun.objects.filter(pk=run_id, status=Status.WAITING).first()
    if run is None:
        return
    if SyncRun.objects.filter(pk=run_id, status=Status.WAITING).update(status=Status.SUCCEEDED, finished_at=now,
                                                                       phase="done"):
        CatalogSync.objects.filter(shop_id=run.shop_id).update(**{f"last_{run.kind}_at": now})
