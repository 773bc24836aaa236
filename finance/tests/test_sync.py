"""Finance end to end against the sandbox's Meta, the way a seller's money moves: orders are
placed by the sandbox's buyer, shipped, cancelled and refunded through the seller's own forms,
Meta pays out, the seller presses "Check now" on the Payments page; the archive's figures tie
out to the minor unit in USD, JPY and KWD. A payout Meta got wrong becomes an issue; a
chargeback becomes a dispute with its deadline; after Meta removes the API the archive stays,
with one notice and no further calls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from finance.models import FinanceFeed, FinanceRun, Payout, Transaction
from kernel.issues import issue_cards
from kernel.money import Money
from orders.tests.seller import Seller


@pytest.fixture
def seller(meta_shop, owner):
    return Seller(meta_shop, owner)


def check_now(seller) -> None:
    response = seller.client.post(reverse("finance:check_now", args=[seller.shop.pk]))
    assert response.status_code == 302


def minor(text, currency: str) -> int:
    return Money.from_decimal(str(text), currency).minor


CASES = [
    # currency, items (retailer id, quantity, unit price), order-level discount, shipped, refunded amount of line 0
    ("USD", [("A", 3, "10.00"), ("B", 1, "4.99")], "1.00", {0: 2, 1: 1}, "3.00"),
    ("JPY", [("A", 3, "1000")], "100", {0: 3}, "500"),
    ("KWD", [("A", 7, "1.000")], "0.500", {0: 3}, "0.250"),
    # every unit shipped (the sales must then be all the buyer paid)
    ("USD", [("A", 2, "19.99"), ("B", 3, "2.50")], "3.00", {0: 2, 1: 3}, "5.00"),
]


@pytest.mark.parametrize("currency, items, off, ship, refund", CASES, ids=["USD", "JPY", "KWD", "USD-all-shipped"])
def test_shipped_and_refunded_orders_tie_out_to_the_minor_unit(seller, currency, items, off, ship, refund):
    from meta_sandbox import facade

    s = seller.place(items, currency=currency, discounts=[{"type": "order", "amount_off": off}], tax_rate="10",
                     shipping={"name": "Standard", "reference_id": "std", "price": "4.00" if currency == "USD" else "0"})
    s.ship(ship)
    s.refund(amounts={0: refund})
    cms = seller.m.cms
    facade.pay_out_now(cms)
    check_now(seller)

    order = s.order
    txns = list(Transaction.objects.filter(shop=seller.shop).order_by("transaction_date", "pk"))
    assert {t.order_id for t in txns} == {order.pk} and {t.currency for t in txns} == {currency}
    assert [t.kind for t in txns] == ["SALE", "REFUND"]
    # Meta's own record of the money, from the sandbox's side
    meta = facade.finance(cms)
    assert sum(minor(t["net"], currency) if isinstance(t["net"], str) else t["net_minor"]
               for t in meta["transactions"]) == sum(t.net_minor for t in txns)
    sale, back = txns
    assert sale.gross_minor - sale.fee_minor == sale.net_minor and back.gross_minor < 0
    assert -back.gross_minor == order.refunds.get().total_minor  # Meta refunded what the order records
    # one payout, equal to its transactions, each transaction linked to it
    payout = Payout.objects.get(shop=seller.shop)
    assert payout.amount_minor == sum(t.net_minor for t in txns) and {t.payout_id for t in txns} == {payout.pk}
    feed = FinanceFeed.objects.get(shop=seller.shop)
    assert feed.reconciliation["counts"] == {"failed": 0, "payouts": 0, "orders": 0, "missing": 0}
    response = seller.client.get(reverse("finance:index", args=[seller.shop.pk]))
    page = response.content.decode()
    assert f'id="tied-out-{currency}"' in page and payout.reference_id in page
    # The chart's month bars hold the same figures (from the period's one grouped reading)
    bars = {row["month"]: row for row in response.context["chart"]}

    def month(when):
        return when.date().replace(day=1) if hasattr(when, "date") else when.replace(day=1)

    assert bars[month(sale.transaction_date)]["sales"] == sale.gross_minor
    assert bars[month(back.transaction_date)]["refunds"] == -back.gross_minor
    assert bars[month(payout.payout_date)]["paid"] == payout.amount_minor
    assert sum(row["paid"] for row in bars.values()) == payout.amount_minor
    detail = seller.client.get(reverse("finance:payout", args=[seller.shop.pk, payout.pk])).content.decode()
    assert 'id="payout-tied-out"' in detail and order.reference in detail
    order_page = seller.client.get(reverse("orders:detail", args=[seller.shop.pk, order.pk])).content.decode()
    assert payout.reference_id in order_page


def test_a_second_check_reads_again_and_changes_nothing(seller):
    from meta_sandbox import facade

    s = seller.place([("A", 2, "12.00")])
    s.ship({0: 2})
    check_now(seller)
    first = Transaction.objects.get(shop=seller.shop)
    assert first.payout is None and first.payout_reference_id == ""
    facade.pay_out_now(seller.m.cms)
    check_now(seller)
    again = Transaction.objects.get(shop=seller.shop)
    assert again.pk == first.pk and again.payout is not None  # the same row, now paid out
    assert Payout.objects.filter(shop=seller.shop).count() == 1
    assert FinanceRun.objects.filter(shop=seller.shop, status="ok").count() == 2


def test_a_payout_that_differs_from_its_transactions_is_an_issue(seller):
    from meta_sandbox import facade

    s = seller.place([("A", 2, "12.00")])
    s.ship({0: 2})
    paid = facade.pay_out_now(seller.m.cms)
    reference = paid["payouts"][0]["payout_reference_id"]
    facade.corrupt_payout(reference, -7)
    check_now(seller)
    cards = {c.kind: c for c in issue_cards(seller.shop)}
    card = cards["finance.payout_mismatch"]
    assert card.severity == "must_fix" and card.cta_external and "/payouts/" in card.cta_url
    assert reference in card.samples[0][0] and "$0.07" not in card.title
    page = seller.client.get(reverse("finance:index", args=[seller.shop.pk])).content.decode()
    assert 'id="differences-USD"' in page
    detail = seller.client.get(card.samples[0][1]).content.decode()
    assert 'id="payout-difference"' in detail and "0.07" in detail


def test_a_chargeback_is_a_dispute_with_its_deadline_and_a_must_fix_issue_near_it(seller, time_machine):
    from meta_sandbox import facade

    s = seller.place([("A", 1, "40.00")])
    s.ship({0: 1})
    facade.open_chargeback(s.placed["id"])
    check_now(seller)
    page = seller.client.get(reverse("finance:index", args=[seller.shop.pk])).content.decode()
    assert 'id="disputes"' in page and "Open: respond in Commerce Manager" in page
    assert "finance.dispute_deadline" not in {c.kind for c in issue_cards(seller.shop)}
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    time_machine.move_to(now + timedelta(days=8), tick=False)  # two days left of Meta's ten
    cards = {c.kind: c for c in issue_cards(seller.shop)}
    assert cards["finance.dispute_deadline"].severity == "must_fix"
    assert "/orders/disputes/" in cards["finance.dispute_deadline"].cta_url
    time_machine.move_to(now + timedelta(days=11), tick=False)
    assert "passed its response deadline" in str(
        {c.kind: c for c in issue_cards(seller.shop)}["finance.dispute_deadline"].title)
    time_machine.move_to(now)
    facade.resolve_chargeback(s.placed["id"], won=True)
    check_now(seller)
    assert "finance.dispute_deadline" not in {c.kind for c in issue_cards(seller.shop)}
    page = seller.client.get(reverse("finance:index", args=[seller.shop.pk])).content.decode()
    assert ">Won<" in page


def test_after_meta_removes_the_api_the_archive_stays_with_one_notice_and_no_calls(seller):
    from meta_sandbox import facade

    s = seller.place([("A", 2, "12.00")])
    s.ship({0: 2})
    facade.pay_out_now(seller.m.cms)
    check_now(seller)
    facade.set_orders_removed(True)
    check_now(seller)  # Meta answers that the API is gone
    feed = FinanceFeed.objects.get(shop=seller.shop)
    assert feed.api_removed_at is not None
    before = len(seller.m.requests("*/commerce_transactions", "GET"))
    check_now(seller)
    from finance.tasks import sync_all_shops

    assert sync_all_shops() == 0
    assert len(seller.m.requests("*/commerce_transactions", "GET")) == before  # no further calls
    page = seller.client.get(reverse("finance:index", args=[seller.shop.pk])).content.decode()
    assert page.count('id="finance-removed"') == 1 and "Check now" not in page
    assert Transaction.objects.filter(shop=seller.shop).count() == 1  # the archive stays
    assert [c.kind for c in issue_cards(seller.shop) if c.kind.startswith("finance.")] == ["finance.api_removed"]


def test_without_the_reports_permission_the_sync_fails_in_the_sellers_words(seller):
    from meta_sandbox import facade

    conn = seller.m.connection
    facade.set_business_state(conn.business_manager_id, "permission_missing", scope="commerce_account_read_reports")
    check_now(seller)
    feed = FinanceFeed.objects.get(shop=seller.shop)
    assert feed.last_error and feed.api_removed_at is None
    assert FinanceRun.objects.get(shop=seller.shop).status == "failed"
    assert not Transaction.objects.exists()


def test_daily_syncs_link_old_sales_to_the_weekly_payout_that_pays_them_later(seller, time_machine):
    """Meta adds the payout reference a week or more after the sale, outside the few days a
    daily sync re-reads: the payout's transactions are read by its reference."""
    from datetime import timedelta

    from django.utils import timezone

    from finance.tasks import sync_shop

    start = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    time_machine.move_to(start, tick=False)
    first = seller.place([("A", 1, "20.00")])
    first.ship({0: 1})
    sync_shop(seller.shop.pk)
    time_machine.move_to(start + timedelta(days=5), tick=False)
    second = Seller(seller.m, seller.client).place([("B", 1, "30.00")])
    second.ship({0: 1})
    sync_shop(seller.shop.pk)
    time_machine.move_to(start + timedelta(days=16), tick=False)  # a Monday payout of what is 7 days old
    sync_shop(seller.shop.pk)
    payouts = list(Payout.objects.filter(shop=seller.shop))
    assert payouts, "the sandbox's weekly payout ran"
    for payout in payouts:
        linked = sum(t.net_minor for t in payout.transactions.all())
        assert linked == payout.amount_minor, (payout.reference_id, linked, payout.amount_minor)
    assert FinanceFeed.objects.get(shop=seller.shop).reconciliation["counts"]["payouts"] == 0
    assert Transaction.objects.filter(shop=seller.shop).count() == 2


