"""Keyset paging, the one way seller lists page: `WHERE … AND id < ? ORDER BY id DESC LIMIT n+1`.

No OFFSET and no total over the whole table, so page 20,000 costs what page 1 costs. The
template side is `templates/partials/pager.html` (Newer / Older links carrying `before`/`after`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAGE_SIZE = 50


@dataclass
class Page:
    rows: list = field(default_factory=list)
    #: pass as `after` for the next (older) page; None on the last page
    next_after: int | None = None
    #: pass as `before` for the previous (newer) page; None on the first page
    prev_before: int | None = None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def cursor(value) -> int | None:
    """A cursor from a query string value: a positive integer, or None for anything else."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 18 else None


def keyset_page(queryset, *, after: int | None = None, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of `queryset`, newest (highest id) first, `size` rows at most."""
    if before is not None:
        rows = list(queryset.filter(id__gt=before).order_by("id")[: size + 1])
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(rows, rows[-1].pk if rows else None, rows[0].pk if more_newer and rows else None)
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset.order_by("-id")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].pk if more_older else None, rows[0].pk if after is not None and rows else None)
