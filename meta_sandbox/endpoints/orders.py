"""Commerce orders: Meta's Order Management API as it was on v21-v25 (META_API §3).

Meta blocked these endpoints on v26+ and removed them from every version on 2026-10-27
(META_API §0). The sandbox plays both worlds: on v26+ paths every order call answers code 12
("deprecated for versions v26.0 and higher"); with the control switch `orders.removed` on
(`POST _control/orders/removed`), every version answers code 12 "removed".

What lives where:
- An order is a Node of type `commerce_order` (parent: the commerce merchant settings, key: the
  merchant_order_reference once acknowledged). Its lines live in `data["items"]` with their own
  ids (needed as `item_id` for buy-X-get-Y orders, where one product sits on two lines). Amounts
  are stored as integer minor units and rendered as Meta's decimal strings.
- Shipments, their payments (one per fulfilment), cancellations, refunds and returns are Nodes
  whose parent is the order; their `items` are non-paged edges, so `fields=refunds{items{...}}`
  nests like Meta's.
- The buyer and Meta as actors (placing orders with every discount type, buyer cancellations,
  return requests, Meta-initiated refunds) are in meta_sandbox/controls/orders.py.

Money (the rules both sides must agree on to the minor unit; docs/performance.md has none of
this — see the module docstring of orders/money.py in the portal for the same rules):
- `price_per_unit` is net of item-level offers. An order-level offer on items is spread over
  the lines by largest remainder of their totals (`kernel.money.allocate`) and over a line's
  units by Meta's cumulative rule (`promotions.allocation.allocate_per_unit_meta`), reported as
  `promotion_allocations` on payments (one per fulfilment) and cancellations.
- A line's refundable value is its total minus its share of seller-funded order-level offers;
  Meta-funded offers (sponsor `facebook`, applied after tax) are paid to the seller by Meta and
  refunds return that part to Meta (`refund_amount_split`).
- Tax is estimated per line on the refundable value (and on shipping) at the order's rate,
  rounded half up; a refund returns tax in proportion to the value refunded (cumulative, exact
  when the line is refunded in full).
- Orders with order-level offers on items accept amount-based refunds only (META_API §3.10).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from kernel.money import Money
from promotions.allocation import allocate_per_unit_meta, refund_amount_split

from .. import errors
from ..models import Node, Switch
from ..params import P
from ..router import Computed, Reply, Value, edge, node_type, registry, route

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
    return Money(int(minor), currency).to_meta_amount()


def amount_str(minor: int, currency: str) -> str:
    return Money(int(minor), currency).to_decimal_str()


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
    from ..router import version_tuple

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


# --- money of one order ---------------------------------------------------------------------------


def line_total(item: dict) -> int:
    return item["ppu"] * item["quantity"]


def seller_share(item: dict) -> int:
    return sum(v for pid, v in item.get("order_shares", {}).items() if item.get("share_sponsor", {}).get(pid) != "facebook")


def meta_share(item: dict) -> int:
    return sum(v for pid, v in item.get("order_shares", {}).items() if item.get("share_sponsor", {}).get(pid) == "facebook")


def line_value(item: dict) -> int:
    """What the line is worth to the seller before tax: refundable in full."""
    return line_total(item) - seller_share(item)


def cumulative(total: int, whole: int, part: int) -> int:
    """`total` in proportion part/whole, rounded down, exact when part == whole."""
    if whole <= 0 or part >= whole:
        return total if part >= whole else 0
    return total * part // whole


def units_share(total: int, quantity: int, start: int, count: int) -> int:
    """Meta's cumulative per-unit split of `total`, units start..start+count (0-based)."""
    if count <= 0 or total == 0:
        return 0
    return sum(allocate_per_unit_meta(total, quantity)[start:start + count])


def value_of_units(item: dict, units: int) -> int:
    """Refundable value of the first `units` units of the line (cumulative rule)."""
    return units_share(line_value(item), item["quantity"], 0, units)


def available_for_refund(item: dict) -> int:
    return value_of_units(item, item["shipped"]) - item["refunded_amount"]


def has_order_level_item_offers(order: Node) -> bool:
    return any(p["target_granularity"] == "order_level" and p.get("target_type") != "shipping"
               for p in order.data.get("promotions", []))


def is_bxgy(order: Node) -> bool:
    retailer_ids = [item["retailer_id"] for item in order.data["items"]]
    return len(retailer_ids) != len(set(retailer_ids))


def remaining(item: dict) -> int:
    return item["quantity"] - item["shipped"] - item["cancelled"]


def all_done(order: Node) -> bool:
    return all(remaining(item) == 0 for item in order.data["items"])


def allocate_units(order: Node, item: dict, count: int) -> list[dict]:
    """Allocate order-level offers to the next `count` units of the line (fulfilment or
    cancellation): Meta's `promotion_allocations`."""
    out = []
    for pid, share in item.get("order_shares", {}).items():
        part = units_share(share, item["quantity"], item["allocated"], count)
        out.append({"promotion_id": pid, "allocation_amount": amount(part, currency_of(order)), "_minor": part,
                    "_sponsor": item.get("share_sponsor", {}).get(pid, "merchant")})
    item["allocated"] += count
    return out


def captured_tax(item: dict) -> int:
    return units_share(item["tax"], item["quantity"], 0, item["shipped"])


def complete_if_done(order: Node) -> None:
    if order.data["state"] == "IN_PROGRESS" and all_done(order):
        order.data["state"] = "COMPLETED"


# --- the order node -------------------------------------------------------------------------------


def _buyer_details(ctx, order: Node):
    buyer = order.data.get("buyer") or {}
    if order.data["state"] == "FB_PROCESSING" or order.data.get("cancelled_all"):
        # No PII before Meta's checks finish, and none left once the whole order is cancelled.
        return {"email_remarketing_option": bool(buyer.get("email_remarketing_option"))}
    return dict(buyer)


def _shipping_address(ctx, order: Node):
    if order.data["state"] == "FB_PROCESSING" or order.data.get("cancelled_all"):
        return None
    return dict(order.data.get("address") or {}) or None


def _shipping_option(ctx, order: Node):
    option = order.data.get("shipping_option")
    if not option:
        return None
    cur = currency_of(order)
    out = {"name": option["name"], "reference_id": option["reference_id"], "price": amount(option["price"], cur),
           "calculated_tax": amount(order.data.get("shipping_tax", 0), cur)}
    if option.get("min_days") is not None:
        out["estimated_shipping_time"] = {"min_days": option["min_days"], "max_days": option["max_days"]}
    return out


def _payment_details(ctx, order: Node):
    t, cur = order.data["totals"], currency_of(order)
    return {
        "subtotal": {"items": amount(t["items"], cur), "shipping": amount(t["shipping"], cur)},
        "tax": amount(t["tax"], cur),
        "total_amount": amount(t["total"], cur),
        "tax_remitted": bool(order.data.get("tax_remitted", True)),
        "facebook_paid_amount": amount(t["facebook_paid"], cur),
        "buyer_paid_amount": amount(t["buyer_paid"], cur),
    }


