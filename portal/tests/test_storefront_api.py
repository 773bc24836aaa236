"""The storefront API end to end, the way a seller sets it up: the owner makes a key in Settings
(shown once, stored hashed), the storefront posts a website order and events with it, the order
appears in the order pages, and Meta (the sandbox) counts its Purchase once, deduplicated against
the browser pixel's copy, however often the order is posted. A revoked key gets 401 and nothing
is recorded."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from ads.models import ServerEvent
from kernel.money import Money
from orders.models import Order
from portal.testing import clear_cache
from shops.models import ApiKey, AuditEvent

BROWSER = {"client_user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "client_ip_address": "203.0.113.7",
           "fbp": "fb.1.1700000000000.123456789"}
ORDER = {"order_id": "W-1001", "currency": "USD", "items": [
    {"retailer_id": "TEA-1", "title": "Jasmine tea", "quantity": 2, "price": "12.00", "tax": "1.92"}],
    "shipping": "4.50", "buyer": {"name": "Ann Lee", "email": "Ann@Example.com"},
    "shipping_address": {"city": "Portland", "country": "US"},
    "event": {"event_source_url": "https://tea.example.com/thanks", "user_data": BROWSER}}


def _make_key(owner, shop, name="Storefront server") -> str:
    response = owner.post(reverse("shops:api_keys", args=[shop.pk]), {"name": name})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return re.search(r'value="(sp_[^"]+)"', response.content.decode()).group(1)


def _post(path: str, key: str, body) -> object:
    return Client().post(f"/api/storefront/v1/{path}", body, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_key_is_shown_once_and_stored_only_as_a_fingerprint(owner, shop_a):
    key = _make_key(owner, shop_a)
    row = ApiKey.objects.get(shop=shop_a)
    assert key.startswith(f"sp_{row.prefix}_") and key not in (row.key_hash, row.prefix)
    later = owner.get(reverse("shops:api_keys", args=[shop_a.pk])).content.decode()
    assert key not in later and f"sp_{row.prefix}_…" in later
    assert AuditEvent.objects.filter(shop=shop_a, action="api_key.create").exists()


def test_viewers_cannot_make_or_revoke_keys(viewer_client, shop_a, owner):
    _make_key(owner, shop_a)
    url = reverse("shops:api_keys", args=[shop_a.pk])
    assert viewer_client.post(url, {"name": "mine"}).status_code == 403
    assert viewer_client.post(url, {"revoke": "1", "key": ApiKey.objects.get().pk}).status_code == 403
    assert "Make a key" not in viewer_client.get(url).content.decode()


def test_another_shops_key_is_a_404(owner, shop_a, shop_b):
    other = ApiKey.objects.create(shop=shop_b, name="theirs", prefix="abcd1234", key_hash="0" * 64)
    response = owner.post(reverse("shops:api_keys", args=[shop_a.pk]), {"revoke": "1", "key": other.pk})
    assert response.status_code == 404 and ApiKey.objects.get(pk=other.pk).is_active


def test_a_website_order_counts_once_at_meta_with_the_browsers_purchase(meta_shop, owner):
    from meta_sandbox import facade

    shop, pixel = meta_shop.shop, meta_shop.business["pixel_id"]
    key = _make_key(owner, shop)
    # the thank-you page's pixel fires first, with the id the snippet builds for the order
    facade.fire_browser_event(pixel, event_name="Purchase", event_id="purchase.W-1001",
                              custom_data={"value": 32.34, "currency": "USD"})
    response = _post("orders", key, ORDER)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["order"]["status"] == "recorded" and body["purchase_event"] == {
        "status": "queued", "event_id": "purchase.W-1001"}
    order = Order.objects.get(shop=shop, website_order_id="W-1001")
    assert (order.source, order.channel, order.total_minor) == ("website", "website", 2 * 1200 + 192 + 450)
    listing = owner.get(reverse("orders:index", args=[shop.pk])).content.decode()
    assert order.reference in listing
    # posted again, and updated: nothing more is recorded or sent
    assert _post("orders", key, ORDER).json()["order"]["status"] == "already_recorded"
    again = _post("orders", key, {**ORDER, "shipping": "0.00"}).json()
    assert again["purchase_event"]["status"] == "duplicate"
    assert ServerEvent.objects.filter(shop=shop).count() == 1
    kept = facade.received_events(pixel)
    assert [(e["event_name"], e["sources"], e["deduplicated"]) for e in kept] == [
        ("Purchase", ["browser", "server"], 1)]


def test_events_are_queued_with_a_result_each(meta_shop, owner):
    key = _make_key(owner, meta_shop.shop)
    events = [
        {"event_name": "AddToCart", "event_id": "addtocart.k2x9f1", "event_source_url": "https://tea.example.com/p/1",
         "user_data": BROWSER, "custom_data": {"content_ids": ["TEA-1"], "content_type": "product"}},
        {"event_name": "AddToCart", "event_id": "addtocart.k2x9f1", "event_source_url": "https://tea.example.com/p/1",
         "user_data": BROWSER},
        {"event_name": "ViewContent", "event_id": "wrong.k1", "event_source_url": "https://tea.example.com/",
         "user_data": BROWSER},
        {"event_name": "Search", "event_id": "search.q1", "event_time": "yesterday", "user_data": BROWSER},
    ]
    response = _post("events", key, {"events": events})
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["queued", "duplicate", "refused", "refused"]
    assert list(results[2]["errors"]) == ["event_id"] and list(results[3]["errors"]) == ["event_time"]


@pytest.mark.parametrize(("body", "field"), [
    ({**ORDER, "currency": "XXQ"}, "currency"),
    ({**ORDER, "currency": "JPY"}, "currency"),
    ({**ORDER, "items": []}, "items"),
    ({**ORDER, "items": [{"retailer_id": "TEA-1", "quantity": 0, "price": "1.00"}]}, "items[0].quantity"),
    ({**ORDER, "items": [{"retailer_id": "TEA-1", "quantity": 1, "price": "1.005"}]}, "items[0].price"),
    ({**ORDER, "items": [{"retailer_id": "TEA-1", "quantity": 1, "price": "-1"}]}, "items[0].price"),
    ({**ORDER, "discount": "999.00"}, "discount"),
    ({**ORDER, "order_id": ""}, "order_id"),
])
def test_a_bad_order_gets_an_error_per_field_and_records_nothing(owner, shop_a, body, field):
    key = _make_key(owner, shop_a)
    response = _post("orders", key, body)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Order.objects.filter(shop=shop_a).exists() and not ServerEvent.objects.exists()


def test_no_key_a_wrong_key_or_a_revoked_key_get_401_and_nothing_is_queued(owner, shop_a):
    key = _make_key(owner, shop_a)
    assert _post("orders", "", ORDER).status_code == 401
    assert _post("orders", key[:-2] + "xx", ORDER).status_code == 401
    owner.post(reverse("shops:api_keys", args=[shop_a.pk]), {"revoke": "1", "key": ApiKey.objects.get().pk})
    response = _post("orders", key, ORDER)
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert not Order.objects.exists() and not ServerEvent.objects.exists()


def test_bad_bodies_and_methods_get_clear_errors(owner, shop_a):
    key = _make_key(owner, shop_a)
    bad_json = Client().post("/api/storefront/v1/events", "{nope", content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    assert _post("events", key, []).status_code == 400
    assert _post("events", key, {"events": [{}] * 1001}).json()["error"]["code"] == "too_many_events"
    assert Client().get("/api/storefront/v1/events", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 405


def test_over_the_rate_a_key_gets_429_with_retry_after(owner, shop_a, settings):
    settings.STOREFRONT_API_RATE_PER_MINUTE = 3
    clear_cache()
    key = _make_key(owner, shop_a)
    statuses = [_post("events", key, {"events": []}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    limited = _post("events", key, {"events": []})
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60


def _raw(path: str, key: str, text: str):
    return Client().post(f"/api/storefront/v1/{path}", text, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.mark.parametrize(("when", "says"), [
    (1_765_000_000_000, "milliseconds"),
    ("2026-02-30T10:00:00+00:00", "real date"),
    ("2026-12-01T10:00:00", "time zone"),
    (-5, "unix time"),
    (True, "unix time"),
])
def test_a_bad_event_time_is_refused_on_its_field(meta_shop, owner, when, says):
    key = _make_key(owner, meta_shop.shop)
    event = {"event_name": "PageView", "event_id": "pageview.t1", "event_time": when,
             "event_source_url": "https://tea.example.com/", "user_data": BROWSER}
    response = _post("events", key, {"events": [event]})
    assert response.status_code == 400
    (result,) = response.json()["results"]
    assert says in result["errors"]["event_time"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400", "-Infinity"])
def test_non_finite_times_and_amounts_are_field_errors(meta_shop, owner, literal):
    key = _make_key(owner, meta_shop.shop)
    event = ('{"events": [{"event_name": "PageView", "event_id": "pageview.t2", "event_time": LITERAL, '
             '"event_source_url": "https://tea.example.com/", "user_data": {"client_user_agent": "UA", '
             '"fbp": "fb.1.1700000000000.1"}}]}').replace("LITERAL", literal)
    response = _raw("events", key, event)
    assert response.status_code == 400 and "event_time" in response.json()["results"][0]["errors"]
    order = ('{"order_id": "W-9", "currency": "USD", "items": [{"retailer_id": "TEA-1", "quantity": 1, '
             '"price": LITERAL}]}').replace("LITERAL", literal)
    response = _raw("orders", key, order)
    assert response.status_code == 400 and "items[0].price" in response.json()["errors"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({**ORDER, "items": [{"retailer_id": "TEA-1", "quantity": 1, "price": "1.00"}] * 501}, "items"),
    ({**ORDER, "items": [{"retailer_id": "TEA-1", "quantity": 1, "price": "100000000000.00"}]}, "items[0].price"),
    ({**ORDER, "items": [{"retailer_id": "TEA-1", "quantity": 10000, "price": "9000000.00"}]}, "items"),
    ({**ORDER, "shipping": "1e30"}, "shipping"),
    ({**ORDER, "order_id": "W 1001"}, "order_id"),
    ({**ORDER, "order_id": "W-1001/../x"}, "order_id"),
    ({**ORDER, "order_id": 1001}, "order_id"),
    ({**ORDER, "placed_at": "2026-13-01T00:00:00Z"}, "placed_at"),
    ({**ORDER, "placed_at": 1_765_000_000_000}, "placed_at"),
    ({**ORDER, "placed_at": "2099-01-01T00:00:00Z"}, "placed_at"),
    ({**ORDER, "currency": 840}, "currency"),
])
def test_out_of_range_orders_get_a_field_error_and_record_nothing(owner, shop_a, body, field):
    key = _make_key(owner, shop_a)
    response = _post("orders", key, body)
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    assert not Order.objects.filter(shop=shop_a).exists()


def test_a_purchase_on_events_must_carry_its_order_id_and_then_counts_once(meta_shop, owner):
    key = _make_key(owner, meta_shop.shop)
    base = {"event_name": "Purchase", "event_source_url": "https://tea.example.com/thanks", "user_data": BROWSER}
    custom = {"value": 28.92, "currency": "USD", "order_id": "W-1001"}
    response = _post("events", key, {"events": [
        {**base, "event_id": "purchase.r4nd0m", "custom_data": custom},  # a random id: would count twice
        {**base, "event_id": "purchase.W-1001", "custom_data": {"value": 28.92, "currency": "USD"}},
        {**base, "event_id": "purchase.W-1001", "custom_data": custom},
    ]})
    assert [r["status"] for r in response.json()["results"]] == ["refused", "refused", "queued"]
    assert "order id" in response.json()["results"][0]["errors"]["event_id"]
    # the order posted afterwards finds its Purchase already queued
    assert _post("orders", key, ORDER).json()["purchase_event"]["status"] == "duplicate"
    assert ServerEvent.objects.filter(event_name="Purchase").count() == 1


def test_the_purchase_is_built_from_the_order_as_first_recorded(meta_shop, owner):
    key = _make_key(owner, meta_shop.shop)
    # no browser data: a website Purchase needs the user agent, so its event is refused at first
    first = _post("orders", key, {k: v for k, v in ORDER.items() if k != "event"}).json()
    assert first["order"]["status"] == "recorded" and first["purchase_event"]["status"] == "refused"
    changed = {**ORDER, "items": [{"retailer_id": "OTHER-9", "quantity": 7, "price": "99.00"}]}
    again = _post("orders", key, changed).json()
    assert again["order"]["status"] == "already_recorded" and again["purchase_event"]["status"] == "queued"
    custom = ServerEvent.objects.get(event_name="Purchase").payload["custom_data"]
    assert custom["content_ids"] == ["TEA-1"] and custom["num_items"] == 2 and custom["value"] == 30.42


def _website_order(owner, shop) -> tuple[str, Order]:
    key = _make_key(owner, shop)
    body = {**ORDER, "items": [*ORDER["items"],
                               {"retailer_id": "CUP-2", "title": "Cup", "quantity": 3, "price": "5.00"}]}
    assert _post("orders", key, body).status_code == 202
    return key, Order.objects.get(shop=shop, website_order_id="W-1001")


def test_a_website_order_is_cancelled_through_the_api_once(meta_shop, owner):
    shop = meta_shop.shop
    key, order = _website_order(owner, shop)
    body = {"cancellation_id": "c-1", "items": [{"retailer_id": "CUP-2", "quantity": 2}],
            "reason_code": "OUT_OF_STOCK", "reason": "broke in the warehouse"}
    response = _post("orders/W-1001/cancellations", key, body)
    assert response.status_code == 202, response.content
    assert response.json()["cancellation"] == {"cancellation_id": "c-1", "status": "recorded", "units": 2}
    again = _post("orders/W-1001/cancellations", key, body)
    assert again.status_code == 202 and again.json()["cancellation"]["status"] == "already_recorded"
    assert order.cancellations.count() == 1
    order.refresh_from_db()
    assert order.units_to_ship == 3  # 2 tea + 1 cup left
    trail = AuditEvent.objects.get(action="order.cancel")
    assert trail.actor_label == "storefront API key “Storefront server”"
    page = owner.get(reverse("orders:detail", args=[shop.pk, order.pk])).content.decode()
    assert "OUT_OF_STOCK" in page or "Out of stock" in page
    # more than is left to ship, an unknown line, a bad reason: each named on its field
    too_many = _post("orders/W-1001/cancellations", key, {**body, "cancellation_id": "c-2",
                                                         "items": [{"retailer_id": "CUP-2", "quantity": 2}]})
    assert too_many.status_code == 400 and "items[0]" in too_many.json()["errors"]
    unknown = _post("orders/W-1001/cancellations", key, {**body, "cancellation_id": "c-3",
                                                        "items": [{"retailer_id": "NOPE", "quantity": 1}]})
    assert unknown.status_code == 400 and "items[0]" in unknown.json()["errors"]
    reason = _post("orders/W-1001/cancellations", key, {**body, "cancellation_id": "c-4", "reason_code": "WHIM"})
    assert reason.status_code == 400 and "reason_code" in reason.json()["errors"]
    no_id = _post("orders/W-1001/cancellations", key, {k: v for k, v in body.items() if k != "cancellation_id"})
    assert no_id.status_code == 400 and "cancellation_id" in no_id.json()["errors"]
    assert order.cancellations.count() == 1


def test_a_website_order_is_refunded_through_the_api_within_what_was_paid(meta_shop, owner):
    shop = meta_shop.shop
    key, order = _website_order(owner, shop)
    # the seller ships the tea through the order page (the cups wait)
    ship = reverse("orders:ship", args=[shop.pk, order.pk])
    form = owner.get(ship).context["form"]
    data = {bf.name: ("" if bf.value() is None else bf.value()) for bf in form if not form.fields[bf.name].disabled}
    cup = order.items.get(retailer_id="CUP-2")
    done = owner.post(ship, {**data, f"item_{cup.pk}": 0, "carrier": "UPS", "tracking_number": "1Z", "confirm": "1"})
    assert done.status_code == 302 and order.shipments.count() == 1
    body = {"refund_id": "r-1", "items": [{"retailer_id": "TEA-1", "amount": "5.00"}], "reason_code": "QUALITY_ISSUE"}
    response = _post("orders/W-1001/refunds", key, body)
    assert response.status_code == 202, response.content
    refund = order.refunds.get()
    assert response.json()["refund"] == {"refund_id": "r-1", "status": "recorded",
                                         "total": str(Money(refund.total_minor, "USD").to_decimal())}
    assert refund.subtotal_minor == 500 and refund.reason_code == "QUALITY_ISSUE"
    assert _post("orders/W-1001/refunds", key, body).json()["refund"]["status"] == "already_recorded"
    assert order.refunds.count() == 1
    over = _post("orders/W-1001/refunds", key, {**body, "refund_id": "r-2",
                                               "items": [{"retailer_id": "TEA-1", "amount": "100.00"}]})
    assert over.status_code == 400 and "At most" in over.json()["errors"]["items[0]"]
    mixed = _post("orders/W-1001/refunds", key, {"refund_id": "r-3", "items": [
        {"retailer_id": "TEA-1", "amount": "1.00"}, {"retailer_id": "CUP-2", "quantity": 1}]})
    assert mixed.status_code == 400 and "items" in mixed.json()["errors"]
    unshipped = _post("orders/W-1001/refunds", key, {"refund_id": "r-4", "items": [
        {"retailer_id": "CUP-2", "quantity": 1}]})
    assert unshipped.status_code == 400 and "shipped" in unshipped.json()["errors"]["items[0]"]
    assert order.refunds.count() == 1


def test_refunds_and_cancellations_of_another_shops_order_are_a_404(meta_shop, owner, shop_b):
    _key, _order = _website_order(owner, meta_shop.shop)
    other = ApiKey.objects.filter(shop=shop_b)
    assert not other.exists()
    from shops.api_keys import create_key

    _row, theirs = create_key(shop_b, name="theirs")
    for path in ("orders/W-1001/cancellations", "orders/W-1001/refunds"):
        response = _post(path, theirs, {"cancellation_id": "x", "refund_id": "x", "items": []})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
