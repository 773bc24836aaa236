"""Cursor pagination: opaque cursors, keyset pages over querysets and offset pages over lists."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .. import errors

# --- pagination -------------------------------------------------------------------------------


def encode_cursor(kind: str, value: Any) -> str:
    return base64.urlsafe_b64encode(f"sbx:{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, got_kind, value = text.split(":", 2)
        if prefix != "sbx" or got_kind != kind:
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_param("Invalid cursor")


@dataclass
class Page:
    items: list
    first_cursor: str | None
    last_cursor: str | None
    has_next: bool
    has_previous: bool
    total: Callable[[], int]


def paginate(listing, *, limit: int, after: str | None, before: str | None, newest_first: bool = False) -> Page:
    """Cursor pagination over a QuerySet of nodes (keyset on pk) or a list (offset cursors)."""
    if isinstance(listing, QuerySet):
        return _paginate_queryset(listing, limit, after, before, newest_first)
    items = list(listing)
    start = 0
    if after:
        start = decode_cursor(after, "o") + 1
    elif before:
        start = max(0, decode_cursor(before, "o") - limit)
    end = decode_cursor(before, "o") if before and not after else start + limit
    window = items[start:end][:limit]
    last_index = start + len(window) - 1
    return Page(items=window, first_cursor=encode_cursor("o", start) if window else None,
                last_cursor=encode_cursor("o", last_index) if window else None,
                has_next=last_index + 1 < len(items), has_previous=start > 0, total=lambda: len(items))


def _paginate_queryset(qs: QuerySet, limit: int, after: str | None, before: str | None, newest_first: bool) -> Page:
    forward, backward = ("-pk", "pk") if newest_first else ("pk", "-pk")
    gt, lt = ("pk__lt", "pk__gt") if newest_first else ("pk__gt", "pk__lt")
    base = qs
    has_previous = has_next = False
    if after:
        rows = list(base.filter(**{gt: decode_cursor(after, "k")}).order_by(forward)[:limit + 1])
        has_next, has_previous = len(rows) > limit, True
        rows = rows[:limit]
    elif before:
        rows = list(base.filter(**{lt: decode_cursor(before, "k")}).order_by(backward)[:limit + 1])
        has_previous, has_next = len(rows) > limit, True
        rows = list(reversed(rows[:limit]))
    else:
        rows = list(base.order_by(forward)[:limit + 1])
        has_next = len(rows) > limit
        rows = rows[:limit]
    return Page(items=rows, first_cursor=encode_cursor("k", rows[0].pk) if rows else None,
                last_cursor=encode_cursor("k", rows[-1].pk) if rows else None,
                has_next=has_next, has_previous=has_previous, total=lambda: base.count())
