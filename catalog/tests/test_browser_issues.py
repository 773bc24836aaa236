"""Browser test: a seller fixes an image issue Meta reported, from the Issues page to the
product form, and the next sync clears it (headless Debian Chromium driven by Playwright)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog import sync
from catalog.models import Product, ProductIssue
from catalog.tests.factories import make_product
from catalog.tests.syncing import connect
from meta_sandbox.facade import CatalogControl

pytestmark = pytest.mark.browser


def test_a_seller_fixes_an_image_issue_and_the_next_sync_clears_it(page, live_server, sandbox, alice, shop_a):
    made = connect(sandbox, shop_a)
    # Meta refuses images whose link says "small" (too small: under 500 × 500 pixels).
    CatalogControl(sandbox).reject("TEA-*", "IMAGE_RESOLUTION_LOW", when={"image_link": "*small*"})
    product = make_product(shop_a, retailer_id="TEA-1", title="Jasmine tea",
                           image_link="https://t.example.com/jasmine-small.jpg")
    make_product(shop_a, retailer_id="TEA-2", title="Oolong")
    sync.sync_shop(shop_a.pk, "changes")
    assert ProductIssue.objects.open().filter(product=product, code="IMAGE_RESOLUTION_LOW").exists()

    base = live_server.url
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.goto(f"{base}{reverse('shops:issues', args=[shop_a.pk])}")
    card = page.locator("li", has_text="image that is too small").first
    assert card.is_visible()
    card.get_by_role("link", name="Edit Main image link").click()
    page.wait_for_url(f"**{reverse('catalog:product_edit', args=[shop_a.pk, product.pk])}?focus=image_link*")
    field = page.get_by_label("Main image link", exact=False).first
    assert field.evaluate("el => el === document.activeElement || el.getAttribute('aria-invalid') !== null "
                          "|| el.closest('.focus, .highlight, [data-focus]') !== null")
    field.fill("https://t.example.com/jasmine-1200.jpg")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    product.refresh_from_db()
    assert product.image_link.endswith("jasmine-1200.jpg") and product.needs_sync_slow

    # The next sync sends the fixed product; Meta accepts it and the issue resolves itself.
    sync.sync_shop(shop_a.pk, "changes")
    assert not ProductIssue.objects.open().filter(product=product).exists()
    page.goto(f"{base}{reverse('shops:issues', args=[shop_a.pk])}")
    assert "image that is too small" not in page.content()
    assert not Product.objects.get(pk=product.pk).needs_sync
    held = CatalogControl(sandbox).product(made["catalog_id"], "TEA-1")
    assert held["image_link"].endswith("jasmine-1200.jpg")
