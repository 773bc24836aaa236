from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
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


@require_GET
def login_short(request):
    """/login/, the address people type, is the login page; a safe `next` goes along, the rest is dropped."""
    target = reverse("login")
    after = request.GET.get("next", "")
    if after and len(after) <= 2000 and url_has_allowed_host_and_scheme(after, allowed_hosts={request.get_host()}):
        target = f"{target}?{urlencode({'next': after})}"
    return redirect(target)


@never_cache
@require_GET
def healthz(request):
    ok, checks = health()
    return JsonResponse({"status": "ok" if ok else "unhealthy", "checks": checks}, status=200 if ok else 503)
