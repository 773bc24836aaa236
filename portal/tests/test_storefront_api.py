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
from orders.models import Order
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
    from django.core.cache import cache

    cache.clear()
    key = _make_key(owner, shop_a)
    statuses = [_post("events", key, {"events": []}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    limited = _post("events", key, {"events": []})
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
