"""State changes of the promotions app: discounts created, edited and ended; the shop's source
of truth for discounts. Each change in one transaction; a change the offers feed must carry asks
for a sync (promotions.sync) once it commits."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from promotions.models import Discount, PromotionSettings
from promotions.sync import request_sync, settings_for


def _state_for(shop) -> str:
    return Discount.SyncState.PENDING if settings_for(shop).syncs_to_meta else Discount.SyncState.LOCAL


@transaction.atomic
def save_discount(shop, form) -> Discount:
    """Create or update a discount from a valid `DiscountForm`; it waits for the next sync."""
    discount = form.save(commit=False)
    discount.shop = shop
    discount.currency = shop.currency
    discount.sync_state = _state_for(shop)
    discount.sync_errors = []
    discount.save()
    form.save_m2m()
    if discount.sync_state == Discount.SyncState.PENDING:
        request_sync(shop.pk)
    return discount


@transaction.atomic
def end_discount(shop, discount_id: int) -> Discount:
    """End a discount now (Meta receives its end date with the next upload)."""
    discount = Discount.objects.select_for_update().get(shop=shop, pk=discount_id)
    if discount.status() == "ended":
        return discount
    now = timezone.now()
    discount.ended_at = now
    if discount.ends_at is None or discount.ends_at > now:
        discount.ends_at = max(now, discount.starts_at)
    discount.sync_state = _state_for(shop)
    discount.save(update_fields=["ended_at", "ends_at", "sync_state", "updated_at"])
    if discount.sync_state == Discount.SyncState.PENDING:
        request_sync(shop.pk)
    return discount


@transaction.atomic
def set_source(shop, source: str) -> PromotionSettings:
    """Choose where the shop's discounts are managed. Back to this portal: every discount is sent
    again; to Commerce Manager: nothing more is sent (what Meta has stays until changed there)."""
    prefs = settings_for(shop)
    prefs = PromotionSettings.objects.select_for_update().get(pk=prefs.pk)
    if prefs.source == source:
        return prefs
    prefs.source = source
    prefs.last_upload_hash = ""
    prefs.save(update_fields=["source", "last_upload_hash", "updated_at"])
    if prefs.syncs_to_meta:
        Discount.objects.filter(shop=shop).update(sync_state=Discount.SyncState.PENDING, sync_errors=[])
        request_sync(shop.pk)
    else:
        Discount.objects.filter(shop=shop).update(sync_state=Discount.SyncState.LOCAL)
    return prefs
