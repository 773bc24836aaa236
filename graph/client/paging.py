"""Cursor paging: every page of an edge, or every item, following Meta's ``paging`` block."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from graph.client.encoding import SECRET_PARAMS, encode_value
from graph.errors import Transient


class Paging:
    """``iter_pages`` and ``paginate`` for ``GraphClient`` (they call its ``get``)."""

    get: Any

    def iter_pages(
        self,
        path: str,
        params: Mapping | None = None,
        *,
        limit: int | None = None,
        max_pages: int | None = None,
        **options: Any,
    ) -> Iterator[dict]:
        """Each page (``{"data": [...], "paging": {...}}``) of a cursor-paginated edge.

        Follows ``paging.cursors.after`` while ``paging.next`` is present (the only reliable
        end-of-list signal); when a page has ``next`` but no cursor, the query of ``next``
        (without its secrets) is reused on the same path, never its host.
        """
        params = dict(params or {})
        if limit is not None:
            params["limit"] = limit
        pages = 0
        seen_after: set[str] = set()
        while True:
            page = self.get(path, params, **options)
            if not isinstance(page, Mapping):
                raise Transient("Meta answered a list request with something that is not a page.")
            yield page
            pages += 1
            paging = page.get("paging") or {}
            next_url = paging.get("next")
            if not next_url or (max_pages is not None and pages >= max_pages):
                return
            after = (paging.get("cursors") or {}).get("after")
            if after:
                if after in seen_after:  # a server repeating itself must not loop us forever
                    return
                seen_after.add(after)
                params = {k: v for k, v in params.items() if k != "before"} | {"after": after}
                continue
            query = dict(parse_qsl(urlsplit(next_url).query))
            query = {k: v for k, v in query.items() if k not in SECRET_PARAMS}
            if not query or query == {k: encode_value(v) for k, v in params.items()}:
                return
            params = query

    def paginate(self, path: str, params: Mapping | None = None, **options: Any) -> Iterator[Any]:
        """Each item of ``data`` over all pages (see ``iter_pages``)."""
        for page in self.iter_pages(path, params, **options):
            yield from page.get("data") or []
