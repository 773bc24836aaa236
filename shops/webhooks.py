"""Handler of Meta's `fbe_install` webhook (object `user`), registered in ShopsConfig.ready().

Meta sends it when a seller installs or removes the Facebook Business Extension. The value's
`business_id` is our `external_business_id`. A value without `access_token` means the seller
uninstalled at Meta: the shop is disconnected (token wiped, data kept) and gets an issue with
a Reconnect button. A value with a token is only a hint: a connected shop's health check
re-reads the truth; we never take a token from a webhook (the seller's connect through the
portal's callback is the one way in).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django_q.tasks import async_task

from graph import webhooks
from shops import services
from shops.models import MetaConnection, Shop

log = logging.getLogger(__name__)


@webhooks.register("user", "fbe_install")
def fbe_install(event) -> str:
    value = event.value or {}
    if not isinstance(value, dict):
        return "ignored: value is not an object"
    external_id = str(value.get("business_id") or value.get("external_business_id") or "")
    shop = Shop.objects.filter(external_business_id=external_id).first() if external_id else None
    if shop is None:
        return f"ignored: no shop with external business id {external_id!r}"
    if not value.get("access_token"):
        changed = services.mark_uninstalled_at_meta(shop)
        return "uninstalled: shop disconnected" if changed else "uninstalled: already disconnected"
    conn = MetaConnection.objects.filter(shop=shop).first()
    if conn is not None and conn.status in (MetaConnection.Status.CONNECTED, MetaConnection.Status.NEEDS_RECONNECT) \
            and conn.has_token:
        transaction.on_commit(lambda: async_task("shops.tasks.check_shop_health", shop.pk, group="shops.health"), robust=True)
        return "installed: health check queued"
    return "installed: shop not connected through the portal yet; nothing to do"
