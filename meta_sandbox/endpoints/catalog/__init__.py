"""Catalog endpoints (META_API.md §2): items_batch, check_batch_request_status, products,
product sets and diagnostics.

- `POST {catalog}/items_batch` validates every record like Meta (item_type, ≤ 5000 requests,
  ≤ 28 MB, methods, lengths, enums, prices as "9.99 USD" with at most the currency's decimals,
  http(s) URLs; unknown fields are warnings), applies the valid ones at once (bulk inserts and
  one UPDATE statement per batch, so 100,000 products stay fast) and answers `{"handles": [...],
  "validation_status": [...]}`. A record that would create an item (CREATE, or an upserted
  UPDATE of an unknown id) without a required field is not refused there: as at Meta, it gets a
  handle and the batch status reports 'You cannot create a ProductItem without required field
  ...' (Meta's "Get batch request" guide).
- `GET {catalog}/check_batch_request_status?handle=` answers Meta's statuses: in progress
  (`scheduled`, `dispatched`, `started`: switch `catalog.batch_progress`, default `["started"]`,
  sharing `catalog.batch_delay_seconds`, default 0), then `finished` with the errors, warnings
  and (with `load_ids_of_invalid_requests=true`) the invalid ids, or `error` (the same, "some of
  the requests might not have finished") or `canceled` (switch `catalog.batch_outcome`).
- Rules armed through the control API (`_control/catalog/rules`) play Meta's own checks: a
  record whose retailer id (and fields) match a rule is rejected in the batch status
  (`mode: reject`), ingested with an item error (`flag`) or ingested and rejected by review
  (`policy`). The rules are evaluated again on every write, so fixing the field fixes the item.
- `GET {catalog}/products` (filter, fields incl. errors and review_status, error_priority),
  `GET/DELETE {product}`; `GET/POST {catalog}/product_sets`, `POST/DELETE {product_set}`,
  `GET {product_set}/products` (the set's products, optionally narrowed by a `filter` of the
  call; Meta's ProductSet products edge); `GET {catalog}/diagnostics` (groups computed from item
  errors plus catalog-level ones set through the control API; `error_code` is Meta's int, only
  when the control call gives one).

Modules: `validation` (Meta's checks on an item and the armed rules), `products` (the item
node, the products edge and its filter grammar), `items_batch` (writes and batch status),
`product_sets`, `diagnostics`.

Stored as nodes: `product` (parent = catalog, key = retailer id, data = the items_batch fields
plus `price_minor`, `errors`, `review_status`), `product_set` (key = its retailer id) and
`catalog_batch` (key = handle; not addressable).
"""

from __future__ import annotations

from . import diagnostics, items_batch, product_sets, products, validation  # noqa: F401  (they register routes)
