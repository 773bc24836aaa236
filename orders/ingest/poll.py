"""One poll of a shop's Meta orders: the app registration, the changes and the new orders, then
the acknowledgements, under the shop's poll lease and recorded in the ledger (`IngestRun`)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from graph.errors import Deprecated, GraphError
from kernel.jobs import heartbeat, run_job
from orders import meta
from orders.ingest import readahead
from orders.ingest.acks import acknowledge_pending
from orders.ingest.upserts import apply_orders
from orders.locks import lock_feed
from orders.models import IngestRun, OrderFeed

log = logging.getLogger(__name__)

POLL_JOB = "orders.poll"
PAGE_SIZE = 100
NEW_STATES = "FB_PROCESSING,CREATED"
CHANGED_STATES = "IN_PROGRESS,COMPLETED"


def setting(name: str, default):
    return getattr(settings, name, default)


def create_feed(sender=None, shop=None, **kwargs) -> None:
    """`shops.signals.shop_created` receiver: the shop's order feed is created with the shop."""
    OrderFeed.objects.get_or_create(shop=shop)


def lease_key(shop_id: int) -> str:
    """The lease that keeps one poll of a shop at a time."""
    return f"orders.poll:{shop_id}"


def lease_seconds() -> int:
    return int(setting("ORDERS_POLL_LEASE_SECONDS", 600))


def overlap_seconds() -> int:
    return int(setting("ORDERS_CHANGES_OVERLAP_SECONDS", 120))


def poll_interval() -> timedelta:
    return timedelta(seconds=int(setting("ORDERS_POLL_SECONDS", 120)))


def poll_shop(shop_id: int, *, task_id: str = "", force: bool = False, client=None) -> dict:
    """One poll of a shop (see the module docstring). Returns the poll's counts.

    Meta's transient failures end the poll quietly (recorded in the ledger; the next slot tries
    again) instead of raising, so django-q2 does not add its own retries: no retry storm.
    """
    from shops.models import MetaConnection

    with run_job(POLL_JOB, shop_id, task_id=task_id) as job:
        conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id).first()
        if conn is None or not conn.has_token or not conn.commerce_merchant_settings_id:
            job.skip("no Meta connection with a commerce account")
        if conn.status != MetaConnection.Status.CONNECTED:
            job.skip(f"connection is {conn.status}")
        feed = OrderFeed.objects.get(shop_id=shop_id)
        if feed.api_removed_at and not force:
            job.skip("Meta removed the order API")
        job.hold(lease_key(shop_id), lease_seconds(), busy="another poll of this shop is running")
        ledger = IngestRun.objects.create(shop_id=shop_id)
        try:
            if client is None:
                from shops.graph import client_for_shop

                client = client_for_shop(conn, max_wait=setting("ORDERS_CLIENT_MAX_WAIT", 30))
            Poller(conn, client, ledger).run()
            ledger.status = IngestRun.Status.PARTIAL if ledger.errors else IngestRun.Status.OK
            OrderFeed.objects.filter(pk=feed.pk).update(
                last_success_at=timezone.now(), last_error="", api_removed_at=None, api_removed_message="")
        except Deprecated as exc:
            ledger.status = IngestRun.Status.REMOVED
            ledger.errors.append(str(exc)[:500])
            mark_removed(shop_id, exc)
        except GraphError as exc:
            ledger.status = IngestRun.Status.FAILED
            ledger.errors.append(str(exc)[:500])
            OrderFeed.objects.filter(pk=feed.pk).update(last_error=(exc.user_message or str(exc))[:2000])
            # Not raised (no django-q2 retry storm), but the run is a failure: repeated ones
            # become a shop issue (shops.health.jobs).
            job.fail(exc)
        finally:
            now = timezone.now()
            ledger.finished_at = now
            ledger.save(update_fields=["status", "finished_at", "counts", "errors", "updated_after", "watermark"])
            OrderFeed.objects.filter(pk=feed.pk).update(last_poll_at=now, next_poll_at=now + poll_interval(),
                                                        poll_requested_at=None)
        job.counts = {**ledger.counts, "status": ledger.status}
    return job.counts