def _gated(fn):
    def wrapper(ctx, node, *args):
        gate(ctx)
        return fn(ctx, node, *args)

    return wrapper


ORDER_DEFAULT_FIELDS = ("id", "order_status", "created", "last_updated")

node_type(ORDER, label="CommerceOrder", perms=READ_PERMS, default_fields=ORDER_DEFAULT_FIELDS, fields={
    "order_status": Computed(_gated(lambda ctx, n: {"state": n.data["state"]})),
    "created": Value(),
    "last_updated": Value(),
    "channel": Value(),
    "merchant_order_id": Computed(lambda ctx, n: n.data.get("merchant_order_id") or None),
    "ship_by_date": Value(),
    "is_test_order": Value(default=False),
    "is_group_buy": Value(default=False),
    "contains_bopis_items": Value(default=False),
    "buyer_details": Computed(_buyer_details),
    "shipping_address": Computed(_shipping_address),
    "selected_shipping_option": Computed(_shipping_option),
    "estimated_payment_details": Computed(_payment_details),
    "pre_order_details": Value(),
})


def render_item(order: Node, item: dict) -> dict:
    cur = currency_of(order)
    promos = {p["promotion_id"]: p for p in order.data.get("promotions", [])}
    details = []
    for promo in item.get("promos", []):
        meta = promos.get(promo["promotion_id"], {})
        details.append(_promotion_render(meta, promo["amount"], cur))
    for pid, share in item.get("order_shares", {}).items():
        details.append(_promotion_render(promos.get(pid, {"promotion_id": pid}), share, cur))
    return {
        "id": item["id"],
        "retailer_id": item["retailer_id"],
        "product_id": item["product_id"],
        "product_name": item["product_name"],
        "quantity": item["quantity"],
        "price_per_unit": amount(item["ppu"], cur),
        "tax_details": {"estimated_tax": amount(item["tax"], cur),
                        "captured_tax": {"total_tax": amount(captured_tax(item), cur)}},
        "promotion_details": {"data": details},
        "status": {"in_progress": remaining(item), "fulfilled": item["shipped"], "cancelled": item["cancelled"],
                   "refunded": item["refunded_qty"]},
        "amount_available_for_refund": amount(available_for_refund(item), cur),
    }


ITEM_FIELDS = ("id", "retailer_id", "product_id", "product_name", "quantity", "price_per_unit", "tax_details",
               "promotion_details", "status", "amount_available_for_refund", "selected_shipping_option",
               "customization")


@edge(ORDER, "items", item_label="CommerceOrderItem", item_fields=ITEM_FIELDS, perms=READ_PERMS)
@_gated
def order_items(ctx, order, args):
    return [render_item(order, item) for item in order.data["items"]]


def _promotion_render(promo: dict, applied_minor: int, currency: str) -> dict:
    out = {"promotion_id": promo.get("promotion_id"), "applied_amount": amount(applied_minor, currency)}
    for key in ("retailer_id", "campaign_name", "coupon_code", "sponsor", "target_granularity", "target_type",
                "applied_after_tax"):
        if promo.get(key) not in (None, ""):
            out[key] = promo[key]
    return out


PROMOTION_FIELDS = ("promotion_id", "retailer_id", "campaign_name", "coupon_code", "applied_amount",
                    "applied_after_tax", "sponsor", "target_granularity", "target_type")


@edge(ORDER, "promotion_details", paged=False, item_label="PromotionDetails", item_fields=PROMOTION_FIELDS,
      perms=READ_PERMS)
@_gated
def order_promotions(ctx, order, args):
    return [_promotion_render(p, p["amount"], currency_of(order)) for p in order.data.get("promotions", [])]


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


# Shipments and their payments.
node_type(SHIPMENT, label="CommerceOrderShipment", perms=READ_PERMS, addressable=False,
          default_fields=("id",), fields={
              "external_shipment_id": Value(),
              "tracking_info": Value(),
              "shipment_date": Value(),
              "fulfillment": Value(),
              "shipping_method_name": Computed(lambda ctx, n: (n.data.get("tracking_info") or {}).get(
                  "shipping_method_name")),
          })


def _simple_items(node: Node, fields=("id", "retailer_id", "product_id", "quantity")) -> list[dict]:
    return [{k: item[k] for k in (*fields, "promotion_allocations") if k in item} for item in node.data["items"]]


for _type in (SHIPMENT, CANCELLATION):
    edge(_type, "items", paged=False, item_label="CommerceOrderItem",
         item_fields=("id", "retailer_id", "product_id", "quantity", "promotion_allocations"),
         perms=READ_PERMS)(lambda ctx, node, args: _simple_items(node))


@edge(ORDER, "shipments", item_label="CommerceOrderShipment", perms=READ_PERMS)
@_flagged("has_shipments")
def order_shipments(ctx, order, args):
    return children(SHIPMENT, order)


node_type(PAYMENT, label="CommerceOrderPayment", perms=READ_PERMS, addressable=False,
          default_fields=("id", "total_amount"), fields={
              "total_amount": Computed(lambda ctx, n: amount(n.data["total"], n.data["currency"])),
              "shipment_id": Value(),
              "created": Value(),
          })


@edge(PAYMENT, "items", paged=False, item_label="CommerceOrderPaymentItem",
      item_fields=("id", "quantity", "promotion_allocations"), perms=READ_PERMS)
def payment_items(ctx, node, args):
    return [dict(item) for item in node.data["items"]]


@edge(ORDER, "payments", item_label="CommerceOrderPayment", perms=READ_PERMS)
@_flagged("has_shipments")
def order_payments(ctx, order, args):
    return children(PAYMENT, order)


# Cancellations.
node_type(CANCELLATION, label="CommerceOrderCancellation", perms=READ_PERMS, addressable=False,
          default_fields=("id", "cancel_reason"), fields={
              "cancel_reason": Value(),
              "restock_items": Value(default=False),
              "created": Value(),
              "initiator": Value(),
          })


@edge(ORDER, "cancellations", item_label="CommerceOrderCancellation", perms=READ_PERMS)
@_flagged("has_cancellations")
def order_cancellations(ctx, order, args):
    return children(CANCELLATION, order)


# Refunds.
def _refund_amount(ctx, node: Node) -> dict:
    d, cur = node.data, node.data["currency"]
    return {"subtotal": amount_str(d["subtotal"], cur), "shipping": amount_str(d["shipping"], cur),
            "tax": amount_str(d["tax"], cur), "deductions": amount_str(d["deductions"], cur),
            "total": amount_str(d["total"], cur), "amount": amount_str(d["total"], cur), "currency": cur}


def _refund_deductions(ctx, node: Node):
    cur = node.data["currency"]
    return [{"deduction_type": d["deduction_type"], "deduction_amount": amount(d["amount"], cur)}
            for d in node.data.get("deduction_list", [])]


