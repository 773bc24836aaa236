"""Meta's review of offer rows as an actor (rejection rules, manual processing) and a look at
the offers and feeds a catalog holds."""

from __future__ import annotations

from django.db import transaction

from ..endpoints.offers.common import FEED, UPLOAD, offers_of, save_switch, switch
from ..endpoints.offers.processing import process
from ..models import Node
from . import ControlError
from .world import node_or_404


def offer_reject_rules() -> list[dict]:
    return switch().get("reject", [])


def add_offer_reject_rule(*, offer_id: str, message: str | None = None, summary: str | None = None,
                          column: str | None = None, catalog_id: str | None = None) -> list[dict]:
    """Reject (fatal) each row of later uploads whose offer_id matches the glob; all the rules."""
    if not offer_id:
        raise ControlError("offer_id (a glob) is required")
    given = {"offer_id": offer_id, "message": message, "summary": summary, "column": column,
             "catalog_id": catalog_id}
    current = switch()
    current["reject"] = [*current.get("reject", []), {k: str(v) for k, v in given.items() if v}]
    save_switch(current)
    return current["reject"]


def clear_offer_reject_rules() -> list[dict]:
    current = switch()
    current["reject"] = []
    save_switch(current)
    return current["reject"]


def offers_config() -> dict:
    return switch()


def set_offers_config(*, manual_processing: bool | None = None) -> dict:
    """With manual processing on, uploads stay in progress until `process_offer_upload`."""
    current = switch()
    if manual_processing is not None:
        current["manual_processing"] = bool(manual_processing)
        save_switch(current)
    return current


def process_offer_upload(upload_id: str) -> dict:
    """Process an upload left in progress; the upload as stored (without the file)."""
    with transaction.atomic():
        upload = node_or_404(upload_id, UPLOAD)
        if upload.data.get("end_time"):
            raise ControlError(f"upload {upload_id} is already processed")
        process(upload)
        return {"id": upload.gid, **{k: v for k, v in upload.data.items() if k != "content"}}


def catalog_offers(catalog_id: str) -> list[dict]:
    """The offers stored in a catalog (as validated; amounts as text)."""
    catalog = node_or_404(catalog_id, "catalog")
    return [{"id": n.gid, **n.data} for n in offers_of(catalog.gid).order_by("key")]


def offer_feeds(catalog_id: str) -> list[dict]:
    """The catalog's feeds with their uploads."""
    catalog = node_or_404(catalog_id, "catalog")
    feeds = []
    for feed in Node.objects.of_type(FEED).filter(parent_id=catalog.gid).order_by("pk"):
        uploads = [{"id": u.gid, **{k: v for k, v in u.data.items() if k != "content"}}
                   for u in Node.objects.of_type(UPLOAD).filter(parent_id=feed.gid).order_by("pk")]
        feeds.append({"id": feed.gid, **feed.data, "uploads": uploads})
    return feeds
