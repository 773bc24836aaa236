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
from django.db.models import prefetch_related_objects
from django.utils import timezone

from kernel import bulk
from kernel.money import Money
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


PROMOTION_FIELDS = ("retailer_id", "discount_id", "campaign_name", "coupon_code", "sponsor", "granularity",
                    "target_type", "currency", "applied_minor", "applied_after_tax")


def record_order_promotions(order) -> list[OrderPromotion]:
    """Upsert the order's promotions and their line and unit allocations (see module docstring)."""
    return record_promotions_for_orders([order]).get(order.pk, [])


@transaction.atomic(savepoint=False)
def record_promotions_for_orders(orders, lines=None) -> dict[int, list[OrderPromotion]]:
    """Upsert the promotions of `orders` and their line and unit allocations, a page of orders
    at a time: one lookup of the shop's discounts, one upsert of promotions and one of line
    allocations (`kernel.bulk.insert`: `ON CONFLICT ... DO UPDATE` on the unique keys, both databases), so
    recording costs a few queries per page, not per order, and a replayed order is brought up
    to date in the same statements. `lines` ({order pk: its OrderItems}, as `orders.hooks`
    hands them over) spares reading the lines; without it they are read in one query. Returns
    each order's promotion rows."""
    orders = [order for order in orders if order.promotions]
    if not orders:
        return {}
    by_shop: dict = {}
    rows: dict[int, dict[str, OrderPromotion]] = {}
    for order in orders:
        if order.shop_id not in by_shop:
            by_shop[order.shop_id] = _discount_ids(order.shop_id)
        ours, codes = by_shop[order.shop_id]
        mine = rows.setdefault(order.pk, {})
        for promo in order.promotions:
            pid = str(promo.get("promotion_id") or "")
            if pid:  # a promotion listed twice: the last one wins, as row-by-row upserts had it
                mine[pid] = OrderPromotion(order=order, promotion_id=pid,
                                           **_promotion_fields(promo, order.currency, ours, codes))
    bulk.insert(OrderPromotion, [row for mine in rows.values() for row in mine.values()],
                unique_fields=["order", "promotion_id"], update_fields=PROMOTION_FIELDS)
    if lines is None:
        prefetch_related_objects(orders, "items")
        lines = {order.pk: order.items.all() for order in orders}
    allocations: dict[tuple[int, int], LineAllocation] = {}
    for order in orders:
        for item in lines.get(order.pk, ()):
            for row, amount, units in _line_allocations(item, rows[order.pk], order.currency):
                allocations[(row.pk, item.pk)] = LineAllocation(promotion=row, item=item, amount_minor=amount,
                                                                unit_minor=units)
    bulk.insert(LineAllocation, allocations.values(), unique_fields=["promotion", "item"],
                update_fields=["amount_minor", "unit_minor"])
    return {pk: list(mine.values()) for pk, mine in rows.items()}


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
