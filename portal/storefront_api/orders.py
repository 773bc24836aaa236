"""Website orders through the storefront API: the order, then its cancellations and refunds.

- `POST /api/storefront/v1/orders`: records the order in the channel-neutral order pages (once
  per storefront order id) and queues its Purchase, with the id `purchase.<order_id>` that the
  browser pixel used, built from the order as first recorded: a second post of the order (or an
  update of it) records and sends nothing more.
- `POST /api/storefront/v1/orders/<order_id>/cancellations`: `{cancellation_id, items:
  [{retailer_id | line, quantity}], reason_code?, reason?, restock?}`: units not yet shipped.
- `POST /api/storefront/v1/orders/<order_id>/refunds`: `{refund_id, items: [{retailer_id | line,
  quantity}] or [{retailer_id | line, amount}], shipping?, reason_code?, reason?}`: units shipped
  (by quantity) or any amount up to what is left (by amount), the order's money rules exactly as
  on the seller's own refund form (orders.services).

Both are idempotent on their id: a second post with the same `cancellation_id` / `refund_id`
returns the first and records nothing. Meta defines no standard refund event for the Conversions
API (its standard events end at Purchase), so a refund sends nothing to Meta; the order pages,
finance and the seller's trail carry it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone

from ads.capi import event_ids
from ads.capi.queue import EventRefused, meta_value, queue_event
from kernel.money import Money, UnknownCurrency
from orders import services
from orders.errors import ActionError
from orders.forms import CANCEL_REASONS, SELLER_REFUND_REASONS
from orders.models import Cancellation, Order, Refund
from orders.website import WebsiteLine, WebsiteOrder, record_website_order
from portal.storefront_api.base import MAX_MINOR, FieldError, Invalid, api, error, parse_minor, parse_time, text

MAX_ITEMS = 500
_ACTION_ID = re.compile(r"[A-Za-z0-9._:-]{1,60}")


def _parse_order(shop, body: dict) -> WebsiteOrder:
    errors: dict = {}
    order_id = body.get("order_id")
    try:
        order_id = event_ids.check_order_id(order_id) if isinstance(order_id, str) and len(order_id) <= 64 else None
    except event_ids.BadEventId:
        order_id = None
    if order_id is None:
        errors["order_id"] = "the storefront's order id: 1 to 64 letters, digits and . _ : -"
    currency = str(body.get("currency") or "").upper() if isinstance(body.get("currency"), str) else ""
    try:
        Money.zero(currency)
    except (UnknownCurrency, ValueError):
        errors["currency"] = "an ISO 4217 currency code, e.g. USD"
        raise Invalid(errors) from None
    if currency != shop.currency:
        errors["currency"] = f"this shop sells in {shop.currency}"
        raise Invalid(errors)
    items = body.get("items")
    lines = []
    if not isinstance(items, list) or not items:
        errors["items"] = "at least one item"
    elif len(items) > MAX_ITEMS:
        errors["items"] = f"at most {MAX_ITEMS} items per order"
    else:
        for n, item in enumerate(items):
            where = f"items[{n}]"
            if not isinstance(item, dict):
                errors[where] = "an object"
                continue
            rid, quantity = item.get("retailer_id"), item.get("quantity")
            if not isinstance(rid, str) or not 1 <= len(rid.strip()) <= 100:
                errors[f"{where}.retailer_id"] = "the catalog's retailer id"
                rid = ""
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10_000:
                errors[f"{where}.quantity"] = "a whole number from 1 to 10000"
                quantity = 1
            price = parse_minor(item.get("price"), currency, f"{where}.price", errors, required=True)
            tax = parse_minor(item.get("tax"), currency, f"{where}.tax", errors)
            lines.append(WebsiteLine(retailer_id=rid.strip(), title=text(item.get("title"), 255) or rid.strip(),
                                     quantity=quantity, price_per_unit_minor=price, tax_minor=tax))
    shipping = parse_minor(body.get("shipping"), currency, "shipping", errors)
    discount = parse_minor(body.get("discount"), currency, "discount", errors)
    if lines and discount > sum(line.quantity * line.price_per_unit_minor for line in lines):
        errors["discount"] = "more than the items cost"
    placed = body.get("placed_at")
    placed_at = None
    if placed not in (None, ""):
        try:
            placed_at = parse_time(placed, "placed_at")
            if placed_at > timezone.now() + timedelta(minutes=5):
                errors["placed_at"] = "in the future: the time the buyer placed the order"
        except FieldError as bad:
            errors["placed_at"] = str(bad)
    buyer = body.get("buyer") or {}
    address = body.get("shipping_address") or {}
    if not isinstance(buyer, dict):
        errors["buyer"] = "an object"
        buyer = {}
    if not isinstance(address, dict):
        errors["shipping_address"] = "an object"
        address = {}
    if errors:
        raise Invalid(errors)
    data = WebsiteOrder(order_id=order_id, currency=currency, placed_at=placed_at, lines=lines,
                        shipping_minor=shipping, discount_minor=discount, buyer_name=text(buyer.get("name"), 200),
                        buyer_email=text(buyer.get("email"), 254), buyer_phone=text(buyer.get("phone"), 40),
                        shipping_address={str(k)[:40]: text(v, 200) for k, v in list(address.items())[:20]})
    if max(data.total_minor, data.items_subtotal_minor) > MAX_MINOR:
        raise Invalid({"items": "the order's total is too large"})
    return data


def _purchase(shop, order: Order, raw_event) -> dict:
    """The order's Purchase, from the order as recorded (never from a later post of it)."""
    raw_event = raw_event if isinstance(raw_event, dict) else {}
    user = raw_event.get("user_data") if isinstance(raw_event.get("user_data"), dict) else {}
    user = {"em": order.buyer_email, "ph": order.buyer_phone, **user}
    country = (order.shipping_address or {}).get("country")
    if country and "country" not in user:
        user["country"] = country
    items = list(order.items.all())
    custom = {"value": meta_value(order.total_minor, order.currency), "currency": order.currency,
              "content_ids": [item.retailer_id for item in items], "content_type": "product",
              "contents": [{"id": item.retailer_id, "quantity": item.quantity,
                            "item_price": meta_value(item.price_per_unit_minor, order.currency)} for item in items],
              "num_items": sum(item.quantity for item in items), "order_id": order.website_order_id}
    url = raw_event.get("event_source_url")
    try:
        event, created = queue_event(shop, event_name="Purchase", key=order.website_order_id,
                                     event_time=order.placed_at, user={k: v for k, v in user.items() if v},
                                     custom=custom, event_source_url=url if isinstance(url, str) else "")
    except EventRefused as refused:
        return {"status": "refused", "errors": {refused.field or "event": str(refused)}}
    return {"status": "queued" if created else "duplicate", "event_id": event.event_id}