@pytest.mark.parametrize("when", [1e20, float("nan"), "2026-02-30T00:00:00+00:00", None, [], True])
def test_a_transaction_meta_wrote_badly_is_skipped_with_its_reason(when):
    from finance.sync import BadRow, parse_transaction

    row = {"order_id": "1", "transaction_type": "SALE", "transaction_date": when,
           "net_payment_amount": {"amount": "1.00", "currency": "USD"}}
    with pytest.raises(BadRow):
        parse_transaction(row)


def test_a_meta_funded_offer_refunded_ties_out_and_a_short_sale_is_a_difference(seller):
    from meta_sandbox import facade

    s = seller.place([("A", 2, "10.00")], discounts=[{"type": "order", "percent_off": "10", "sponsor": "facebook"}])
    s.ship({0: 2})
    s.refund(amounts={0: "5.00"})
    facade.pay_out_now(seller.m.cms)
    check_now(seller)
    refund = s.order.refunds.get()
    assert refund.meta_part_minor > 0  # part of it goes back to Meta, not through the seller
    feed = FinanceFeed.objects.get(shop=seller.shop)
    assert feed.reconciliation["counts"]["orders"] == 0, feed.reconciliation["orders"]


def test_the_sales_of_a_fully_shipped_order_must_be_all_the_buyer_paid(seller):
    from finance.reconcile import order_differences

    s = seller.place([("A", 2, "12.00")])
    s.ship({0: 2})
    check_now(seller)
    assert order_differences(seller.shop) == []
    sale = Transaction.objects.get(shop=seller.shop, kind="SALE")
    Transaction.objects.filter(pk=sale.pk).update(gross_minor=sale.gross_minor - 1, net_minor=sale.net_minor - 1)
    (diff,) = order_differences(seller.shop)
    assert diff.kind == "order_undersold" and diff.delta.minor == -1


