"""Orders, channel-neutral: Meta's Facebook and Instagram orders today, website orders through
the same pages tomorrow (`source`, `channel`).

An order keeps its own copies of titles and prices: the link to a catalog product is a
convenience (`SET_NULL`), never needed to show or refund an order. Money is integer minor units
plus the order's currency (kernel.money).

Seller actions (ship, update tracking, cancel, refund, return decisions) and acknowledgements
are pushed to Meta through `MetaPush` rows: the outbox. A push is written in the transaction of
the local record it carries, with the exact request (and idempotency key) frozen, so a retry is
byte-for-byte the same call and Meta applies it at most once (META_API §3.12).
"""

from orders.models.checks import MoneyCheck
from orders.models.common import REFERENCE_ALPHABET, Origin, SyncState, new_key, new_reference
from orders.models.order import Order, OrderEvent, OrderItem
from orders.models.records import (
    Cancellation,
    CancellationItem,
    Refund,
    RefundItem,
    Return,
    ReturnDecision,
    ReturnItem,
    Shipment,
    ShipmentItem,
    TrackingUpdate,
)
from orders.models.sync import AckBatch, IngestRun, MetaPush, OrderFeed

__all__ = [
    "REFERENCE_ALPHABET", "AckBatch", "Cancellation", "CancellationItem", "IngestRun", "MetaPush", "Order",
    "MoneyCheck", "OrderEvent", "OrderFeed", "OrderItem", "Origin", "Refund", "RefundItem", "Return", "ReturnDecision",
    "ReturnItem", "Shipment", "ShipmentItem", "SyncState", "TrackingUpdate", "new_key", "new_reference",
]
