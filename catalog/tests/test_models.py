"""Products keep hashes of what Meta would receive; dirty flags say what the sync must send."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from catalog import services
from catalog.models import Product
from catalog.tests.factories import make_product, product_values


def test_a_new_product_needs_a_full_and_a_fast_sync(shop_a):
    product = make_product(shop_a)
    assert product.needs_sync_slow and product.needs_sync_fast
    assert len(product.slow_hash) == 64 and len(product.fast_hash) == 64
    assert product.synced_at is None and not product.retailer_id_locked


def _confirm(product):
    services.confirm_synced(product.shop, [(product.pk, product.slow_hash, product.fast_hash)])
    product.refresh_from_db()
    return product


def test_confirming_what_was_sent_makes_the_product_clean(shop_a):
    product = _confirm(make_product(shop_a))
    assert not product.needs_sync_slow and not product.needs_sync_fast
    assert product.synced_at is not None and product.retailer_id_locked


@pytest.mark.parametrize("field,value", [
    ("price_minor", 1299), ("sale_price_minor", 499), ("availability", "out of stock"),
    ("quantity_to_sell_on_facebook", 7),
])
def test_price_and_stock_changes_only_need_a_fast_sync(shop_a, field, value):
    product = _confirm(make_product(shop_a))
    setattr(product, field, value)
    product.save()
    assert product.needs_sync_fast and not product.needs_sync_slow


@pytest.mark.parametrize("field,value", [
    ("title", "Another title"), ("image_link", "https://x.example.com/new.jpg"), ("gtin", "4006381333931"),
    ("status", "archived"), ("internal_labels", ["summer"]), ("item_group_id", "G1"),
])
def test_other_changes_need_a_full_sync_only(shop_a, field, value):
    product = _confirm(make_product(shop_a))
    setattr(product, field, value)
    product.save()
    assert product.needs_sync_slow and not product.needs_sync_fast


def test_saving_without_changes_keeps_the_product_clean(shop_a):
    product = _confirm(make_product(shop_a))
    product.save()
    assert not product.needs_sync_slow and not product.needs_sync_fast


def test_changing_back_to_the_synced_value_makes_it_clean_again(shop_a):
    product = _confirm(make_product(shop_a, price_minor=999))
    product.price_minor = 1099
    product.save()
    product.price_minor = 999
    product.save()
    assert not product.needs_sync_fast


def test_a_product_edited_while_its_batch_was_on_the_way_stays_dirty(shop_a):
    product = make_product(shop_a)
    sent_slow, sent_fast = product.slow_hash, product.fast_hash
    product.title = "Edited after sending"
    product.save()
    services.confirm_synced(shop_a, [(product.pk, sent_slow, sent_fast)])
    product.refresh_from_db()
    assert product.needs_sync_slow and not product.needs_sync_fast
    assert product.synced_slow_hash == sent_slow


def test_save_with_update_fields_also_stores_the_hashes(shop_a):
    product = _confirm(make_product(shop_a))
    product.title = "Only the title"
    product.save(update_fields=["title"])
    product.refresh_from_db()
    assert product.needs_sync_slow and product.title == "Only the title"


def test_deleting_leaves_a_tombstone_that_needs_a_delete_at_meta(shop_a):
    product = _confirm(make_product(shop_a))
    services.delete_product(shop_a, product)
    product.refresh_from_db()
    assert product.deleted_at is not None
    assert product.needs_sync_slow and not product.needs_sync_fast
    assert not Product.objects.live().filter(pk=product.pk).exists()
    assert Product.objects.needing_full_sync().filter(pk=product.pk).exists()


def test_the_fast_lane_takes_known_live_products_whose_price_or_stock_changed(shop_a):
    new = make_product(shop_a)
    price_only = _confirm(make_product(shop_a))
    price_only.price_minor += 1
    price_only.save()
    both = _confirm(make_product(shop_a))
    both.price_minor += 1
    both.title += "!"
    both.save()
    clean = _confirm(make_product(shop_a))
    gone = _confirm(make_product(shop_a))
    services.delete_product(shop_a, gone)
    # "both" goes out twice: its price in the fast lane now, its title with the next changes sync.
    assert set(Product.objects.needing_fast_sync()) == {price_only, both}
    assert set(Product.objects.needing_full_sync()) == {new, both, gone}
    assert clean not in Product.objects.pending_sync()


@pytest.mark.parametrize("queue,index", [("needing_full_sync", "catalog_product_dirty_slow"),
                                         ("needing_fast_sync", "catalog_product_dirty_fast")])
def test_the_dirty_queries_read_only_their_partial_indexes(shop_a, queue, index):
    clean = []
    for values in (product_values() for _ in range(300)):
        product = Product(shop=shop_a, currency="USD", synced_at=timezone.now(), **values)
        product.refresh_sync_state()
        product.synced_slow_hash, product.synced_fast_hash = product.slow_hash, product.fast_hash
        product.refresh_sync_state()
        clean.append(product)
    Product.objects.bulk_create(clean)
    for product in clean[:3]:
        product.title, product.price_minor = "changed", 1
        product.save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sql, params = getattr(Product.objects.filter(shop=shop_a), queue)().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        else:
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
    assert index in plan
