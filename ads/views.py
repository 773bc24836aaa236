from __future__ import annotations

from django.shortcuts import render

from shops.tenancy import shop_view


@shop_view
def index(request, shop):
    return render(request, "ads/index.html", {"shop": shop})
