"""The finance app's issue cards (kernel.issues), read from what the last sync stored on the
feed (`FinanceFeed.reconciliation`): no reconciliation and no call to Meta per request."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from finance.disputes import NEAR_DEADLINE
from finance.models import FinanceFeed
from kernel.dates import format_datetime
from kernel.issues import IssueCard
from kernel.money import Money, format_money
from orders.models import OrderFeed


def _money(row: dict, key: str) -> str:
    return format_money(Money(row[key], row["currency"]))


def finance_issue_cards(shop) -> list[IssueCard]:
    from shops import links

    # Every page's navigation badge asks: one query, and nothing more while all is well.
    feed = FinanceFeed.objects.filter(shop=shop).only("reconciliation", "reconciled_at", "api_removed_at").first()
    found = (feed.reconciliation or {}) if feed else {}
    if feed is None or not (any((found.get("counts") or {}).values()) or found.get("disputes")
                            or feed.api_removed_at):
        return []
    conn = getattr(shop, "meta_connection", None)  # read with the shop on seller pages (shops.tenancy)
    cms = conn.commerce_merchant_settings_id if conn else ""
    page = reverse("finance:index", args=[shop.pk])
    counts = found.get("counts") or {}
    cards: list[IssueCard] = []
    for dispute in found.get("disputes") or []:
        deadline = datetime.fromisoformat(dispute["deadline"]) if dispute.get("deadline") else None
        # near its deadline, and for a few days past it (then it is the card issuer's call; a card
        # must not stay for good when no later sync comes to clear it)
        if deadline is None or deadline - timezone.now() > NEAR_DEADLINE or timezone.now() - deadline > NEAR_DEADLINE:
            continue
        overdue = deadline < timezone.now()
        cards.append(IssueCard(
            kind="finance.dispute_deadline", severity="must_fix", group="payments",
            title=(_("A chargeback of %(amount)s on order %(order)s passed its response deadline") if overdue else
                   _("Respond to the chargeback of %(amount)s on order %(order)s by %(deadline)s")) % {
                "amount": _money(dispute, "amount"), "order": dispute.get("reference") or dispute["meta_order_id"],
                "deadline": format_datetime(deadline)},
            explanation=_("Meta gives you ten days from the chargeback to send the card issuer your evidence "
                          "(tracking and proof of delivery, the invoice, your messages with the buyer). Without "
                          "it the buyer keeps the money."),
            cta_label=_("Respond in Commerce Manager"), cta_url=links.disputes(cms) if cms else page,
            cta_external=bool(cms), checked_at=feed.reconciled_at))
    if counts.get("payouts"):
        rows = found.get("payouts") or []
        cards.append(IssueCard(
            kind="finance.payout_mismatch", severity="must_fix", group="payments", count=counts["payouts"],
            title=ngettext("%(n)d payout does not equal its transactions",
                           "%(n)d payouts do not equal their transactions", counts["payouts"]) % {"n": counts["payouts"]},
            explanation=_("Meta pays out the net of the transactions it gathers; a payout that differs from their "
                          "sum means money is missing or counted twice. Compare the figures with Commerce "
                          "Manager's payout report and ask Meta's support about the difference."),
            cta_label=_("See the payouts in Commerce Manager"), cta_url=links.payouts(cms) if cms else page,
            cta_external=bool(cms), checked_at=feed.reconciled_at,
            samples=[(_("Payout %(ref)s: %(actual)s paid, transactions add up to %(expected)s") % {
                "ref": r["label"], "actual": _money(r, "actual"), "expected": _money(r, "expected")},
                reverse("finance:payout", args=[shop.pk, r["payout"]])) for r in rows[:5]]))
    if counts.get("orders"):
        rows = found.get("orders") or []
        cards.append(IssueCard(
            kind="finance.order_mismatch", severity="warning", group="payments", count=counts["orders"],
            title=ngettext("%(n)d order's transactions do not tie out", "%(n)d orders' transactions do not tie out",
                           counts["orders"]) % {"n": counts["orders"]},
            explanation=_("What Meta's transactions sold, refunded or charged in fees for these orders differs "
                          "from what the orders record. Check the order in Commerce Manager."),
            cta_label=_("Open in Commerce Manager"), cta_url=links.commerce_manager(cms) if cms else page,
            cta_external=bool(cms), checked_at=feed.reconciled_at,
            samples=[(_("Order %(ref)s: %(actual)s at Meta, %(expected)s here") % {
                "ref": r["label"], "actual": _money(r, "actual"), "expected": _money(r, "expected")},
                reverse("orders:detail", args=[shop.pk, r["order"]])) for r in rows[:5] if r.get("order")]))
    if counts.get("missing"):
        rows = found.get("missing") or []
        cards.append(IssueCard(
            kind="finance.order_unpaid", severity="warning", group="payments", count=counts["missing"],
            title=ngettext("%(n)d order shipped over a week ago has no payment from Meta",
                           "%(n)d orders shipped over a week ago have no payment from Meta",
                           counts["missing"]) % {"n": counts["missing"]},
            explanation=_("Meta records a sale when units ship. An order with no sale transaction a week after "
                          "shipping may not have reached Meta as shipped, or its payment is held."),
            cta_label=_("Open in Commerce Manager"), cta_url=links.commerce_manager(cms) if cms else page,
            cta_external=bool(cms), checked_at=feed.reconciled_at,
            samples=[(r["label"], reverse("orders:detail", args=[shop.pk, r["order"]])) for r in rows[:5]]))
    if counts.get("failed"):
        cards.append(IssueCard(
            kind="finance.payout_failed", severity="must_fix", group="payments", count=counts["failed"],
            title=ngettext("%(n)d payout from Meta failed", "%(n)d payouts from Meta failed", counts["failed"]) % {
                "n": counts["failed"]},
            explanation=_("Meta could not transfer the money, usually because the bank account in the commerce "
                          "account's payout settings is wrong or closed. Check it in Commerce Manager; Meta "
                          "tries again once it is fixed."),
            cta_label=_("Check the payout settings"), cta_url=links.shop_settings(cms) if cms else page,
            cta_external=bool(cms), checked_at=feed.reconciled_at,
            samples=[(r["label"], reverse("finance:payout", args=[shop.pk, r["payout"]]))
                     for r in (found.get("failed") or [])[:5]]))
    orders_removed = OrderFeed.objects.filter(shop=shop, api_removed_at__isnull=False).exists()
    if feed.api_removed_at and not orders_removed:  # one notice: the order API's says it already
        cards.append(IssueCard(
            kind="finance.api_removed", severity="opportunity", group="payments",
            title=_("Meta no longer gives payouts and transactions"),
            explanation=_("Meta removed its order-era finance API. Everything pulled before stays here as your "
                          "archive; payments for website orders are in your payment provider's reports."),
            cta_label=_("Open the archive"), cta_url=page, checked_at=feed.api_removed_at))
    return cards


