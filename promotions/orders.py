"""Promotions on orders: what Meta applied, kept per order, per line and per unit.

- `record_order_promotions(order)` reads the order's `promotion_details` (order level,
  aggregated per offer) and each item's (its line's share) as the orders app stored them, and
  upserts `OrderPromotion` and `LineAllocation` rows; each line's share is split over its units
  by Meta's documented rule (`allocate_per_unit_meta`) as the preview. Orders' ingest calls it
  for new orders (`record_promotions_for_orders`); it is idempotent.
- `pull_meta_allocations(order)` reads Meta's `promotion_allocations` on the order's payments
  (one per fulfilment) and cancellations (META_API §3.5, §3.6) and keeps them as
  `MetaAllocation` rows: the truth, next to what our preview said for the same units.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from kernel.money import Money
from orders.models import OrderItem
from orders.money import allocate_per_unit_meta, units_share
from promotions.models import Discount, LineAllocation, MetaAllocation, OrderPromotion

log = logging.getLogger(__name__)

PAYMENT_FIELDS = "id,created,items{id,quantity,promotion_allocations}"
CANCELLATION_FIELDS = "id,created,items{id,quantity,promotion_allocations}"


def _minor(value, currency: str) -> int:
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return 0
    money = Money.from_meta_amount(value)
    if money.currency != currency:
        raise ValueError(f"amount in {money.currency} on an order in {currency}")
    return money.minor


def _target_type(promo: dict) -> str:
    return OrderPromotion.TargetType.SHIPPING if promo.get("target_type") == "shipping" else \
        OrderPromotion.TargetType.ITEMS


def _discount_ids(shop_id) -> tuple[dict, dict]:
    """The shop's own discounts by offer id and by coupon code (upper case)."""
    rows = list(Discount.objects.filter(shop_id=shop_id).only("pk", "offer_id", "coupon_code"))
    return ({d.offer_id: d.pk for d in rows if d.offer_id},
            {d.coupon_code.upper(): d.pk for d in rows if d.coupon_code})


def _promotion_fields(promo: dict, currency: str, ours: dict, codes: dict) -> dict:
    retailer_id = str(promo.get("retailer_id") or "")
    code = str(promo.get("coupon_code") or "")
    return {
        "retailer_id": retailer_id[:100],
        "discount_id": ours.get(retailer_id) or codes.get(code.upper()),
        "campaign_name": str(promo.get("campaign_name") or "")[:255],
        "coupon_code": code[:100],
        "sponsor": "facebook" if promo.get("sponsor") == "facebook" else "merchant",
        "granularity": "order_level" if promo.get("target_granularity") == "order_level" else "item_level",
        "target_type": _target_type(promo),
        "currency": currency,
        "applied_minor": _minor(promo.get("applied_amount"), currency),
        "applied_after_tax": bool(promo.get("applied_after_tax")),
    }


def _line_allocations(item, rows: dict, currency: str):
    """(promotion row, amount, unit split) of each of the line's promotions that the order has."""
    for promo in item.promotions or []:
        row = rows.get(str(promo.get("promotion_id") or ""))
        if row is not None:
            amount = _minor(promo.get("applied_amount"), currency)
            yield row, amount, allocate_per_unit_meta(amount, item.quantity)


@transaction.atomic
def record_order_promotions(order) -> list[OrderPromotion]:
    """Upsert the order's promotions and their line and unit allocations (see module docstring)."""
    currency = order.currency
    ours, codes = _discount_ids(order.shop_id)
    rows: dict[str, OrderPromotion] = {}
    for promo in order.promotions or []:
        pid = str(promo.get("promotion_id") or "")
        if pid:
            rows[pid], _ = OrderPromotion.objects.update_or_create(
                order=order, promotion_id=pid, defaults=_promotion_fields(promo, currency, ours, codes))
    for item in order.items.all():
        for row, amount, units in _line_allocations(item, rows, currency):
            LineAllocation.objects.update_or_create(promotion=row, item=item, defaults={
                "amount_minor": amount, "unit_minor": units})
    return list(rows.values())


