"""Ingest Meta orders for one shop: register the order management app, pull what changed on
Meta's side, pull new orders, acknowledge them in bulk. Meta sends no order webhooks, so this
runs every couple of minutes per shop (orders.tasks) and on the seller's "Check now".

One poll (`poll_shop`), under the shop's feed lease, in this order:

1. `POST /{cms}/order_management_apps` once per merchant settings (orders then wait in CREATED
   for us instead of going to Commerce Manager).
2. Changes: `state=IN_PROGRESS,COMPLETED&updated_after=<watermark − overlap>` with every
   shipment, cancellation, refund and return of each changed order (buyer cancellations,
   Meta-initiated refunds, returns: all of them, not only the first). The watermark is Meta's
   newest `last_updated` seen and is saved in the transaction of the last page it covers, so a
   crash never skips a change; the overlap makes the query tolerate same-second updates (the
   upserts are idempotent).
3. New orders: `state=FB_PROCESSING,CREATED` (Meta keeps unacknowledged orders there, so every
   poll sees all of them; FB_PROCESSING ones are read early to reserve stock).
4. Acknowledgement in batches of 100 (`AckBatch`: key and body frozen, so a retried call is the
   same call and Meta applies it once), with per-order errors (2361003 ...) kept on the order.

Each page is one transaction. Nothing holds a transaction open while talking to Meta. The
ledger (`IngestRun`) records the window, counts and errors of every poll.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.services import move_stock
from graph.errors import Deprecated, GraphError
from kernel.jobs import JobSkipped, claim_lease, job_run, release_lease
from orders import hooks, meta, states
from orders.locks import lock_feed, lock_orders
from orders.models import (
    AckBatch,
    Cancellation,
    CancellationItem,
    IngestRun,
    MetaPush,
    Order,
    OrderEvent,
    OrderFeed,
    OrderItem,
    Origin,
    Refund,
    RefundItem,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    SyncState,
    new_reference,
)

log = logging.getLogger(__name__)

POLL_JOB = "orders.poll"
PAGE_SIZE = 100
ACK_BATCH = 100
NEW_STATES = "FB_PROCESSING,CREATED"
CHANGED_STATES = "IN_PROGRESS,COMPLETED"


def setting(name: str, default):
    return getattr(settings, name, default)


def lease_seconds() -> int:
    return int(setting("ORDERS_POLL_LEASE_SECONDS", 600))


def overlap_seconds() -> int:
    return int(setting("ORDERS_CHANGES_OVERLAP_SECONDS", 120))


def poll_interval() -> timedelta:
    return timedelta(seconds=int(setting("ORDERS_POLL_SECONDS", 120)))


# --- the poll -------------------------------------------------------------------------------------


def poll_shop(shop_id: int, *, task_id: str = "", force: bool = False, client=None) -> dict:
    """One poll of a shop (see the module docstring). Returns the poll's counts.

    Meta's transient failures end the poll quietly (recorded in the ledger; the next slot tries
    again) instead of raising, so django-q2 does not add its own retries: no retry storm.
    """
    from shops.models import MetaConnection

    with job_run(POLL_JOB, shop_id, task_id=task_id) as run:
        conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id).first()
        if conn is None or not conn.has_token or not conn.commerce_merchant_settings_id:
            raise JobSkipped("no Meta connection with a commerce account")
        if conn.status != MetaConnection.Status.CONNECTED:
            raise JobSkipped(f"connection is {conn.status}")
        feed, _ = OrderFeed.objects.get_or_create(shop_id=shop_id)
        if feed.api_removed_at and not force:
            raise JobSkipped("Meta removed the order API")
        if not claim_lease(OrderFeed, feed.pk, "lease_until", lease_seconds()):
            raise JobSkipped("another poll of this shop is running")
        ledger = IngestRun.objects.create(shop_id=shop_id)
        try:
            if client is None:
                from shops.graph import client_for_shop

                client = client_for_shop(conn, max_wait=setting("ORDERS_CLIENT_MAX_WAIT", 30))
            Poller(conn, client, ledger).run()
            ledger.status = IngestRun.Status.PARTIAL if ledger.errors else IngestRun.Status.OK
            OrderFeed.objects.filter(pk=feed.pk).update(
                last_success_at=timezone.now(), last_error="", api_removed_at=None, api_removed_message="")
        except Deprecated as exc:
            ledger.status = IngestRun.Status.REMOVED
            ledger.errors.append(str(exc)[:500])
            mark_removed(shop_id, exc)
        except GraphError as exc:
            ledger.status = IngestRun.Status.FAILED
            ledger.errors.append(str(exc)[:500])
            OrderFeed.objects.filter(pk=feed.pk).update(last_error=(exc.user_message or str(exc))[:2000])
        finally:
            now = timezone.now()
            ledger.finished_at = now
            ledger.save(update_fields=["status", "finished_at", "counts", "errors", "updated_after", "watermark"])
            OrderFeed.objects.filter(pk=feed.pk).update(last_poll_at=now, next_poll_at=now + poll_interval(),
                                                        poll_requested_at=None)
            release_lease(OrderFeed, feed.pk, "lease_until")
        run.counts = {**ledger.counts, "status": ledger.status}
    return run.counts


def mark_removed(shop_id: int, error: GraphError) -> None:
    """Meta says the order API is gone: stop polling this shop and show one notice."""
    OrderFeed.objects.filter(shop_id=shop_id, api_removed_at__isnull=True).update(
        api_removed_at=timezone.now(), api_removed_message=str(error)[:2000])
    log.warning("Meta's order API is removed for shop %s: %s", shop_id, error)


class Poller:
    def __init__(self, conn, client, ledger: IngestRun):
        self.conn = conn
        self.shop = conn.shop
        self.cms = conn.commerce_merchant_settings_id
        self.client = client
        self.ledger = ledger
        self.counts: Counter = Counter()

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
        self.ledger.counts = dict(self.counts)

    def error(self, message: str) -> None:
        self.ledger.errors.append(message[:500])

    def run(self) -> None:
        self.ensure_app()
        self.pull_changes()
        self.pull_new()
        acknowledge_pending(self.shop, self.client, poller=self)

    # --- 1. app registration ---
    def ensure_app(self) -> None:
        feed = OrderFeed.objects.get(shop=self.shop)
        if feed.app_registered_cms == self.cms:
            return
        self.client.post(f"{self.cms}/order_management_apps", orders=True)
        self.count("calls")
        OrderFeed.objects.filter(pk=feed.pk).update(app_registered_cms=self.cms)

    # --- 2. changes ---
    def pull_changes(self) -> None:
        feed = OrderFeed.objects.get(shop=self.shop)
        if feed.changes_watermark is None:
            lookback = int(setting("ORDERS_INITIAL_LOOKBACK_DAYS", 30))
            since = int((timezone.now() - timedelta(days=lookback)).timestamp())
        else:
            since = max(0, feed.changes_watermark - overlap_seconds())
        self.ledger.updated_after = since
        newest = feed.changes_watermark or 0
        params = {"state": CHANGED_STATES, "updated_after": since, "fields": meta.CHANGE_FIELDS}
        for page in self.client.iter_pages(f"{self.cms}/commerce_orders", params, limit=PAGE_SIZE, orders=True):
            self.count("calls")
            self.count("pages")
            parsed = self.parse_page(page)
            newest = max([newest, *(p.updated_ts or 0 for p in parsed)])
            last = not (page.get("paging") or {}).get("next")
            self.apply(parsed, with_children=True, watermark=newest if last and newest else None)
        self.ledger.watermark = newest or None

    # --- 3. new orders ---
    def pull_new(self) -> None:
        params = {"state": NEW_STATES, "fields": meta.ORDER_FIELDS}
        for page in self.client.iter_pages(f"{self.cms}/commerce_orders", params, limit=PAGE_SIZE, orders=True):
            self.count("calls")
            self.count("pages")
            self.apply(self.parse_page(page), with_children=False)

    def parse_page(self, page: dict) -> list[meta.OrderData]:
        parsed = []
        for raw in page.get("data") or []:
            try:
                order = meta.parse_order(raw)
                if not order.items_complete:
                    order = self.complete_items(order)
                parsed.append(order)
            except meta.PayloadError as exc:
                self.count("unreadable")
                self.error(f"order {raw.get('id', '?')}: {exc}")
        return parsed

    def complete_items(self, order: meta.OrderData) -> meta.OrderData:
        rows = list(self.client.paginate(f"{order.meta_order_id}/items", {"fields": meta.ITEM_FIELDS}, limit=100,
                                         orders=True))
        self.count("calls")
        order.items = [meta.parse_item(row, order.currency) for row in rows]
        order.items_complete = True
        return order

    def apply(self, parsed: list[meta.OrderData], *, with_children: bool, watermark: int | None = None) -> None:
        with transaction.atomic():
            feed = lock_feed(self.shop.pk)
            counts = apply_orders(self.shop, parsed, with_children=with_children, errors=self.ledger.errors)
            if watermark is not None and watermark != feed.changes_watermark:
                feed.changes_watermark = watermark
                feed.save(update_fields=["changes_watermark"])
        for key, n in counts.items():
            self.count(key, n)


# --- upserts --------------------------------------------------------------------------------------


def apply_orders(shop, parsed: list[meta.OrderData], *, with_children: bool, errors: list) -> Counter:
    """Create unknown orders, update known ones, import children. Runs in the caller's
    transaction; returns counts."""
    counts: Counter = Counter()
    if not parsed:
        return counts
    ids = [p.meta_order_id for p in parsed]
    existing = {o.meta_order_id: o for o in Order.objects.filter(shop=shop, meta_order_id__in=ids)
                .order_by("pk").select_for_update()}
    new = [p for p in parsed if p.meta_order_id not in existing]
    new_ids = {p.meta_order_id for p in new}
    if new:
        created = create_orders(shop, new)
        existing.update(created)
        counts["new"] += len(created)
    untouched = []
    for data in parsed:
        order = existing[data.meta_order_id]
        children = with_children and _has_children(data.raw)
        if data.meta_order_id in new_ids:
            if children:
                sync_children(order, data.raw, counts)
            continue
        try:
            changed = update_order(order, data, save=children)
        except states.IllegalTransition as exc:
            errors.append(f"order {data.meta_order_id}: {exc}"[:500])
            counts["refused"] += 1
            continue
        if children:
            changed = sync_children(order, data.raw, counts) or changed
        elif not changed and order.meta_updated_at != data.meta_updated_at:
            order.meta_updated_at = data.meta_updated_at
            untouched.append(order)
        if changed:
            counts["updated"] += 1
    # Orders whose only news is Meta's update time (e.g. our own acknowledgement): one query.
    Order.objects.bulk_update(untouched, ["meta_updated_at"], batch_size=500)
    return counts


def _has_children(raw: dict) -> bool:
    return any(meta.edge_data(raw.get(edge)) for edge in ("shipments", "cancellations", "refunds", "returns"))


def _channel(value: str) -> str:
    return value if value in (Order.Channel.FACEBOOK, Order.Channel.INSTAGRAM) else Order.Channel.FACEBOOK


def _state(value: str) -> str:
    if value not in Order.State.values:
        raise meta.PayloadError(f"unknown order state {value}")
    return value


def create_orders(shop, parsed: list[meta.OrderData]) -> dict[str, Order]:
    from catalog.models import Product

    retailer_ids = {item.retailer_id for data in parsed for item in data.items}
    products = dict(Product.objects.filter(shop=shop, retailer_id__in=retailer_ids, deleted_at__isnull=True)
                    .values_list("retailer_id", "pk"))
    orders = []
    for data in parsed:
        state = _state(data.state)
        ack_state = {Order.State.CREATED: Order.AckState.PENDING}.get(state, Order.AckState.NONE)
        if state in (Order.State.IN_PROGRESS, Order.State.COMPLETED) and data.merchant_order_id:
            ack_state = Order.AckState.SYNCED
        orders.append(Order(
            shop=shop, source=Order.Source.META, channel=_channel(data.channel), meta_order_id=data.meta_order_id,
            reference=data.merchant_order_id or new_reference(), state=state, is_test_order=data.is_test_order,
            placed_at=data.placed_at or timezone.now(), meta_updated_at=data.meta_updated_at,
            ship_by_date=data.ship_by_date, buyer_name=data.buyer["name"], buyer_email=data.buyer["email"],
            buyer_marketing_opt_in=data.buyer["opt_in"], buyer_phone=data.buyer["phone"],
            shipping_address=data.shipping_address, shipping_option=data.shipping_option, currency=data.currency,
            items_subtotal_minor=data.items_subtotal_minor, order_discount_minor=data.order_discount_minor,
            shipping_minor=data.shipping_minor, tax_minor=data.tax_minor, total_minor=data.total_minor,
            tax_remitted=data.tax_remitted, buyer_paid_minor=data.buyer_paid_minor,
            meta_paid_minor=data.meta_paid_minor, promotions=data.promotions, ack_state=ack_state,
            units_to_ship=sum(item.quantity for item in data.items),
            stock_taken=state != Order.State.COMPLETED, raw=data.raw,
        ))
    Order.objects.bulk_create(orders)
    items, events, stock = [], [], Counter()
    for order, data in zip(orders, parsed, strict=True):
        for position, item in enumerate(data.items):
            product_id = products.get(item.retailer_id)
            items.append(OrderItem(
                order=order, position=position, meta_item_id=item.meta_item_id, meta_product_id=item.meta_product_id,
                retailer_id=item.retailer_id, product_id=product_id, title=item.title, quantity=item.quantity,
                price_per_unit_minor=item.price_per_unit_minor, order_discount_minor=item.order_discount_minor,
                meta_discount_minor=item.meta_discount_minor, tax_minor=item.tax_minor,
                captured_tax_minor=item.captured_tax_minor, promotions=item.promotions,
            ))
            if order.stock_taken and product_id:
                stock[product_id] -= item.quantity
        events.append(OrderEvent(order=order, kind=OrderEvent.Kind.RECEIVED, origin=Origin.BUYER,
                                 message=f"Order {data.meta_order_id} received ({order.state})",
                                 params={"state": order.state, "channel": order.channel}))
    OrderItem.objects.bulk_create(items)
    OrderEvent.objects.bulk_create(events)
    hooks.orders_created(orders)
    move_stock(shop, stock, reason="Meta orders received")
    return {order.meta_order_id: order for order in orders}


def update_order(order: Order, data: meta.OrderData, *, save: bool = False) -> bool:
    """Bring a known order up to Meta's view. Returns True if anything changed (then it is
    saved; with `save` it is saved anyway)."""
    fields = {"meta_updated_at": data.meta_updated_at}
    new_state = _state(data.state)
    changed = False
    if new_state != order.state:
        old = order.state
        states.transition(order, new_state, origin=Origin.META)
        fields["state"] = new_state
        changed = True
        if new_state == Order.State.CREATED and old == Order.State.FB_PROCESSING:
            fields["ack_state"] = Order.AckState.PENDING
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RELEASED, origin=Origin.META,
                                      message="Meta finished its checks")
        elif old == Order.State.CREATED and new_state != Order.State.CREATED:
            # Acknowledged at Meta (an answer we lost, or Commerce Manager), or cancelled first.
            acked = new_state == Order.State.IN_PROGRESS or bool(data.merchant_order_id)
            fields["ack_state"] = Order.AckState.SYNCED if acked else Order.AckState.NONE
            if acked and not order.acknowledged_at:
                fields["acknowledged_at"] = timezone.now()
    if data.buyer["name"] and not order.buyer_name:
        fields.update(buyer_name=data.buyer["name"], buyer_email=data.buyer["email"],
                      buyer_marketing_opt_in=data.buyer["opt_in"], buyer_phone=data.buyer["phone"])
        changed = True
    if data.shipping_address and data.shipping_address != order.shipping_address:
        fields["shipping_address"] = data.shipping_address
        changed = True
    if changed:
        fields["raw"] = data.raw
    if not (changed or save):
        return False
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=[*fields, "updated_at"])
    return changed


# --- children: what happened on Meta's side (or Meta's confirmation of ours) --------------------------


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
    status = str(r.get("status") or Return.Status.REQUESTED)
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
                                requested_at=meta.timestamp(r.get("created")))
    for ch in meta.child_items(r, order.currency):
        if ch.meta_item_id in items:
            ReturnItem.objects.create(ret=ret, item=items[ch.meta_item_id], quantity=ch.quantity, reason=ch.reason)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RETURN_REQUESTED, origin=Origin.BUYER,
                              message=f"The buyer asked to return items ({meta_id})", params={"return": meta_id})
    counts["returns"] += 1
    return True


def recount(order: Order) -> None:
    """Recompute the running totals of an order and its lines from its records."""
    from django.db.models import Sum

    def per_item(model, field="quantity"):
        rows = model.objects.filter(item__order=order).values("item_id").annotate(n=Sum(field))
        return {row["item_id"]: row["n"] or 0 for row in rows}

    shipped, cancelled = per_item(ShipmentItem), per_item(CancellationItem)
    refunded_qty, refunded_amount = per_item(RefundItem), per_item(RefundItem, "amount_minor")
    lines = list(order.items.all())
    for line in lines:
        line.quantity_shipped = shipped.get(line.pk, 0)
        line.quantity_cancelled = cancelled.get(line.pk, 0)
        line.quantity_refunded = refunded_qty.get(line.pk, 0)
        line.refunded_minor = refunded_amount.get(line.pk, 0)
    OrderItem.objects.bulk_update(lines, ["quantity_shipped", "quantity_cancelled", "quantity_refunded",
                                          "refunded_minor"])
    order.units_to_ship = sum(max(0, line.to_ship) for line in lines)
    order.open_returns = order.returns.filter(status__in=Return.OPEN).count()
    order.failed_pushes = order.pushes.filter(state=SyncState.FAILED).count()
    order.save(update_fields=["units_to_ship", "open_returns", "failed_pushes", "updated_at"])


# --- acknowledgement ----------------------------------------------------------------------------------


def acknowledge_pending(shop, client, *, poller: Poller | None = None) -> Counter:
    """Acknowledge every order waiting for it, ≤ 100 per call. Each batch is sent at most once
    per run (a batch that failed transiently waits for the next run, same key, same body)."""
    counts: Counter = Counter()
    tried: set[int] = set()
    held_back: set[int] = set()  # orders Meta refused with a coded error: next run, new key
    cms = shop.meta_connection.commerce_merchant_settings_id
    while True:
        batch = claim_batch(shop, exclude=tried, hold_back=held_back)
        if batch is None:
            break
        tried.add(batch.pk)
        ok = push_batch(batch, client, cms, counts, held_back)
        if not ok:
            break
    if poller is not None:
        for key, n in counts.items():
            poller.count(key, n)
    return counts


def claim_batch(shop, *, exclude=(), hold_back=()) -> AckBatch | None:
    """A pending batch of this shop whose lease is free, or a new one of ≤ 100 waiting orders;
    its lease is claimed. Two workers never get the same batch, nor the same order twice."""
    now = timezone.now()
    lease = now + timedelta(seconds=120)
    with transaction.atomic():
        lock_feed(shop.pk)
        free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        batch = (AckBatch.objects.filter(shop=shop, state=SyncState.PENDING).filter(free).exclude(pk__in=exclude)
                 .order_by("pk").first())
        if batch is None:
            waiting = list(Order.objects.filter(shop=shop, source=Order.Source.META, state=Order.State.CREATED,
                                                ack_state=Order.AckState.PENDING, ack_batch__isnull=True)
                           .exclude(pk__in=list(hold_back)).order_by("pk").values_list("pk", "meta_order_id", "reference")[:ACK_BATCH])
            if not waiting:
                return None
            batch = AckBatch.objects.create(shop=shop, payload=[
                {"id": meta_id, "merchant_order_reference": reference} for _, meta_id, reference in waiting])
            Order.objects.filter(pk__in=[pk for pk, _, _ in waiting]).update(ack_batch=batch)
        claimed = AckBatch.objects.filter(pk=batch.pk, state=SyncState.PENDING).filter(free).update(
            locked_until=lease)
        return batch if claimed else None


def push_batch(batch: AckBatch, client, cms: str, counts: Counter, held_back: set | None = None) -> bool:
    """Send one batch (retried by the client with the same key on transient errors) and apply
    Meta's per-order answers. Returns False if the batch must wait for a later run."""
    from graph.errors import RateLimited, Transient

    AckBatch.objects.filter(pk=batch.pk).update(attempts=batch.attempts + 1)
    try:
        answer = client.post(f"{cms}/acknowledge_orders",
                             {"idempotency_key": batch.idempotency_key, "orders": batch.payload}, orders=True)
        counts["ack_calls"] += 1
    except Deprecated:
        AckBatch.objects.filter(pk=batch.pk).update(locked_until=None)
        raise
    except (Transient, RateLimited) as exc:
        counts["ack_calls"] += 1
        AckBatch.objects.filter(pk=batch.pk).update(locked_until=None, error=str(exc)[:2000])
        return False
    except GraphError as exc:
        counts["ack_calls"] += 1
        fail_batch(batch, exc.user_msg or str(exc))
        counts["ack_errors"] += len(batch.payload)
        return True
    retried = apply_ack_answer(batch, answer, counts)
    if held_back is not None:
        held_back.update(retried)
    return True