node_type(REFUND, label="CommerceOrderRefund", perms=READ_PERMS, addressable=False,
          default_fields=("id", "refund_amount"), fields={
              "refund_reason": Computed(lambda ctx, n: {k: v for k, v in (("reason_code", n.data["reason_code"]),
                                                                           ("reason_text", n.data.get("reason_text")))
                                                        if v}),
              "refund_amount": Computed(_refund_amount),
              "deductions": Computed(_refund_deductions),
              "return_id": Computed(lambda ctx, n: n.data.get("return_id") or None),
              "buyer_refund_amount": Computed(lambda ctx, n: amount(n.data["buyer"], n.data["currency"])),
              "facebook_refund_amount": Computed(lambda ctx, n: amount(n.data["meta"], n.data["currency"])),
              "created": Value(),
          })


@edge(REFUND, "items", paged=False, item_label="CommerceOrderRefundItem",
      item_fields=("id", "product_id", "retailer_id", "refund_subtotal", "refund_tax", "quantity"), perms=READ_PERMS)
def refund_items(ctx, node, args):
    cur = node.data["currency"]
    return [{"id": i["id"], "product_id": i["product_id"], "retailer_id": i["retailer_id"],
             "refund_subtotal": amount(i["subtotal"], cur), "refund_tax": amount(i["tax"], cur),
             "quantity": i["quantity"]} for i in node.data["items"]]


@edge(ORDER, "refunds", item_label="CommerceOrderRefund", perms=READ_PERMS)
@_flagged("has_refunds")
def order_refunds(ctx, order, args):
    return children(REFUND, order)


# Returns.
node_type(RETURN, label="CommerceReturn", perms=READ_PERMS, default_fields=("id", "status"), fields={
    "status": Computed(_gated(lambda ctx, n: n.data["status"])),
    "order_id": Computed(lambda ctx, n: n.parent_id),
    "merchant_return_id": Computed(lambda ctx, n: n.data.get("merchant_return_id") or None),
    "return_message": Value(),
    "notes": Value(),
    "created": Value(),
    "last_updated": Value(),
})


@edge(RETURN, "items", paged=False, item_label="CommerceReturnItem",
      item_fields=("id", "retailer_id", "product_id", "quantity", "reason"), perms=READ_PERMS)
def return_items(ctx, node, args):
    return [dict(item) for item in node.data["items"]]


RETURN_LIST_PARAMS = (P("statuses", "list<enum>", enum=RETURN_STATUSES), P("merchant_return_id"))


def _filter_returns(qs, args):
    if args.get("statuses"):
        qs = qs.filter(data__status__in=args["statuses"])
    if args.get("merchant_return_id"):
        qs = qs.filter(data__merchant_return_id=args["merchant_return_id"])
    return qs


@edge(ORDER, "returns", item_label="CommerceReturn", perms=READ_PERMS, params=RETURN_LIST_PARAMS)
@_flagged("has_returns")
def order_returns(ctx, order, args):
    return _filter_returns(children(RETURN, order), args)


@edge("commerce_merchant_settings", "returns", item_label="CommerceReturn", perms=READ_PERMS, params=(
    *RETURN_LIST_PARAMS, P("start_time_created", "datetime"), P("end_time_created", "datetime"),
))
@_gated
def cms_returns(ctx, cms, args):
    order_ids = Node.objects.of_type(ORDER).filter(parent_id=cms.gid).values_list("pk", flat=True)
    qs = Node.objects.of_type(RETURN).filter(business_id=cms.business_id)
    qs = qs.filter(parent_id__in=[str(Node(pk=pk).gid) for pk in order_ids.filter(data__has_returns=True)])
    if args.get("start_time_created"):
        qs = qs.filter(created__gte=datetime.fromtimestamp(args["start_time_created"], tz=UTC))
    if args.get("end_time_created"):
        qs = qs.filter(created__lte=datetime.fromtimestamp(args["end_time_created"], tz=UTC))
    return _filter_returns(qs, args)


# --- listing ---------------------------------------------------------------------------------------


def release_due(cms: Node | str) -> int:
    """Orders whose fraud and remorse checks are over move FB_PROCESSING → CREATED (or on to
    IN_PROGRESS when no order management app is registered: Commerce Manager takes them).

    The merchant keeps a count of its orders in checks (`processing_orders`, recounted here),
    so a merchant with none costs nothing: no walk over every order on every list call."""
    if isinstance(cms, str):
        cms = Node.objects.filter(pk=Node.pk_from_gid(cms) or 0).first()
        if cms is None:
            return 0
    if not cms.data.get("processing_orders"):
        return 0
    now = int(timezone.now().timestamp())
    waiting = Node.objects.of_type(ORDER).filter(parent_id=cms.gid, data__state="FB_PROCESSING")
    due = [order for order in waiting if (order.data.get("release_ts") or now + 1) <= now]
    for order in due:
        release(order)
    left = waiting.count()
    if left != cms.data.get("processing_orders"):
        cms.data["processing_orders"] = left
        cms.save(update_fields=["data", "updated"])
    return len(due)


def count_processing(cms: Node, added: int) -> None:
    """The buyer placed `added` orders that start in Meta's checks."""
    if added:
        cms.data["processing_orders"] = int(cms.data.get("processing_orders") or 0) + added
        cms.save(update_fields=["data", "updated"])


def release(order: Node) -> None:
    if order.data["state"] != "FB_PROCESSING":
        raise ValueError(f"order {order.gid} is {order.data['state']}, not FB_PROCESSING")
    cms = Node.objects.filter(pk=Node.pk_from_gid(order.parent_id)).first()
    managed = bool(cms and cms.data.get("order_management_apps"))
    order.data["state"] = "CREATED" if managed else "IN_PROGRESS"
    order.data["release_ts"] = None
    touch(order)
    save(order)


ORDER_LIST_PARAMS = (
    P("state", "list<enum>", enum=STATES),
    P("filters", "list"),
    P("updated_after", "datetime"),
    P("updated_before", "datetime"),
)


@edge(("commerce_merchant_settings", "page"), "commerce_orders", item_label="CommerceOrder", perms=READ_PERMS,
      params=ORDER_LIST_PARAMS, max_limit=100)
def commerce_orders(ctx, node, args):
    gate(ctx)
    cms = cms_for(node)
    release_due(cms)
    qs = Node.objects.of_type(ORDER).filter(parent_id=cms.gid)
    states = args.get("state") or ["CREATED"]  # Meta's default (META_API §3.3)
    qs = qs.filter(data__state__in=states)
    for name in args.get("filters") or []:
        flag = name.lower()
        if flag not in FILTERS:
            raise errors.bad_enum("filters", [f.upper() for f in FILTERS], name)
        if flag in ("has_shipments", "has_fulfillments"):
            qs = qs.filter(data__has_shipments=True)
        elif flag == "no_shipments":
            qs = qs.exclude(data__has_shipments=True)
        elif flag.startswith("has_"):
            qs = qs.filter(**{f"data__{flag}": True})
        else:
            qs = qs.exclude(**{f"data__has_{flag[3:]}": True})
    if args.get("updated_after") is not None:
        qs = qs.filter(data__updated_ts__gt=args["updated_after"])
    if args.get("updated_before") is not None:
        qs = qs.filter(data__updated_ts__lt=args["updated_before"])
    return qs