def test_a_failed_payout_is_a_must_fix_issue_with_the_payout_settings(seller):
    from meta_sandbox import facade

    s = seller.place([("A", 2, "12.00")])
    s.ship({0: 2})
    reference = facade.pay_out_now(seller.m.cms)["payouts"][0]["payout_reference_id"]
    facade.set_payout_status(reference, "FAILED")
    check_now(seller)
    card = {c.kind: c for c in issue_cards(seller.shop)}["finance.payout_failed"]
    assert card.severity == "must_fix" and card.cta_external and card.samples[0][0] == reference


def test_a_long_archive_hands_on_to_the_next_run_and_finishes(seller, settings):
    """A task is killed after its timeout: a run that reads past its budget stops after a
    window and the next run goes on from there, until everything is read."""
    from meta_sandbox import facade

    settings.FINANCE_SYNC_BUDGET_SECONDS = 0  # one 30-day window per run
    settings.FINANCE_ARCHIVE_DAYS = 100
    s = seller.place([("A", 2, "12.00")])
    s.ship({0: 2})
    facade.pay_out_now(seller.m.cms)
    response = seller.client.post(reverse("finance:archive", args=[seller.shop.pk]))
    assert response.status_code == 302
    runs = list(FinanceRun.objects.filter(shop=seller.shop, archive=True).order_by("pk"))
    assert len(runs) == 4 and [r.counts.get("continued") for r in runs] == [1, 1, 1, None]
    assert all(a.window_end == b.window_start for a, b in zip(runs, runs[1:], strict=False))
    feed = FinanceFeed.objects.get(shop=seller.shop)
    assert feed.archived_at is not None and feed.archive_cursor is None
    assert Transaction.objects.filter(shop=seller.shop, payout__isnull=False).count() == 1


