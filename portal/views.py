from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from catalog import summary as catalog_summary
from orders.listing import recent_action_counts
from portal.health import health
from shops import links
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
    cms = connection.commerce_merchant_settings_id if connection else ""
    return render(request, "portal/dashboard.html", {
        "shop": shop, "connection": connection, "order_counts": recent_action_counts(shop),
        "catalog": catalog_summary.at_a_glance(shop),
        "shop_insights_url": links.shop_insights(cms), "shop_look_url": links.shop_look(cms)})


@shop_view
def meta_tools(request, shop):
    """The seller's Meta-only jobs (MISSION.md): each with why, its link at Meta and, where Meta
    shares one, the figure the daily tasks stored (never read from Meta here)."""
    from ads.figures import headline
    from ads.models import AdsSettings
    from metatools import figures
    from metatools.jobs import JOBS
    from metatools.models import ShopFigures

    connection = getattr(shop, "meta_connection", None)
    stored = figures.shown(ShopFigures.objects.filter(shop=shop).first())
    urls = links.for_connection(connection, instagram_username=stored["ig_followers"].get("username", ""))
    prefs = AdsSettings.objects.filter(shop=shop).first()
    return render(request, "portal/meta_tools.html", {
        "shop": shop, "connected": bool(connection and connection.is_connected), "figures": stored,
        "ads": headline(prefs) if prefs else {}, "top_products": figures.top_products(shop),
        "jobs": [{"key": job.key, "title": job.title, "why": job.why, "cta": job.cta, "url": urls[job.key]}
                 for job in JOBS],
    })


@shop_view
@require_POST
def meta_tools_refresh(request, shop):
    """"Refresh from Meta": the organic and the ads figures are read now, by tasks."""
    from metatools.tasks import queue_read

    connection = getattr(shop, "meta_connection", None)
    if connection is None or not connection.is_connected:
        messages.error(request, _("Connect the shop to Meta first."))
        return redirect("meta_tools", shop_id=shop.pk)
    queue_read(shop.pk)
    async_task("ads.tasks.read_figures", shop.pk, group="ads.read_figures")
    messages.success(request, _("Reading Meta's figures now; this page shows them in a moment."))
    return redirect("meta_tools", shop_id=shop.pk)


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
