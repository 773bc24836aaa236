"""Offers sync: a shop's discounts to Meta as an OFFER feed of its catalog (META_API §4.1).

One run (`sync_offers`, a django-q2 task in `kernel.jobs.run_job`: recorded as a `JobRun`, under
the shop's offers lease `promotions.offers:<shop id>`):

1. uploads Meta was still processing are checked again (`GET /{upload}`, then
   `GET /{upload}/errors`) and their results applied;
2. the feed: created once (`POST /{catalog}/product_feeds`, feed_type OFFER) and its id stored;
   before creating, the catalog's feeds are listed and a feed of ours is adopted, so a create
   whose answer was lost never makes a second feed;
3. the whole file (a replace upload: offers no longer listed are removed at Meta) is uploaded as
   a multipart file (`POST /{feed}/uploads`) when it differs from the last upload or a
   discount waits; each discount then shows Meta's verdict for its row: live, or rejected with
   Meta's words and the column.

A shop whose source of truth is Commerce Manager is skipped: its discounts stay here, marked
as not synced, and the pages link to Commerce Manager instead.
"""

from __future__ import annotations

import copy
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from graph.errors import GraphError, RateLimited, Transient
from kernel.jobs import run_job
from promotions.models import Discount, OfferUpload, PromotionSettings
from promotions.offers import COLUMNS, offers_file

log = logging.getLogger(__name__)

SYNC_JOB = "promotions.offers_sync"
LEASE_SECONDS = 300
UPLOAD_FIELDS = "id,end_time,error_count,warning_count,num_detected_items,num_persisted_items,num_deleted_items"
ERROR_FIELDS = "id,summary,description,severity,row_number,column_number"


def lease_key(shop_id: int) -> str:
    """The lease that keeps one offers sync of a shop at a time."""
    return f"promotions.offers:{shop_id}"


def feed_name(shop) -> str:
    return f"Seller portal offers ({shop.external_business_id})"


def create_settings(sender=None, shop=None, **kwargs) -> None:
    """`shops.signals.shop_created` receiver: the shop's promotion settings come with the shop."""
    PromotionSettings.objects.get_or_create(shop=shop)


def settings_for(shop_or_id) -> PromotionSettings:
    """The shop's promotion settings (created with the shop; reading them never writes)."""
    shop_id = getattr(shop_or_id, "pk", shop_or_id)
    return PromotionSettings.objects.get(shop_id=shop_id)


def request_sync(shop_id: int) -> None:
    """Ask for a sync soon (after the current transaction commits)."""
    PromotionSettings.objects.filter(shop_id=shop_id).update(sync_requested_at=timezone.now())
    transaction.on_commit(lambda: async_task("promotions.tasks.sync_offers", shop_id, group=SYNC_JOB))


class _MultipartSession:
    """Wraps the client's requests session for one call: the `file` parameter travels as a
    multipart file part (Meta's `POST /{feed}/uploads` takes the feed file that way)."""

    def __init__(self, inner, filename: str, content: bytes):
        self.inner, self.filename, self.content = inner, filename, content

    def request(self, method, url, data=None, **kwargs):
        data = {k: v for k, v in (data or {}).items() if k != "file"}
        files = {"file": (self.filename, self.content, "text/csv")}
        return self.inner.request(method, url, data=data, files=files, **kwargs)


def upload_file(client, feed_id: str, content: bytes, filename: str = "offers.csv") -> dict:
    """`POST /{feed}/uploads` with the file as multipart, through the client's one choke point
    (journal, error classification and retries stay the client's)."""
    one_off = copy.copy(client)
    one_off.session = _MultipartSession(client.session, filename, content)
    return one_off.post(f"{feed_id}/uploads", {"file": filename})


