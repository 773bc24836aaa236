"""The one rule for event ids, shared by the storefront snippet (browser pixel, `eventID`) and
the Conversions API (`event_id`), so Meta deduplicates the two copies of one event: Meta keeps
one when the event name and the id are the same (Meta, "Handling Duplicate Pixel and
Conversions API Events"; ../shared/META_API.md §7.5).

- An event about an order (Purchase; a refund signal) has an id made of the order: the
  storefront knows the order id in the browser and on its server, and a second post of the same
  order makes the same id, so a repeated order never counts twice.
- Any other event (PageView, ViewContent, AddToCart, InitiateCheckout, Search) gets a random id
  in the browser (the snippet's `portalEventId()` helper) which the storefront sends along with
  the server copy.

The rule, also in the snippet's JavaScript: `<event name lowercased>.<key>`, where the key is
the order id for order events and the browser's random id otherwise; at most 100 characters
of letters, digits and `._:-`.
"""

from __future__ import annotations

import re

ORDER_EVENTS = ("Purchase",)
_ALLOWED = re.compile(r"[A-Za-z0-9._:-]{1,100}")


class BadEventId(ValueError):
    pass


def event_id(event_name: str, key: str) -> str:
    """The event id of `event_name` for `key` (an order id, or the browser's random id)."""
    key = str(key).strip()
    value = f"{event_name.lower()}.{key}"
    if not key or not _ALLOWED.fullmatch(value):
        raise BadEventId("an event id is up to 100 letters, digits and . _ : -")
    return value


def order_event_id(event_name: str, order_id: str) -> str:
    """The id of an order's event: the same for every post of that order."""
    if event_name not in ORDER_EVENTS:
        raise BadEventId(f"{event_name} is not an order event")
    return event_id(event_name, order_id)


def key_of(event_name: str, value) -> str:
    """The key of an event id made by the rule for `event_name` (what the storefront sends back
    as `event_id`); raises BadEventId when `value` is not such an id."""
    prefix = f"{str(event_name).lower()}."
    if not isinstance(value, str) or not value.startswith(prefix) or not _ALLOWED.fullmatch(value) \
            or len(value) == len(prefix):
        raise BadEventId(f"the event id is “{prefix}<id>”: letters, digits and . _ : - (what portalEventId() gives)")
    return value[len(prefix):]


def check_order_id(order_id: str) -> str:
    """An order id the rule can carry (the Purchase's id is made of it), trimmed."""
    order_id = str(order_id).strip()
    order_event_id("Purchase", order_id)
    return order_id
