"""The demo's payments: after `seed_demo` the connected demo shop's Payments page has weeks of
payouts read from the sandbox's Meta, all tying out but the one payout the seeder made wrong,
and one open chargeback; seeding again changes nothing, at Meta or in the archive."""

from __future__ import annotations

import io
import re

from django.core.management import call_command
from django.urls import reverse

from finance import demo
from finance.models import FinanceFeed, FinanceRun, Payout, Transaction
from finance.reconcile import payout_differences
from kernel.issues import issue_cards
from shops.models import Membership, Shop


def test_the_demo_shows_payouts_that_tie_out_but_one_and_one_open_dispute(sandbox, settings, client):
    settings.GRAPH_SANDBOX_ENABLED = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    shop = Shop.objects.get(external_business_id="demo-lotus-tea")
    # the first sync ran (in tests the worker's tasks run at once) and read the demo's weeks
    assert FinanceRun.objects.filter(shop=shop, status="ok").count() == 1
    payouts = Payout.objects.filter(shop=shop)
    assert payouts.count() >= 8
    (wrong,) = payout_differences(shop)
    assert wrong.delta.minor == demo.CORRUPT_DELTA and wrong.payout.reference_id in out.getvalue()
    assert FinanceFeed.objects.get(shop=shop).reconciliation["counts"] == {"failed": 0, "payouts": 1, "orders": 0, "missing": 0}
    cards = {c.kind for c in issue_cards(shop)}
    assert "finance.payout_mismatch" in cards

    from finance.disputes import disputes

    found = disputes(shop)
    assert [d.state for d in found] == ["open"] and found[0].kind == "chargeback"

    client.force_login(shop.memberships.get(role=Membership.Role.OWNER).user)  # the demo seller
    page = client.get(reverse("finance:index", args=[shop.pk])).content.decode()
    assert 'id="differences-USD"' in page and "1 difference" in page and wrong.payout.reference_id in page
    assert 'id="disputes"' in page and page.count("Open: respond in Commerce Manager") == 1
    # the payouts list is newest first
    table = page[page.index('<table class="table" id="payouts">'):]
    listed = re.findall(r'/payouts/\d+/">([^<]+)</a>', table[:table.index("</table>")])
    assert listed == list(payouts.order_by("-payout_date").values_list("reference_id", flat=True))
    assert "a.m.." not in page and "p.m.." not in page
    # the other demo shop is not connected: nothing to read
    assert not Payout.objects.exclude(shop=shop).exists()

    from meta_sandbox import facade

    cms = shop.meta_connection.commerce_merchant_settings_id
    before = [(p["payout_reference_id"], p["amount_minor"]) for p in facade.finance(cms)["payouts"]]
    counts = (payouts.count(), Transaction.objects.filter(shop=shop).count(), FinanceRun.objects.count())
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert [(p["payout_reference_id"], p["amount_minor"]) for p in facade.finance(cms)["payouts"]] == before
    assert (payouts.count(), Transaction.objects.filter(shop=shop).count(), FinanceRun.objects.count()) == counts
    assert "the wrong payout already there, already synced" in again.getvalue()
