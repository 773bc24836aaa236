"""Demo payments (`make demo`, the last of portal's seed_demo seeders).

For a shop connected to the Graph sandbox: the sandbox's demo finance history for its commerce
account (`facade.seed_finance_demo`: ~12 weeks of shipped orders, weekly payouts that tie out,
one open chargeback), ONE payout Meta got wrong (`facade.corrupt_payout`) so the Payments page
shows one difference, then the portal's first finance sync, queued for the worker (it reads
Meta over HTTP, and in `make demo` the sandbox is served by the web process, which is not up
while the seed runs).

Idempotent: the sandbox seeds an account once, a payout is corrupted only while none is, and
the sync is queued only while the shop has neither synced nor asked for a sync.
"""

from __future__ import annotations

from django.conf import settings
from django_q.tasks import async_task

from finance.models import FinanceFeed, FinanceRun
from finance.services import request_sync
from shops.models import MetaConnection

#: Meta paid this much less than the payout's transactions add up to (minor units).
CORRUPT_DELTA = -150
#: Which payout is wrong: the third newest, so it sits mid-history rather than on the edge.
CORRUPT_FROM_NEWEST = 3


def seed(shops, stdout=None) -> None:
    if not getattr(settings, "GRAPH_SANDBOX_ENABLED", False):
        return
    from meta_sandbox import facade as sandbox

    for shop in shops:
        conn = MetaConnection.objects.filter(shop=shop).first()
        if not (conn and conn.is_connected and conn.commerce_merchant_settings_id):
            continue
        try:
            state = sandbox.seed_finance_demo(conn.commerce_merchant_settings_id)
        except LookupError:  # the commerce account is not the sandbox's
            continue
        corrupted = _corrupt_one(sandbox, state["payouts"])
        note = _first_sync(shop, reread_all=bool(corrupted))
        if stdout is not None:
            wrong = f"payout {corrupted} made wrong by {CORRUPT_DELTA} minor units" if corrupted else \
                "the wrong payout already there"
            stdout.write(f"Payments for {shop.name}: {len(state['payouts'])} payouts at the sandbox, {wrong}, {note}")


def _corrupt_one(sandbox, payouts: list[dict]) -> str:
    """Corrupt one payout unless one already is; returns its reference (or "")."""
    if not payouts or any(p["corrupted"] for p in payouts):
        return ""
    target = payouts[-min(CORRUPT_FROM_NEWEST, len(payouts))]
    sandbox.corrupt_payout(target["payout_reference_id"], CORRUPT_DELTA)
    return target["payout_reference_id"]


def _first_sync(shop, *, reread_all: bool) -> str:
    feed, _created = FinanceFeed.objects.get_or_create(shop=shop)
    if not FinanceRun.objects.filter(shop=shop).exists():
        if feed.sync_requested_at is not None:
            return "the first finance sync already queued"
        request_sync(shop)
        return "the first finance sync queued for the worker"
    if reread_all:
        # Synced before the payout went wrong (a demo database older than this seeder): the
        # daily sync re-reads only the last few days, so read everything again once.
        async_task("finance.tasks.sync_shop", shop.pk, True, group="finance.sync")
        return "a full re-read queued for the worker"
    return "already synced"
