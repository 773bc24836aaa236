"""What happened to an order on Meta's side (shipments, cancellations, refunds, returns), or
Meta's confirmation of ours: matched to our records or recorded as Meta's."""

from __future__ import annotations

from collections import Counter

from django.db.models import Q
from django.utils import timezone

from catalog.services import move_stock
from orders import meta
from orders.models import (
    Cancellation,
    CancellationItem,
    MetaPush,
    Order,
    OrderEvent,
    OrderItem,
    Origin,
    Refund,
    RefundItem,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    SyncState,
)
from orders.totals import recount


def _items_by_meta_id(order: Order) -> dict[str, OrderItem]:
    return {item.meta_item_id: item for item in order.items.all()}


def sync_children(order: Order, raw: dict, counts: Counter) -> bool:
    currency = order.currency
    items = _items_by_meta_id(order)
    changed = False
    stock = Counter()
    for s in meta.edge_data(raw.get("shipments")):
        changed = _sync_shipment(order, s, items, counts) or changed
    for c in meta.edge_data(raw.get("cancellations")):
        changed = _sync_cancellation(order, c, items, currency, counts, stock) or changed
    for r in meta.edge_data(raw.get("returns")):
        changed = _sync_return(order, r, items, counts) or changed
    for r in meta.edge_data(raw.get("refunds")):
        changed = _sync_refund(order, r, items, currency, counts) or changed
    if changed:
        recount(order)
    move_stock(order.shop, stock, reason=f"order {order.reference}: changed at Meta")
    return changed


def _confirm_push(push: MetaPush | None) -> None:
    """Meta reports the record: whatever our push's state, Meta has applied it."""
    if push is not None and push.state != SyncState.SYNCED:
        MetaPush.objects.filter(pk=push.pk).update(state=SyncState.SYNCED, synced_at=timezone.now(), error="",
                                                   error_code=None)


def _sync_shipment(order, s: dict, items, counts) -> bool:
    meta_id = str(s.get("id") or "")
    external = str(s.get("external_shipment_id") or "")
    local = order.shipments.filter(Q(meta_shipment_id=meta_id) | Q(external_id=external) if external else
                                   Q(meta_shipment_id=meta_id)).select_related("push").first()
    tracking = s.get("tracking_info") or {}
    if local is not None:
        if not local.meta_shipment_id:
            local.meta_shipment_id = meta_id
            local.save(update_fields=["meta_shipment_id"])
            _confirm_push(local.push)
            return True
        return False
    shipment = Shipment.objects.create(
        order=order, meta_shipment_id=meta_id, external_id=external or f"meta-{meta_id}",
        carrier=str(tracking.get("carrier") or "OTHER")[:40], tracking_number=str(tracking.get("tracking_number") or ""),
        shipping_method=str(tracking.get("shipping_method_name") or ""), origin=Origin.META)
    for child in meta.child_items(s, order.currency):
        if child.meta_item_id in items:
            ShipmentItem.objects.create(shipment=shipment, item=items[child.meta_item_id], quantity=child.quantity)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.SHIPPED, origin=Origin.META,
                              message=f"Shipped outside the portal ({shipment.carrier} {shipment.tracking_number})",
                              params={"carrier": shipment.carrier, "tracking": shipment.tracking_number})
    counts["shipments"] += 1
    return True


def _signature(pairs) -> tuple:
    return tuple(sorted(pairs))


def _sync_cancellation(order, c: dict, items, currency, counts, stock: Counter) -> bool:
    meta_id = str(c.get("id") or "")
    if order.cancellations.filter(meta_cancellation_id=meta_id).exists():
        return False
    children = [ch for ch in meta.child_items(c, currency) if ch.meta_item_id in items]
    wanted = _signature((ch.meta_item_id, ch.quantity) for ch in children)
    for local in order.cancellations.filter(meta_cancellation_id="").select_related("push").prefetch_related(
            "items__item"):
        if _signature((ci.item.meta_item_id, ci.quantity) for ci in local.items.all()) == wanted:
            local.meta_cancellation_id = meta_id
            local.save(update_fields=["meta_cancellation_id"])
            _confirm_push(local.push)
            return True
    reason = c.get("cancel_reason") or {}
    code = str(reason.get("reason_code") or "CANCEL_REASON_OTHER")
    restock = bool(c.get("restock_items"))
    origin = Origin.BUYER if code == "CUSTOMER_REQUESTED" else Origin.META
    cancellation = Cancellation.objects.create(
        order=order, meta_cancellation_id=meta_id, reason_code=code,
        reason_description=str(reason.get("reason_description") or "")[:500], restock=restock, origin=origin)
    for ch in children:
        item = items[ch.meta_item_id]
        CancellationItem.objects.create(cancellation=cancellation, item=item, quantity=ch.quantity)
        if restock and order.stock_taken and item.product_id:
            stock[item.product_id] += ch.quantity
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CANCELLED, origin=origin,
                              message=f"Cancelled on Meta ({code})",
                              params={"reason": code, "units": sum(ch.quantity for ch in children)})
    counts["cancellations"] += 1
    return True


