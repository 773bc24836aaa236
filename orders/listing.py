"""The orders list: quick views, filters, search and keyset pagination.

Index plan (Order.Meta.indexes), built for a million orders per shop:
- Every list is `WHERE shop_id = ? [AND …] [AND id < ?] ORDER BY id DESC LIMIT 51`: no OFFSET, so
  page 20,000 costs what page 1 costs, and no total count over the whole shop.
- Quick views use partial indexes that hold only the rows they show: to acknowledge
  (`state = CREATED`), to ship (`IN_PROGRESS AND units_to_ship > 0`), returns waiting
  (`open_returns > 0`), sync failed (`failed_pushes > 0`); their counts are cheap for the same
  reason.
- Status and channel: `(shop, state, -id)`, `(shop, channel, -id)`; dates: `(shop, placed_at)`.
- Search, exact matches first: one query asks the unique indexes for a Meta order id or our
  reference and `orders_item_retailer` for a retailer id (a few rows at most); only when none
  matches does the list become a buyer-name `contains` search. On PostgreSQL the trigram index
  `orders_order_buyer_trgm` (migration 0007) finds a rare name without a scan; a common name is
  met within the first rows of the id order anyway. On SQLite (the embedded demo) it scans.
- The quick-view counts (`action_counts`) and the issue cards read only the rows of those
  partial indexes (their conditions OR-ed, a BitmapOr on PostgreSQL), never the whole history.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from catalog.csv_io import safe_cell
from kernel import shopcache
from orders.models import Order, OrderItem

PAGE_SIZE = 50

VIEWS = {
    "to_ack": Q(state=Order.State.CREATED),
    "to_ship": Q(state=Order.State.IN_PROGRESS, units_to_ship__gt=0),
    "returns": Q(open_returns__gt=0),
    "failed": Q(failed_pushes__gt=0),
    "ack_failed": Q(state=Order.State.CREATED, ack_state=Order.AckState.FAILED),
    "processing": Q(state=Order.State.FB_PROCESSING),
}


def filtered_orders(shop, filters: dict):
    orders = Order.objects.filter(shop=shop)
    if (view := filters.get("view")) in VIEWS:
        orders = orders.filter(VIEWS[view])
    if state := filters.get("state"):
        orders = orders.filter(state=state)
    if channel := filters.get("channel"):
        orders = orders.filter(channel=channel)
    tz = timezone.get_current_timezone()
    if placed_from := filters.get("placed_from"):
        orders = orders.filter(placed_at__gte=timezone.make_aware(datetime.combine(placed_from, time.min), tz))
    if placed_to := filters.get("placed_to"):
        orders = orders.filter(placed_at__lte=timezone.make_aware(datetime.combine(placed_to, time.max), tz))
    if q := (filters.get("q") or "").strip():
        by_order, by_item = exact_matches(shop, q)
        if by_order is not None:
            orders = orders.filter(by_order)
        elif by_item is not None:
            orders = orders.filter(pk__in=by_item.values("order_id"))
        else:
            orders = orders.filter(buyer_name__icontains=q)
    return orders


def exact_matches(shop, q: str):
    """(orders condition, items queryset), at most one of them not None: what `q` exactly
    names (a Meta order id or our reference, else a line's retailer id), asked in one query of
    two index probes that stop at their first row."""
    from shops.models import Shop

    by_order = Q(meta_order_id=q) | Q(reference=q.upper())
    by_item = OrderItem.objects.filter(order__shop=shop, retailer_id=q)
    order_hit, item_hit = Shop.objects.filter(pk=shop.pk).values_list(
        Exists(Order.objects.filter(shop=shop).filter(by_order)), Exists(by_item)).get()
    if order_hit:
        return by_order, None
    return None, (by_item if item_hit else None)


ACTION_VIEWS = ("to_ack", "to_ship", "returns", "failed")


def action_counts(shop) -> dict[str, int]:
    """Orders to acknowledge, to ship, with returns waiting, and with failed changes: only the
    rows of the views' partial indexes are read."""
    any_action = Q()
    for name in ACTION_VIEWS:
        any_action |= VIEWS[name]
    return Order.objects.filter(shop=shop).filter(any_action).aggregate(
        **{name: Count("pk", filter=VIEWS[name]) for name in ACTION_VIEWS})


def recent_action_counts(shop) -> dict[str, int]:
    """`action_counts` as read at most a minute ago (kernel.shopcache: a seller's change or the
    end of a job of the shop reads them anew): the quick views and the dashboard card."""
    return shopcache.remember(shop.pk, "orders.action_counts", lambda: action_counts(shop))


@dataclass
class Page:
    orders: list[Order]
    next_after: int | None
    prev_before: int | None


def page(orders, *, after: int | None = None, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page, newest first; `units` (items ordered) of the page come in one extra query."""
    if before is not None:
        rows = list(orders.filter(id__gt=before).order_by("id")[: size + 1])
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        result = Page(rows, rows[-1].pk if rows else None, rows[0].pk if more_newer and rows else None)
    else:
        if after is not None:
            orders = orders.filter(id__lt=after)
        rows = list(orders.order_by("-id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        result = Page(rows, rows[-1].pk if more else None, rows[0].pk if after is not None and rows else None)
    units = dict(OrderItem.objects.filter(order_id__in=[o.pk for o in rows]).values("order_id")
                 .annotate(n=Sum("quantity")).values_list("order_id", "n"))
    for order in rows:
        order.units = units.get(order.pk, 0)
    return result


class _Echo:
    def write(self, value):
        return value


CSV_COLUMNS = ["reference", "meta_order_id", "placed_at", "channel", "state", "buyer", "units", "currency",
               "items_subtotal", "shipping", "tax", "total", "units_to_ship", "open_returns"]


def csv_rows(orders):
    """The CSV export, row by row (streamed; amounts as plain decimals in the order's currency)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    units = (OrderItem.objects.filter(order=OuterRef("pk")).values("order").annotate(n=Sum("quantity"))
             .values("n"))
    rows = orders.order_by("-id").annotate(units=Subquery(units, output_field=IntegerField())).iterator(
        chunk_size=2000)
    for order in rows:
        yield writer.writerow([
            safe_cell(order.reference), safe_cell(order.meta_order_id), order.placed_at.isoformat(),
            safe_cell(order.channel), safe_cell(order.state), safe_cell(order.buyer_name), order.units or 0, order.currency, order.items_subtotal.to_decimal_str(),
            order.shipping.to_decimal_str(), order.tax.to_decimal_str(), order.total.to_decimal_str(),
            order.units_to_ship, order.open_returns,
        ])
