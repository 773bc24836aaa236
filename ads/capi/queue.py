"""Queueing a server event: the one path by which the storefront API and the orders reach the
Conversions API. Nothing is sent inside the request: the sender (`ads.capi.sender`) does that."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ads import quality
from ads.capi.event_ids import BadEventId
from ads.capi.event_ids import event_id as make_event_id
from ads.capi.userdata import user_data
from ads.models import ServerEvent
from ads.services import settings_for

#: Meta accepts website events up to 7 days old (META_API §7.5); the portal takes them up to
#: `MAX_AGE - EXPIRY_MARGIN` old, and the sender sets aside what passed that before it is sent,
#: so an event never ages out between the check and Meta's clock.
MAX_AGE = timedelta(days=7)
EXPIRY_MARGIN = timedelta(minutes=5)
CURRENCY = re.compile(r"[A-Z]{3}")
STANDARD_EVENTS = ("PageView", "ViewContent", "AddToCart", "InitiateCheckout", "AddPaymentInfo", "Purchase",
                   "Search", "Lead", "CompleteRegistration", "Subscribe")


def meta_value(minor: int, currency: str) -> float:
    """Meta's `custom_data.value` (and `item_price`) is a JSON number. The amount is exact in
    minor units; the float only carries its decimal text (e.g. 24.99) onto the wire: no
    arithmetic is done on it."""
    from kernel.money import Money

    return float(Money(minor, currency).to_decimal())


class EventRefused(ValueError):
    """An event that cannot be queued; `field` names what to fix."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _check(event_name: str, event_time: datetime, custom: Mapping, source_url: str, user: Mapping,
           action_source: str) -> None:
    if event_name not in STANDARD_EVENTS:
        raise EventRefused(f"{event_name!r} is not a standard event", "event_name")
    now = timezone.now()
    if event_time > now + timedelta(minutes=1):
        raise EventRefused("the event time is in the future", "event_time")
    if event_time < now - MAX_AGE + EXPIRY_MARGIN:
        raise EventRefused("Meta accepts events up to 7 days old", "event_time")
    value, currency = custom.get("value"), custom.get("currency")
    if event_name == "Purchase" and (value in (None, "") or not currency):
        raise EventRefused("a Purchase needs its value and currency", "custom_data")
    if value not in (None, "") and (isinstance(value, bool) or not isinstance(value, int | float)
                                    or not math.isfinite(value) or abs(value) > 1e12):
        raise EventRefused("value is a number", "custom_data.value")
    if currency not in (None, "") and not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
        raise EventRefused("currency is a three-letter ISO 4217 code, e.g. USD", "custom_data.currency")
    contents = custom.get("contents")
    if contents is not None and not (isinstance(contents, list) and all(isinstance(c, dict) for c in contents)):
        raise EventRefused("contents is a list of objects", "custom_data.contents")
    ids = custom.get("content_ids")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str | int) for i in ids)):
        raise EventRefused("content_ids is a list of your catalog's retailer ids", "custom_data.content_ids")
    if action_source == "website":
        if not source_url:
            raise EventRefused("a website event needs the page's URL", "event_source_url")
        if not user.get("client_user_agent"):
            raise EventRefused("a website event needs the browser's user agent", "user_data.client_user_agent")


@dataclass(frozen=True)
class EventInput:
    """One event as the storefront (or an order) reports it, before normalising."""

    event_name: str
    key: str
    event_time: datetime
    user: Mapping
    custom: Mapping | None = None
    event_source_url: str = ""
    action_source: str = "website"
    test_event_code: str = ""
    opt_out: bool = False


@dataclass
class Queued:
    """What became of one input: "queued", "duplicate" (the same name and id was reported
    before: that event, untouched) or "refused" (`error` says what to fix)."""

    status: str
    event: ServerEvent | None = None
    error: EventRefused | None = None


def _payload(item: EventInput, eid: str, hashed: dict, custom: dict, prefs) -> dict:
    payload = {"event_name": item.event_name, "event_time": int(item.event_time.timestamp()), "event_id": eid,
               "action_source": item.action_source, "user_data": hashed}
    if prefs.limited_data_use:
        # Meta's Limited Data Use with geolocation left to Meta (country 0, state 0)
        payload.update(data_processing_options=["LDU"], data_processing_options_country=0,
                       data_processing_options_state=0)
    if item.opt_out:
        payload["opt_out"] = True
    if item.event_source_url:
        payload["event_source_url"] = item.event_source_url
    if custom:
        payload["custom_data"] = custom
    return payload


