"""Offers: a catalog's data feed of type OFFER and its uploads (META_API §2.8, §4.1).

- `POST {catalog}/product_feeds` (`name`, `feed_type`, schedule...) → `{"id"}`;
  `GET {catalog}/product_feeds`; `GET/POST/DELETE {feed}`.
- `POST {feed}/uploads` with the file as multipart `file` (or a `url` the sandbox fetches) →
  `{"id": <upload session>}`. An OFFER upload is parsed (CSV, or TSV when the header has tabs)
  and every row validated like Meta would (columns and enums of META_API §4.1); valid rows
  become `offer` nodes of the catalog (key = offer_id); with a replace upload (the default,
  `update_only` false) offers absent from the file are deleted. Rejection rules armed through
  the control API (`_control/offers/reject`) play Meta's own review. Coupons follow Meta's
  Offers API: `coupon_codes` (≤ 100) only with BUYER_APPLIED, and then `public_coupon_code` must
  be empty; a BUYER_APPLIED offer has one or the other; a public code is ≤ 20 characters.
- `GET {feed}/uploads` (newest first), `GET {upload}` (`end_time` once processed,
  `error_count`, `warning_count`, `num_detected_items`, `num_persisted_items`,
  `num_deleted_items`...), `GET {upload}/errors` → `{id, summary, description, severity
  (fatal | warning), row_number, column_number, column_name}`; `error_priority=HIGH` keeps the
  fatal ones.

Modules: `common` (names, vocabulary, the switch), `feeds` (feeds and uploads), `processing`
(an upload from file to offers), `rows` (one row's validation).

Sandbox choices (Meta documents less): row numbers count the header as row 1; an unknown column
is a warning on row 1; arrays (coupon codes, retailer ids, shipping option types) are JSON
arrays or comma lists; `fixed_amount_off` and `min_subtotal` are price strings ("15.00 USD",
with at most the currency's decimals) in the feed's currency (its `default_currency`, else the
catalog's products' currency is not checked); dates are unix seconds, `YYYY-MM-DD HH:MM:SS`
(UTC) or ISO 8601; at most 10 offers with a public coupon code per catalog; an upload is
processed at once unless the switch `offers.manual_processing` is on, in which case it stays
in progress until `_control/offers/uploads/<id>/process`.
"""

from __future__ import annotations

from . import common, feeds, processing, rows  # noqa: F401  (they register node types and routes)
