"""State changes of the promotions app: discounts created, edited and ended; the shop's source
of truth for discounts. Each takes plain values and the acting user (`actor`; None is the
system) and writes its audit event in its transaction; a change the offers feed must carry asks
for a sync (promotions.sync) once it commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from promotions.models import Discount, PromotionSettings
from promotions.sync import request_sync, settings_for
from shops import audit

#: What a seller sets on a discount (`DiscountForm.values()`): amounts in minor units of the
#: shop's currency, the product set by id. The targeted products travel apart, as ids.
DISCOUNT_FIELDS = (
    "title", "kind", "percent_off", "amount_off_minor", "level", "target", "product_set_id", "buy_quantity",
    "get_quantity", "application", "coupon_code", "coupon_public", "min_subtotal_minor", "min_quantity", "starts_at",
    "ends_at", "usage_limit", "limit_per_buyer", "exclude_sale_items",
)


def _state_for(shop) -> str:
    return Discount.SyncState.PENDING if settings_for(shop).syncs_to_meta else Discount.SyncState.LOCAL


@transaction.atomic
def save_discount(shop, discount_id: int | None = None, *, values: Mapping[str, Any],
                  product_ids: Iterable[int] = (), actor=None) -> Discount:
    """Create (no `discount_id`) or update a discount from plain values (`DISCOUNT_FIELDS`) and,
    for a discount on listed products, their ids; it waits for the next sync."""
    from catalog.models import Product, ProductSet

    unknown = set(values) - set(DISCOUNT_FIELDS)
    if unknown:
        raise ValueError(f"not discount fields: {sorted(unknown)}")
    set_id = values.get("product_set_id")
    if set_id is not None and not ProductSet.objects.live().filter(shop=shop, pk=set_id).exists():
        raise ValueError("the product set is not one of this shop's")
    if discount_id is None:
        discount, before = Discount(shop=shop), None
    else:
        discount = Discount.objects.select_for_update().get(shop=shop, pk=discount_id)
        before = {**audit.snapshot(discount, values), "products": sorted(discount.products.values_list("pk", flat=True))}
    for name, value in values.items():
        setattr(discount, name, value)
    discount.currency = shop.currency
    discount.sync_state = _state_for(shop)
    discount.sync_errors = []
    discount.save()
    products = []
    if discount.target == Discount.Target.PRODUCTS:
        products = list(Product.objects.filter(shop=shop, pk__in=list(product_ids), deleted_at__isnull=True))
    discount.products.set(products)
    after = {**audit.snapshot(discount, values), "products": sorted(p.pk for p in products)}
    if before is None:
        audit.record(shop, actor, "discount.create", target=discount, summary=discount.title, changes=after)
    else:
        audit.record(shop, actor, "discount.update", target=discount, summary=discount.title,
                     changes=audit.diff(before, after))
    if discount.sync_state == Discount.SyncState.PENDING:
        request_sync(shop.pk)
    return discount


@transaction.atomic
def end_discount(shop, discount_id: int, *, actor=None) -> Discount:
    """End a discount now (Meta receives its end date with the next upload)."""
    discount = Discount.objects.select_for_update().get(shop=shop, pk=discount_id)
    if discount.status() == "ended":
        return discount
    now = timezone.now()
    before = audit.snapshot(discount, ["ends_at"])
    discount.ended_at = now
    if discount.ends_at is None or discount.ends_at > now:
        discount.ends_at = max(now, discount.starts_at)
    discount.sync_state = _state_for(shop)
    discount.save(update_fields=["ended_at", "ends_at", "sync_state", "updated_at"])
    audit.record(shop, actor, "discount.end", target=discount, summary=discount.title,
                 changes=audit.diff(before, audit.snapshot(discount, ["ends_at"])))
    if discount.sync_state == Discount.SyncState.PENDING:
        request_sync(shop.pk)
    return discount


@transaction.atomic
def set_source(shop, source: str, *, actor=None) -> PromotionSettings:
    """Choose where the shop's discounts are managed. Back to this portal: every discount is sent
    again; to Commerce Manager: nothing more is sent (what Meta has stays until changed there)."""
    prefs = settings_for(shop)
    prefs = PromotionSettings.objects.select_for_update().get(pk=prefs.pk)
    if prefs.source == source:
        return prefs
    audit.record(shop, actor, "promotions.set_source", target=prefs, changes={"source": [prefs.source, source]})
    prefs.source = source
    prefs.last_upload_hash = ""
    prefs.save(update_fields=["source", "last_upload_hash", "updated_at"])
    if prefs.syncs_to_meta:
        Discount.objects.filter(shop=shop).update(sync_state=Discount.SyncState.PENDING, sync_errors=[])
        request_sync(shop.pk)
    else:
        Discount.objects.filter(shop=shop).update(sync_state=Discount.SyncState.LOCAL)
    return prefs


@transaction.atomic
def sync_now(shop, *, actor=None) -> bool:
    """"Send to Meta now": ask for a sync when this portal manages the discounts. Returns
    False (and changes nothing) when Commerce Manager manages them."""
    if not settings_for(shop).syncs_to_meta:
        return False
    request_sync(shop.pk)
    audit.record(shop, actor, "promotions.sync", summary="sync requested")
    return True
