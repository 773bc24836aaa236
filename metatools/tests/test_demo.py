"""The demo: the connected demo shop shows Meta's organic figures from the sandbox (read when it
was connected, and again by the sweep once its catalog is at Meta), and its Meta tools page shows
them with their dates."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from metatools.models import ProductFigures, ShopFigures
from metatools.tasks import read_due_figures
from shops.models import Shop


def test_the_demo_shop_shows_metas_figures(sandbox, settings):
    settings.GRAPH_SANDBOX_ENABLED = True
    call_command("seed_demo", stdout=io.StringIO())
    shop = Shop.objects.get(external_business_id="demo-lotus-tea")
    read_due_figures()
    stored = ShopFigures.objects.get(shop=shop).figures
    assert {name: part["state"] for name, part in stored.items()} == {
        "page": "ok", "ig_followers": "ok", "ig_reach": "ok", "products": "ok"}
    assert stored["page"]["follows"] >= 100 and stored["ig_followers"]["followers"] >= 100
    assert ProductFigures.objects.filter(shop=shop).exists() and stored["products"]["products"] > 0
    client = Client()
    client.force_login(shop.memberships.first().user)
    page = client.get(reverse("meta_tools", args=[shop.pk])).content.decode()
    assert "Page followers" in page and "Instagram followers" in page and "Products people see most on Meta" in page