@route("GET", f"{{order:{ORDER}}}", perms=READ_PERMS, removed_in=REMOVED_IN)
def read_order(ctx):
    gate(ctx)
    release_due(ctx.node.parent_id)
    ctx.node.refresh_from_db()
    return ctx.render(ctx.node, ctx.selection)


@route("GET", f"{{ret:{RETURN}}}", perms=READ_PERMS, removed_in=REMOVED_IN)
def read_return(ctx):
    gate(ctx)
    return ctx.render(ctx.node, ctx.selection)


# --- order management app -------------------------------------------------------------------------


def register_app(cms: Node, app_id: str) -> None:
    """From now on the merchant's released orders wait in CREATED for this app."""
    apps = set(cms.data.get("order_management_apps", []))
    apps.add(str(app_id))
    cms.data["order_management_apps"] = sorted(apps)
    cms.save(update_fields=["data", "updated"])


@route("POST", "{cms:commerce_merchant_settings}/order_management_apps", perms=WRITE_PERMS, removed_in=REMOVED_IN)
def register_app_route(ctx):
    gate(ctx)
    register_app(ctx.node, str(ctx.token.app_id if ctx.token else ""))
    return {"success": True}


@route("DELETE", "{cms:commerce_merchant_settings}/order_management_apps", perms=WRITE_PERMS,
       removed_in=REMOVED_IN)
def unregister_app(ctx):
    gate(ctx)
    cms = ctx.node
    app_id = str(ctx.token.app_id if ctx.token else "")
    cms.data["order_management_apps"] = [a for a in cms.data.get("order_management_apps", []) if a != app_id]
    cms.save(update_fields=["data", "updated"])
    return {"success": True}


@edge("commerce_merchant_settings", "order_management_apps", paged=False, item_label="Application",
      perms=READ_PERMS)
@_gated
def list_apps(ctx, cms, args):
    return [{"id": app_id} for app_id in cms.data.get("order_management_apps", [])]


# --- acknowledge ----------------------------------------------------------------------------------


class AckError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def references_in_use(cms_gid: str, references: Iterable[str]) -> dict[str, int]:
    """{merchant_order_reference: order pk} among the merchant's orders. Looked up through the
    (type, key) index only: the parent is checked here, so the planner never walks every order
    of the merchant."""
    wanted = [r for r in set(references) if r]
    rows = Node.objects.filter(type=ORDER, key__in=wanted).values_list("key", "pk", "parent_id")
    return {key: pk for key, pk, parent in rows if parent == cms_gid}


def acknowledge(order: Node, reference: str | None, key: str, *, in_use: dict[str, int] | None = None) -> dict:
    """Move one CREATED order to IN_PROGRESS. Raises AckError for a per-order failure.
    `in_use` is `references_in_use()` for a bulk call (kept up to date here)."""
    state = order.data["state"]
    reference = (reference or "").strip()
    current = order.data.get("merchant_order_id") or ""
    if state == "FB_PROCESSING":
        raise AckError(ACK_WRONG_STATE, "Order is still being processed by Facebook and cannot be acknowledged yet")
    if state != "CREATED":
        # Already acknowledged: harmless with the same reference; the reference never changes.
        if not order.data.get("acks") and state == "COMPLETED":
            raise AckError(ACK_WRONG_STATE, "Order was cancelled before it was acknowledged")
        if reference and current and reference != current:
            raise AckError(ACK_WRONG_STATE, "Order was already acknowledged with another merchant_order_reference")
        order.data.setdefault("acks", []).append({"key": key, "reference": reference, "transition": False,
                                                  "at": iso(timezone.now())})
        save(order)
        return {"id": order.gid, "state": state}
    if reference:
        if len(reference) > 255:
            raise AckError(100, "merchant_order_reference is too long")
        if in_use is None:
            in_use = references_in_use(order.parent_id, [reference])
        if in_use.get(reference, order.pk) != order.pk:
            raise AckError(100, "merchant_order_reference is already used by another order")
        order.data["merchant_order_id"] = reference
        order.key = reference
        in_use[reference] = order.pk
    order.data["state"] = "IN_PROGRESS"
    order.data.setdefault("acks", []).append({"key": key, "reference": reference, "transition": True,
                                              "at": iso(timezone.now())})
    touch(order)
    save(order)
    return {"id": order.gid, "state": "IN_PROGRESS"}


@route("POST", f"{{order:{ORDER}}}/acknowledge_order", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("merchant_order_reference"), P("return_error_orders", "bool")))
def acknowledge_order(ctx):
    gate(ctx)
    try:
        return acknowledge(ctx.node, ctx.args.get("merchant_order_reference"), ctx.args["idempotency_key"])
    except AckError as exc:
        raise errors.GraphError(f"(#{exc.code}) {exc.message}", code=exc.code)


@route("POST", "{node:commerce_merchant_settings,page}/acknowledge_orders", perms=WRITE_PERMS,
       idempotency="required", removed_in=REMOVED_IN, params=(P("orders", "list<map>", required=True),))
def acknowledge_orders(ctx):
    gate(ctx)
    cms = cms_for(ctx.node)
    requested = ctx.args["orders"]
    if not requested:
        raise errors.invalid_param("orders must name at least one order",
                                   error_data={"blame_field_specs": [["orders"]]})
    if len(requested) > ACK_MAX:
        raise errors.invalid_param(f"orders can hold at most {ACK_MAX} orders per call (got {len(requested)})",
                                   error_data={"blame_field_specs": [["orders"]]})
    pks = [Node.pk_from_gid(str(o.get("id", ""))) for o in requested]
    found = {n.gid: n for n in Node.objects.filter(pk__in=[pk for pk in pks if pk], type=ORDER, deleted=False,
                                                   parent_id=cms.gid)}
    in_use = references_in_use(cms.gid, [str(o.get("merchant_order_reference") or "").strip() for o in requested])
    results = []
    for entry in requested:
        gid = str(entry.get("id", ""))
        order = found.get(gid)
        if order is None:
            results.append({"id": gid, "error": {"error_code": ACK_INVALID_ORDER, "error_message": "Invalid Order ID"}})
            continue
        try:
            results.append(acknowledge(order, entry.get("merchant_order_reference"), ctx.args["idempotency_key"],
                                       in_use=in_use))
        except AckError as exc:
            results.append({"id": gid, "error": {"error_code": exc.code, "error_message": exc.message}})
    return {"orders": results}


