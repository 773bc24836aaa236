"""The request journal as the control API, the console and the facade read it."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..models import RequestLog


def journal_rows(*, path: str | None = None, method: str | None = None, status: str | None = None,
                 fault: str | None = None, limit: int = 1000) -> list[RequestLog]:
    """The latest `limit` journal rows matching, newest first (`path` is a glob; `status`
    "none" means no answer)."""
    qs = RequestLog.objects.order_by("-pk")
    if method:
        qs = qs.filter(method=method.upper())
    if status:
        qs = qs.filter(status__isnull=True) if status == "none" else qs.filter(status=int(status))
    if fault:
        qs = qs.filter(fault=fault)
    if path:
        glob = path.strip("/")
        rows = []
        for row in qs.iterator(chunk_size=500):
            if fnmatchcase(row.path, glob):
                rows.append(row)
                if len(rows) >= limit:
                    break
        return rows
    return list(qs[:limit])


def requests(*, path: str | None = None, method: str | None = None, status: str | None = None,
             fault: str | None = None, limit: int = 1000) -> list[dict]:
    """The same rows as dicts, oldest first (as `GET _control/requests`)."""
    rows = journal_rows(path=path, method=method, status=status, fault=fault, limit=limit)
    return [row.as_dict() for row in reversed(rows)]


def clear_requests() -> None:
    RequestLog.objects.all().delete()
