"""The finance sync: Meta's payouts and order transactions of a shop's commerce account, pulled
by time window from a stored watermark, recorded in the ledger (`FinanceRun`), kept for good.

- `GET /{cms}/commerce_payouts?start_time&end_time` and `GET /{cms}/commerce_transactions?
  start_time&end_time` (META_API §6; the official SDK's CommercePayout and
  CommerceOrderTransactionDetail fields), on the order API's version: they belong to the
  onsite-checkout era and went with it.
- Each sync asks from a little before its watermark (`FINANCE_OVERLAP_SECONDS`, 3 days: a
  transaction can appear after a later one, a payout's status changes), so nothing is missed and
  a re-read changes rows in place (payouts by reference, transactions by `key`).
- "Archive everything" walks back in 30-day windows to `FINANCE_ARCHIVE_DAYS` ago.
- Meta answering that the API is gone (`graph.errors.Deprecated`) stops the sync for good with
  one notice; the archive stays. A transient failure ends the run (recorded) without a retry
  storm; repeated failures become a shop issue (shops.health.jobs).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finance.models import FinanceFeed, FinanceRun, Payout, Transaction
from graph.errors import Deprecated, GraphError
from kernel.jobs import run_job
from kernel.money import Money
from orders.meta import timestamp

log = logging.getLogger(__name__)

SYNC_JOB = "finance.sync"
PAGE_SIZE = 100
WINDOW = timedelta(days=30)
PAYOUT_FIELDS = "amount,payout_date,payout_reference_id,status,transfer_id"
TRANSACTION_FIELDS = ("order_id,merchant_order_id,order_created,transaction_date,transaction_type,"
                      "net_payment_amount,processing_fee,tax_rate,postal_code,state,payout_reference_id,transfer_id")


def setting(name: str, default):
    return getattr(settings, name, default)


def overlap() -> timedelta:
    return timedelta(seconds=int(setting("FINANCE_OVERLAP_SECONDS", 3 * 86400)))


def first_window_days() -> int:
    """How far back the first sync of a shop reads (a later "archive everything" goes further)."""
    return int(setting("FINANCE_FIRST_SYNC_DAYS", 90))


def archive_days() -> int:
    return int(setting("FINANCE_ARCHIVE_DAYS", 3 * 365))


def create_feed(sender=None, shop=None, **kwargs) -> None:
    """`shops.signals.shop_created` receiver."""
    FinanceFeed.objects.get_or_create(shop=shop)


class BadRow(ValueError):
    pass


def _amount(value, field: str) -> Money:
    try:
        return Money.from_meta_amount(value)
    except (TypeError, ValueError, AttributeError) as exc:
        raise BadRow(f"{field}: {exc}") from None


def _when(value, field: str) -> datetime:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = timestamp(value)
    except (ValueError, OverflowError, OSError, TypeError):
        parsed = None
    if parsed is None:
        raise BadRow(f"{field}: not a date ({value!r})")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


KINDS = {kind.value for kind in Transaction.Kind}


def transaction_key(values: dict, occurrence: int = 0) -> str:
    """What identifies one transaction (Meta gives it no id) and never changes as it is paid out:
    its order, type, time and amounts as parsed (so a change in how Meta writes a number or a
    date makes no second row), and which of identical ones it is in the order Meta lists them."""
    parts = [values["meta_order_id"], values["meta_type"], str(int(values["transaction_date"].timestamp())),
             values["currency"], str(values["net_minor"]), str(values["fee_minor"]), str(occurrence)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:64]


def parse_transaction(row: dict) -> dict:
    if not isinstance(row, dict):
        raise BadRow("not an object")
    net = _amount(row.get("net_payment_amount"), "net_payment_amount")
    fee_value = row.get("processing_fee")
    fee = _amount(fee_value, "processing_fee") if isinstance(fee_value, dict) and fee_value.get("amount") not in (
        None, "") else Money.zero(net.currency)
    if fee.currency != net.currency:
        raise BadRow(f"fee in {fee.currency}, net in {net.currency}")
    meta_type = str(row.get("transaction_type") or "").upper()
    return {
        "meta_order_id": str(row.get("order_id") or "")[:64],
        "payout_reference_id": str(row.get("payout_reference_id") or "")[:128],
        "transfer_id": str(row.get("transfer_id") or "")[:128],
        "kind": meta_type if meta_type in KINDS else Transaction.Kind.OTHER,
        "meta_type": meta_type[:40],
        "state": str(row.get("state") or "")[:40],
        "transaction_date": _when(row.get("transaction_date"), "transaction_date"),
        "currency": net.currency,
        "net_minor": net.minor,
        "fee_minor": fee.minor,
        "gross_minor": net.minor + fee.minor,
        "tax_rate": str(row.get("tax_rate") or "")[:20],
        "postal_code": str(row.get("postal_code") or "")[:20],
    }


def parse_payout(row: dict) -> dict:
    if not isinstance(row, dict) or not row.get("payout_reference_id"):
        raise BadRow("a payout without its payout_reference_id")
    amount = _amount(row.get("amount"), "amount")
    return {"reference_id": str(row["payout_reference_id"])[:128], "transfer_id": str(row.get("transfer_id") or "")[:128],
            "status": str(row.get("status") or "")[:40], "payout_date": _when(row.get("payout_date"), "payout_date"),
            "currency": amount.currency, "amount_minor": amount.minor}


def sync_shop(shop_id: int, *, task_id: str = "", archive: bool = False, client=None) -> dict:
    """One sync of a shop's finance (see the module docstring). Returns its counts."""
    from shops.models import MetaConnection

    continue_with = None
    with run_job(SYNC_JOB, shop_id, task_id=task_id) as job:
        conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id).first()
        if conn is None or not conn.has_token or not conn.commerce_merchant_settings_id:
            job.skip("no Meta connection with a commerce account")
        if conn.status != MetaConnection.Status.CONNECTED:
            job.skip(f"connection is {conn.status}")
        feed, _created = FinanceFeed.objects.get_or_create(shop_id=shop_id)
        if feed.api_removed_at:
            job.skip("Meta removed the finance API")
        job.hold(f"{SYNC_JOB}:{shop_id}", busy="another finance sync of this shop is running")
        # end_time is exclusive: a minute ahead, so what Meta dated this second is in the window
        now = timezone.now() + timedelta(minutes=1)
        run = FinanceRun.objects.create(shop_id=shop_id, archive=archive)
        syncer = Syncer(conn, run, client)
        try:
            if archive:
                # an archive run that ran out of time goes on from where it got to
                begin = now - timedelta(days=archive_days())
                start = datetime.fromtimestamp(feed.archive_cursor, tz=UTC) if feed.archive_cursor else begin
                payouts_from = start
            else:
                start = _since(feed.transactions_watermark, now)
                payouts_from = _since(feed.payouts_watermark, now)
            finished = syncer.pull(start, now, payouts_from=payouts_from)
            run.status = FinanceRun.Status.OK
            # The watermark is where this read got to (not the newest row: a quiet shop would
            # re-read a growing window), never past the real now.
            read_to = int(min(syncer.read_to or now, timezone.now()).timestamp())
            if archive:
                FinanceFeed.objects.filter(pk=feed.pk).update(
                    archive_cursor=None if finished else read_to,
                    **({"archived_at": timezone.now(), "archived_from": int(begin.timestamp()),
                        "archive_requested_at": None} if finished else {}))
            else:
                FinanceFeed.objects.filter(pk=feed.pk).update(
                    transactions_watermark=_newest(feed.transactions_watermark, read_to),
                    payouts_watermark=_newest(feed.payouts_watermark, read_to))
            if finished:
                from finance.reconcile import store

                syncer.counts.update({f"differences_{k}": v for k, v in store(conn.shop).items()})
                FinanceFeed.objects.filter(pk=feed.pk).update(last_success_at=timezone.now(), last_error="")
            else:
                # out of time (a task is killed after Q_CLUSTER["timeout"]): the next run goes on
                continue_with = {"archive": archive}
                syncer.counts["continued"] = 1
        except Deprecated as exc:
            run.status = FinanceRun.Status.REMOVED
            run.errors.append(str(exc)[:500])
            FinanceFeed.objects.filter(pk=feed.pk, api_removed_at__isnull=True).update(
                api_removed_at=timezone.now(), api_removed_message=str(exc)[:2000])
            log.warning("Meta's finance API is removed for shop %s: %s", shop_id, exc)
        except GraphError as exc:
            run.status = FinanceRun.Status.FAILED
            run.errors.append(str(exc)[:500])
            FinanceFeed.objects.filter(pk=feed.pk).update(last_error=(exc.user_message or str(exc))[:2000])
            job.fail(exc)
        except Exception as exc:  # recorded as a failed run (never left "running"), then raised for the log
            run.status = FinanceRun.Status.FAILED
            run.errors.append(f"{type(exc).__name__}: {exc}"[:500])
            raise
        finally:
            run.counts = dict(syncer.counts)
            run.finished_at = timezone.now()
            run.window_start, run.window_end = syncer.window
            run.save(update_fields=["status", "counts", "errors", "finished_at", "window_start", "window_end"])
            FinanceFeed.objects.filter(pk=feed.pk).update(last_sync_at=timezone.now(), sync_requested_at=None)
        job.counts = {**run.counts, "status": run.status}
    if continue_with is not None:  # after the lease is given back
        from django_q.tasks import async_task

        async_task("finance.tasks.sync_shop", shop_id, continue_with["archive"], group="finance.sync")
    return job.counts


