"""The audit trail: services call `record` for every change a person (or the system) makes to
shops, products, discounts and orders; staff read it in the admin (Audit events).

Values are stored as JSON-safe text; fields whose names look like secrets are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shops.models import AuditEvent

_SECRET = re.compile(r"token|secret|password|proof|key", re.IGNORECASE)
SYSTEM = "system"


def actor_label(actor) -> str:
    """How the actor reads in the trail: the username (staff marked), or "system"."""
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor[:150]
    name = getattr(actor, "get_username", lambda: str(actor))()
    return (f"staff:{name}" if getattr(actor, "is_staff", False) else name)[:150]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def clean(values: Mapping[str, Any]) -> dict:
    return {k: _plain(v) for k, v in values.items() if not _SECRET.search(k)}


def snapshot(obj, fields: Iterable[str]) -> dict:
    """The values of `fields` on `obj` now, for `diff` after the change."""
    return {f: _plain(getattr(obj, f, None)) for f in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict:
    """{"field": [before, after]} for every field whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after
            if not _SECRET.search(k) and before.get(k) != after.get(k)}


def _event(shop, actor, action: str, *, target=None, changes: Mapping[str, Any] | None = None,
           summary: str = "") -> AuditEvent:
    user = actor if getattr(actor, "pk", None) is not None and hasattr(actor, "get_username") else None
    return AuditEvent(
        shop_id=shop if isinstance(shop, int) else shop.pk,
        actor=user,
        actor_label=actor_label(actor),
        action=action[:60],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:300],
        changes=clean(changes or {}),
    )


def record(shop, actor, action: str, *, target=None, changes: Mapping[str, Any] | None = None,
           summary: str = "") -> AuditEvent:
    """Write one audit row. Call it inside the service's transaction, so that a change and its
    trail commit (or roll back) together."""
    event = _event(shop, actor, action, target=target, changes=changes, summary=summary)
    event.save()
    return event


def record_each(shop, actor, action: str, changes_by_target: Iterable[tuple[Any, Mapping[str, Any]]], *,
                summary: str = "") -> int:
    """One row per (target, changes), written in one INSERT: a bulk action over many objects.
    Returns the number of rows."""
    events = [_event(shop, actor, action, target=target, changes=changes, summary=summary)
              for target, changes in changes_by_target]
    AuditEvent.objects.bulk_create(events, batch_size=500)
    return len(events)