def queue_events(shop, items: list[EventInput]) -> list[Queued]:
    """Queue events for the Conversions API, in bulk (a storefront request of up to 1,000 costs
    a handful of queries). Each item's `key` is the order id of an order event, or the browser's
    random id (the event id rule, `ads.capi.event_ids`). An event already queued or sent under
    that name and id is returned as it is, never queued again. The shop's settings add Limited
    Data Use and route events to Test events while a test code is set; `opt_out` (the buyer
    declined ads use) is passed to Meta as is. One send is requested after the commit."""
    results: list[Queued | None] = [None] * len(items)
    ids: dict[int, str] = {}
    for n, item in enumerate(items):
        try:
            ids[n] = make_event_id(item.event_name, item.key)
        except BadEventId as error:
            results[n] = Queued("refused", error=EventRefused(str(error), "event_id"))
    known = {}
    wanted = sorted(set(ids.values()))
    for start in range(0, len(wanted), 500):
        for event in ServerEvent.objects.filter(shop=shop, event_id__in=wanted[start:start + 500]):
            known[(event.event_name, event.event_id)] = event
    prefs = settings_for(shop)
    rows: list[tuple[int, ServerEvent]] = []
    seen: set = set()
    prepared = []
    for n, eid in ids.items():
        item = items[n]
        if (item.event_name, eid) in known:
            results[n] = Queued("duplicate", event=known[(item.event_name, eid)])
            continue
        custom = dict(item.custom or {})
        try:
            _check(item.event_name, item.event_time, custom, item.event_source_url, item.user, item.action_source)
            hashed, dropped = user_data(item.user)
            if not hashed:
                raise EventRefused("no customer information Meta can match on", "user_data")
        except EventRefused as refused:
            results[n] = Queued("refused", error=refused)
            continue
        if (item.event_name, eid) in seen:
            results[n] = Queued("duplicate")
            continue
        seen.add((item.event_name, eid))
        prepared.append((n, item, eid, hashed, dropped, custom))
    catalog_ids = quality.catalog_ids(shop, [custom for *_rest, custom in prepared])
    for n, item, eid, hashed, dropped, custom in prepared:
        rows.append((n, ServerEvent(
            shop=shop, event_name=item.event_name, event_id=eid, event_time=item.event_time,
            action_source=item.action_source, payload=_payload(item, eid, hashed, custom, prefs), dropped_keys=dropped,
            test_event_code=item.test_event_code or prefs.test_event_code,
            **quality.flags(hashed, custom, catalog_ids))))
    created = _insert(shop, rows, results)
    if created:
        transaction.on_commit(lambda: _request_send(shop.pk))
    return results


def _insert(shop, rows: list[tuple[int, ServerEvent]], results: list) -> int:
    if not rows:
        return 0
    try:
        with transaction.atomic():
            ServerEvent.objects.bulk_create([event for _n, event in rows], batch_size=500)
        for n, event in rows:
            results[n] = Queued("queued", event=event)
        return len(rows)
    except IntegrityError:  # another request queued some of the same events at the same moment
        created = 0
        for n, event in rows:
            try:
                with transaction.atomic():
                    event.pk = None
                    event.save()
                results[n] = Queued("queued", event=event)
                created += 1
            except IntegrityError:
                results[n] = Queued("duplicate", event=ServerEvent.objects.get(
                    shop=shop, event_name=event.event_name, event_id=event.event_id))
        return created


def queue_event(shop, *, event_name: str, key: str, event_time: datetime, user: Mapping,
                custom: Mapping | None = None, event_source_url: str = "", action_source: str = "website",
                test_event_code: str = "", opt_out: bool = False) -> tuple[ServerEvent, bool]:
    """Queue one event (`queue_events` for one). Returns (event, created); raises EventRefused."""
    result = queue_events(shop, [EventInput(event_name=event_name, key=key, event_time=event_time, user=user,
                                            custom=custom, event_source_url=event_source_url,
                                            action_source=action_source, test_event_code=test_event_code,
                                            opt_out=opt_out)])[0]
    if result.status == "refused":
        raise result.error
    return result.event, result.status == "queued"


def _request_send(shop_id: int) -> None:
    """Ask for one send of the shop's queue: requests within a few seconds share it (the sweep
    sends whatever a coalesced request left)."""
    from django.core.cache import cache
    from django_q.tasks import async_task

    if cache.add(f"ads-send-requested:{shop_id}", 1, timeout=SEND_COALESCE_SECONDS):
        async_task("ads.tasks.send_events", shop_id, group="ads.send_events")


SEND_COALESCE_SECONDS = 2