def budget_seconds() -> float:
    """How long one run may read before it hands on to the next (below the task timeout)."""
    return float(setting("FINANCE_SYNC_BUDGET_SECONDS", 180))


def _newest(*stamps: int | None) -> int | None:
    return max((s for s in stamps if s is not None), default=None)


def _since(watermark: int | None, now: datetime) -> datetime:
    if watermark is None:
        return now - timedelta(days=first_window_days())
    return datetime.fromtimestamp(watermark, tz=UTC) - overlap()


def _windows(start: datetime, end: datetime):
    while start < end:
        stop = min(end, start + WINDOW)
        yield start, stop
        start = stop


class Syncer:
    def __init__(self, conn, run: FinanceRun, client=None):
        self.conn = conn
        self.shop = conn.shop
        self.cms = conn.commerce_merchant_settings_id
        self.run = run
        self.counts: Counter = Counter()
        self.window: tuple[int | None, int | None] = (None, None)
        self.read_to: datetime | None = None
        #: which of identical transactions a row is, over the whole run (not per page)
        self.occurrences: Counter = Counter()
        if client is None:
            from shops.graph import client_for_shop

            client = client_for_shop(conn, max_wait=setting("FINANCE_CLIENT_MAX_WAIT", 30))
        self.client = client

    def error(self, message: str) -> None:
        if len(self.run.errors) < 50:
            self.run.errors.append(message[:500])
        self.counts["bad_rows"] += 1

    def pull(self, start: datetime, end: datetime, *, payouts_from: datetime) -> bool:
        """Read payouts and transactions window by window, oldest first. Returns False when the
        time budget ran out before `end` (`read_to` says how far it got), True when done."""
        start = min(start, payouts_from)
        self.window = (int(start.timestamp()), int(end.timestamp()))
        deadline = time.monotonic() + budget_seconds()
        for a, b in _windows(start, end):
            self._payouts(a, b)
            self._transactions({"start_time": int(a.timestamp()), "end_time": int(b.timestamp())})
            self.read_to = b
            if b < end and time.monotonic() >= deadline:
                self.window = (self.window[0], int(b.timestamp()))
                return False
        self._payouts_transactions()
        return True

    def _payouts_transactions(self) -> None:
        """Meta adds a transaction's payout reference a week or more after the sale, when the
        sale is older than the window a daily sync re-reads: so each payout that does not equal
        the transactions linked to it has its transactions read by reference
        (`payout_reference_id`, META_API §6)."""
        from django.db.models import Sum

        short = (Payout.objects.filter(shop=self.shop).annotate(linked=Sum("transactions__net_minor"))
                 .values_list("reference_id", "amount_minor", "linked"))
        # only those that do not tie out after the windows were read (a payout whose transactions
        # all came in a window needs no second read)
        refs = {ref for ref, amount, linked in short if (linked or 0) != amount}
        for ref in sorted(refs)[:int(setting("FINANCE_PAYOUT_REREADS", 200))]:
            self.occurrences = Counter()
            self._transactions({"payout_reference_id": ref})
            self.counts["payouts_reread"] += 1

    def _pages(self, edge: str, fields: str, params: dict):
        params = {**params, "fields": fields}
        for page in self.client.iter_pages(f"{self.cms}/{edge}", params, limit=PAGE_SIZE, orders=True):
            self.counts["pages"] += 1
            yield [row for row in page.get("data") or []]

    def _payouts(self, a: datetime, b: datetime) -> None:
        window = {"start_time": int(a.timestamp()), "end_time": int(b.timestamp())}
        for rows in self._pages("commerce_payouts", PAYOUT_FIELDS, window):
            parsed = []
            for row in rows:
                try:
                    parsed.append((parse_payout(row), row))
                except BadRow as bad:
                    self.error(f"payout skipped: {bad}")
            with transaction.atomic():
                for values, row in parsed:
                    ref = values.pop("reference_id")
                    payout, created = Payout.objects.update_or_create(
                        shop=self.shop, reference_id=ref, defaults={**values, "raw": row})
                    self.counts["payouts_new" if created else "payouts_seen"] += 1
                    # transactions read before their payout now find it
                    Transaction.objects.filter(shop=self.shop, payout_reference_id=payout.reference_id,
                                               payout__isnull=True).update(payout=payout)

    def _transactions(self, params: dict) -> None:
        from orders.models import Order

        for rows in self._pages("commerce_transactions", TRANSACTION_FIELDS, params):
            parsed = []
            for row in rows:
                try:
                    values = parse_transaction(row)
                except BadRow as bad:
                    self.error(f"transaction skipped: {bad}")
                    continue
                base = transaction_key(values)
                values["key"] = transaction_key(values, self.occurrences[base])
                self.occurrences[base] += 1
                values["raw"] = row
                parsed.append(values)
            if not parsed:
                continue
            orders = dict(Order.objects.filter(shop=self.shop, meta_order_id__in={v["meta_order_id"] for v in parsed
                                                                                  if v["meta_order_id"]})
                          .values_list("meta_order_id", "pk"))
            payouts = dict(Payout.objects.filter(shop=self.shop, reference_id__in={
                v["payout_reference_id"] for v in parsed if v["payout_reference_id"]}).values_list("reference_id", "pk"))
            known = {t.key: t for t in Transaction.objects.filter(shop=self.shop, key__in=[v["key"] for v in parsed])}
            new, changed = [], []
            for values in parsed:
                row = known.get(values["key"])
                # a link made since (the order hook, the payout read) is never unset
                values["order_id"] = orders.get(values["meta_order_id"]) or (row.order_id if row else None)
                values["payout_id"] = payouts.get(values["payout_reference_id"]) or (row.payout_id if row else None)
                if row is None:
                    new.append(Transaction(shop=self.shop, **values))
                    continue
                fields = ("payout_reference_id", "transfer_id", "state", "order_id", "payout_id", "raw")
                if any(getattr(row, f) != values[f] for f in fields):
                    for f in fields:
                        setattr(row, f, values[f])
                    changed.append(row)
            with transaction.atomic():
                Transaction.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
                Transaction.objects.bulk_update(changed, ["payout_reference_id", "transfer_id", "state", "order",
                                                          "payout", "raw"], batch_size=500)
            self.counts["transactions_new"] += len(new)
            self.counts["transactions_updated"] += len(changed)


def link_orders(orders, lines=None) -> int:
    """`orders.hooks` receiver: orders created after their transactions were read find them
    (one UPDATE per ingest page)."""
    by_meta = {o.meta_order_id: o.pk for o in orders if getattr(o, "meta_order_id", "")}
    if not by_meta:
        return 0
    from django.db.models import OuterRef, Subquery

    from orders.models import Order

    # one UPDATE for the batch (not one per order): each transaction takes its order's pk
    shop_id = orders[0].shop_id
    return (Transaction.objects.filter(shop_id=shop_id, meta_order_id__in=by_meta, order__isnull=True)
            .update(order_id=Subquery(Order.objects.filter(shop_id=shop_id, meta_order_id=OuterRef("meta_order_id"))
                                      .values("pk")[:1])))
