from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog import hooks, listing, services, sets
from catalog.forms import BulkActionForm, ProductFilterForm, ProductForm, product_form_data, shop_timezone
from catalog.issues import field_label, open_issue_codes
from catalog.models import Product, ProductSet
from shops.tenancy import get_for_shop, shop_view


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@shop_view
def product_list(request, shop):
    filters = ProductFilterForm(request.GET or None, issue_codes=open_issue_codes(shop))
    products = listing.filtered_products(shop, filters.filters())
    page = listing.page(products, after=_int(request.GET.get("after")), before=_int(request.GET.get("before")))
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    return render(request, "catalog/product_list.html", {
        "shop": shop,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "filtered": any(filters.filters().values()),
        "bulk": BulkActionForm(shop=shop),
        "picked_sets": ProductSet.objects.live().filter(shop=shop, kind=ProductSet.Kind.PICKED),
    })


def _back_to(request, shop) -> str:
    """Where a bulk action returns: the list page it came from (`next`, a path on this site), else
    the product list. Anything else in `next` is ignored."""
    back = request.POST.get("next", "")
    if (back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                                   require_https=False)):
        return back
    return reverse("catalog:products", args=[shop.pk])


@require_POST
@shop_view
def bulk_action(request, shop):
    form = BulkActionForm(request.POST, shop=shop)
    back = _back_to(request, shop)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    action, products = form.cleaned_data["action"], form.cleaned_data["products"]
    if action in ("archive", "unarchive"):
        status = Product.Status.ARCHIVED if action == "archive" else Product.Status.ACTIVE
        n = services.set_status(shop, products, status, actor=request.user)
    elif action == "set_availability":
        n = services.set_availability(shop, products, form.cleaned_data["availability"], actor=request.user)
    elif action == "add_to_set":
        n = sets.add_products(shop, form.cleaned_data["product_set"], products, actor=request.user)
    else:
        n = sets.remove_products(shop, form.cleaned_data["product_set"], products, actor=request.user)
    messages.success(request, ngettext("%(n)d product changed; it will be synced to Meta.",
                                       "%(n)d products changed; they will be synced to Meta.", n) % {"n": n})
    return HttpResponseRedirect(back)


@shop_view
def product_new(request, shop):
    initial, original = {}, None
    source = _int(request.GET.get("variant_of"))
    if source is not None:
        original = get_for_shop(Product.objects.live(), shop, pk=source)
        initial = product_form_data(original)
        initial.update(retailer_id="", item_group_id=original.item_group_id or original.retailer_id)
    with shop_timezone(shop):
        form = ProductForm(request.POST or None, shop=shop, initial=initial, readonly=not request.membership.can_write)
        if request.method == "POST" and form.is_valid():
            product = services.save_product(shop, values=form.values(),
                                            variant_of_id=original.pk if original else None, actor=request.user)
            messages.success(request, _("Product created. It will be sent to Meta with the next sync."))
            _warn(request, form)
            return redirect("catalog:product_edit", shop_id=shop.pk, product_id=product.pk)
        return render(request, "catalog/product_form.html", {
            "shop": shop, "form": form, "product": None, "sections": _sections(form, {}), "variant_of": original,
        })


@shop_view
def product_edit(request, shop, product_id):
    product = get_for_shop(Product.objects.live(), shop, pk=product_id)
    focus = request.GET.get("focus", "")
    with shop_timezone(shop):
        form = ProductForm(request.POST or None, instance=product, shop=shop, focus=focus,
                           readonly=not request.membership.can_write)
        if request.method == "POST" and form.is_valid():
            services.save_product(shop, product.pk, values=form.values(), actor=request.user)
            messages.success(request, _("Changes saved. They will be sent to Meta with the next sync."))
            _warn(request, form)
            return redirect("catalog:product_edit", shop_id=shop.pk, product_id=product.pk)
        variants = []
        if product.item_group_id:
            variants = (Product.objects.live().filter(shop=shop, item_group_id=product.item_group_id)
                        .order_by("retailer_id"))
        issues = list(product.issues.open().order_by("severity", "code"))
        by_field: dict[str, list] = {}
        for issue in issues:
            by_field.setdefault(issue.field, []).append(issue)
        return render(request, "catalog/product_form.html", {
            "shop": shop, "form": form, "product": product, "variants": variants, "issues": issues,
            "sections": _sections(form, by_field), "focus_label": field_label(form.focus) if form.focus else "",
            "panels": hooks.product_panels(product),
        })


def _sections(form, issues_by_field: dict[str, list]):
    """[(legend, [(bound field, its open issues)])] for the template."""
    return [(legend, [(bf, issues_by_field.get(bf.name, [])) for bf in fields]) for legend, fields in form.fieldsets()]


def _warn(request, form) -> None:
    for _field, message in form.warnings:
        messages.warning(request, message)


@shop_view
def product_delete(request, shop, product_id):
    product = get_for_shop(Product.objects.live(), shop, pk=product_id)
    if request.method == "POST":
        services.delete_product(shop, product, actor=request.user)
        messages.success(request, _("“%(title)s” deleted. It will be removed from Meta with the next sync.")
                         % {"title": product.title})
        return redirect("catalog:products", shop_id=shop.pk)
    return render(request, "catalog/product_delete.html", {"shop": shop, "product": product})
