"""The product list filters, searches and pages through a large catalog with few queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog import listing, services
from catalog.models import Product
from catalog.tests.factories import make_issue, make_product, product_values


def _listed(client, shop, **params):
    response = client.get(reverse("catalog:products", args=[shop.pk]), params)
    assert response.status_code == 200
    return [p.retailer_id for p in response.context["page"].products]


def _bulk_products(shop, n, **overrides):
    products = []
    for _ in range(n):
        p = Product(shop=shop, currency=shop.currency, **product_values(**overrides))
        p.refresh_sync_state()
        products.append(p)
    Product.objects.bulk_create(products)


def test_newest_products_come_first(owner, shop_a):
    make_product(shop_a, retailer_id="OLD")
    make_product(shop_a, retailer_id="NEW")
    assert _listed(owner, shop_a) == ["NEW", "OLD"]


def test_search_finds_title_retailer_id_and_brand(owner, shop_a):
    make_product(shop_a, retailer_id="TEA-1", title="Jasmine green tea", brand="Lotus")
    make_product(shop_a, retailer_id="MUG-1", title="Mug", brand="Harbour")
    assert _listed(owner, shop_a, q="jasmine") == ["TEA-1"]
    assert _listed(owner, shop_a, q="mug-1") == ["MUG-1"]
    assert _listed(owner, shop_a, q="harbour") == ["MUG-1"]


def test_filters_by_availability_status_and_variant_group(owner, shop_a):
    make_product(shop_a, retailer_id="A", availability="out of stock")
    make_product(shop_a, retailer_id="B", status="archived", item_group_id="G")
    make_product(shop_a, retailer_id="C", item_group_id="G")
    assert _listed(owner, shop_a, availability="out of stock") == ["A"]
    assert _listed(owner, shop_a, status="archived") == ["B"]
    assert _listed(owner, shop_a, group="G") == ["C", "B"]


def test_filters_by_sync_state(owner, shop_a):
    never = make_product(shop_a, retailer_id="NEVER")
    synced = make_product(shop_a, retailer_id="SYNCED")
    waiting = make_product(shop_a, retailer_id="WAITING")
    services.confirm_synced(shop_a, [(p.pk, p.slow_hash, p.fast_hash) for p in (synced, waiting)])
    waiting.refresh_from_db()
    waiting.price_minor += 100
    waiting.save()
    assert _listed(owner, shop_a, sync="synced") == ["SYNCED"]
    assert _listed(owner, shop_a, sync="pending") == ["WAITING", "NEVER"]
    assert _listed(owner, shop_a, sync="never") == [never.retailer_id]


def test_filters_by_open_issue(owner, shop_a):
    small = make_product(shop_a, retailer_id="SMALL-IMG")
    gtin = make_product(shop_a, retailer_id="NO-GTIN")
    fixed = make_product(shop_a, retailer_id="FIXED")
    make_product(shop_a, retailer_id="FINE")
    make_issue(shop_a, small, code="IMAGE_RESOLUTION_LOW")
    make_issue(shop_a, gtin, code="UNIQUE_PRODUCT_IDENTIFIER_MISSING", field="gtin")
    make_issue(shop_a, fixed, code="IMAGE_RESOLUTION_LOW", resolved_at=timezone.now())
    assert _listed(owner, shop_a, issue="IMAGE_RESOLUTION_LOW") == ["SMALL-IMG"]
    assert _listed(owner, shop_a, issue="any") == ["NO-GTIN", "SMALL-IMG"]
    assert _listed(owner, shop_a, issue="none") == ["FINE", "FIXED"]


def test_an_invalid_filter_is_dropped_and_the_others_still_apply(owner, shop_a):
    make_product(shop_a, retailer_id="A", availability="out of stock")
    make_product(shop_a, retailer_id="B")
    assert _listed(owner, shop_a, availability="out of stock", issue="NO_SUCH_CODE") == ["A"]


def test_deleted_products_and_other_shops_products_are_not_listed(owner, shop_a, shop_b):
    make_product(shop_b, retailer_id="B-1")
    gone = make_product(shop_a, retailer_id="GONE")
    services.delete_product(shop_a, gone)
    make_product(shop_a, retailer_id="HERE")
    assert _listed(owner, shop_a) == ["HERE"]


def test_keyset_pages_walk_forward_and_back_without_gaps(owner, shop_a):
    _bulk_products(shop_a, 120)
    all_ids = list(Product.objects.filter(shop=shop_a).order_by("-pk").values_list("retailer_id", flat=True))
    url = reverse("catalog:products", args=[shop_a.pk])
    first = owner.get(url).context["page"]
    assert first.total == 120 and first.prev_before is None
    second = owner.get(url, {"after": first.next_after}).context["page"]
    third = owner.get(url, {"after": second.next_after}).context["page"]
    seen = [p.retailer_id for page in (first, second, third) for p in page.products]
    assert seen == all_ids and third.next_after is None
    back = owner.get(url, {"before": third.prev_before}).context["page"]
    assert [p.retailer_id for p in back.products] == [p.retailer_id for p in second.products]


def test_paging_keeps_the_filters(owner, shop_a):
    _bulk_products(shop_a, 60, availability="out of stock")
    page = owner.get(reverse("catalog:products", args=[shop_a.pk]), {"availability": "out of stock"})
    assert "availability=out+of+stock&amp;after=" in page.content.decode()


def test_the_list_needs_the_same_few_queries_for_5_or_50_products(owner, shop_a, django_assert_max_num_queries):
    def products_with_issues(n):
        _bulk_products(shop_a, n)
        for product in Product.objects.filter(shop=shop_a).order_by("-pk")[:5]:
            make_issue(shop_a, product)

    url = reverse("catalog:products", args=[shop_a.pk])
    owner.get(url)  # the first visit also stores the user's last shop
    products_with_issues(5)
    with CaptureQueriesContext(connection) as few:
        owner.get(url)
    products_with_issues(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = owner.get(url)
    assert len(response.context["page"].products) == 50
    # 16: each app's issue provider reads one row for the navigation badge (finance added one);
    # the badge from one stored count is issue 16's work.
    assert len(few.captured_queries) <= 16


def test_the_list_query_is_served_by_the_live_index(shop_a):
    _bulk_products(shop_a, 30)
    products = listing.filtered_products(shop_a, {})
    sql, params = products.order_by("-id")[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "catalog_product_live" in plan or "catalog_product_uniq" in plan
            assert "TEMP B-TREE" not in plan  # no sort step: rows come in index order
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "catalog_product_live" in plan and "Sort" not in plan


def test_a_viewer_sees_the_list_without_bulk_controls(client, bob, shop_a):
    make_product(shop_a)
    client.force_login(bob)
    html = client.get(reverse("catalog:products", args=[shop_a.pk])).content.decode()
    assert 'name="products"' not in html and "Apply to selected" not in html


def test_an_empty_catalog_explains_what_to_do_first(owner, shop_a):
    html = owner.get(reverse("catalog:products", args=[shop_a.pk])).content.decode()
    assert "No products yet" in html and reverse("catalog:product_new", args=[shop_a.pk]) in html


@pytest.mark.parametrize("column", ["title", "retailer_id", "brand"])
def test_search_can_use_the_trigram_indexes_on_postgresql(shop_a, column):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    _bulk_products(shop_a, 30)
    # The index expression must match the SQL Django writes for icontains, or it is never used.
    sql, params = Product.objects.filter(**{f"{column}__icontains": "rare-term"}).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert f"catalog_product_{column}_trgm" in plan


def test_a_huge_match_is_counted_only_up_to_the_limit(owner, shop_a, monkeypatch):
    assert listing.COUNT_LIMIT == 1000
    monkeypatch.setattr(listing, "COUNT_LIMIT", 20)
    _bulk_products(shop_a, 25)
    response = owner.get(reverse("catalog:products", args=[shop_a.pk]))
    assert response.context["page"].total == 21
    assert "More than 20 products" in response.content.decode()


def test_the_catalog_figures_read_only_the_covering_index_on_postgresql(shop_a):
    if connection.vendor != "postgresql":
        pytest.skip("the covering index exists on PostgreSQL only")
    import re

    from django.test.utils import CaptureQueriesContext

    from catalog import summary

    _bulk_products(shop_a, 30)
    with CaptureQueriesContext(connection) as captured:
        found = summary.counts(shop_a)
    assert found["total"] == 30 and len(captured.captured_queries) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_product_counts'")
        (definition,) = cursor.fetchone()
    covered = set(re.findall(r"\w+", definition.split("(", 1)[1]))
    # Every column the counts read is in the index, so PostgreSQL can answer from it alone.
    read = set(re.findall(r'"catalog_product"\."(\w+)"', captured.captured_queries[0]["sql"]))
    assert read and read <= covered, read - covered