def record_promotions_for_orders(orders) -> None:
    """For orders' ingest: record the promotions of newly created orders, a page at a time (they
    have none yet, so rows are inserted in bulk: a few queries per page, not per order)."""
    orders = [order for order in orders if order.promotions]
    if not orders:
        return
    # An order recorded already (a replayed page) is brought up to date row by row.
    known = set(OrderPromotion.objects.filter(order__in=orders).values_list("order_id", flat=True))
    for order in orders:
        if order.pk in known:
            record_order_promotions(order)
    orders = [order for order in orders if order.pk not in known]
    if not orders:
        return
    by_shop: dict = {}
    rows: dict[int, dict[str, OrderPromotion]] = {}
    new_rows = []
    for order in orders:
        if order.shop_id not in by_shop:
            by_shop[order.shop_id] = _discount_ids(order.shop_id)
        ours, codes = by_shop[order.shop_id]
        rows[order.pk] = {}
        for promo in order.promotions:
            pid = str(promo.get("promotion_id") or "")
            if pid and pid not in rows[order.pk]:
                row = OrderPromotion(order=order, promotion_id=pid, **_promotion_fields(promo, order.currency, ours,
                                                                                       codes))
                rows[order.pk][pid] = row
                new_rows.append(row)
    OrderPromotion.objects.bulk_create(new_rows)
    currency = {order.pk: order.currency for order in orders}
    allocations = []
    for item in OrderItem.objects.filter(order_id__in=list(rows)).only("pk", "order_id", "quantity", "promotions"):
        for row, amount, units in _line_allocations(item, rows[item.order_id], currency[item.order_id]):
            allocations.append(LineAllocation(promotion=row, item=item, amount_minor=amount, unit_minor=units))
    LineAllocation.objects.bulk_create(allocations)


def pull_meta_allocations(order, *, client=None) -> int:
    """Read Meta's promotion_allocations of the order's fulfilments and cancellations; store the
    new ones with our preview for the same units. Returns how many rows were added."""
    if client is None:
        from shops.graph import client_for_shop

        client = client_for_shop(order.shop_id)
    rows = {p.promotion_id: p for p in OrderPromotion.objects.filter(order=order)}
    if not rows:
        rows = {p.promotion_id: p for p in record_order_promotions(order)}
    events = []
    for source, edge, fields in ((MetaAllocation.Source.PAYMENT, "payments", PAYMENT_FIELDS),
                                 (MetaAllocation.Source.CANCELLATION, "cancellations", CANCELLATION_FIELDS)):
        for event in client.paginate(f"{order.meta_order_id}/{edge}", {"fields": fields}, limit=100, orders=True):
            events.append((str(event.get("created") or ""), _id_key(event.get("id")), source, event))
    events.sort(key=lambda e: (e[0], e[1]))
    items = {item.meta_item_id: item for item in order.items.all()}
    shares = {(a.promotion_id, a.item_id): a.amount_minor
              for a in LineAllocation.objects.filter(promotion__order=order)}
    started: dict[tuple, int] = {}
    added = 0
    with transaction.atomic():
        for _, _, source, event in events:
            for line in (event.get("items") or {}).get("data", []) if isinstance(event.get("items"), dict) else \
                    event.get("items") or []:
                item = items.get(str(line.get("id") or ""))
                if item is None:
                    continue
                quantity = int(line.get("quantity") or 0)
                for alloc in line.get("promotion_allocations") or []:
                    row = rows.get(str(alloc.get("promotion_id") or ""))
                    if row is None:
                        continue
                    key = (row.pk, item.pk)
                    start = started.get(key, 0)
                    started[key] = start + quantity
                    share = shares.get(key)
                    preview = None if share is None else units_share(share, item.quantity, start, quantity)
                    _, created = MetaAllocation.objects.get_or_create(
                        promotion=row, item=item, source=source, meta_source_id=str(event.get("id") or ""),
                        defaults={"quantity": quantity, "amount_minor": _minor(alloc.get("allocation_amount"),
                                                                               order.currency),
                                  "preview_minor": preview})
                    added += created
                    if created and preview is not None and preview != _minor(alloc.get("allocation_amount"),
                                                                             order.currency):
                        log.warning("Meta allocated %s to order %s item %s (%s); our preview said %s",
                                    alloc.get("allocation_amount"), order.pk, item.pk, row.promotion_id, preview)
        OrderPromotion.objects.filter(order=order).update(allocations_pulled_at=timezone.now())
    return added


def _id_key(value) -> tuple:
    text = str(value or "")
    return (len(text), text)