# --- item addressing --------------------------------------------------------------------------------


def resolve_items(order: Node, entries: Iterable[dict], *, quantity_key: str = "quantity",
                  allow_amount: bool = False) -> list[tuple[dict, dict]]:
    """[(line, entry)] for request items addressed by item_id or retailer_id (exactly one).
    retailer_id is refused on buy-X-get-Y orders, where it names two lines."""
    lines = order.data["items"]
    by_id = {item["id"]: item for item in lines}
    bxgy = is_bxgy(order)
    out = []
    for n, entry in enumerate(entries):
        item_id, retailer_id = entry.get("item_id"), entry.get("retailer_id")
        if bool(item_id) == bool(retailer_id):
            raise errors.invalid_param(f"items[{n}]: give exactly one of item_id and retailer_id",
                                       error_data={"blame_field_specs": [["items", n]]})
        if retailer_id:
            if bxgy:
                raise errors.invalid_param(
                    f"items[{n}]: this order has the same product on several lines (a buy X get Y offer); "
                    "address its items by item_id, not retailer_id",
                    error_data={"blame_field_specs": [["items", n, "retailer_id"]]})
            line = next((item for item in lines if item["retailer_id"] == str(retailer_id)), None)
        else:
            line = by_id.get(str(item_id))
        if line is None:
            raise errors.invalid_param(f"items[{n}]: no such item in this order ({item_id or retailer_id})",
                                       error_data={"blame_field_specs": [["items", n]]})
        out.append((line, entry))
    return out


def _quantity(entry: dict, key: str, n: int) -> int:
    value = entry.get(key)
    if isinstance(value, bool):
        value = None
    try:
        quantity = int(str(value))
    except (TypeError, ValueError):
        raise errors.invalid_param(f"items[{n}].{key} must be a positive integer",
                                   error_data={"blame_field_specs": [["items", n, key]]})
    if quantity < 1:
        raise errors.invalid_param(f"items[{n}].{key} must be a positive integer",
                                   error_data={"blame_field_specs": [["items", n, key]]})
    return quantity


def _money_param(value, currency: str, what: str) -> int:
    try:
        money = Money.from_meta_amount(value)
    except (TypeError, ValueError):
        raise errors.invalid_param(f"{what} must be a currency amount like {{\"amount\": \"2.50\", "
                                   f"\"currency\": \"{currency}\"}}")
    if money.currency != currency:
        raise errors.invalid_param(f"{what} is in {money.currency} but the order is in {currency}")
    if money.minor < 0:
        raise errors.invalid_param(f"{what} must not be negative")
    return money.minor


def _require_acknowledged(order: Node, action: str) -> None:
    if order.data["state"] in ("FB_PROCESSING", "CREATED"):
        raise errors.invalid_param(f"The order must be acknowledged (IN_PROGRESS) before it can be {action}; "
                                   f"it is {order.data['state']}")


# --- shipments --------------------------------------------------------------------------------------


def _tracking(value, n: str = "tracking_info") -> dict:
    if not isinstance(value, dict):
        raise errors.bad_type(n, "a JSON object")
    carrier = str(value.get("carrier") or "")
    if carrier not in CARRIERS:
        raise errors.bad_enum(f"{n}.carrier", CARRIERS, carrier)
    number = str(value.get("tracking_number") or "")
    if not number and carrier != "OTHER":
        raise errors.required_param(f"{n}.tracking_number")
    out = {"carrier": carrier, "tracking_number": number}
    if value.get("shipping_method_name"):
        out["shipping_method_name"] = str(value["shipping_method_name"])
    return out


def ship(order: Node, *, items: list[dict], tracking_info: dict, external_shipment_id: str = "",
         fulfillment=None) -> Node:
    _require_acknowledged(order, "fulfilled")
    if order.data["state"] == "COMPLETED" and all_done(order):
        raise errors.invalid_param("Every item of this order is already shipped or cancelled")
    if not items:
        raise errors.required_param("items")
    tracking = _tracking(tracking_info)
    if external_shipment_id and children(SHIPMENT, order).filter(
            data__external_shipment_id=external_shipment_id).exists():
        raise errors.invalid_param(f"A shipment with external_shipment_id {external_shipment_id} already exists",
                                   error_data={"blame_field_specs": [["external_shipment_id"]]})
    wanted: dict[str, int] = {}
    for n, (line, entry) in enumerate(resolve_items(order, items)):
        wanted[line["id"]] = wanted.get(line["id"], 0) + _quantity(entry, "quantity", n)
    cur = currency_of(order)
    shipped_items, payment_items, total = [], [], 0
    first = not order.data.get("has_shipments")
    for line in order.data["items"]:
        k = wanted.get(line["id"])
        if not k:
            continue
        if k > remaining(line):
            raise errors.invalid_param(
                f"Cannot ship {k} of item {line['id']} ({line['retailer_id']}): only {remaining(line)} left to ship",
                error_data={"blame_field_specs": [["items"]]})
    for line in order.data["items"]:
        k = wanted.get(line["id"])
        if not k:
            continue
        start = line["shipped"] + line["cancelled"]
        allocations = allocate_units(order, line, k)
        tax = units_share(line["tax"], line["quantity"], line["shipped"], k)
        line["shipped"] += k
        value = units_share(line_total(line), line["quantity"], start, k) - sum(
            a["_minor"] for a in allocations)
        total += value + tax
        shipped_items.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                              "quantity": k})
        payment_items.append({"id": line["id"], "quantity": k, "promotion_allocations": [
            {"promotion_id": a["promotion_id"], "allocation_amount": a["allocation_amount"]} for a in allocations]})
    if first:
        total += order.data["totals"]["shipping"] + order.data.get("shipping_tax", 0)
    now = iso(timezone.now())
    shipment = child(SHIPMENT, order, external_shipment_id=external_shipment_id or None, tracking_info=tracking,
                     items=shipped_items, shipment_date=now, fulfillment=fulfillment, tracking_history=[])
    child(PAYMENT, order, total=total, currency=cur, items=payment_items, shipment_id=shipment.gid, created=now)
    order.data["has_shipments"] = True
    complete_if_done(order)
    touch(order)
    save(order)
    return shipment


@route("POST", f"{{order:{ORDER}}}/shipments", perms=WRITE_PERMS, idempotency="required", removed_in=REMOVED_IN,
       params=(P("items", "list<map>", required=True), P("tracking_info", "map", required=True),
               P("external_shipment_id"), P("fulfillment", "map"), P("should_use_default_fulfillment_location", "bool"),
               P("merchant_order_reference"), P("shipment_origin_postal_code"), P("shipping_tax_details", "map"),
               P("external_redemption_link")))
def create_shipment(ctx):
    gate(ctx)
    a = ctx.args
    ship(ctx.node, items=a["items"], tracking_info=a["tracking_info"],
         external_shipment_id=a.get("external_shipment_id") or "", fulfillment=a.get("fulfillment"))
    return {"success": True}


