"""The sync panel (catalog overview), its polled fragment, the run history and "Sync now"."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import SyncRun
from catalog.sync import panel
from shops.tenancy import shop_view


@shop_view
def sync_panel(request, shop):
    """The panel alone, polled (htmx) while a sync works."""
    response = render(request, "catalog/_sync_panel.html", {"shop": shop, **panel.panel_context(shop)})
    return response


@shop_view
def sync_history(request, shop):
    runs = SyncRun.objects.filter(shop=shop).select_related("requested_by")[:100]
    return render(request, "catalog/sync_history.html", {"shop": shop, "runs": runs})


@require_POST
@shop_view
def sync_now(request, shop):
    outcome = panel.sync_now(shop, user=request.user)
    if outcome == "not connected":
        messages.error(request, _("Connect the shop to Meta first; then its catalog is kept in sync."))
    elif outcome == "running":
        messages.info(request, _("A sync is already running; your changes are sent with it or right after it."))
    else:
        messages.success(request, _("Sync started. Follow its progress below."))
    return redirect("catalog:index", shop_id=shop.pk)