def sync_offers(shop_id: int, *, client=None, force: bool = False, task_id: str = "") -> dict | None:
    """One offers sync of a shop (module docstring); its counts, or None when skipped."""
    from shops.models import MetaConnection

    counts = None
    with run_job(SYNC_JOB, shop_id, task_id=task_id) as job:
        prefs = settings_for(shop_id)
        if not prefs.syncs_to_meta:
            Discount.objects.filter(shop_id=shop_id).exclude(sync_state=Discount.SyncState.LOCAL).update(
                sync_state=Discount.SyncState.LOCAL)
            job.skip("Commerce Manager is the source of truth for discounts")
        conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id).first()
        if conn is None or not conn.has_token or not conn.catalog_id:
            job.skip("no Meta connection with a catalog")
        if conn.status != MetaConnection.Status.CONNECTED:
            job.skip(f"connection is {conn.status}")
        job.hold(lease_key(shop_id), LEASE_SECONDS, busy="another offers sync of this shop is running")
        counts = {"uploaded": 0, "checked": 0, "rejected": 0, "live": 0}
        try:
            if client is None:
                from shops.graph import client_for_shop

                client = client_for_shop(conn, max_wait=getattr(settings, "PROMOTIONS_CLIENT_MAX_WAIT", 30))
            for upload in OfferUpload.objects.filter(shop_id=shop_id, status=OfferUpload.Status.SENT).exclude(
                    meta_upload_id=""):
                check_upload(upload, client, counts)
            feed_id = ensure_feed(prefs, conn, client)
            upload_discounts(prefs, conn.shop, feed_id, client, counts, force=force)
            prefs.last_error = ""
        except (Transient, RateLimited) as exc:
            prefs.last_error = exc.user_msg or str(exc)
            counts["error"] = str(exc)[:500]
            job.fail(exc)  # repeated failures become a shop issue (shops.health.jobs)
        except GraphError as exc:
            prefs.last_error = exc.user_msg or str(exc)
            counts["error"] = str(exc)[:500]
            job.fail(exc)
            Discount.objects.filter(shop_id=shop_id, sync_state=Discount.SyncState.PENDING).update(
                sync_state=Discount.SyncState.FAILED,
                sync_errors=[{"severity": "fatal", "summary": "Meta refused the upload",
                              "description": prefs.last_error[:1000], "column": ""}])
        finally:
            prefs.last_sync_at = timezone.now()
            prefs.sync_requested_at = None
            prefs.save(update_fields=["last_error", "last_sync_at", "sync_requested_at", "meta_feed_id",
                                      "feed_catalog_id", "last_upload_hash", "updated_at"])
        job.counts = counts
    return counts


def ensure_feed(prefs: PromotionSettings, conn, client) -> str:
    if prefs.meta_feed_id and prefs.feed_catalog_id == conn.catalog_id:
        return prefs.meta_feed_id
    name = feed_name(conn.shop)
    for feed in client.paginate(f"{conn.catalog_id}/product_feeds", {"fields": "id,name,feed_type"}, limit=100):
        if feed.get("name") == name and feed.get("feed_type") == "OFFER":
            feed_id = str(feed["id"])
            break
    else:
        answer = client.post(f"{conn.catalog_id}/product_feeds", {"name": name, "feed_type": "OFFER",
                                                                  "default_currency": conn.shop.currency})
        feed_id = str(answer["id"])
    prefs.meta_feed_id, prefs.feed_catalog_id, prefs.last_upload_hash = feed_id, conn.catalog_id, ""
    PromotionSettings.objects.filter(pk=prefs.pk).update(meta_feed_id=feed_id, feed_catalog_id=conn.catalog_id,
                                                         last_upload_hash="")
    return feed_id


def upload_discounts(prefs, shop, feed_id: str, client, counts: dict, *, force: bool = False) -> OfferUpload | None:
    discounts = list(Discount.objects.filter(shop=shop).select_related("product_set").prefetch_related("products")
                     .order_by("pk"))
    content, ids, digest = offers_file(discounts)
    waiting = any(d.sync_state in (Discount.SyncState.PENDING, Discount.SyncState.FAILED, Discount.SyncState.LOCAL)
                  for d in discounts)
    if digest == prefs.last_upload_hash and not waiting and not force:
        return None
    upload = OfferUpload.objects.create(shop=shop, content_hash=digest, offer_ids=ids, rows=len(ids))
    # The discounts in this file wait for its verdict (an edit after this point makes it pending again).
    Discount.objects.filter(shop=shop, offer_id__in=ids).update(sync_state=Discount.SyncState.UPLOADING,
                                                                upload=upload, sync_errors=[])
    try:
        answer = upload_file(client, feed_id, content)
    except GraphError as exc:
        OfferUpload.objects.filter(pk=upload.pk).update(status=OfferUpload.Status.FAILED, error=str(exc)[:2000],
                                                        finished_at=timezone.now())
        Discount.objects.filter(upload=upload, sync_state=Discount.SyncState.UPLOADING).update(
            sync_state=Discount.SyncState.PENDING)
        raise
    upload.meta_upload_id = str(answer.get("id") or "")
    upload.save(update_fields=["meta_upload_id"])
    prefs.last_upload_hash = digest
    counts["uploaded"] += 1
    check_upload(upload, client, counts)
    return upload