@route("POST", f"{{order:{ORDER}}}/update_shipment", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("shipment_id"), P("fulfillment_id"), P("external_shipment_id"),
                                      P("tracking_info", "map", required=True)))
def update_shipment(ctx):
    gate(ctx)
    a = ctx.args
    given = [k for k in ("shipment_id", "fulfillment_id", "external_shipment_id") if a.get(k)]
    if len(given) != 1:
        raise errors.invalid_param("Give exactly one of shipment_id, fulfillment_id and external_shipment_id")
    shipments = children(SHIPMENT, ctx.node)
    if a.get("external_shipment_id"):
        shipment = shipments.filter(data__external_shipment_id=a["external_shipment_id"]).first()
    else:
        shipment = shipments.filter(pk=Node.pk_from_gid(str(a[given[0]])) or 0).first()
    if shipment is None:
        raise errors.invalid_param("No such shipment on this order", error_data={"blame_field_specs": [[given[0]]]})
    tracking = _tracking(a["tracking_info"])
    shipment.data.setdefault("tracking_history", []).append(shipment.data["tracking_info"])
    shipment.data["tracking_info"] = tracking
    shipment.save(update_fields=["data", "updated"])
    touch(ctx.node)
    save(ctx.node)
    return {"success": True}


# --- cancellations ----------------------------------------------------------------------------------


def cancel(order: Node, *, items: list[dict] | None, reason: dict | None, restock: bool,
           initiator: str = "merchant") -> Node:
    state = order.data["state"]
    if state == "FB_PROCESSING" and initiator == "merchant":
        created = datetime.fromisoformat(order.data["created"])
        if timezone.now() - created < STUCK_PROCESSING:
            raise errors.invalid_param("The order is still being processed by Facebook; it can be cancelled once it "
                                       "leaves FB_PROCESSING (or after 24 hours there)")
    if reason is not None:
        if not isinstance(reason, dict):
            raise errors.bad_type("cancel_reason", "a JSON object")
        code = reason.get("reason_code")
        if code is not None and code not in CANCEL_REASONS:
            raise errors.bad_enum("cancel_reason.reason_code", CANCEL_REASONS, code)
    wanted: dict[str, int] = {}
    if items:
        for n, (line, entry) in enumerate(resolve_items(order, items)):
            wanted[line["id"]] = wanted.get(line["id"], 0) + _quantity(entry, "quantity", n)
        for line in order.data["items"]:
            k = wanted.get(line["id"], 0)
            if k > remaining(line):
                raise errors.invalid_param(
                    f"Cannot cancel {k} of item {line['id']} ({line['retailer_id']}): only {remaining(line)} are "
                    "not shipped or cancelled yet", error_data={"blame_field_specs": [["items"]]})
    else:
        wanted = {line["id"]: remaining(line) for line in order.data["items"] if remaining(line)}
        if not wanted:
            raise errors.invalid_param("Nothing left to cancel: every item is shipped or cancelled")
    cancelled = []
    for line in order.data["items"]:
        k = wanted.get(line["id"])
        if not k:
            continue
        allocations = allocate_units(order, line, k)
        line["cancelled"] += k
        cancelled.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                          "quantity": k, "promotion_allocations": [
                              {"promotion_id": a["promotion_id"], "allocation_amount": a["allocation_amount"]}
                              for a in allocations]})
    node = child(CANCELLATION, order, items=cancelled, cancel_reason=_clean_reason(reason), restock_items=restock,
                 created=iso(timezone.now()), initiator=initiator)
    order.data["has_cancellations"] = True
    if all(line["cancelled"] == line["quantity"] for line in order.data["items"]):
        order.data["cancelled_all"] = True
        order.data["state"] = "COMPLETED"
    elif order.data["state"] == "IN_PROGRESS":
        complete_if_done(order)
    touch(order)
    save(order)
    return node


def _clean_reason(reason: dict | None) -> dict:
    if not reason:
        return {"reason_code": "CANCEL_REASON_OTHER"}
    out = {"reason_code": reason.get("reason_code") or "CANCEL_REASON_OTHER"}
    if reason.get("reason_description"):
        out["reason_description"] = str(reason["reason_description"])
    return out


@route("POST", f"{{order:{ORDER}}}/cancellations", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("cancel_reason", "map"), P("restock_items", "bool", default=False),
                                      P("items", "list<map>")))
def create_cancellation(ctx):
    gate(ctx)
    a = ctx.args
    cancel(ctx.node, items=a.get("items"), reason=a.get("cancel_reason"), restock=bool(a.get("restock_items")))
    return {"success": True}


# --- refunds ----------------------------------------------------------------------------------------


def _tax_share(line_tax: int, value: int, before: int, refunded: int) -> int:
    return cumulative(line_tax, value, before + refunded) - cumulative(line_tax, value, before)


