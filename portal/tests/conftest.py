"""Fixtures of the portal's own tests (the shared ones are in portal/testing.py).

`seller_site`: the demo seller's world, built the way `make demo` builds it (`seed_demo`: the
first demo shop connected through the sandbox's FBE install, its products synced, buyers'
orders placed at the sandbox and polled in, ads signals, weeks of payouts read from Meta), plus
a discount, a member of each role and a finished report, so every seller page has rows in its
tables. `seller_pages` lists every GET-able seller page of that shop (read from the URL
resolver through `portal.testing.shop_routes`, so a page added later is covered too).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest

DEMO_PASSWORD = "demo-seller-2026"


@dataclass
class SellerSite:
    shop: object
    username: str
    password: str
    pages: list[tuple[str, str]] = field(default_factory=list)  # (view name, path)


@pytest.fixture
def seller_site(sandbox, settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from orders.ingest.poll import poll_shop
    from portal.management.commands.seed_demo import DEMO_USERNAME
    from portal.testing import make_user
    from promotions.services import save_discount
    from shops.models import Membership, Shop

    settings.GRAPH_SANDBOX_ENABLED = True
    call_command("seed_demo", stdout=io.StringIO())
    shop = Shop.objects.get(external_business_id="demo-lotus-tea")
    poll_shop(shop.pk, force=True)  # the buyers' orders waiting at the sandbox come in
    now = timezone.now()
    save_discount(shop, values={"title": "Spring sale", "kind": "percent", "percent_off": 10,
                                "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=30)})
    save_discount(shop, values={"title": "Free delivery over $50", "kind": "free_shipping",
                                "min_subtotal_minor": 5000, "starts_at": now})
    for username, role in (("vera", Membership.Role.VIEWER), ("manny", Membership.Role.MANAGER)):
        Membership.objects.create(user=make_user(username), shop=shop, role=role)
    return SellerSite(shop=shop, username=DEMO_USERNAME, password=DEMO_PASSWORD)


@pytest.fixture
def seller_pages(seller_site):
    """[(view name, path)] of every seller page of the demo shop: each shop route whose GET
    answers (after redirects within the shop) a full portal page; POST-only views, downloads,
    htmx fragments and redirects out of the portal (to Meta's dialog) are left out."""
    from django.test import Client

    from portal.testing import shop_routes, shop_url

    client = Client()
    assert client.login(username=seller_site.username, password=seller_site.password)
    prefix = f"/shop/{seller_site.shop.pk}/"
    found, seen = [], set()
    for name, extra in shop_routes():
        response = client.get(shop_url(name, extra, seller_site.shop), follow=True)
        path = response.request["PATH_INFO"]
        if (response.status_code != 200 or not path.startswith(prefix) or path in seen
                or not response.get("Content-Type", "").startswith("text/html")):
            continue
        if b'<main id="main"' in response.content:
            seen.add(path)
            found.append((name, path))
    return found
