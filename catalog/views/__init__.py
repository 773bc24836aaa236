"""Seller pages of the catalog. Every view is `shop_view`-scoped; objects come via `get_for_shop`."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import get_language

from catalog import summary
from catalog.issues import catalog_issue_cards
from catalog.models import ImportJob
from kernel import shopcache
from shops.tenancy import shop_view


@shop_view
def index(request, shop):
    counts = summary.recent_counts(shop)
    from catalog.sync.panel import panel_context

    context = {
        **panel_context(shop, counts=counts),
        "shop": shop,
        "counts": counts,
        "cards": shopcache.remember(shop.pk, f"catalog.issue_cards:{get_language()}", lambda: catalog_issue_cards(shop)),
        "imports": ImportJob.objects.filter(shop=shop).defer("content", "errors", "warnings", "preview")[:3],
    }
    return render(request, "catalog/index.html", context)
