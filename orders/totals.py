"""The running totals kept on orders and their lines (shipped, cancelled, refunded, open returns,
failed pushes), recomputed from the records: the counters the fast list filters read."""

from __future__ import annotations

from django.db.models import Sum

from orders.models import CancellationItem, Order, OrderItem, RefundItem, Return, ShipmentItem, SyncState


def recount(order: Order) -> None:
    """Recompute the running totals of an order and its lines from its records."""
    def per_item(model, field="quantity"):
        rows = model.objects.filter(item__order=order).values("item_id").annotate(n=Sum(field))
        return {row["item_id"]: row["n"] or 0 for row in rows}

    shipped, cancelled = per_item(ShipmentItem), per_item(CancellationItem)
    refunded_qty, refunded_amount = per_item(RefundItem), per_item(RefundItem, "amount_minor")
    lines = list(order.items.all())
    for line in lines:
        line.quantity_shipped = shipped.get(line.pk, 0)
        line.quantity_cancelled = cancelled.get(line.pk, 0)
        line.quantity_refunded = refunded_qty.get(line.pk, 0)
        line.refunded_minor = refunded_amount.get(line.pk, 0)
    OrderItem.objects.bulk_update(lines, ["quantity_shipped", "quantity_cancelled", "quantity_refunded",
                                          "refunded_minor"])
    order.units_to_ship = sum(max(0, line.to_ship) for line in lines)
    order.open_returns = order.returns.filter(status__in=Return.OPEN).count()
    order.failed_pushes = order.pushes.filter(state=SyncState.FAILED).count()
    order.save(update_fields=["units_to_ship", "open_returns", "failed_pushes", "updated_at"])