def refund(order: Node, *, reason_code: str, reason_text: str = "", items: list[dict] | None = None,
           shipping: dict | None = None, deductions: list | None = None, adjustment=None,
           return_id: str = "") -> Node:
    if order.data["state"] not in ("IN_PROGRESS", "COMPLETED"):
        raise errors.invalid_param(f"The order cannot be refunded in state {order.data['state']}: refunds apply to "
                                   "shipped items")
    if reason_code not in REFUND_REASONS:
        raise errors.bad_enum("reason_code", REFUND_REASONS, reason_code)
    cur = currency_of(order)
    ret = None
    if return_id:
        ret = children(RETURN, order).filter(pk=Node.pk_from_gid(str(return_id)) or 0).first()
        if ret is None:
            raise errors.invalid_param("return_id is not a return of this order",
                                       error_data={"blame_field_specs": [["return_id"]]})
        if ret.data["status"] not in ("REQUESTED", "APPROVED"):
            raise errors.invalid_param(f"The return is {ret.data['status']}; only a requested or approved return can "
                                       "be refunded")
    amounts: dict[str, int] = {}
    quantities: dict[str, int] = {}
    full = items is None  # no `items` at all: refund everything shipped (an empty list refunds no item)
    if items:
        order_offers = has_order_level_item_offers(order)
        for n, (line, entry) in enumerate(resolve_items(order, items)):
            has_qty = entry.get("item_refund_quantity") not in (None, "")
            has_amount = entry.get("item_refund_amount") not in (None, "")
            if has_qty == has_amount:
                raise errors.invalid_param(f"items[{n}]: give exactly one of item_refund_quantity and "
                                           "item_refund_amount", error_data={"blame_field_specs": [["items", n]]})
            if has_qty:
                if order_offers:
                    raise errors.invalid_param(
                        "This order has order-level offers: only amount-based refunds (item_refund_amount) are "
                        "supported; see amount_available_for_refund", error_data={"blame_field_specs": [["items", n]]})
                k = _quantity(entry, "item_refund_quantity", n)
                quantities[line["id"]] = quantities.get(line["id"], 0) + k
            else:
                minor = _money_param(entry["item_refund_amount"], cur, f"items[{n}].item_refund_amount")
                if minor == 0:
                    raise errors.invalid_param(f"items[{n}].item_refund_amount must be more than zero")
                amounts[line["id"]] = amounts.get(line["id"], 0) + minor
    lines_out, subtotal, tax, buyer, meta = [], 0, 0, 0, 0
    for line in order.data["items"]:
        k = quantities.get(line["id"], 0)
        value = line_value(line)
        if k:
            if k > line["shipped"] - line["refunded_qty"]:
                raise errors.invalid_param(
                    f"Cannot refund {k} of item {line['id']} ({line['retailer_id']}): only "
                    f"{line['shipped'] - line['refunded_qty']} shipped and not refunded",
                    error_data={"blame_field_specs": [["items"]]})
            amt = units_share(value, line["quantity"], line["refunded_qty"], k)
        elif full:
            amt = available_for_refund(line)
            k = line["shipped"] - line["refunded_qty"] if amt else 0
        else:
            amt = amounts.get(line["id"], 0)
        if not amt and not k:
            continue
        if amt > available_for_refund(line):
            raise errors.invalid_param(
                f"Cannot refund {amount_str(amt, cur)} {cur} for item {line['id']} ({line['retailer_id']}): "
                f"{amount_str(available_for_refund(line), cur)} {cur} is available for refund",
                error_data={"blame_field_specs": [["items"]]})
        split = refund_amount_split(amt, value - meta_share(line), meta_share(line), already=line["refunded_amount"])
        t = _tax_share(line["tax"], value, line["refunded_amount"], amt)
        lines_out.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                          "quantity": k, "subtotal": amt, "tax": t, "buyer": split.buyer, "meta": split.meta})
        subtotal, tax, buyer, meta = subtotal + amt, tax + t, buyer + split.buyer, meta + split.meta
    refunded = order.data.setdefault("refunded", {"subtotal": 0, "shipping": 0, "tax": 0, "deductions": 0,
                                                  "total": 0})
    shipping_left = order.data["totals"]["shipping"] - refunded["shipping"]
    if shipping is not None:
        if not isinstance(shipping, dict) or "shipping_refund" not in shipping:
            raise errors.invalid_param('shipping must be {"shipping_refund": {"amount": ..., "currency": ...}}')
        ship_amt = _money_param(shipping["shipping_refund"], cur, "shipping.shipping_refund")
    else:
        ship_amt = shipping_left if full else 0
    if ship_amt > shipping_left:
        raise errors.invalid_param(f"Cannot refund {amount_str(ship_amt, cur)} {cur} of shipping: "
                                   f"{amount_str(shipping_left, cur)} {cur} is left",
                                   error_data={"blame_field_specs": [["shipping"]]})
    ship_tax = _tax_share(order.data.get("shipping_tax", 0), order.data["totals"]["shipping"], refunded["shipping"],
                          ship_amt)
    deduction_list = []
    for n, d in enumerate(deductions or []):
        if not isinstance(d, dict) or d.get("deduction_type") != "RETURN_SHIPPING":
            raise errors.bad_enum(f"deductions[{n}].deduction_type", ("RETURN_SHIPPING",),
                                  (d or {}).get("deduction_type") if isinstance(d, dict) else d)
        deduction_list.append({"deduction_type": "RETURN_SHIPPING",
                               "amount": _money_param(d.get("deduction_amount"), cur, f"deductions[{n}].deduction_amount")})
    deducted = sum(d["amount"] for d in deduction_list)
    adjust = _money_param(adjustment, cur, "adjustment_amount") if adjustment is not None else 0
    gross = subtotal + ship_amt + tax + ship_tax + adjust
    if not lines_out and not ship_amt and not adjust:
        raise errors.invalid_param("Nothing to refund: no shipped item value or shipping is left")
    if deducted > gross:
        raise errors.invalid_param("Deductions cannot exceed the refund", error_data={"blame_field_specs": [["deductions"]]})
    total = gross - deducted
    if refunded["total"] + total > order.data["totals"]["total"]:
        raise errors.invalid_param(
            f"The refunds would exceed what was paid for the order ({amount_str(order.data['totals']['total'], cur)} "
            f"{cur})")
    for out in lines_out:
        line = next(item for item in order.data["items"] if item["id"] == out["id"])
        line["refunded_amount"] += out["subtotal"]
        line["refunded_qty"] += out["quantity"]
    refunded["subtotal"] += subtotal
    refunded["shipping"] += ship_amt
    refunded["tax"] += tax + ship_tax
    refunded["deductions"] += deducted
    refunded["total"] += total
    # Shipping and adjustments come back to the buyer; deductions are kept from the buyer's part.
    node = child(REFUND, order, currency=cur, reason_code=reason_code, reason_text=reason_text or "", items=lines_out,
                 subtotal=subtotal, shipping=ship_amt, tax=tax + ship_tax, deductions=deducted,
                 deduction_list=deduction_list, adjustment=adjust, total=total,
                 buyer=buyer + ship_amt + tax + ship_tax + adjust - deducted, meta=meta,
                 return_id=ret.gid if ret else "", created=iso(timezone.now()))
    if ret is not None:
        ret.data["status"] = "REFUNDED"
        ret.data["last_updated"] = iso(timezone.now())
        ret.save(update_fields=["data", "updated"])
    order.data["has_refunds"] = True
    touch(order)
    save(order)
    return node


@route("POST", f"{{order:{ORDER}}}/refunds", perms=WRITE_PERMS, idempotency="required", removed_in=REMOVED_IN,
       params=(P("reason_code", "enum", enum=REFUND_REASONS, required=True), P("reason_text"),
               P("items", "list<map>"), P("shipping", "map"), P("deductions", "list<map>"),
               P("adjustment_amount", "map"), P("return_id")))
def create_refund(ctx):
    gate(ctx)
    a = ctx.args
    refund(ctx.node, reason_code=a["reason_code"], reason_text=a.get("reason_text") or "", items=a.get("items"),
           shipping=a.get("shipping"), deductions=a.get("deductions"), adjustment=a.get("adjustment_amount"),
           return_id=a.get("return_id") or "")
    return {"success": True}


# --- returns ---------------------------------------------------------------------------------------