def _sync_refund(order, r: dict, items, currency, counts) -> bool:
    meta_id = str(r.get("id") or "")
    amounts = r.get("refund_amount") or {}
    figures = {
        "subtotal_minor": meta.plain_amount(amounts.get("subtotal"), currency),
        "shipping_minor": meta.plain_amount(amounts.get("shipping"), currency),
        "tax_minor": meta.plain_amount(amounts.get("tax"), currency),
        "deduction_minor": meta.plain_amount(amounts.get("deductions"), currency),
        "total_minor": meta.plain_amount(amounts.get("total") or amounts.get("amount"), currency),
    }
    known = order.refunds.filter(meta_refund_id=meta_id).first()
    if known is not None:
        return False
    children = [ch for ch in meta.child_items(r, currency) if ch.meta_item_id in items]
    reason = r.get("refund_reason") or {}
    code = str(reason.get("reason_code") or "REFUND_REASON_OTHER")

    def key(item_id, quantity, amount):
        return (item_id, quantity) if quantity else (item_id, 0, amount)

    wanted = (code, _signature(key(ch.meta_item_id, ch.quantity, ch.amount_minor) for ch in children),
              figures["shipping_minor"])
    for local in order.refunds.filter(meta_refund_id="").select_related("push").prefetch_related("items__item"):
        mine = (local.reason_code, _signature(key(ri.item.meta_item_id, ri.quantity if not local.by_amount else 0,
                                                  ri.amount_minor) for ri in local.items.all()), local.shipping_minor)
        if mine == wanted:
            _take_meta_figures(local, meta_id, figures, children)
            _confirm_push(local.push)
            return True
    ret = None
    if r.get("return_id"):
        ret = order.returns.filter(meta_return_id=str(r["return_id"])).first()
    origin = Origin.SELLER if code not in ("FACEBOOK_INITIATED",) else Origin.META
    refund = Refund.objects.create(order=order, meta_refund_id=meta_id, reason_code=code,
                                   reason_text=str(reason.get("reason_text") or "")[:500], ret=ret,
                                   by_amount=not any(ch.quantity for ch in children), origin=origin, **figures)
    for ch in children:
        RefundItem.objects.create(refund=refund, item=items[ch.meta_item_id], quantity=ch.quantity,
                                  amount_minor=ch.amount_minor, tax_minor=ch.tax_minor)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.REFUNDED, origin=origin,
                              message=f"Refunded on Meta ({code})",
                              params={"reason": code, "total_minor": figures["total_minor"]})
    counts["refunds"] += 1
    return True


def _take_meta_figures(local: Refund, meta_id: str, figures: dict, children) -> None:
    local.meta_refund_id = meta_id
    for name, value in figures.items():
        setattr(local, name, value)
    local.save(update_fields=["meta_refund_id", *figures])
    by_item = {ch.meta_item_id: ch for ch in children}
    for ri in local.items.select_related("item"):
        ch = by_item.get(ri.item.meta_item_id)
        if ch is not None and (ri.amount_minor, ri.tax_minor) != (ch.amount_minor, ch.tax_minor):
            RefundItem.objects.filter(pk=ri.pk).update(amount_minor=ch.amount_minor, tax_minor=ch.tax_minor)


def _sync_return(order, r: dict, items, counts) -> bool:
    meta_id = str(r.get("id") or "")
    status = str(r.get("return_status") or Return.Status.REQUESTED)
    if status not in Return.Status.values:
        return False
    local = order.returns.filter(meta_return_id=meta_id).first()
    if local is None and r.get("merchant_return_id"):
        local = order.returns.filter(meta_return_id="", merchant_return_id=str(r["merchant_return_id"])).first()
    if local is not None:
        fields = []
        if not local.meta_return_id:
            local.meta_return_id, fields = meta_id, ["meta_return_id"]
        if local.status != status:
            local.status = status
            fields.append("status")
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RETURN_UPDATED, origin=Origin.META,
                                      message=f"Return {meta_id} is {status}", params={"status": status})
        if fields:
            local.save(update_fields=[*fields, "updated_at"])
        return bool(fields)
    ret = Return.objects.create(order=order, meta_return_id=meta_id, status=status,
                                merchant_return_id=str(r.get("merchant_return_id") or ""),
                                message=str(r.get("return_message") or ""), origin=Origin.BUYER,
                                # Meta's return has no creation time: the poll that first saw it.
                                requested_at=timezone.now())
    for ch in meta.return_items(r):
        if ch.meta_item_id in items:
            ReturnItem.objects.create(ret=ret, item=items[ch.meta_item_id], quantity=ch.quantity, reason=ch.reason)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RETURN_REQUESTED, origin=Origin.BUYER,
                              message=f"The buyer asked to return items ({meta_id})", params={"return": meta_id})
    counts["returns"] += 1
    return True
