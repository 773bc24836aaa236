from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ads import figures, quality, services
from ads.forms import AdsSettingsForm
from ads.models import ServerEvent
from ads.snippet import snippet, urls
from shops import links
from shops.models import ApiKey, MetaConnection
from shops.tenancy import shop_view


def _event_figures(shop) -> dict:
    now = timezone.now()
    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    figures = ServerEvent.objects.filter(shop=shop, queued_at__gte=week).aggregate(
        week=Count("pk"), day=Count("pk", filter=Q(queued_at__gte=day)),
        sent_day=Count("pk", filter=Q(queued_at__gte=day, state=ServerEvent.State.SENT)),
        waiting=Count("pk", filter=Q(state=ServerEvent.State.QUEUED)),
        refused_week=Count("pk", filter=Q(state=ServerEvent.State.REJECTED)),
        expired_week=Count("pk", filter=Q(state=ServerEvent.State.EXPIRED)))
    figures["by_name"] = list(ServerEvent.objects.filter(shop=shop, queued_at__gte=week).values("event_name")
                              .annotate(n=Count("pk")).order_by("-n")[:10])
    figures["refused"] = list(ServerEvent.objects.filter(shop=shop, state=ServerEvent.State.REJECTED)
                              .order_by("-pk")[:5])
    return figures


@shop_view
def index(request, shop):
    prefs = services.settings_for(shop)
    form = AdsSettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        services.update_settings(shop, values=form.values(), actor=request.user)
        messages.success(request, _("Ads settings saved."))
        return redirect("ads:index", shop_id=shop.pk)
    conn = MetaConnection.objects.filter(shop=shop).first()
    pixel_id = conn.pixel_id if conn and conn.is_connected else ""
    days = 28 if request.GET.get("days") == "28" else 7
    meta = figures.meta_quality(prefs)
    own = quality.figures(shop) if pixel_id else []
    for row in own:
        row["meta"] = meta["events"].get(row["event_name"], {})
    return render(request, "ads/index.html", {
        "shop": shop, "form": form, "pixel_id": pixel_id, "prefs": prefs, "connection": conn,
        "snippet": snippet(shop, pixel_id, **dict(zip(("script_url", "tr_url"), urls(request), strict=True)))
        if pixel_id else "",
        "events": _event_figures(shop) if pixel_id else None,
        "quality": own,
        "meta_only": [{"event_name": name, **meta["events"][name]} for name in sorted(meta["events"])
                      if name not in {r["event_name"] for r in own}],
        "share_span": len(quality.KEYS) + 1,
        "meta_quality": meta,
        "chart": figures.chart(prefs, quality.per_day(shop, days=days), days) if pixel_id else None,
        "headline": figures.headline(prefs),
        "keys": ApiKey.objects.filter(shop=shop, revoked_at__isnull=True).count(),
        "events_manager_url": links.events_manager(pixel_id),
        "ads_manager_url": links.ads_manager(conn.ad_account_id if conn else ""),
    })


@shop_view
@require_POST
def link_pixel(request, shop):
    from ads import pixel
    from graph.errors import GraphError

    try:
        linked = pixel.link_pixel(shop, actor=request.user)
    except GraphError as error:
        messages.error(request, _("Meta did not connect the pixel: %(reason)s") % {"reason": error.user_message()})
    else:
        if linked:
            messages.success(request, _("The pixel is connected to your catalog."))
        else:
            messages.error(request, _("Meta accepted the request but does not list the pixel on the catalog yet; "
                                      "we will check again within the hour."))
    return redirect("ads:index", shop_id=shop.pk)


@shop_view
@require_POST
def check_now(request, shop):
    """"Refresh from Meta": the pixel check (set-up, last event, Meta's counts) and the figures
    (Insights, match quality, catalog matches) are read now, by tasks."""
    from django_q.tasks import async_task

    async_task("ads.tasks.check_pixel", shop.pk, group="ads.check_pixel")
    async_task("ads.tasks.read_figures", shop.pk, group="ads.read_figures")
    messages.success(request, _("Reading the pixel's state and Meta's counts now; this page shows them in a moment."))
    return redirect("ads:index", shop_id=shop.pk)
