"""Seller pages of promotions: the discounts list, create / edit / end, and where discounts are
managed. Thin views: scoped fetch, bound form, one service call, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel import shopcache
from orders.models import Order
from promotions import services
from promotions.forms import DiscountForm, SourceForm
from promotions.models import Discount, OfferUpload, OrderPromotion
from promotions.sync import settings_for
from shops import links
from shops.tenancy import get_for_shop, shop_view


def _context(shop, **extra) -> dict:
    prefs = settings_for(shop)
    conn = getattr(shop, "meta_connection", None)
    cms_id = getattr(conn, "commerce_merchant_settings_id", "") if conn else ""
    return {"shop": shop, "prefs": prefs, "cm_url": links.discounts(cms_id) if cms_id else "",
            "connected": bool(conn and conn.catalog_id and conn.has_token), **extra}


#: "Promotions on your recent orders" reads the promotions of this many newest orders (the
#: shop's `(shop, -id)` index), not of the shop's whole history.
RECENT_ORDERS = 2000


@shop_view
def index(request, shop):
    discounts = list(Discount.objects.filter(shop=shop).select_related("product_set").order_by("-starts_at", "-pk"))
    last_upload = OfferUpload.objects.filter(shop=shop).first()
    return render(request, "promotions/index.html", _context(
        shop, discounts=discounts, last_upload=last_upload, recent_orders=RECENT_ORDERS,
        seen_on_orders=shopcache.remember(shop.pk, "promotions.seen_on_orders", lambda: _seen_on_orders(shop))))


def _seen_on_orders(shop) -> list[dict]:
    """The promotions Meta applied to the shop's `RECENT_ORDERS` newest orders (distinct, 20 at most)."""
    recent = Order.objects.filter(shop=shop).order_by("-pk").values("pk")[:RECENT_ORDERS]
    return list(OrderPromotion.objects.filter(order_id__in=recent)
                .values("campaign_name", "sponsor", "granularity", "target_type", "coupon_code")
                .order_by("campaign_name").distinct()[:20])


@shop_view
def create(request, shop):
    form = DiscountForm(request.POST or None, shop=shop)
    if request.method == "POST" and form.is_valid():
        discount = services.save_discount(shop, values=form.values(), product_ids=form.product_ids(),
                                          actor=request.user)
        messages.success(request, _("Discount saved.") + " " + _sync_note(shop))
        return redirect("promotions:edit", shop.pk, discount.pk)
    return render(request, "promotions/discount_form.html", _context(shop, form=form, discount=None))


@shop_view
def edit(request, shop, discount_id: int):
    discount = get_for_shop(Discount, shop, pk=discount_id)
    form = DiscountForm(request.POST or None, instance=discount, shop=shop)
    if request.method == "POST" and form.is_valid():
        services.save_discount(shop, discount.pk, values=form.values(), product_ids=form.product_ids(),
                               actor=request.user)
        messages.success(request, _("Discount saved.") + " " + _sync_note(shop))
        return redirect("promotions:edit", shop.pk, discount.pk)
    return render(request, "promotions/discount_form.html", _context(shop, form=form, discount=discount))


@shop_view
def end(request, shop, discount_id: int):
    discount = get_for_shop(Discount, shop, pk=discount_id)
    if request.method == "POST":
        services.end_discount(shop, discount.pk, actor=request.user)
        messages.success(request, _("The discount has ended.") + " " + _sync_note(shop))
        return redirect("promotions:index", shop.pk)
    return render(request, "promotions/end.html", _context(shop, discount=discount))


@shop_view
def settings_page(request, shop):
    prefs = settings_for(shop)
    form = SourceForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        services.set_source(shop, form.cleaned_data["source"], actor=request.user)
        messages.success(request, _("Saved."))
        return redirect("promotions:settings", shop.pk)
    return render(request, "promotions/settings.html", _context(shop, form=form))


@shop_view
@require_POST
def sync_now(request, shop):
    if services.sync_now(shop, actor=request.user):
        messages.success(request, _("Discounts are being sent to Meta."))
    return redirect("promotions:index", shop.pk)


def _sync_note(shop) -> str:
    if settings_for(shop).syncs_to_meta:
        return _("It is being sent to Meta.")
    return _("Commerce Manager manages your discounts at Meta: create the same discount there.")