def _order_answer(order: Order) -> dict:
    return {"order_id": order.website_order_id, "reference": order.reference, "state": order.state,
            "total": str(Money(order.total_minor, order.currency).to_decimal()), "currency": order.currency}


@api
def orders(request, shop, body):
    data = _parse_order(shop, body)
    order, created = record_website_order(shop, data)
    return JsonResponse({
        "order": {**_order_answer(order), "status": "recorded" if created else "already_recorded"},
        "purchase_event": _purchase(shop, order, body.get("event")),
    }, status=202)


# --- cancellations and refunds --------------------------------------------------------------------


def _website_order(shop, order_id: str) -> Order | None:
    return Order.objects.filter(shop=shop, website_order_id=order_id).first() if len(order_id) <= 64 else None


def _action_id(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not _ACTION_ID.fullmatch(value.strip()):
        raise Invalid({name: "your id for this change: 1 to 60 letters, digits and . _ : - (a second post "
                             "with the same id changes nothing)"})
    return "api:" + value.strip()


def _reason(body: dict, choices) -> tuple[str, str]:
    codes = [code for code, _label in choices]
    code = body.get("reason_code") or codes[-1]
    if code not in codes:
        raise Invalid({"reason_code": "one of " + ", ".join(codes)})
    return code, text(body.get("reason"), 500)


def _lines(order: Order, body: dict, *, amount: bool) -> tuple[dict, dict]:
    """({item pk: quantity or minor amount}, {item pk: "items[n]"}) from the request's items,
    each naming its line by `line` (0-based, as posted) or `retailer_id`."""
    items = body.get("items")
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise Invalid({"items": f"1 to {MAX_ITEMS} items"})
    lines = list(order.items.all())
    by_rid: dict[str, list] = {}
    for item in lines:
        by_rid.setdefault(item.retailer_id, []).append(item)
    wanted: dict[int, int] = {}
    where: dict[int, str] = {}
    errors: dict = {}
    for n, raw in enumerate(items):
        at = f"items[{n}]"
        if not isinstance(raw, dict):
            errors[at] = "an object"
            continue
        line = raw.get("line")
        if isinstance(line, int) and not isinstance(line, bool):
            item = lines[line] if 0 <= line < len(lines) else None
        else:
            found = by_rid.get(raw.get("retailer_id")) if isinstance(raw.get("retailer_id"), str) else None
            item = found[0] if found and len(found) == 1 else None
            if found and len(found) > 1:
                errors[at] = "this retailer id is on several lines: name the line (0-based)"
                continue
        if item is None:
            errors[at] = "no such line on this order (give retailer_id or line)"
            continue
        if item.pk in wanted:
            errors[at] = "this line is named twice"
            continue
        if amount:
            value = parse_minor(raw.get("amount"), order.currency, f"{at}.amount", errors, required=True)
        else:
            value = raw.get("quantity")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
                errors[f"{at}.quantity"] = "a whole number from 1 to 10000"
                continue
        wanted[item.pk], where[item.pk] = value, at
    if errors:
        raise Invalid(errors)
    return wanted, where


def _refused(exc: ActionError, where: dict) -> Invalid:
    field = exc.field or ""
    pk = field.rsplit("_", 1)[-1]
    located = where.get(int(pk)) if pk.isdigit() else None
    return Invalid({located or ("items" if field == "mode" else field) or "order": exc.message})


def _actor(request) -> str:
    """Who acted, in the shop's trail: the storefront API key by its name."""
    return f"storefront API key “{request.storefront_key.name}”"


@api
def cancellations(request, shop, body, order_id: str):
    order = _website_order(shop, order_id)
    if order is None:
        return error(404, "not_found", "No website order of this shop has that order id.")
    submission = _action_id(body, "cancellation_id")
    code, reason = _reason(body, CANCEL_REASONS)
    restock = body.get("restock", True)
    if not isinstance(restock, bool):
        raise Invalid({"restock": "true or false"})
    replay = Cancellation.objects.filter(order=order, submission=submission).exists()
    wanted, where = _lines(order, body, amount=False)
    try:
        record = services.cancel(shop, order.pk, quantities=wanted, reason_code=code, description=reason,
                                 restock=restock, submission=submission, actor=_actor(request))
    except ActionError as exc:
        raise _refused(exc, where) from None
    order.refresh_from_db()
    return JsonResponse({"cancellation": {"cancellation_id": submission[4:], "status": "already_recorded" if replay
                                          else "recorded", "units": sum(i.quantity for i in record.items.all())},
                         "order": _order_answer(order)}, status=202)


@api
def refunds(request, shop, body, order_id: str):
    order = _website_order(shop, order_id)
    if order is None:
        return error(404, "not_found", "No website order of this shop has that order id.")
    submission = _action_id(body, "refund_id")
    code, reason = _reason(body, SELLER_REFUND_REASONS)
    raw = body.get("items")
    by_amount = isinstance(raw, list) and any(isinstance(i, dict) and "amount" in i for i in raw)
    if by_amount and any(isinstance(i, dict) and "quantity" in i for i in raw):
        raise Invalid({"items": "refund every item by quantity, or every item by amount"})
    replay = Refund.objects.filter(order=order, submission=submission).exists()
    wanted, where = _lines(order, body, amount=by_amount)
    errors: dict = {}
    shipping = parse_minor(body.get("shipping"), order.currency, "shipping", errors)
    if errors:
        raise Invalid(errors)
    try:
        record = services.refund(shop, order.pk, quantities=None if by_amount else wanted,
                                 amounts=wanted if by_amount else None, shipping_minor=shipping, reason_code=code,
                                 reason_text=reason, submission=submission, actor=_actor(request))
    except ActionError as exc:
        raise _refused(exc, where) from None
    order.refresh_from_db()
    return JsonResponse({"refund": {"refund_id": submission[4:], "status": "already_recorded" if replay
                                    else "recorded", "total": str(Money(record.total_minor,
                                                                        order.currency).to_decimal())},
                         "order": _order_answer(order)}, status=202)
