from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from catalog import sets
from catalog.forms import ProductSetForm
from catalog.models import ProductSet
from shops.tenancy import get_for_shop, shop_view


@shop_view
def set_list(request, shop):
    product_sets = (ProductSet.objects.live().filter(shop=shop).select_related("shop")
                    .annotate(picked=Count("products", filter=Q(products__deleted_at__isnull=True))))
    return render(request, "catalog/sets.html", {"shop": shop, "product_sets": product_sets})


def _form_page(request, shop, product_set: ProductSet | None):
    form = ProductSetForm(request.POST or None, instance=product_set, shop=shop,
                          readonly=not request.membership.can_write)
    if request.method == "POST" and form.is_valid():
        saved = sets.save_product_set(shop, product_set.pk if product_set else None, values=form.values(),
                                      picked_ids=form.picked_ids(), actor=request.user)
        messages.success(request, _("Product set saved. It will be sent to Meta with the next sync."))
        return redirect("catalog:set_edit", shop_id=shop.pk, set_id=saved.pk)
    context = {"shop": shop, "form": form, "product_set": product_set}
    if product_set is not None:
        context |= {
            "member_count": sets.members(product_set).count(),
            "sample": sets.members(product_set).order_by("-pk")[:10],
            "meta_filter": json.dumps(sets.meta_filter(product_set), ensure_ascii=False),
        }
    return render(request, "catalog/set_form.html", context)


@shop_view
def set_new(request, shop):
    return _form_page(request, shop, None)


@shop_view
def set_edit(request, shop, set_id):
    return _form_page(request, shop, get_for_shop(ProductSet.objects.live(), shop, pk=set_id))


@shop_view
def set_delete(request, shop, set_id):
    product_set = get_for_shop(ProductSet.objects.live(), shop, pk=set_id)
    if request.method == "POST":
        sets.delete_product_set(shop, product_set, actor=request.user)
        messages.success(request, _("Product set “%(name)s” deleted.") % {"name": product_set.name})
        return redirect("catalog:sets", shop_id=shop.pk)
    return render(request, "catalog/set_delete.html", {"shop": shop, "product_set": product_set})
