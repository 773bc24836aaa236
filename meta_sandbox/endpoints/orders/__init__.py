"""Commerce orders: Meta's Order Management API as it was on v21-v25 (META_API §3).

Meta blocked these endpoints on v26+ and removed them from every version on 2026-10-27
(META_API §0). The sandbox plays both worlds: on v26+ paths every order call answers code 12
("deprecated for versions v26.0 and higher"); with the control switch `orders.removed` on
(`POST _control/orders/removed`), every version answers code 12 "removed".

What lives where (modules of this package):
- `common` (enums, ids, node helpers, the version gate), `figures` (the money of one line),
  `order_node` (the order and its items), `children` (shipments, payments, cancellations,
  refunds and returns as nodes), `listing`, `acknowledge`, `items` (addressing lines),
  `shipments`, `cancellations`, `refunds`, `returns`, `state` (full state for the control
  API), `gates` (v26+ on the edges; imported last, once every edge is registered).
- An order is a Node of type `commerce_order` (parent: the commerce merchant settings, key: the
  merchant_order_reference once acknowledged). Its lines live in `data["items"]` with their own
  ids (needed as `item_id` for buy-X-get-Y orders, where one product sits on two lines). Amounts
  are stored as integer minor units and rendered as Meta's decimal strings.
- Shipments, their payments (one per fulfilment), cancellations, refunds and returns are Nodes
  whose parent is the order; their `items` are non-paged edges, so `fields=refunds{items{...}}`
  nests like Meta's.
- A return reads as Meta's Returns API documents it: `return_status` (default; there is no
  `status`), `return_message`, `merchant_return_id`, `item_return_quantities` and
  `item_return_reasons` (`[{"key": <item id>, "value": ...}]`), `items` (the order's items,
  with their own quantities) and `order`.
- The buyer and Meta as actors (placing orders with every discount type, buyer cancellations,
  return requests, Meta-initiated refunds) are meta_sandbox/actions/buyer.py and
  meta_sandbox/actions/orders.py, behind the control calls of meta_sandbox/controls/orders.py.

Money (the sandbox's own reading of Meta's documentation, meta_sandbox/money.py and
meta_sandbox/allocation.py; it shares no code with the portal, so the two must agree by being
right, to the minor unit):
- `price_per_unit` is net of item-level offers. An order-level offer on items is spread over
  the lines in proportion to their totals (largest remainder, the sandbox's choice) and over a
  line's units by Meta's cumulative rule (floor of the cumulative expected value, the rest on
  the last unit), reported as `promotion_allocations` on payments (one per fulfilment) and
  cancellations, counting the line's units in the order they are fulfilled or cancelled.
- `amount_available_for_refund` is Meta's formula: price per unit × units fulfilled − the
  seller-funded order-level offers allocated to those units − what was refunded. Meta-funded
  offers (sponsor `facebook`, applied after tax) are paid to the seller by Meta; a refund
  returns Meta its part in proportion to what Meta paid for the fulfilled units
  (`allocation.meta_part`).
- Tax is estimated per line on the refundable value (and on shipping) at the order's rate,
  rounded half up. Each fulfilment captures its units' cumulative share of the line's tax,
  counting units in the order they were fulfilled or cancelled (`captured_tax`), so fulfilled
  and cancelled units carry the whole tax between them. A refund returns the captured tax in
  proportion to what was paid for the fulfilled units, cumulatively (`refunded_tax`), so
  refunding everything paid returns exactly the tax captured. Meta computes tax itself and
  documents none of this: these are the sandbox's choices.
- Orders with order-level offers on items accept amount-based refunds only (META_API §3.10).
"""

from __future__ import annotations

from . import (  # noqa: F401  (each module registers its node types, edges and routes)
    acknowledge,
    cancellations,
    children,
    common,
    figures,
    items,
    listing,
    order_node,
    refunds,
    returns,
    shipments,
    state,
)
from .gates import gate_edge_routes

gate_edge_routes()  # last: once every order edge is registered
