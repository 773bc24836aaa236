"""The storefront API (v1): the seller's website reports shop events and website orders to the
portal. JSON in, JSON out, per-shop keys (`Authorization: Bearer sp_…`, made in Settings →
Storefront API keys), rate-limited per key, idempotent on the event id and the storefront's
order id, validated with an error per field. It answers 202 as soon as the event or order is
recorded: nothing is sent to Meta inside the request (the Conversions API sender does that).

- `POST /api/storefront/v1/events`: `{"events": [{event_name, event_id, event_time,
  event_source_url, action_source?, user_data{…}, custom_data{…}}]}`, at most 1,000. Each
  event's `event_id` follows the one rule (`ads.capi.event_ids`: `<event name lowercased>.<key>`,
  what the snippet's `portalEventId()` gives the browser pixel), so Meta deduplicates the two.
- `POST /api/storefront/v1/orders`: a website order (`order_id`, `currency`, `items[]`,
  amounts as decimal strings in the order's currency, `buyer`, `shipping_address`, and `event`:
  the browser's `user_data` and the page URL). It records the order in the order pages and
  queues its Purchase with the event id `purchase.<order_id>`: a second post of the order (or an
  update of it) records and sends nothing more.

Errors: 400 (malformed body, or every event refused) with `{"error": {code, message}}` or
`{"errors": {field: message}}`, 401 (no key, unknown or revoked key: nothing recorded), 405,
413 (body over 1 MB), 429 (over the key's rate, with `Retry-After`).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from ads.capi.queue import EventInput, EventRefused, Queued, meta_value, queue_event, queue_events
from kernel.money import Money, UnknownCurrency
from orders.website import WebsiteLine, WebsiteOrder, record_website_order
from shops.api_keys import authenticate

MAX_EVENTS = 1000
MAX_BODY = 1024 * 1024


def _error(status: int, code: str, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _rate_limited(key) -> JsonResponse | None:
    limit = int(getattr(settings, "STOREFRONT_API_RATE_PER_MINUTE", 600))
    window = int(time.time() // 60)
    name = f"storefront-api:{key.pk}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=120)
        count = 1
    if count > limit:
        retry = max(1, int((window + 1) * 60 - time.time()))
        return _error(429, "rate_limited", f"More than {limit} requests a minute with this key; try again in "
                                           f"{retry} s.", Retry_After=str(retry))
    return None


def _api(view):
    """POST only, a valid key, within its rate, a JSON object body: then view(request, shop, body)."""

    @csrf_exempt
    def wrapper(request):
        if request.method != "POST":
            return _error(405, "method_not_allowed", "Use POST.", Allow="POST")
        header = request.headers.get("Authorization", "")
        key = authenticate(header[7:] if header.startswith("Bearer ") else "")
        if key is None:
            return _error(401, "unauthorized", "Send a valid storefront API key: Authorization: Bearer <key>.")
        limited = _rate_limited(key)
        if limited is not None:
            return limited
        if len(request.body) > MAX_BODY:
            return _error(413, "too_large", "The body is over 1 MB; send fewer events per request.")
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "invalid_json", "The body is not JSON.")
        if not isinstance(body, dict):
            return _error(400, "invalid_json", "The body is a JSON object.")
        return view(request, key.shop, body)

    return wrapper


def _time(value, field: str) -> datetime:
    if isinstance(value, bool):
        raise EventRefused("a unix time in seconds or an ISO 8601 date-time", field)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(int(value), tz=UTC)
    parsed = parse_datetime(str(value)) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise EventRefused("a unix time in seconds or an ISO 8601 date-time with its time zone", field)
    return parsed


def _event_key(event_name: str, event_id) -> str:
    prefix = f"{str(event_name).lower()}."
    if not isinstance(event_id, str) or not event_id.startswith(prefix) or len(event_id) == len(prefix):
        raise EventRefused(f"the event id is “{prefix}<id>” (what portalEventId() gives the pixel)", "event_id")
    return event_id[len(prefix):]


def _event_input(raw) -> EventInput:
    if not isinstance(raw, dict):
        raise EventRefused("each event is a JSON object")
    name = raw.get("event_name")
    if not isinstance(name, str):
        raise EventRefused("required", "event_name")
    user, custom = raw.get("user_data") or {}, raw.get("custom_data") or {}
    if not isinstance(user, dict):
        raise EventRefused("a JSON object", "user_data")
    if not isinstance(custom, dict):
        raise EventRefused("a JSON object", "custom_data")
    source = raw.get("action_source") or "website"
    if source not in ("website", "system_generated", "other"):
        raise EventRefused("website, system_generated or other", "action_source")
    return EventInput(event_name=name, key=_event_key(name, raw.get("event_id")),
                      event_time=_time(raw.get("event_time", time.time()), "event_time"), user=user, custom=custom,
                      event_source_url=str(raw.get("event_source_url") or ""), action_source=source,
                      opt_out=raw.get("opt_out") is True)


def _result(index: int, queued: Queued) -> dict:
    if queued.status == "refused":
        return {"index": index, "status": "refused", "errors": {queued.error.field or "event": str(queued.error)}}
    return {"index": index, "status": queued.status, "event_id": queued.event.event_id if queued.event else ""}


@_api
def events(request, shop, body):
    batch = body.get("events")
    if not isinstance(batch, list) or not batch:
        return _error(400, "invalid_events", "Send {\"events\": [...]} with at least one event.")
    if len(batch) > MAX_EVENTS:
        return _error(400, "too_many_events", f"At most {MAX_EVENTS} events per request.")
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


# --- website orders ------------------------------------------------------------------------------


class OrderInvalid(ValueError):
    def __init__(self, errors: dict):
        super().__init__("invalid order")
        self.errors = errors


def _minor(value, currency: str, field: str, errors: dict, *, required: bool = False) -> int:
    if value in (None, ""):
        if required:
            errors[field] = "required"
        return 0
    try:
        minor = Money.from_decimal(str(value), currency).minor
    except (ValueError, ArithmeticError) as error:
        errors[field] = f"a decimal amount in {currency}: {error}"
        return 0
    if minor < 0:
        errors[field] = "must not be negative"
    return minor


def _parse_order(body: dict) -> WebsiteOrder:
    errors: dict = {}
    order_id = body.get("order_id")
    if not isinstance(order_id, str) or not 1 <= len(order_id.strip()) <= 64:
        errors["order_id"] = "the storefront's order id: 1 to 64 characters"
    currency = str(body.get("currency") or "").upper()
    try:
        Money.zero(currency)
    except (UnknownCurrency, ValueError):
        errors["currency"] = "an ISO 4217 currency code, e.g. USD"
        raise OrderInvalid(errors) from None
    items = body.get("items")
    lines = []
    if not isinstance(items, list) or not items:
        errors["items"] = "at least one item"
    else:
        for n, item in enumerate(items[:500]):
            where = f"items[{n}]"
            if not isinstance(item, dict):
                errors[where] = "an object"
                continue
            rid, quantity = item.get("retailer_id"), item.get("quantity")
            if not isinstance(rid, str) or not 1 <= len(rid) <= 100:
                errors[f"{where}.retailer_id"] = "the catalog's retailer id"
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10_000:
                errors[f"{where}.quantity"] = "a whole number from 1 to 10000"
                quantity = 1
            price = _minor(item.get("price"), currency, f"{where}.price", errors, required=True)
            tax = _minor(item.get("tax"), currency, f"{where}.tax", errors)
            lines.append(WebsiteLine(retailer_id=str(rid or "")[:100], title=str(item.get("title") or rid or "")[:255],
                                     quantity=quantity, price_per_unit_minor=price, tax_minor=tax))
    shipping = _minor(body.get("shipping"), currency, "shipping", errors)
    discount = _minor(body.get("discount"), currency, "discount", errors)
    if lines and discount > sum(line.quantity * line.price_per_unit_minor for line in lines):
        errors["discount"] = "more than the items cost"
    placed = body.get("placed_at")
    try:
        placed_at = _time(placed, "placed_at") if placed not in (None, "") else datetime.now(tz=UTC)
    except EventRefused as refused:
        errors["placed_at"] = str(refused)
        placed_at = datetime.now(tz=UTC)
    buyer = body.get("buyer") or {}
    address = body.get("shipping_address") or {}
    if not isinstance(buyer, dict):
        errors["buyer"] = "an object"
        buyer = {}
    if not isinstance(address, dict):
        errors["shipping_address"] = "an object"
        address = {}
    if errors:
        raise OrderInvalid(errors)
    return WebsiteOrder(order_id=order_id.strip(), currency=currency, placed_at=placed_at, lines=lines,
                        shipping_minor=shipping, discount_minor=discount, buyer_name=str(buyer.get("name") or "")[:200],
                        buyer_email=str(buyer.get("email") or "")[:254], buyer_phone=str(buyer.get("phone") or "")[:40],
                        shipping_address={str(k)[:40]: str(v)[:200] for k, v in list(address.items())[:20]})


def _purchase(shop, data: WebsiteOrder, order, raw_event) -> dict:
    raw_event = raw_event if isinstance(raw_event, dict) else {}
    user = raw_event.get("user_data") if isinstance(raw_event.get("user_data"), dict) else {}
    user = {"em": data.buyer_email, "ph": data.buyer_phone, **user}
    if data.shipping_address.get("country") and "country" not in user:
        user["country"] = data.shipping_address["country"]
    custom = {"value": meta_value(order.total_minor, data.currency), "currency": data.currency,
              "content_ids": [line.retailer_id for line in data.lines], "content_type": "product",
              "contents": [{"id": line.retailer_id, "quantity": line.quantity,
                            "item_price": meta_value(line.price_per_unit_minor, data.currency)} for line in data.lines],
              "num_items": sum(line.quantity for line in data.lines), "order_id": data.order_id}
    try:
        event, created = queue_event(shop, event_name="Purchase", key=data.order_id, event_time=data.placed_at,
                                     user={k: v for k, v in user.items() if v}, custom=custom,
                                     event_source_url=str(raw_event.get("event_source_url") or ""))
    except EventRefused as refused:
        return {"status": "refused", "errors": {refused.field or "event": str(refused)}}
    return {"status": "queued" if created else "duplicate", "event_id": event.event_id}


@_api
def orders(request, shop, body):
    currency = str(body.get("currency") or "").upper()
    if currency and currency != shop.currency:
        return JsonResponse({"errors": {"currency": f"this shop sells in {shop.currency}"}}, status=400)
    try:
        data = _parse_order(body)
    except OrderInvalid as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
    order, created = record_website_order(shop, data)
    return JsonResponse({
        "order": {"order_id": data.order_id, "reference": order.reference,
                  "status": "recorded" if created else "already_recorded"},
        "purchase_event": _purchase(shop, data, order, body.get("event")),
    }, status=202)
