from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from orders.listing import action_counts
from portal.health import health
from shops.tenancy import last_shop_id, shop_view


@login_required
def home(request):
    """Send the user to the shop they used last, or their first shop."""
    shop_ids = list(request.user.memberships.order_by("shop__name", "shop_id").values_list("shop_id", flat=True))
    if not shop_ids:
        return render(request, "portal/no_shop.html")
    last = last_shop_id(request)
    return redirect("dashboard", shop_id=last if last in shop_ids else shop_ids[0])


@shop_view
def dashboard(request, shop):
    connection = getattr(shop, "meta_connection", None)
    return render(request, "portal/dashboard.html", {
        "shop": shop, "connection": connection, "order_counts": action_counts(shop)})


@never_cache
@require_GET
def healthz(request):
    ok, checks = health()
    return JsonResponse({"status": "ok" if ok else "unhealthy", "checks": checks}, status=200 if ok else 503)
