"""Meta's figures for an order's lines against ours, after each poll: Meta's win, a difference
is kept for staff (`MoneyCheck`), never corrected silently (issue 11, Build 2).

Meta reports, per line, `amount_available_for_refund` and `tax_details.captured_tax` (META_API
§3.4). Ours for the same records come from the line's ledger replayed over the shipments,
cancellations and refunds Meta has (those carrying Meta's id). Where they differ, the refund
forms and pushes use Meta's figure (`orders.money.ledger.ledgers` applies the difference) and the
open `MoneyCheck` tells staff (admin: Money checks; the order page shows it to staff). A later
poll that finds the figures agreeing resolves it.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from orders.models import MoneyCheck, Order, OrderItem
from orders.money.ledger import ledgers

log = logging.getLogger(__name__)


def check_order(order: Order, reported) -> list[MoneyCheck]:
    """Store Meta's reported figures on the order's lines (`reported`: parsed items, each with
    `meta_item_id`, `meta_refundable_minor`, `meta_captured_tax_minor`) and compare them with
    ours. Returns the checks still open. Runs in the ingest transaction."""
    by_id = {d.meta_item_id: d for d in reported}
    items = [item for item in order.items.all() if item.meta_item_id in by_id]
    if not items:
        return []
    changed = []
    for item in items:
        data = by_id[item.meta_item_id]
        captured = item.captured_tax_minor if data.meta_captured_tax_minor is None else data.meta_captured_tax_minor
        if (item.meta_refundable_minor, item.captured_tax_minor) != (data.meta_refundable_minor, captured):
            item.meta_refundable_minor, item.captured_tax_minor = data.meta_refundable_minor, captured
            changed.append(item)
    OrderItem.objects.bulk_update(changed, ["meta_refundable_minor", "captured_tax_minor"])
    ours = ledgers(order, items, confirmed_only=True)
    open_checks = {(c.item_id, c.figure): c for c in MoneyCheck.objects.filter(order=order, resolved_at=None)}
    still_open = []
    now = timezone.now()
    for item in items:
        data, book = by_id[item.meta_item_id], ours[item.pk]
        for figure, meta, mine in (
                (MoneyCheck.Figure.REFUNDABLE, data.meta_refundable_minor, book.refundable_minor),
                (MoneyCheck.Figure.CAPTURED_TAX, data.meta_captured_tax_minor, book.captured_tax_minor)):
            check = open_checks.get((item.pk, figure))
            if meta is None or meta == mine:
                if check is not None:
                    check.resolved_at = now
                    check.save(update_fields=["resolved_at", "last_seen_at"])
                continue
            if check is None:
                check = MoneyCheck.objects.create(order=order, item=item, figure=figure, ours_minor=mine, meta_minor=meta)
                log.warning("order %s line %s: Meta's %s is %s, ours %s", order.pk, item.meta_item_id, figure, meta,
                            mine)
            elif (check.ours_minor, check.meta_minor) != (mine, meta):
                check.ours_minor, check.meta_minor = mine, meta
                check.save(update_fields=["ours_minor", "meta_minor", "last_seen_at"])
            still_open.append(check)
    return still_open
