"""Meta's organic figures for a shop, read by a task once a day (never inside a page) and stored
with the time they were read; pages only show what is stored. Each part is kept apart with its
state and date (shops.figures):

- "page": the Facebook Page's followers and views. Page Insights (Meta, "Get Page Insights",
  developers.facebook.com/documentation/pages-api/platforminsights/page: `GET /{page-id}/insights
  ?metric=...&period=...`, answer `{"data": [{"name", "period", "values": [{"value", "end_time"}],
  "title", "description", "id"}]}`; needs pages_read_engagement and read_insights and a Page access
  token, read from `GET /{page-id}?fields=access_token`). Metrics: `page_follows` (period day: the
  Page's followers; Meta's alternative to page_fans, deprecated on 15 November 2025) and
  `page_media_view` (period days_28: views of the Page's content over 28 days; the alternative to
  page_impressions, deprecated the same day; Pages API changelog). The last value is kept with its
  end_time, the date it counts to.
- "ig_followers": the Instagram account's `followers_count` and `username` (`GET /{ig-user-id}
  ?fields=followers_count,username`, IG User reference; instagram_basic).
- "ig_reach": the account's reach per day (`GET /{ig-user-id}/insights?metric=reach&period=day
  &metric_type=time_series&since&until`, "Instagram Account Insights"; instagram_basic,
  instagram_manage_insights, pages_read_engagement); the last full day is kept with its end_time.
- "products": per product, Meta's `commerce_insights` of the catalog item (Business SDK v26
  `ProductItem.commerce_insights` -> `ProductItemCommerceInsights {organic_impressions,
  paid_impressions, message_sends}`, facebook_business/adobjects/productitemcommerceinsights.py;
  read through `GET /{catalog-id}/products?fields=retailer_id,commerce_insights`; catalog_management).
  Meta states no period for these counts; they are shown as Meta reports them, with the date read.
  Stored per product (ProductFigures, matched by retailer id), with the shop's totals in the part.

A permission the connection was not granted is not asked for: the part says which is missing
(the page offers Reconnect). A dead token fails the task (the shop's health check owns that).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from metatools.models import ProductFigures, ShopFigures
from shops.figures import guarded
from shops.figures import when as _when

FIGURES_JOB = "metatools.read_figures"
#: the stored figures are read again when older than this (the hourly sweep checks)
FIGURES_MAX_AGE = timedelta(hours=24)
PAGE_FOLLOWS, PAGE_VIEWS = "page_follows", "page_media_view"
IG_REACH_DAYS = 7
PRODUCTS_PAGE_SIZE = 500
UPSERT_BATCH = 1000

#: part -> the permissions Meta needs for it (the docs named in the module docstring)
NEEDS = {
    "page": ("pages_read_engagement", "read_insights"),
    "ig_followers": ("instagram_basic",),
    "ig_reach": ("instagram_basic", "instagram_manage_insights", "pages_read_engagement"),
    "products": ("catalog_management",),
}
PARTS = tuple(NEEDS)


def read_figures(shop_id: int, *, client=None) -> dict:
    """Read every part for the shop and store it. Returns {part: state}."""
    from shops.graph import client_for_shop
    from shops.models import MetaConnection

    conn = MetaConnection.objects.get(shop_id=shop_id)
    if not conn.is_connected:
        return {"skipped": "not connected"}
    client = client or client_for_shop(conn)
    now = timezone.now()
    previous = dict(ShopFigures.objects.filter(shop_id=shop_id).values_list("figures", flat=True).first() or {})
    readers = {"page": lambda: _page(client, conn),
               "ig_followers": lambda: _ig_followers(client, conn.instagram_profile_id),
               "ig_reach": lambda: _ig_reach(client, conn.instagram_profile_id, now),
               "products": lambda: _products(client, conn, now)}
    stored = dict(previous)
    for name in PARTS:
        stored[name] = guarded(readers[name], previous.get(name) or {}, now, needs=NEEDS[name], granted=conn.scopes)
    ShopFigures.objects.update_or_create(shop_id=shop_id, defaults={"figures": stored, "read_at": now})
    return {name: stored[name]["state"] for name in PARTS}


def _last(rows: list, metric: str) -> tuple[int, str] | None:
    """(value, end_time) of the metric's last value in an insights answer."""
    for item in rows or []:
        if isinstance(item, dict) and item.get("name") == metric:
            values = [v for v in item.get("values") or [] if isinstance(v, dict) and "value" in v]
            if values:
                return int(values[-1]["value"]), str(values[-1].get("end_time") or "")
    return None


# --- the Facebook Page ------------------------------------------------------------------------------


def _page_client(conn, page_token: str):
    """A client for the Page's own token (Page Insights want a Page access token), journalled for
    the shop like every call; the token lives in memory only and is scrubbed from the journal."""
    from graph.client import GraphClient
    from shops.graph import record_call

    secrets = (page_token, str(conn.access_token or ""))
    return GraphClient.from_settings(page_token, on_call=lambda record: record_call(conn.shop_id, record,
                                                                                     secrets=secrets))