def test_an_order_shipped_long_ago_with_no_sale_from_meta_is_a_difference(seller, settings, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    from finance.reconcile import store

    other = seller.place([("B", 1, "9.00")])
    other.ship({0: 1})  # its sale starts the archive's time
    check_now(seller)
    s = Seller(seller.m, seller.client).place([("A", 1, "12.00")])
    s.ship({0: 1})
    check_now(seller)
    # Meta lost this order's sale: the archive has none
    Transaction.objects.filter(shop=seller.shop, order=s.order).delete()
    time_machine.move_to(timezone.now() + timedelta(days=8), tick=False)
    assert store(seller.shop)["missing"] == 1
    card = {c.kind: c for c in issue_cards(seller.shop)}["finance.order_unpaid"]
    assert card.samples[0][0] == s.order.reference
    page = seller.client.get(reverse("finance:index", args=[seller.shop.pk])).content.decode()
    assert "Meta has recorded no sale for it" in page


def test_check_now_on_a_shop_meta_stopped_accepting_asks_to_reconnect_not_to_connect(meta_shop, owner, sandbox,
                                                                                      settings):
    from shops.tasks import check_shop_health

    settings.GRAPH_MAX_ATTEMPTS = 1
    sandbox.expire_token(str(meta_shop.connection.access_token))
    check_shop_health(meta_shop.shop.pk)
    response = owner.post(reverse("finance:check_now", args=[meta_shop.shop.pk]), follow=True)
    page = response.content.decode()
    assert "Reconnect the shop to Meta first" in page and "Connect the shop to Meta first" not in page
    assert not FinanceRun.objects.filter(shop=meta_shop.shop).exists()