def mark_removed(shop_id: int, error: GraphError) -> None:
    """Meta says the order API is gone: stop polling this shop and show one notice."""
    OrderFeed.objects.filter(shop_id=shop_id, api_removed_at__isnull=True).update(
        api_removed_at=timezone.now(), api_removed_message=str(error)[:2000])
    log.warning("Meta's order API is removed for shop %s: %s", shop_id, error)


class Poller:
    def __init__(self, conn, client, ledger: IngestRun):
        self.conn = conn
        self.shop = conn.shop
        self.cms = conn.commerce_merchant_settings_id
        self.client = client
        self.ledger = ledger
        self.counts: Counter = Counter()

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
        self.ledger.counts = dict(self.counts)

    def error(self, message: str) -> None:
        self.ledger.errors.append(message[:500])

    def run(self) -> None:
        self.ensure_app()
        self.pull_changes()
        self.pull_new()
        acknowledge_pending(self.shop, self.client, poller=self)

    # --- 1. app registration ---
    def ensure_app(self) -> None:
        feed = OrderFeed.objects.get(shop=self.shop)
        if feed.app_registered_cms == self.cms:
            return
        self.client.post(f"{self.cms}/order_management_apps", orders=True)
        self.count("calls")
        OrderFeed.objects.filter(pk=feed.pk).update(app_registered_cms=self.cms)

    # --- 2. changes ---
    def pull_changes(self) -> None:
        feed = OrderFeed.objects.get(shop=self.shop)
        if feed.changes_watermark is None:
            lookback = int(setting("ORDERS_INITIAL_LOOKBACK_DAYS", 30))
            since = int((timezone.now() - timedelta(days=lookback)).timestamp())
        else:
            since = max(0, feed.changes_watermark - overlap_seconds())
        self.ledger.updated_after = since
        newest = feed.changes_watermark or 0
        params = {"state": CHANGED_STATES, "updated_after": since, "fields": meta.CHANGE_FIELDS}
        with readahead.pages(self.client.iter_pages(f"{self.cms}/commerce_orders", params, limit=PAGE_SIZE,
                                                    orders=True)) as pages:
            for page in pages:
                heartbeat()  # the read-ahead thread makes the calls: this thread's leases are kept here
                self.count("calls")
                self.count("pages")
                parsed = self.parse_page(page)
                newest = max([newest, *(p.updated_ts or 0 for p in parsed)])
                last = not (page.get("paging") or {}).get("next")
                self.apply(parsed, with_children=True, watermark=newest if last and newest else None)
        self.ledger.watermark = newest or None

    # --- 3. new orders ---
    def pull_new(self) -> None:
        params = {"state": NEW_STATES, "fields": meta.ORDER_FIELDS}
        with readahead.pages(self.client.iter_pages(f"{self.cms}/commerce_orders", params, limit=PAGE_SIZE,
                                                    orders=True)) as pages:
            for page in pages:
                heartbeat()
                self.count("calls")
                self.count("pages")
                self.apply(self.parse_page(page), with_children=False)

    def parse_page(self, page: dict) -> list[meta.OrderData]:
        parsed = []
        for raw in page.get("data") or []:
            try:
                order = meta.parse_order(raw)
                if not order.items_complete:
                    order = self.complete_items(order)
                parsed.append(order)
            except meta.PayloadError as exc:
                self.count("unreadable")
                self.error(f"order {raw.get('id', '?')}: {exc}")
        return parsed

    def complete_items(self, order: meta.OrderData) -> meta.OrderData:
        rows = list(self.client.paginate(f"{order.meta_order_id}/items", {"fields": meta.ITEM_FIELDS}, limit=100,
                                         orders=True))
        self.count("calls")
        order.items = [meta.parse_item(row, order.currency) for row in rows]
        order.items_complete = True
        return order

    def apply(self, parsed: list[meta.OrderData], *, with_children: bool, watermark: int | None = None) -> None:
        with transaction.atomic():
            feed = lock_feed(self.shop.pk)
            counts = apply_orders(self.shop, parsed, with_children=with_children, errors=self.ledger.errors)
            if watermark is not None and watermark != feed.changes_watermark:
                feed.changes_watermark = watermark
                feed.save(update_fields=["changes_watermark"])
        for key, n in counts.items():
            self.count(key, n)
