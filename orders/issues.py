"""The orders app's issue cards (kernel.issues): orders waiting too long to be acknowledged,
acknowledgements and changes Meta refused, and the one notice when Meta removed its order API."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kernel.issues import IssueCard
from orders.models import Order, OrderFeed


def ack_alert_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "ORDERS_ACK_ALERT_MINUTES", 60)))


def order_issue_cards(shop) -> list[IssueCard]:
    if shop is None:
        return []
    cards: list[IssueCard] = []
    feed = OrderFeed.objects.filter(shop=shop).first()
    list_url = reverse("orders:index", args=[shop.pk])
    if feed is not None and feed.api_removed_at:
        cards.append(IssueCard(
            kind="orders.api_removed", severity="warning", group="orders",
            title=_("Meta no longer offers its order API"),
            explanation=_("Meta blocked its Commerce Order Management API on new API versions and removed it "
                          "on 27 October 2026, so new Facebook and Instagram orders no longer reach the portal "
                          "and changes cannot be sent to Meta. Your orders here stay available; buyers now check "
                          "out on your website. Everything else keeps working."),
            cta_label=_("Open orders"), cta_url=list_url, checked_at=feed.api_removed_at,
        ))
    late = timezone.now() - ack_alert_after()
    # Only the shop's unacknowledged orders and those with a refused change are read (the partial
    # indexes orders_order_to_ack and orders_order_failed, OR-ed), not its whole order history.
    counts = Order.objects.filter(shop=shop).filter(Q(state=Order.State.CREATED) | Q(failed_pushes__gt=0)).aggregate(
        late=Count("pk", filter=Q(state=Order.State.CREATED, placed_at__lt=late)),
        ack_failed=Count("pk", filter=Q(state=Order.State.CREATED, ack_state=Order.AckState.FAILED)),
        failed=Count("pk", filter=Q(failed_pushes__gt=0)),
    )
    checked = feed.last_poll_at if feed else None
    if counts["late"] and not (feed and feed.api_removed_at):
        n = counts["late"]
        cards.append(IssueCard(
            kind="orders.ack_late", severity="must_fix", group="orders", count=n,
            title=ngettext("%(n)d order is still waiting to be acknowledged",
                           "%(n)d orders are still waiting to be acknowledged", n) % {"n": n},
            explanation=_("Meta holds an order until the seller acknowledges it; buyers see no progress meanwhile. "
                          "Check now to fetch and acknowledge them."),
            cta_label=_("Check now"), cta_url=reverse("orders:check_now", args=[shop.pk]), cta_method="post",
            checked_at=checked,
        ))
    if counts["ack_failed"]:
        n = counts["ack_failed"]
        cards.append(IssueCard(
            kind="orders.ack_failed", severity="must_fix", group="orders", count=n,
            title=ngettext("Meta refused to acknowledge %(n)d order", "Meta refused to acknowledge %(n)d orders",
                           n) % {"n": n},
            explanation=_("Until an order is acknowledged it cannot be shipped. Open the orders to read Meta's "
                          "answer, then try again."),
            cta_label=_("Review orders"), cta_url=f"{list_url}?view=ack_failed", checked_at=checked,
        ))
    if counts["failed"]:
        n = counts["failed"]
        cards.append(IssueCard(
            kind="orders.sync_failed", severity="must_fix", group="orders", count=n,
            title=ngettext("Changes to %(n)d order did not reach Meta", "Changes to %(n)d orders did not reach Meta",
                           n) % {"n": n},
            explanation=_("A shipment, cancellation, refund or return decision was refused by Meta. The buyer does "
                          "not see it until it is sent again."),
            cta_label=_("Review orders"), cta_url=f"{list_url}?view=failed", checked_at=checked,
        ))
    return cards