def _page(client, conn) -> dict:
    if not conn.page_id:
        return {"state": "no_page"}
    page_token = str(client.get(conn.page_id, {"fields": "access_token"}).get("access_token") or "")
    if not page_token:  # Meta leaves the field out for a token that may not act for the Page
        return {"state": "permission", "missing": "pages_read_engagement"}
    page = _page_client(conn, page_token)
    follows = _last(page.get(f"{conn.page_id}/insights", {"metric": PAGE_FOLLOWS, "period": "day"}).get("data"),
                    PAGE_FOLLOWS)
    views = _last(page.get(f"{conn.page_id}/insights", {"metric": PAGE_VIEWS, "period": "days_28"}).get("data"),
                  PAGE_VIEWS)
    part: dict = {"state": "ok", "page_id": conn.page_id}
    if follows:
        part["follows"], part["follows_end_time"] = follows
    if views:
        part["views_28d"], part["views_end_time"] = views
    return part


# --- the Instagram account --------------------------------------------------------------------------


def _ig_followers(client, ig_id: str) -> dict:
    if not ig_id:
        return {"state": "no_instagram"}
    found = client.get(ig_id, {"fields": "followers_count,username"})
    return {"state": "ok", "followers": int(found.get("followers_count") or 0),
            "username": str(found.get("username") or "")[:30]}


def _ig_reach(client, ig_id: str, now) -> dict:
    if not ig_id:
        return {"state": "no_instagram"}
    since = int((now - timedelta(days=IG_REACH_DAYS)).timestamp())
    rows = client.get(f"{ig_id}/insights", {"metric": "reach", "period": "day", "metric_type": "time_series",
                                            "since": since, "until": int(now.timestamp())}).get("data")
    reach = _last(rows, "reach")
    if reach is None:
        return {"state": "ok"}
    return {"state": "ok", "reach_day": reach[0], "reach_end_time": reach[1]}


# --- the products -----------------------------------------------------------------------------------


def _products(client, conn, now) -> dict:
    """Meta's commerce_insights per catalog item, stored per product; the totals in the part."""
    from catalog.models import Product

    if not conn.catalog_id:
        return {"state": "no_catalog"}
    ours = dict(Product.objects.live().filter(shop_id=conn.shop_id).values_list("retailer_id", "pk"))
    rows, totals = [], {"organic": 0, "paid": 0, "messages": 0, "products": 0}
    for item in client.paginate(f"{conn.catalog_id}/products", {"fields": "retailer_id,commerce_insights",
                                                                 "limit": PRODUCTS_PAGE_SIZE}):
        insights = item.get("commerce_insights") if isinstance(item, dict) else None
        product_id = ours.get(str(item.get("retailer_id") or "")) if isinstance(item, dict) else None
        if product_id is None or not isinstance(insights, dict):
            continue
        organic, paid = int(insights.get("organic_impressions") or 0), int(insights.get("paid_impressions") or 0)
        messages = int(insights.get("message_sends") or 0)
        rows.append(ProductFigures(shop_id=conn.shop_id, product_id=product_id, organic_impressions=organic,
                                   paid_impressions=paid, message_sends=messages, read_at=now))
        totals["organic"] += organic
        totals["paid"] += paid
        totals["messages"] += messages
        totals["products"] += 1
    with transaction.atomic():
        for start in range(0, len(rows), UPSERT_BATCH):
            ProductFigures.objects.bulk_create(
                rows[start:start + UPSERT_BATCH], update_conflicts=True, unique_fields=["product"],
                update_fields=["organic_impressions", "paid_impressions", "message_sends", "read_at"])
        # products Meta no longer reports keep no stale figures
        ProductFigures.objects.filter(shop_id=conn.shop_id, read_at__lt=now).delete()
    return {"state": "ok", **totals}


# --- what pages show --------------------------------------------------------------------------------


def shown(figures: ShopFigures | None) -> dict:
    """The stored parts as pages show them: each part with its dates as datetimes."""
    stored = (figures.figures if figures else None) or {}
    out = {}
    for name in PARTS:
        part = dict(stored.get(name) or {})
        for key in ("read_at", "error_at"):
            part[key] = _when(part.get(key))
        for key in ("follows_end_time", "views_end_time", "reach_end_time"):
            if part.get(key):
                part[key] = _end_time(part[key])
        out[name] = part
    return out


def _end_time(text: str):
    """Meta's end_time ("2026-05-02T07:00:00+0000") as a datetime."""
    from datetime import datetime

    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return _when(text)


def top_products(shop, limit: int = 10) -> list[ProductFigures]:
    """The shop's products Meta shows most (organic impressions first), with their products."""
    return list(ProductFigures.objects.filter(shop=shop, product__deleted_at__isnull=True)
                .select_related("product").order_by("-organic_impressions", "-paid_impressions", "product_id")[:limit])
