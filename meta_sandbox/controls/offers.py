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

from django.urls import path

from ..actions import offers as actions
from ..control import ControlError, control


@control("GET", "POST", "DELETE")
def reject_view(request, body):
    if request.method == "POST":
        rules = actions.add_offer_reject_rule(offer_id=body.get("offer_id"), message=body.get("message"),
                                              summary=body.get("summary"), column=body.get("column"),
                                              catalog_id=body.get("catalog_id"))
    elif request.method == "DELETE":
        rules = actions.clear_offer_reject_rules()
    else:
        rules = actions.offer_reject_rules()
    return {"rules": rules}


@control("GET", "POST")
def config_view(request, body):
    if request.method == "POST" and "manual_processing" in body:
        return actions.set_offers_config(manual_processing=bool(body["manual_processing"]))
    return actions.offers_config()


@control("POST")
def process_view(request, body, upload_id: str):
    return actions.process_offer_upload(upload_id)


def _catalog_id(request) -> str:
    catalog_id = request.GET.get("catalog_id") or ""
    if not catalog_id:
        raise ControlError("catalog_id is required")
    return catalog_id


@control("GET")
def offers_view(request, body):
    return {"data": actions.catalog_offers(_catalog_id(request))}


@control("GET")
def feeds_view(request, body):
    return {"data": actions.offer_feeds(_catalog_id(request))}


urlpatterns = [
    path("offers", offers_view),
    path("offers/reject", reject_view),
    path("offers/config", config_view),
    path("offers/feeds", feeds_view),
    path("offers/uploads/<str:upload_id>/process", process_view),
]
