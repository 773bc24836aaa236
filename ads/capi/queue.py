"""Queueing a server event: the one path by which the storefront API and the orders reach the
Conversions API. Nothing is sent inside the request: the sender (`ads.capi.sender`) does that."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ads import quality
from ads.capi.event_ids import BadEventId
from ads.capi.event_ids import event_id as make_event_id
from ads.capi.userdata import user_data
from ads.models import ServerEvent
from ads.services import settings_for

#: Meta accepts website events up to 7 days old (META_API §7.5).
MAX_AGE = timedelta(days=7)
STANDARD_EVENTS = ("PageView", "ViewContent", "AddToCart", "InitiateCheckout", "AddPaymentInfo", "Purchase",
                   "Search", "Lead", "CompleteRegistration", "Subscribe")


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
    if event_time < now - MAX_AGE:
        raise EventRefused("Meta accepts events up to 7 days old", "event_time")
    if event_name == "Purchase" and (custom.get("value") in (None, "") or not custom.get("currency")):
        raise EventRefused("a Purchase needs its value and currency", "custom_data")
    if action_source == "website":
        if not source_url:
            raise EventRefused("a website event needs the page's URL", "event_source_url")
        if not user.get("client_user_agent"):
            raise EventRefused("a website event needs the browser's user agent", "user_data.client_user_agent")


def queue_event(shop, *, event_name: str, key: str, event_time: datetime, user: Mapping,
                custom: Mapping | None = None, event_source_url: str = "", action_source: str = "website",
                test_event_code: str = "", opt_out: bool = False) -> tuple[ServerEvent, bool]:
    """Queue one event for the Conversions API. `key` is the order id of an order event, or the
    browser's random id (the event id rule, `ads.capi.event_ids`). Returns (event, created): an
    event already queued or sent under that name and id is returned as it is, never again.
    The shop's settings add Limited Data Use and route events to Test events while a test code
    is set; `opt_out` (the buyer declined ads use) is passed to Meta as is."""
    custom = dict(custom or {})
    try:
        eid = make_event_id(event_name, key)
    except BadEventId as error:
        raise EventRefused(str(error), "event_id") from None
    existing = ServerEvent.objects.filter(shop=shop, event_name=event_name, event_id=eid).first()
    if existing is not None:
        return existing, False
    _check(event_name, event_time, custom, event_source_url, user, action_source)
    hashed, dropped = user_data(user)
    if not hashed:
        raise EventRefused("no customer information Meta can match on", "user_data")
    payload = {"event_name": event_name, "event_time": int(event_time.timestamp()), "event_id": eid,
               "action_source": action_source, "user_data": hashed}
    prefs = settings_for(shop)
    if prefs.limited_data_use:
        # Meta's Limited Data Use with geolocation left to Meta (country 0, state 0)
        payload.update(data_processing_options=["LDU"], data_processing_options_country=0,
                       data_processing_options_state=0)
    if opt_out:
        payload["opt_out"] = True
    if event_source_url:
        payload["event_source_url"] = event_source_url
    if custom:
        payload["custom_data"] = custom
    try:
        with transaction.atomic():
            event = ServerEvent.objects.create(shop=shop, event_name=event_name, event_id=eid, event_time=event_time,
                                               action_source=action_source, payload=payload, dropped_keys=dropped,
                                               test_event_code=test_event_code or prefs.test_event_code,
                                               **quality.flags(shop, hashed, custom))
    except IntegrityError:  # the same event reported twice at the same moment
        return ServerEvent.objects.get(shop=shop, event_name=event_name, event_id=eid), False
    transaction.on_commit(lambda: _request_send(shop.pk))
    return event, True


def _request_send(shop_id: int) -> None:
    from django_q.tasks import async_task

    async_task("ads.tasks.send_events", shop_id, group="ads.send_events")
