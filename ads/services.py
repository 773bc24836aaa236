"""State changes of the ads app's settings (audited, with the acting user)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ads.models import AdsSettings
from shops import audit

SETTINGS_FIELDS = ("test_event_code", "limited_data_use")


def create_settings(sender=None, shop=None, **kwargs) -> None:
    """`shops.signals.shop_created` receiver: the shop's ads settings come with the shop."""
    AdsSettings.objects.get_or_create(shop=shop)


def settings_for(shop_or_id) -> AdsSettings:
    """The shop's ads settings (made with the shop; reading them never writes)."""
    return AdsSettings.objects.get(shop_id=getattr(shop_or_id, "pk", shop_or_id))


@transaction.atomic
def update_settings(shop, *, values: Mapping[str, Any], actor=None) -> AdsSettings:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not ads settings: {sorted(unknown)}")
    prefs = AdsSettings.objects.select_for_update().get(shop=shop)
    before = audit.snapshot(prefs, values)
    for name, value in values.items():
        setattr(prefs, name, value)
    changes = audit.diff(before, audit.snapshot(prefs, values))
    if changes:
        prefs.save()
        audit.record(shop, actor, "ads.settings", target=prefs, changes=changes)
    return prefs