def fail_batch(batch: AckBatch, message: str) -> None:
    with transaction.atomic():
        AckBatch.objects.filter(pk=batch.pk).update(state=SyncState.FAILED, error=message[:2000],
                                                    finished_at=timezone.now(), locked_until=None)
        Order.objects.filter(ack_batch=batch, ack_state=Order.AckState.PENDING).update(
            ack_state=Order.AckState.FAILED, ack_error=message[:2000])


def apply_ack_answer(batch: AckBatch, answer: dict, counts: Counter) -> list[int]:
    """Apply Meta's per-order results; returns the ids of orders to try again later."""
    results = {str(r.get("id")): r for r in (answer or {}).get("orders") or [] if isinstance(r, dict)}
    now = timezone.now()
    with transaction.atomic():
        orders = lock_orders(Order.objects.filter(ack_batch=batch).values_list("pk", flat=True))
        acked, events, failed, retry = [], [], [], []
        for order in orders:
            result = results.get(order.meta_order_id)
            if result is None or "error" in result:
                error = (result or {}).get("error") or {"error_code": None, "error_message": "No answer from Meta"}
                code = error.get("error_code")
                if code == 2361003 or result is None:
                    failed.append((order, f"{error.get('error_message')} ({code})"))
                else:
                    retry.append(order)
                    events.append(OrderEvent(order=order, kind=OrderEvent.Kind.ACK_FAILED, origin=Origin.META,
                                             message=f"{error.get('error_message')} ({code})",
                                             params={"code": code}))
                continue
            if order.state == Order.State.CREATED and states.can_transition(order.state, Order.State.IN_PROGRESS):
                acked.append(order)
                events.append(OrderEvent(order=order, kind=OrderEvent.Kind.ACKNOWLEDGED, origin=Origin.SELLER,
                                         message=f"Acknowledged as {order.reference}",
                                         params={"reference": order.reference}))
        Order.objects.filter(pk__in=[o.pk for o in acked]).update(
            state=Order.State.IN_PROGRESS, ack_state=Order.AckState.SYNCED, acknowledged_at=now, ack_error="")
        for order, message in failed:
            Order.objects.filter(pk=order.pk).update(ack_state=Order.AckState.FAILED, ack_error=message[:2000])
            events.append(OrderEvent(order=order, kind=OrderEvent.Kind.ACK_FAILED, origin=Origin.META,
                                     message=message[:500], params={}))
        # A coded error (e.g. still in Meta's checks): try again later with a new key (META_API §3.7).
        Order.objects.filter(pk__in=[o.pk for o in retry]).update(ack_batch=None)
        OrderEvent.objects.bulk_create(events)
        AckBatch.objects.filter(pk=batch.pk).update(state=SyncState.SYNCED, finished_at=now, locked_until=None,
                                                    error="")
    counts["acknowledged"] += len(acked)
    counts["ack_errors"] += len(failed) + len(retry)
    return [o.pk for o in retry]


def retry_failed_acks(shop) -> int:
    """The seller's Retry on the "could not acknowledge" card: new batches, new keys."""
    return Order.objects.filter(shop=shop, state=Order.State.CREATED, ack_state=Order.AckState.FAILED).update(
        ack_state=Order.AckState.PENDING, ack_batch=None, ack_error="")
