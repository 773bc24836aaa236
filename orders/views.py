"""Order pages: the list, an order, the ingestion ledger, "Check now" and the CSV export.

Seller actions (ship, cancel, refund, returns) are in orders/views_actions.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from kernel.money import Money
from orders import hooks, listing, states
from orders.forms import OrderFilterForm
from orders.models import (
    Cancellation,
    IngestRun,
    MetaPush,
    Order,
    OrderEvent,
    OrderFeed,
    OrderItem,
    Refund,
    Return,
    Shipment,
)
from shops.tenancy import get_for_shop, shop_view


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _connection(shop):
    return getattr(shop, "meta_connection", None)


@shop_view
def index(request, shop):
    filters = OrderFilterForm(request.GET or None)
    values = filters.filters()
    orders = listing.filtered_orders(shop, values)
    page = listing.page(orders, after=_int(request.GET.get("after")), before=_int(request.GET.get("before")))
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    conn = _connection(shop)
    return render(request, "orders/index.html", {
        "shop": shop,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "filtered": bool(values),
        "view": values.get("view", ""),
        "counts": listing.recent_action_counts(shop),
        "feed": OrderFeed.objects.filter(shop=shop).first(),
        "last_run": IngestRun.objects.filter(shop=shop).first(),
        "connected": bool(conn and conn.is_connected and conn.commerce_merchant_settings_id),
    })


@require_POST
@shop_view
def check_now(request, shop):
    """Poll Meta for this shop now (a task; a poll already running is left to finish)."""
    conn = _connection(shop)
    if not (conn and conn.is_connected and conn.commerce_merchant_settings_id):
        messages.error(request, _("Connect the shop to Meta first: there is no commerce account to check."))
        return redirect("orders:index", shop_id=shop.pk)
    OrderFeed.objects.filter(shop=shop).update(poll_requested_at=timezone.now())
    async_task("orders.tasks.poll", shop.pk, True, group="orders.poll")
    messages.success(request, _("Checking Meta for new and changed orders. This page shows them as they arrive."))
    return redirect("orders:index", shop_id=shop.pk)


@shop_view
def export(request, shop):
    filters = OrderFilterForm(request.GET or None)
    orders = listing.filtered_orders(shop, filters.filters())
    response = StreamingHttpResponse(listing.csv_rows(orders), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="orders-{shop.pk}-{timezone.now():%Y%m%d}.csv"'
    return response


@shop_view
def ingest_log(request, shop):
    return render(request, "orders/ingest.html", {
        "shop": shop,
        "runs": IngestRun.objects.filter(shop=shop)[:100],
        "feed": OrderFeed.objects.filter(shop=shop).first(),
    })


def order_for_page(shop, order_id: int) -> Order:
    # The shop's order feed comes in the order's query (whether Meta removed its order API); the
    # lines with their products in one query.
    queryset = Order.objects.select_related("shop__order_feed").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product")),
        Prefetch("shipments", queryset=Shipment.objects.select_related("push").prefetch_related(
            "items__item", "tracking_updates__push")),
        Prefetch("cancellations", queryset=Cancellation.objects.select_related("push").prefetch_related("items__item")),
        Prefetch("refunds", queryset=Refund.objects.select_related("push", "ret").prefetch_related("items__item")),
        Prefetch("returns", queryset=Return.objects.prefetch_related("items__item", "decisions__push")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("push")),
    )
    return get_for_shop(queryset, shop, pk=order_id)


@shop_view
def detail(request, shop, order_id: int):
    order = order_for_page(shop, order_id)
    refunds = list(order.refunds.all())
    refunded = sum(r.total_minor for r in refunds)
    return render(request, "orders/detail.html", {
        "shop": shop,
        "order": order,
        "items": list(order.items.all()),
        "events": list(order.events.all()),
        "refunded": Money(refunded, order.currency),
        "can": {action: states.allowed(order, action) for action in states.ACTIONS},
        "has_to_ship": order.units_to_ship > 0,
        # `failed_pushes` counts them (orders.push keeps it): no query for the many orders without
        "failed_pushes": list(MetaPush.objects.filter(order=order, state="failed")) if order.failed_pushes else [],
        "feed": getattr(order.shop, "order_feed", None),
        "money_checks": list(order.money_checks.filter(resolved_at=None).select_related("item"))
        if request.user.is_staff else [],
        "panels": hooks.detail_panels(order),
    })