def check_upload(upload: OfferUpload, client, counts: dict) -> bool:
    """Apply Meta's verdict on an upload once it is processed; False while Meta still works."""
    state = client.get(upload.meta_upload_id, {"fields": UPLOAD_FIELDS})
    counts["checked"] += 1
    if not state.get("end_time"):
        return False
    found = list(client.paginate(f"{upload.meta_upload_id}/errors", {"fields": ERROR_FIELDS}, limit=100))
    per_offer: dict[str, list[dict]] = {}
    file_level = []
    for error in found:
        entry = {"severity": "fatal" if error.get("severity") == "fatal" else "warning",
                 "summary": str(error.get("summary") or ""), "description": str(error.get("description") or ""),
                 "column": _column(error.get("column_number")), "row": error.get("row_number")}
        row = error.get("row_number")
        index = (int(row) - 2) if str(row or "").isdigit() else -1
        if 0 <= index < len(upload.offer_ids):
            per_offer.setdefault(upload.offer_ids[index], []).append(entry)
        else:
            file_level.append(entry)
    now = timezone.now()
    with transaction.atomic():
        waiting = Discount.objects.select_for_update().filter(upload=upload, sync_state=Discount.SyncState.UPLOADING)
        for discount in waiting.order_by("pk"):
            problems = per_offer.get(discount.offer_id, [])
            if any(p["severity"] == "fatal" for p in problems) or any(p["severity"] == "fatal" for p in file_level):
                discount.sync_state = Discount.SyncState.REJECTED
                discount.sync_errors = problems or [p for p in file_level if p["severity"] == "fatal"]
                counts["rejected"] += 1
            else:
                discount.sync_state = Discount.SyncState.SYNCED
                discount.sync_errors = problems
                discount.synced_at = now
                counts["live"] += 1
            discount.save(update_fields=["sync_state", "sync_errors", "synced_at"])
        upload.status = OfferUpload.Status.DONE
        upload.finished_at = now
        upload.errors = [*file_level, *(p | {"offer_id": oid} for oid, ps in per_offer.items() for p in ps)]
        upload.error_count = int(state.get("error_count") or 0)
        upload.warning_count = int(state.get("warning_count") or 0)
        upload.save(update_fields=["status", "finished_at", "errors", "error_count", "warning_count"])
    return True


def _column(number) -> str:
    try:
        index = int(number) - 1
    except (TypeError, ValueError):
        return ""
    return COLUMNS[index] if 0 <= index < len(COLUMNS) else ""


def due_shops() -> list[int]:
    """Connected shops in portal mode (the default) with something to send or check: discounts
    waiting, a requested sync, or a day since the last sync of a shop with discounts."""
    from shops.models import MetaConnection

    stale = timezone.now() - timedelta(hours=24)
    connected = set(MetaConnection.objects.filter(status=MetaConnection.Status.CONNECTED).exclude(access_token="")
                    .exclude(catalog_id="").values_list("shop_id", flat=True))
    elsewhere = set(PromotionSettings.objects.exclude(source=PromotionSettings.Source.PORTAL)
                    .values_list("shop_id", flat=True))
    waiting = set(Discount.objects.filter(sync_state__in=[
        Discount.SyncState.PENDING, Discount.SyncState.FAILED, Discount.SyncState.UPLOADING,
        Discount.SyncState.LOCAL]).values_list("shop_id", flat=True))
    asked = set(PromotionSettings.objects.filter(
        Q(sync_requested_at__isnull=False) | Q(last_sync_at__lt=stale, shop__discounts__isnull=False))
        .values_list("shop_id", flat=True))
    return sorted((waiting | asked) & connected - elsewhere)
