from __future__ import annotations

from django.shortcuts import render

from portal.tenancy import shop_view


@shop_view
def index(request, shop):
    return render(request, "promotions/index.html", {"shop": shop})
