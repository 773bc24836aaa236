"""The storefront API (v1): the seller's website reports shop events and website orders to the
portal. JSON in, JSON out, per-shop keys (`Authorization: Bearer sp_…`, made in Settings →
Storefront API keys), rate-limited per key, idempotent on the event id and the storefront's
order id, validated with an error per field. It answers 202 as soon as the event or order is
recorded: nothing is sent to Meta inside the request (the Conversions API sender does that).

- `POST /api/storefront/v1/events`: `{"events": [{event_name, event_id, event_time,
  event_source_url, action_source?, user_data{…}, custom_data{…}}]}`, at most 1,000. Each
  event's `event_id` follows the one rule (`ads.capi.event_ids`: `<event name lowercased>.<key>`,
  what the snippet's `portalEventId()` gives the browser pixel), so Meta deduplicates the two.
- `POST /api/storefront/v1/orders`: a website order (`order_id`, `currency`, `items[]`,
  amounts as decimal strings in the order's currency, `buyer`, `shipping_address`, and `event`:
  the browser's `user_data` and the page URL). It records the order in the order pages and
  queues its Purchase with the event id `purchase.<order_id>`: a second post of the order (or an
  update of it) records and sends nothing more.
- `POST /api/storefront/v1/orders/<order_id>/cancellations` and `.../refunds`: the website
  order's cancellations and refunds, idempotent on their own id (`portal.storefront_api.orders`).

A Purchase posted to /events must carry the order's id (`purchase.<order_id>` and
`custom_data.order_id`); the order itself belongs in /orders.

Errors: 400 (malformed body, or every event refused) with `{"error": {code, message}}` or
`{"errors": {field: message}}`, 401 (no key, unknown or revoked key: nothing recorded), 404 (no
website order of this shop with that order id), 405,
413 (body over 1 MB), 429 (over the key's rate, with `Retry-After`).
"""

from portal.storefront_api.events import events
from portal.storefront_api.orders import cancellations, orders, refunds

__all__ = ["cancellations", "events", "orders", "refunds"]
