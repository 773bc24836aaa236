"""`POST /api/storefront/v1/events`: shop events from the storefront's server, the server copies
of what the snippet's pixel fires in the browser, with the same event ids."""

from __future__ import annotations

import time

from django.http import JsonResponse

from ads.capi import event_ids
from ads.capi.queue import EventInput, EventRefused, Queued, queue_events
from portal.storefront_api.base import FieldError, api, error, parse_time

MAX_EVENTS = 1000


def _event_input(raw) -> EventInput:
    if not isinstance(raw, dict):
        raise EventRefused("each event is a JSON object")
    name = raw.get("event_name")
    if not isinstance(name, str) or not name:
        raise EventRefused("required", "event_name")
    user, custom = raw.get("user_data") or {}, raw.get("custom_data") or {}
    if not isinstance(user, dict):
        raise EventRefused("a JSON object", "user_data")
    if not isinstance(custom, dict):
        raise EventRefused("a JSON object", "custom_data")
    source = raw.get("action_source") or "website"
    if source not in ("website", "system_generated", "other"):
        raise EventRefused("website, system_generated or other", "action_source")
    try:
        key = event_ids.key_of(name, raw.get("event_id"))
    except event_ids.BadEventId as bad:
        raise EventRefused(str(bad), "event_id") from None
    if name in event_ids.ORDER_EVENTS and custom.get("order_id") != key:
        # The Purchase's id is made of its order (the rule): one order, one Purchase, however
        # often it is reported. The order itself belongs in POST /orders.
        raise EventRefused(f"a {name}'s event id is “{name.lower()}.<order id>” and its custom_data.order_id is "
                           "that order id; post website orders to /api/storefront/v1/orders", "event_id")
    try:
        when = parse_time(raw.get("event_time", int(time.time())), "event_time")
    except FieldError as bad:
        raise EventRefused(str(bad), bad.field) from None
    url = raw.get("event_source_url")
    return EventInput(event_name=name, key=key, event_time=when, user=user, custom=custom,
                      event_source_url=url if isinstance(url, str) else "", action_source=source,
                      opt_out=raw.get("opt_out") is True)


def _result(index: int, queued: Queued) -> dict:
    if queued.status == "refused":
        return {"index": index, "status": "refused", "errors": {queued.error.field or "event": str(queued.error)}}
    return {"index": index, "status": queued.status, "event_id": queued.event.event_id if queued.event else ""}


@api
def events(request, shop, body):
    batch = body.get("events")
    if not isinstance(batch, list) or not batch:
        return error(400, "invalid_events", "Send {\"events\": [...]} with at least one event.")
    if len(batch) > MAX_EVENTS:
        return error(400, "too_many_events", f"At most {MAX_EVENTS} events per request.")
    results: list = [None] * len(batch)
    inputs, where = [], []
    for index, raw in enumerate(batch):
        try:
            inputs.append(_event_input(raw))
            where.append(index)
        except EventRefused as refused:
            results[index] = _result(index, Queued("refused", error=refused))
    for index, queued in zip(where, queue_events(shop, inputs), strict=True):
        results[index] = _result(index, queued)
    accepted = any(r["status"] != "refused" for r in results)
    return JsonResponse({"results": results}, status=202 if accepted else 400)