def create_return(order: Node, *, items: list[dict], status: str, message: str = "", merchant_return_id: str = "",
                  initiator: str = "buyer") -> Node:
    if order.data["state"] not in ("IN_PROGRESS", "COMPLETED"):
        raise errors.invalid_param("Only shipped items can be returned")
    if not items:
        raise errors.required_param("items")
    open_returns = children(RETURN, order).filter(data__status__in=["REQUESTED", "APPROVED"])
    claimed: dict[str, int] = {}
    for ret in open_returns:
        for item in ret.data["items"]:
            claimed[item["id"]] = claimed.get(item["id"], 0) + item["quantity"]
    out = []
    for n, (line, entry) in enumerate(resolve_items(order, items)):
        k = _quantity(entry, "quantity", n)
        free = line["shipped"] - line["refunded_qty"] - claimed.get(line["id"], 0)
        if k > free:
            raise errors.invalid_param(f"items[{n}]: only {max(free, 0)} unit(s) of item {line['id']} can be returned")
        claimed[line["id"]] = claimed.get(line["id"], 0) + k
        out.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                    "quantity": k, "reason": str(entry.get("reason") or "")})
    now = iso(timezone.now())
    ret = child(RETURN, order, status=status, items=out, return_message=message,
                merchant_return_id=merchant_return_id, created=now, last_updated=now, initiator=initiator,
                history=[{"status": status, "at": now}])
    order.data["has_returns"] = True
    touch(order)
    save(order)
    return ret


def update_return(ret: Node, *, event: str, merchant_return_id: str = "", notes: str = "") -> Node:
    status = ret.data["status"]
    if event == "ACCEPT_RETURN":
        if status != "REQUESTED":
            raise errors.invalid_param(f"Only a requested return can be accepted; this one is {status}")
        if not merchant_return_id:
            raise errors.required_param("merchant_return_id")
        new = "APPROVED"
    elif event == "DISAPPROVE_RETURN":
        if status != "REQUESTED":
            raise errors.invalid_param(f"Only a requested return can be disapproved; this one is {status}")
        new = "DISAPPROVED"
    elif event == "CLOSE_RETURN":
        if status not in ("APPROVED", "REFUNDED"):
            raise errors.invalid_param(f"Only an approved return can be closed; this one is {status}")
        new = "MERCHANT_MARKED_COMPLETED"
    else:
        raise errors.bad_enum("update_event", RETURN_EVENTS, event)
    now = iso(timezone.now())
    if merchant_return_id:
        ret.data["merchant_return_id"] = merchant_return_id
    if notes:
        ret.data["notes"] = notes
    ret.data["status"] = new
    ret.data["last_updated"] = now
    ret.data.setdefault("history", []).append({"status": new, "at": now, "event": event})
    ret.save(update_fields=["data", "updated"])
    order = Node.objects.get(pk=Node.pk_from_gid(ret.parent_id))
    touch(order)
    save(order)
    return ret


@route("POST", f"{{order:{ORDER}}}/returns", perms=WRITE_PERMS, idempotency="required", removed_in=REMOVED_IN,
       params=(P("items", "list<map>", required=True), P("merchant_return_id", required=True), P("return_message"),
               P("update", "map")))
def create_seller_return(ctx):
    """A return the seller opens (already approved), SDK v20 shape."""
    gate(ctx)
    a = ctx.args
    ret = create_return(ctx.node, items=a["items"], status="APPROVED", message=a.get("return_message") or "",
                        merchant_return_id=a["merchant_return_id"], initiator="merchant")
    return {"id": ret.gid}


@route("POST", f"{{ret:{RETURN}}}/update_return", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("update_event", "enum", enum=RETURN_EVENTS, required=True),
                                      P("merchant_return_id"), P("notes"), P("return_shipping_labels", "list<map>")))
def update_return_route(ctx):
    gate(ctx)
    order = Node.objects.filter(pk=Node.pk_from_gid(ctx.node.parent_id) or 0, type=ORDER).first()
    if order is None:
        raise errors.unsupported("POST", ctx.node.gid)
    update_return(ctx.node, event=ctx.args["update_event"], merchant_return_id=ctx.args.get("merchant_return_id") or "",
                  notes=ctx.args.get("notes") or "")
    return Reply({"success": True})


# --- version gates of the edges ---------------------------------------------------------------------


def _gate_edge_routes() -> None:
    """Edges register their GET routes themselves; mark the order ones removed on v26+ like the
    other order routes (nested reads are gated by `gate`)."""
    own_types = {ORDER, SHIPMENT, PAYMENT, CANCELLATION, REFUND, RETURN}
    parent_edges = {"commerce_orders", "returns", "order_management_apps"}
    for r in registry.node_routes:
        if r.method != "GET" or len(r.segs) != 2 or isinstance(r.segs[1], tuple):
            continue
        types = set(r.segs[0][1] or ())
        if types & own_types or (types & {"commerce_merchant_settings", "page"} and r.segs[1] in parent_edges):
            r.removed_in = REMOVED_IN


_gate_edge_routes()


# --- full state (control API and tests) --------------------------------------------------------------


def state_of(order: Node) -> dict:
    """Everything about an order as the sandbox holds it, amounts as decimal strings."""
    cur = currency_of(order)

    def node_list(type: str) -> list[dict]:
        return [{"id": n.gid, **n.data} for n in children(type, order).order_by("pk")]

    data = order.data
    return {
        "id": order.gid,
        "state": data["state"],
        "channel": data["channel"],
        "currency": cur,
        "merchant_order_id": data.get("merchant_order_id") or None,
        "acknowledgements": [a for a in data.get("acks", [])],
        "totals": {k: amount_str(v, cur) for k, v in data["totals"].items()},
        "refunded": {k: amount_str(v, cur) for k, v in (data.get("refunded") or {}).items()},
        "items": [{**{k: v for k, v in item.items() if k not in ("ppu", "tax")},
                   "price_per_unit": amount_str(item["ppu"], cur), "tax": amount_str(item["tax"], cur),
                   "refunded_amount": amount_str(item["refunded_amount"], cur),
                   "available_for_refund": amount_str(available_for_refund(item), cur)} for item in data["items"]],
        "promotions": [{**p, "amount": amount_str(p["amount"], cur)} for p in data.get("promotions", [])],
        "shipments": node_list(SHIPMENT),
        "payments": [{**p, "total": amount_str(p["total"], cur)} for p in node_list(PAYMENT)],
        "cancellations": node_list(CANCELLATION),
        "refunds": [{**r, **{k: amount_str(r[k], cur) for k in ("subtotal", "shipping", "tax", "deductions",
                                                                 "adjustment", "total", "buyer", "meta")},
                     "items": [{**i, **{k: amount_str(i[k], cur) for k in ("subtotal", "tax", "buyer", "meta")}}
                               for i in r["items"]]} for r in node_list(REFUND)],
        "returns": node_list(RETURN),
        "last_updated": data.get("last_updated"),
    }


def orders_of_business(business_id: str):
    return Node.objects.of_type(ORDER).filter(business_id=business_id)


def find_orders(*, cms_id: str | None = None, business_id: str | None = None, state: str | None = None):
    qs = Node.objects.of_type(ORDER)
    if cms_id:
        qs = qs.filter(parent_id=cms_id)
    if business_id:
        qs = qs.filter(business_id=business_id)
    if state:
        qs = qs.filter(Q(data__state=state))
    return qs.order_by("pk")
