"""What every order module shares: the enums, ids, node helpers and the version gate."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ... import errors, money
from ...models import Node, Switch

REMOVED_IN = "v26.0"
SWITCH_KEY = "orders"
READ_PERMS = ("commerce_account_read_orders", "commerce_account_manage_orders")
WRITE_PERMS = ("commerce_account_manage_orders",)

ORDER = "commerce_order"
SHIPMENT = "commerce_order_shipment"
PAYMENT = "commerce_order_payment"
CANCELLATION = "commerce_order_cancellation"
REFUND = "commerce_order_refund"
RETURN = "commerce_return"

STATES = ("FB_PROCESSING", "CREATED", "IN_PROGRESS", "COMPLETED")
FILTERS = ("no_shipments", "has_shipments", "has_fulfillments", "has_cancellations", "no_cancellations",
           "has_refunds", "no_refunds", "has_returns")
CANCEL_REASONS = ("CUSTOMER_REQUESTED", "OUT_OF_STOCK", "INVALID_ADDRESS", "SUSPICIOUS_ORDER", "CANCEL_REASON_OTHER")
REFUND_REASONS = ("BUYERS_REMORSE", "DAMAGED_GOODS", "NOT_AS_DESCRIBED", "QUALITY_ISSUE", "REFUND_REASON_OTHER",
                  "WRONG_ITEM", "FACEBOOK_INITIATED", "REFUND_COMPROMISED", "REFUND_FOR_RETURN", "REFUND_SFI_FAKE",
                  "REFUND_SFI_REAL")
RETURN_STATUSES = ("REQUESTED", "APPROVED", "DISAPPROVED", "REFUNDED", "MERCHANT_MARKED_COMPLETED")
RETURN_EVENTS = ("ACCEPT_RETURN", "DISAPPROVE_RETURN", "CLOSE_RETURN")
#: Carrier codes accepted in tracking_info.carrier: the head of Meta's list (META_API §3.8).
CARRIERS = (
    "AUSTRALIA_POST", "CANADA_POST", "DHL", "DHL_ECOMMERCE_US", "EAGLE", "FEDEX", "FEDEX_UK", "NEW_ZEALAND_POST",
    "ONTRAC", "POST_DANMARK", "PUROLATOR", "ROYAL_MAIL", "SPEE_DEE", "TNT", "TNT_POST", "UPS", "USPS",
    "AMAZON_LOGISTICS", "CHINA_POST", "CHINA_EMS", "COLISSIMO", "CORREOS", "DEUTSCHE_POST", "DPD", "DPD_UK",
    "GLS", "HERMES", "JAPAN_POST", "LASERSHIP", "LA_POSTE", "PARCELFORCE", "POSTNL", "POSTNORD", "SF_EXPRESS",
    "SAGAWA", "YAMATO", "YUNEXPRESS", "OTHER",
)
ACK_MAX = 100
#: Per-order errors inside a bulk acknowledgement. 2361003 is Meta's (META_API §3.7); the
#: state error code is inferred (Meta documents "a coded exception" only).
ACK_INVALID_ORDER = 2361003
ACK_WRONG_STATE = 2361005
STUCK_PROCESSING = timedelta(hours=24)


# --- helpers ------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def amount(minor: int, currency: str) -> dict:
    return money.amount(int(minor), currency)


def amount_str(minor: int, currency: str) -> str:
    return money.decimal_text(int(minor), currency)


def new_item_id() -> str:
    # 17 digits: never the same length as a node id, unique enough within one order.
    return str(10**16 + secrets.randbelow(9 * 10**16))


def new_promotion_id() -> str:
    return str(10**9 + secrets.randbelow(9 * 10**9))


def switches() -> dict:
    row = Switch.objects.filter(key=SWITCH_KEY).first()
    return row.value if row and isinstance(row.value, dict) else {}


def set_removed(removed: bool) -> dict:
    value = {**switches(), "removed": bool(removed)}
    Switch.objects.update_or_create(key=SWITCH_KEY, defaults={"value": value})
    return value


def gate(ctx) -> None:
    """Every order call: removed on v26+ (the router's `removed_in` covers routes; this covers
    nested reads) and on every version while the "removed" switch is on."""
    config = ctx.config.get(SWITCH_KEY) if isinstance(ctx.config, dict) else None
    if isinstance(config, dict) and config.get("removed"):
        raise errors.GraphError("(#12) The Commerce Order Management API has been removed. It is no longer "
                                "available on any API version.", code=12)
    from ...router import version_tuple

    if version_tuple(ctx.version) >= version_tuple(REMOVED_IN):
        raise errors.deprecated(ctx.path, REMOVED_IN)


def touch(order: Node) -> None:
    now = timezone.now()
    order.data["last_updated"] = iso(now)
    order.data["updated_ts"] = int(now.timestamp())


def save(node: Node) -> None:
    node.save(update_fields=["data", "key", "updated"])


def currency_of(order: Node) -> str:
    return order.data["currency"]


def child(type: str, order: Node, **data) -> Node:
    return Node.objects.create(type=type, business_id=order.business_id, parent_id=order.gid, data=data)


def children(type: str, order: Node):
    return Node.objects.of_type(type).filter(parent_id=order.gid)


def order_of(ctx, gid: str) -> Node | None:
    """An order the token may see, or None (unknown, deleted, another business)."""
    pk = Node.pk_from_gid(str(gid))
    node = Node.objects.filter(pk=pk, type=ORDER, deleted=False).first() if pk else None
    if node is None or not ctx.can_see(node):
        return None
    return node


def cms_for(node: Node) -> Node:
    """The merchant settings an order list or bulk call is about (a page resolves to its CMS)."""
    if node.type == "page":
        cms = Node.objects.of_type("commerce_merchant_settings").filter(
            business_id=node.business_id, data__merchant_page=node.gid).order_by("pk").first()
        if cms is None:
            raise errors.invalid_param("This page has no commerce account")
        return cms
    return node


def _gated(fn):
    def wrapper(ctx, node, *args):
        gate(ctx)
        return fn(ctx, node, *args)

    return wrapper


def _flagged(flag: str):
    """Sub-edge listing that skips the query when the order has none (lists of 100 orders
    nest four sub-edges each)."""

    def decorator(fn):
        def wrapper(ctx, order, args):
            gate(ctx)
            if not order.data.get(flag):
                return []
            return fn(ctx, order, args)

        return wrapper

    return decorator
