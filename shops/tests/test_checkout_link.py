"""The shop's checkout link: the setting, the check against a fake storefront, the shop issue.

The catalog and promotions answer the check's questions through `shops.hooks`; these tests are
about the shops side, so they give those answers themselves (the end-to-end test with real
products and a real coupon is promotions/tests/test_checkout_link.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from kernel.models import JobRun
from shops import hooks
from shops.checkout import check, links
from shops.checkout.check import Result, record
from shops.models import AuditEvent, Shop, ShopIssue
from shops.tasks import check_all_checkout_links, check_checkout_link
from shops.tests.storefront import FakeStorefront

PRODUCTS = {"TEA-1": "Green tea", "TEA-2": "Tea & Honey", "MUG-9": "Blue mug"}


@pytest.fixture
def storefront():
    site = FakeStorefront(PRODUCTS, coupons=("SPRING10",)).start()
    yield site
    site.stop()


@pytest.fixture
def answers(monkeypatch, settings):
    """The catalog's and promotions' answers: three products in stock, one coupon code."""
    settings.CHECKOUT_ALLOW_LOCAL_URLS = True
    given = {"products": [hooks.CheckoutProduct(rid, title, 5) for rid, title in PRODUCTS.items()],
             "coupons": ["SPRING10"]}
    monkeypatch.setattr(hooks, "_CHECKOUT_PRODUCTS", [lambda shop, limit: given["products"][:limit]])
    monkeypatch.setattr(hooks, "_CHECKOUT_COUPONS", [lambda shop: list(given["coupons"])])
    return given


def _set_link(shop, url):
    Shop.objects.filter(pk=shop.pk).update(checkout_url=url)
    shop.refresh_from_db()


def _issue(shop):
    return ShopIssue.objects.filter(shop=shop, kind="shop.checkout_link", resolved_at__isnull=True).first()


# --- the URLs Meta builds ------------------------------------------------------------------------


def test_the_cart_is_encoded_as_in_metas_example():
    # Meta, "Set Up a Checkout URL", steps 2 and 3, byte for byte.
    url = links.build_checkout_url("https://www.example.com/checkout", [("12345", 3), ("23456", 1)],
                                   coupon="SUMMERSALE20")
    assert url == "https://www.example.com/checkout?products=12345%3A3%2C23456%3A1&coupon=SUMMERSALE20"


def test_the_sellers_own_parameters_are_kept():
    url = links.build_checkout_url("https://shop.example.com/checkout?clear=true", [("A 1", 1)],
                                   extra=[("cart_origin", "instagram"), ("fbclid", "abc")])
    assert url == "https://shop.example.com/checkout?clear=true&products=A%201%3A1&cart_origin=instagram&fbclid=abc"


def test_an_items_checkout_url_holds_that_product_once():
    assert links.item_checkout_url("https://shop.example.com/fb-checkout", "TEA-1") == \
        "https://shop.example.com/fb-checkout?products=TEA-1%3A1"
    assert links.item_checkout_url("", "TEA-1") == ""
    # Meta: "Products with comma (,) or colon (:) characters in their ID are not supported".
    assert links.item_checkout_url("https://shop.example.com/fb-checkout", "TEA:1") == ""


# --- the setting's rules -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "code"), [
    ("ftp://shop.example.com/checkout", "invalid"),
    ("https://", "invalid"),
    ("https://shop .example.com/checkout", "invalid"),
    ("http://[::1", "invalid"),
    ("https://shop.example.com:99999/checkout", "invalid"),
    ("https://owner:secret@shop.example.com/checkout", "credentials"),
    ("https://shop.example.com/checkout#cart", "fragment"),
    ("https://shop.example.com/checkout?products=A%3A1", "meta_params"),
    ("https://shop.example.com/checkout?x=1&coupon=", "meta_params"),
    ("http://shop.example.com/checkout", "https"),
    ("https://10.0.0.5/checkout", "private"),
    ("https://192.168.1.20/checkout", "private"),
    ("http://localhost:8000/fb-checkout", "private"),
    ("https://shop.example.com/" + "x" * 2000, "too_long"),
])
def test_a_bad_link_is_refused_with_a_reason(value, code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        links.validate_checkout_url(value, allow_local=False)
    assert caught.value.code == code


def test_a_good_link_is_kept_and_the_scheme_filled_in():
    assert links.validate_checkout_url(" shop.example.com/fb-checkout ", allow_local=False) == \
        "https://shop.example.com/fb-checkout"
    assert links.validate_checkout_url("https://shop.example.com/fb-checkout?clear=true", allow_local=False) == \
        "https://shop.example.com/fb-checkout?clear=true"
    assert links.validate_checkout_url("", allow_local=False) == ""


def test_this_machine_is_allowed_only_where_local_links_are():
    assert links.validate_checkout_url("http://127.0.0.1:8000/fb-checkout", allow_local=True)
    assert links.validate_checkout_url("http://localhost/fb-checkout", allow_local=True)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):  # a private network is never this machine
        links.validate_checkout_url("http://10.0.0.1/fb-checkout", allow_local=True)


# --- the Settings page ---------------------------------------------------------------------------


def test_the_settings_form_saves_the_link_and_checks_it(owner, alice, shop_a, storefront, answers,
                                                        django_capture_on_commit_callbacks):
    page = owner.get(reverse("shops:settings", args=[shop_a.pk]))
    assert page.status_code == 200 and 'name="checkout_url"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("shops:settings", args=[shop_a.pk]),
                              {"form": "checkout", "checkout_url": storefront.checkout_url})
    assert response.status_code == 302
    shop_a.refresh_from_db()
    assert shop_a.checkout_url == storefront.checkout_url
    assert shop_a.checkout_ok is True and shop_a.checkout_checked_at is not None
    event = AuditEvent.objects.get(shop=shop_a, action="shop.update")
    assert event.actor == alice and event.changes == {"checkout_url": ["", storefront.checkout_url]}
    assert JobRun.objects.filter(job="shops.checkout", shop_id=shop_a.pk, status="succeeded").count() == 1
    page = owner.get(reverse("shops:settings", args=[shop_a.pk]))
    assert f'value="{storefront.checkout_url}"' in page.text
    assert "Works" in page.text and "Last checked" in page.text
    assert "Submit the same link in Commerce Manager" not in page.text  # not connected: no account to link to


def test_saving_the_profile_leaves_the_link_alone(owner, shop_a):
    _set_link(shop_a, "https://shop.example.com/fb-checkout")
    response = owner.post(reverse("shops:settings", args=[shop_a.pk]), {
        "name": "Renamed", "storefront_url": "https://shop.example.com", "country": "US", "currency": "USD",
        "timezone": "UTC", "business_vertical": "ECOMMERCE"})
    assert response.status_code == 302
    shop_a.refresh_from_db()
    assert (shop_a.name, shop_a.checkout_url) == ("Renamed", "https://shop.example.com/fb-checkout")


@pytest.mark.parametrize("value", ["https://owner:pw@shop.example.com/c", "not a url at all", "javascript:alert(1)",
                                   "http://[::1", "https://169.254.169.254/latest", "x" * 3000])
def test_a_bad_link_is_a_field_error_not_a_500(owner, shop_a, value):
    response = owner.post(reverse("shops:settings", args=[shop_a.pk]), {"form": "checkout", "checkout_url": value})
    assert response.status_code == 200
    assert response.context["checkout_form"].errors["checkout_url"]
    assert 'class="error" id="id_checkout_url_error"' in response.text
    shop_a.refresh_from_db()
    assert shop_a.checkout_url == ""


def test_the_issue_link_highlights_the_field(owner, shop_a):
    response = owner.get(reverse("shops:settings", args=[shop_a.pk]) + "?field=checkout_url")
    assert 'id="highlight-checkout_url"' in response.text


def test_another_shops_settings_are_404(outsider_client, shop_a):
    assert outsider_client.get(reverse("shops:settings", args=[shop_a.pk])).status_code == 404
    response = outsider_client.post(reverse("shops:settings", args=[shop_a.pk]),
                                    {"form": "checkout", "checkout_url": "https://evil.example.com/c"})
    assert response.status_code == 404
    assert outsider_client.post(reverse("shops:checkout_check", args=[shop_a.pk])).status_code == 404
    shop_a.refresh_from_db()
    assert shop_a.checkout_url == ""


def test_a_viewer_cannot_change_the_link_or_check_it(viewer_client, shop_a):
    response = viewer_client.post(reverse("shops:settings", args=[shop_a.pk]),
                                  {"form": "checkout", "checkout_url": "https://shop.example.com/c"})
    assert response.status_code == 403
    assert viewer_client.post(reverse("shops:checkout_check", args=[shop_a.pk])).status_code == 403
    assert 'name="checkout_url"' in viewer_client.get(reverse("shops:settings", args=[shop_a.pk])).text


def test_check_now_queues_the_check_and_a_get_does_not(owner, shop_a, storefront, answers,
                                                       django_capture_on_commit_callbacks):
    _set_link(shop_a, storefront.checkout_url)
    owner.get(reverse("shops:settings", args=[shop_a.pk]))
    assert storefront.requests == [] and not JobRun.objects.filter(job="shops.checkout").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("shops:checkout_check", args=[shop_a.pk]))
    assert response.status_code == 302
    assert JobRun.objects.filter(job="shops.checkout", shop_id=shop_a.pk).count() == 1
    assert AuditEvent.objects.filter(shop=shop_a, action="shop.checkout_check").exists()


def test_check_now_without_a_link_says_what_to_do(owner, shop_a):
    response = owner.post(reverse("shops:checkout_check", args=[shop_a.pk]), follow=True)
    assert "Enter the checkout link first" in response.text
    assert not JobRun.objects.filter(job="shops.checkout").exists()


# --- the check against a storefront ---------------------------------------------------------------


def test_the_check_opens_the_carts_meta_sends_and_passes(shop_a, storefront, answers):
    _set_link(shop_a, storefront.checkout_url)
    counts = check_checkout_link(shop_a.pk)
    assert counts["urls"] == 4 and counts["ok"] is True
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is True and shop_a.checkout_reason == ""
    asked = [q for path, q in storefront.requests if path == "/fb-checkout"]
    assert [q["cart_origin"] for q in asked] == ["facebook", "instagram", "facebook", "meta_shops"]
    assert asked[0]["products"] == "TEA-1:1" and "coupon" not in asked[0]
    assert asked[1]["products"] == "TEA-1:2,TEA-2:1,MUG-9:1" and asked[1]["coupon"] == "SPRING10"
    assert all(len(q["fbclid"]) == 32 for q in asked)
    assert len({q["fbclid"] for q in asked}) == 4
    assert {k: asked[2][k] for k in ("utm_source", "utm_medium")} == {"utm_source": "facebook", "utm_medium": "paid"}
    # The encoding on the wire is Meta's: commas and colons escaped.
    row = shop_a.checkout_results[1]
    assert "products=TEA-1%3A2%2CTEA-2%3A1%2CMUG-9%3A1&coupon=SPRING10&cart_origin=instagram" in row["url"]
    # The storefront redirected to its own /checkout, with the tracking kept and the cart in a cookie.
    assert urlsplit(row["final_url"]).path == "/checkout" and row["redirects"] == 1
    assert parse_qs(urlsplit(row["final_url"]).query)["cart_origin"] == ["instagram"]
    assert all(p["shown"] for p in row["products"]) and row["coupon_shown"] is True


def test_a_storefront_that_drops_the_coupon_fails_with_that_reason(shop_a, storefront, answers):
    _set_link(shop_a, storefront.checkout_url)
    storefront.drop_coupon = True
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is False and shop_a.checkout_reason == "coupon_missing"
    failed = [r for r in shop_a.checkout_results if not r["ok"]]
    assert [r["origin"] for r in failed] == ["instagram", "ad", "meta_shops"]
    assert failed[0]["params"] == {"coupon": "SPRING10"}
    assert shop_a.checkout_results[0]["ok"] is True  # the one-product cart has no coupon


def test_a_storefront_that_answers_404_fails_with_that_reason(shop_a, storefront, answers):
    _set_link(shop_a, storefront.checkout_url)
    storefront.status = 404
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is False and shop_a.checkout_reason == "http_status"
    assert {r["status"] for r in shop_a.checkout_results} == {404}
    from shops.checkout.texts import reason_text

    assert reason_text("http_status", shop_a.checkout_results[0]["params"]) == \
        "Your website answered with an error page (HTTP status 404) instead of the checkout."


def test_a_storefront_that_does_not_add_a_product_fails_naming_it(shop_a, storefront, answers):
    _set_link(shop_a, storefront.checkout_url)
    del storefront.products["TEA-2"]
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_reason == "products_missing"
    failed = next(r for r in shop_a.checkout_results if not r["ok"])
    assert failed["params"] == {"products": "Tea & Honey (TEA-2)"}


def test_an_unknown_test_coupon_is_reported_but_not_failed(shop_a, storefront, answers):
    answers["coupons"] = []  # the shop has no coupon code: a test code goes in the cart
    _set_link(shop_a, storefront.checkout_url)
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is True
    assert shop_a.checkout_results[1]["coupon"] == check.TEST_COUPON
    assert shop_a.checkout_results[1]["coupon_required"] is False


def test_a_redirect_to_a_private_address_is_not_followed(shop_a, storefront, answers):
    _set_link(shop_a, storefront.checkout_url)
    storefront.redirect_to = "http://10.20.30.40/admin"  # pytest-socket would fail the test on any connect
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_reason == "unsafe_redirect"
    assert shop_a.checkout_results[0]["params"]["target"] == "10.20.30.40"


def test_a_link_to_this_machine_is_refused_in_production(shop_a, storefront, answers, settings):
    _set_link(shop_a, storefront.checkout_url)
    settings.CHECKOUT_ALLOW_LOCAL_URLS = False
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_reason == "unsafe_address" and storefront.requests == []


def test_a_slow_storefront_times_out(shop_a, storefront, answers, settings):
    settings.CHECKOUT_CHECK_TIMEOUT = 0.2
    storefront.delay = 1.0
    _set_link(shop_a, storefront.checkout_url)
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_reason == "timeout"
    assert shop_a.checkout_results[0]["params"] == {"seconds": "0.2"}


def test_only_the_first_part_of_a_huge_page_is_read(shop_a, storefront, answers, settings):
    settings.CHECKOUT_CHECK_MAX_BYTES = 4096
    storefront.padding = 20000  # the cart comes after 20 kB of filler
    _set_link(shop_a, storefront.checkout_url)
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    row = shop_a.checkout_results[0]
    assert row["truncated"] is True and row["reason"] == "products_missing"


def test_a_refused_connection_is_unreachable(shop_a, answers, storefront):
    url = storefront.checkout_url
    storefront.stop()
    _set_link(shop_a, url)
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_reason == "unreachable"
    assert shop_a.checkout_results[0]["params"] == {"detail": "connection refused"}


def test_no_product_in_stock_means_nothing_was_checked(shop_a, storefront, answers):
    answers["products"] = []
    _set_link(shop_a, storefront.checkout_url)
    check_checkout_link(shop_a.pk)
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is None and shop_a.checkout_reason == "no_products"
    assert storefront.requests == []


def test_a_result_for_a_link_changed_meanwhile_is_dropped(shop_a):
    _set_link(shop_a, "https://new.example.com/fb-checkout")
    assert record(shop_a.pk, Result(url="https://old.example.com/fb-checkout", ok=False, reason="timeout")) == \
        {"stale": True}
    shop_a.refresh_from_db()
    assert shop_a.checkout_checked_at is None and not _issue(shop_a)


# --- the shop issue ------------------------------------------------------------------------------


def test_the_issue_appears_and_disappears(meta_shop, owner, shop_a, storefront, answers):
    check_checkout_link(shop_a.pk)  # connected, no link yet
    issue = _issue(shop_a)
    assert issue.params["reason"] == "missing" and issue.severity == "must_fix"
    assert issue.cta_url == reverse("shops:settings", args=[shop_a.pk]) + "?field=checkout_url#id_checkout_url"
    page = owner.get(reverse("shops:issues", args=[shop_a.pk]))
    assert "the shop has no checkout link" in page.text and "Add the checkout link" in page.text
    assert "?field=checkout_url#id_checkout_url" in page.text

    _set_link(shop_a, storefront.checkout_url)
    storefront.status = 404
    check_checkout_link(shop_a.pk)
    issue = _issue(shop_a)
    assert issue.params["reason"] == "http_status" and issue.params["status"] == 404
    page = owner.get(reverse("shops:issues", args=[shop_a.pk]))
    assert "the checkout link does not work" in page.text and "HTTP status 404" in page.text
    assert "cannot pay" in page.text

    storefront.status = 200
    check_checkout_link(shop_a.pk)
    assert _issue(shop_a) is None
    assert ShopIssue.objects.filter(shop=shop_a, kind="shop.checkout_link").count() == 1  # kept as history
    assert "the checkout link does not work" not in owner.get(reverse("shops:issues", args=[shop_a.pk])).text


def test_a_shop_not_selling_on_meta_gets_no_issue(shop_a):
    check_checkout_link(shop_a.pk)  # never connected: no buyer comes from Meta yet
    assert _issue(shop_a) is None


# --- the schedule --------------------------------------------------------------------------------


def test_the_daily_check_covers_the_shops_selling_on_meta(meta_shop, shop_a, shop_b):
    assert check_all_checkout_links() == 1
    assert JobRun.objects.filter(job="shops.checkout", shop_id=shop_a.pk).exists()
    assert not JobRun.objects.filter(job="shops.checkout", shop_id=shop_b.pk).exists()

