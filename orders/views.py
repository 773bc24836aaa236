from __future__ import annotations

from django.shortcuts import render

from portal.tenancy import shop_view


@shop_view
def index(request, shop):
    return render(request, "orders/index.html", {"shop": shop})


@shop_view
def payments(request, shop):
    return render(request, "orders/payments.html", {"shop": shop})
