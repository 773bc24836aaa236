"""The sandbox's stand-in website answers Meta's website-checkout URL like a real checkout."""

from __future__ import annotations

import requests


def test_the_cart_shows_the_products_and_the_coupon(sandbox):
    page = requests.get(f"{sandbox.base_url}/storefront/fb-checkout", timeout=10, params={
        "products": "TEA-1:2,TEA:2:1", "coupon": "SPRING10", "cart_origin": "instagram", "fbclid": "x1"})
    assert page.status_code == 200
    assert "<td>TEA-1</td><td>2</td>" in page.text and "<td>TEA:2</td><td>1</td>" in page.text
    assert "Coupon SPRING10 applied." in page.text


def test_a_malformed_cart_is_a_400_page_naming_what_was_refused(sandbox):
    page = requests.get(f"{sandbox.base_url}/storefront/fb-checkout", timeout=10,
                        params={"products": "TEA-1:two,TEA-2:0"})
    assert page.status_code == 400 and "TEA-1:two, TEA-2:0" in page.text
    assert requests.get(f"{sandbox.base_url}/storefront/fb-checkout", timeout=10).status_code == 400
