"""What a seller does with the checkout link: save it, and ask for a check. Each takes plain
values and the acting user and writes its audit event in its transaction (shops.audit)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from shops import audit
from shops.checkout.links import validate_checkout_url
from shops.models import Shop

#: Sent after the commit that changed a shop's checkout link, with `shop_id` and `checkout_url`:
#: what depends on it (a catalog item's `checkout_url`, shops.checkout.links.item_checkout_url)
#: can be marked for its next sync without the shops app knowing the catalog.
checkout_url_changed = Signal()

CHECK_TASK = "shops.tasks.check_checkout_link"
CHECK_GROUP = "shops.checkout"


def _queue_check(shop_id: int) -> None:
    from django_q.tasks import async_task

    async_task(CHECK_TASK, shop_id, group=CHECK_GROUP)


@transaction.atomic
def update_checkout_url(shop: Shop, *, checkout_url: str, actor=None) -> Shop:
    """Save the shop's checkout link (validated again here: "" clears it). A new link forgets
    the last check's result and queues a check of the new one."""
    url = validate_checkout_url(checkout_url)
    locked = Shop.objects.select_for_update().get(pk=shop.pk)
    before = locked.checkout_url
    if url == before:
        return locked
    locked.checkout_url = url
    locked.checkout_checked_at, locked.checkout_ok, locked.checkout_reason = None, None, ""
    locked.checkout_results = []
    locked.checkout_check_requested_at = timezone.now()
    locked.save(update_fields=["checkout_url", "checkout_checked_at", "checkout_ok", "checkout_reason",
                               "checkout_results", "checkout_check_requested_at"])
    audit.record(locked, actor, "shop.update", target=locked, changes={"checkout_url": [before, url]})
    shop_id = locked.pk
    transaction.on_commit(lambda: _queue_check(shop_id), robust=True)
    transaction.on_commit(lambda: checkout_url_changed.send(sender=Shop, shop_id=shop_id, checkout_url=url),
                          robust=True)
    return locked


@transaction.atomic
def request_checkout_check(shop: Shop, *, actor=None) -> None:
    """"Check now": queue the check (the page never waits on the website)."""
    Shop.objects.filter(pk=shop.pk).update(checkout_check_requested_at=timezone.now())
    audit.record(shop, actor, "shop.checkout_check", target=shop, summary="checkout link check requested")
    shop_id = shop.pk
    transaction.on_commit(lambda: _queue_check(shop_id), robust=True)
