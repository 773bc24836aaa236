"""Control calls for offers (`/graph-sandbox/_control/offers...`): Meta's review of offer rows as
an actor, and a look at the offers a catalog holds.

- `GET/POST/DELETE offers/reject`: rejection rules applied to the rows of every later upload.
  A rule `{"offer_id": "offer_*", "message": "...", "summary": "...", "column": "title",
  "catalog_id": "..."?}` rejects (fatal) each row whose offer_id matches the glob, with that
  message in the upload's `errors`. DELETE clears them.
- `POST offers/config`: `{"manual_processing": true}` leaves uploads in progress (no `end_time`)
  until `POST offers/uploads/<upload_id>/process`.
- `GET offers?catalog_id=`: the offers stored in a catalog (as validated; amounts as text).
- `GET offers/feeds?catalog_id=`: the catalog's feeds with their uploads.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path

from ..control import ControlError, _node_or_404, control
from ..endpoints.offers.common import FEED, UPLOAD, offers_of, save_switch, switch
from ..endpoints.offers.processing import process
from ..models import Node


@control("GET", "POST", "DELETE")
def reject_view(request, body):
    current = switch()
    if request.method == "POST":
        if not body.get("offer_id"):
            raise ControlError("offer_id (a glob) is required")
        rule = {k: str(body[k]) for k in ("offer_id", "message", "summary", "column", "catalog_id") if body.get(k)}
        current["reject"] = [*current.get("reject", []), rule]
        save_switch(current)
    elif request.method == "DELETE":
        current["reject"] = []
        save_switch(current)
    return {"rules": current.get("reject", [])}


@control("GET", "POST")
def config_view(request, body):
    current = switch()
    if request.method == "POST" and "manual_processing" in body:
        current["manual_processing"] = bool(body["manual_processing"])
        save_switch(current)
    return current


@control("POST")
def process_view(request, body, upload_id: str):
    with transaction.atomic():
        upload = _node_or_404(upload_id, UPLOAD)
        if upload.data.get("end_time"):
            raise ControlError(f"upload {upload_id} is already processed")
        process(upload)
        return {"id": upload.gid, **{k: v for k, v in upload.data.items() if k != "content"}}


def _catalog(request) -> Node:
    catalog_id = request.GET.get("catalog_id") or ""
    if not catalog_id:
        raise ControlError("catalog_id is required")
    return _node_or_404(catalog_id, "catalog")


@control("GET")
def offers_view(request, body):
    catalog = _catalog(request)
    return {"data": [{"id": n.gid, **n.data} for n in offers_of(catalog.gid).order_by("key")]}


@control("GET")
def feeds_view(request, body):
    catalog = _catalog(request)
    feeds = []
    for feed in Node.objects.of_type(FEED).filter(parent_id=catalog.gid).order_by("pk"):
        uploads = [{"id": u.gid, **{k: v for k, v in u.data.items() if k != "content"}}
                   for u in Node.objects.of_type(UPLOAD).filter(parent_id=feed.gid).order_by("pk")]
        feeds.append({"id": feed.gid, **feed.data, "uploads": uploads})
    return {"data": feeds}


urlpatterns = [
    path("offers", offers_view),
    path("offers/reject", reject_view),
    path("offers/config", config_view),
    path("offers/feeds", feeds_view),
    path("offers/uploads/<str:upload_id>/process", process_view),
]
