"""Reading Meta's batch answers: warnings and validation errors, and closing a run whose batches are done."""

from __future__ import annotations

from django.utils import timezone

from catalog.issues import Reported, from_batch_message
from catalog.models import CatalogBatch, CatalogSync, ProductIssue, SyncRun

Status = SyncRun.Status


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
