"""Meta's organic figures for a shop connected through the FBE dialog, read by the task over real
HTTP from the sandbox and stored with their dates: Page followers and views (with the Page's own
token, never stored or journalled), Instagram followers and reach, per-product impressions from the
catalog items' commerce_insights; a missing permission says which, with Reconnect; the sweep queues
only shops whose figures are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from catalog import services, sync
from catalog.tests.factories import product_values
from graph.models import GraphCall
from meta_sandbox.facade import GraphCaller
from metatools import figures
from metatools.models import ProductFigures, ShopFigures
from metatools.tasks import read_due_figures, read_figures
from shops.models import MetaConnection


def _meta(meta_shop):
    """What Meta itself answers for the shop's Page and Instagram account (plain HTTP, as any
    client would), to compare the stored figures with."""
    conn = meta_shop.connection
    graph = GraphCaller(meta_shop.sandbox.base_url)
    token = str(conn.access_token)
    page_token = graph.get(conn.page_id, token=token, fields="access_token").json()["access_token"]
    follows = graph.get(f"{conn.page_id}/insights", token=page_token, metric="page_follows", period="day").json()
    views = graph.get(f"{conn.page_id}/insights", token=page_token, metric="page_media_view", period="days_28").json()
    ig = graph.get(conn.instagram_profile_id, token=token, fields="followers_count,username").json()
    graph.session.close()
    return {"follows": follows["data"][0]["values"][-1], "views": views["data"][0]["values"][-1], "ig": ig,
            "page_token": page_token}


def _products(meta_shop, user, n=3):
    made = [services.save_product(meta_shop.shop, values=product_values(retailer_id=f"TEA-{i}", title=f"Tea {i}"),
                                  actor=user) for i in range(n)]
    assert sync.sync_shop(meta_shop.shop.pk, "full").status == "succeeded"
    return made


def test_the_task_reads_the_organic_figures_and_stores_metas_values_with_their_dates(meta_shop, alice):
    shop = meta_shop.shop
    made = _products(meta_shop, alice)
    GraphCall.objects.all().delete()
    assert read_figures(shop.pk) == {"page": "ok", "ig_followers": "ok", "ig_reach": "ok", "products": "ok"}
    stored = ShopFigures.objects.get(shop=shop)
    meta = _meta(meta_shop)
    page = stored.figures["page"]
    assert (page["follows"], page["follows_end_time"]) == (meta["follows"]["value"], meta["follows"]["end_time"])
    assert (page["views_28d"], page["views_end_time"]) == (meta["views"]["value"], meta["views"]["end_time"])
    assert stored.figures["ig_followers"] == {"state": "ok", "followers": meta["ig"]["followers_count"],
                                              "username": meta["ig"]["username"],
                                              "read_at": stored.figures["ig_followers"]["read_at"]}
    reach = stored.figures["ig_reach"]
    today = datetime.now(UTC).date()  # yesterday's reach counts to today, 07:00 UTC
    assert reach["reach_day"] > 0 and reach["reach_end_time"] == f"{today.isoformat()}T07:00:00+0000"
    rows = {f.product_id: f for f in ProductFigures.objects.filter(shop=shop)}
    assert set(rows) == {p.pk for p in made}
    items = {i["retailer_id"]: i for i in meta_shop.catalog.products(meta_shop.catalog_id)}
    assert len(items) == 3
    totals = stored.figures["products"]
    assert totals["products"] == 3
    assert totals["organic"] == sum(r.organic_impressions for r in rows.values())
    assert stored.read_at is not None and all(r.read_at == stored.read_at for r in rows.values())
    # The Page's token is used in memory only: never stored, never in the journal.
    assert meta["page_token"] not in str(list(GraphCall.objects.values()))
    assert meta["page_token"] not in str(list(ShopFigures.objects.values()))
    assert GraphCall.objects.filter(path__endswith=f"{meta_shop.connection.page_id}/insights").count() == 2


def test_a_missing_permission_says_which_and_offers_reconnect(connect_shop, shop_a, alice, owner, sandbox):
    sandbox.decline_scopes(["read_insights", "instagram_manage_insights"])
    meta_shop = connect_shop(shop_a, alice)
    conn = meta_shop.connection
    assert "read_insights" not in conn.scopes
    GraphCall.objects.all().delete()
    states = read_figures(shop_a.pk)
    assert states == {"page": "permission", "ig_followers": "ok", "ig_reach": "permission", "products": "ok"}
    stored = ShopFigures.objects.get(shop=shop_a).figures
    assert stored["page"]["missing"] == "read_insights"
    assert stored["ig_reach"]["missing"] == "instagram_manage_insights"
    assert not GraphCall.objects.filter(path__contains="/insights").exists()  # not asked: Meta would refuse
    page = owner.get(reverse("meta_tools", args=[shop_a.pk])).content.decode()
    assert "Meta needs the read_insights permission to share this figure." in page
    assert "Meta needs the instagram_manage_insights permission" in page
    assert reverse("shops:connect", args=[shop_a.pk]) in page and "Reconnect to Meta" in page


def test_meta_refusing_a_permission_the_connection_thought_it_had_is_named_too(meta_shop, sandbox):
    shop = meta_shop.shop
    read_figures(shop.pk)
    before = ShopFigures.objects.get(shop=shop).figures["page"]
    token = str(meta_shop.connection.access_token)
    sandbox.set_token_scopes(token, [s for s in meta_shop.connection.scopes if s != "read_insights"])
    assert read_figures(shop.pk)["page"] == "permission"
    after = ShopFigures.objects.get(shop=shop).figures["page"]
    assert after["missing"] == "read_insights" and before["state"] == "ok"


def test_the_sweep_queues_shops_never_read_a_day_old_or_older_than_the_last_full_sync(meta_shop, settings):
    shop = meta_shop.shop
    ShopFigures.objects.filter(shop=shop).delete()
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    assert read_due_figures() == 1  # never read (queued and, in tests, run at once)
    assert ShopFigures.objects.filter(shop=shop, read_at__isnull=False).exists()
    assert read_due_figures() == 0  # fresh
    from catalog.models import CatalogSync

    CatalogSync.objects.filter(shop=shop).update(last_full_at=timezone.now() + timedelta(seconds=1))
    assert read_due_figures() == 1  # a full sync finished since: new items have figures
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        CatalogSync.objects.filter(shop=shop).update(last_full_at=None)
        assert read_due_figures() == 1  # a day old
    MetaConnection.objects.filter(shop=shop).update(status=MetaConnection.Status.NEEDS_RECONNECT)
    ShopFigures.objects.filter(shop=shop).delete()
    assert read_due_figures() == 0  # only usable connections


def test_connecting_reads_the_figures_at_once(meta_shop):
    assert ShopFigures.objects.filter(shop=meta_shop.shop, read_at__isnull=False).exists()


def test_figures_as_pages_show_them_carry_datetimes():
    row = ShopFigures(figures={"page": {"state": "ok", "follows": 5, "follows_end_time": "2026-05-02T07:00:00+0000",
                                        "read_at": "2026-05-02T09:30:00+00:00"}})
    shown = figures.shown(row)
    assert shown["page"]["follows_end_time"] == datetime(2026, 5, 2, 7, tzinfo=UTC)
    assert shown["page"]["read_at"] == datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
    assert figures.shown(None)["products"] == {"read_at": None, "error_at": None}


def test_staff_read_the_stored_figures_in_the_admin_and_cannot_change_them(meta_shop, staff_client):
    row = ShopFigures.objects.get(shop=meta_shop.shop)
    assert staff_client.get(reverse("admin:metatools_shopfigures_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:metatools_shopfigures_change", args=[row.pk])).status_code == 200
    assert staff_client.get(reverse("admin:metatools_productfigures_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:metatools_shopfigures_add")).status_code == 403
