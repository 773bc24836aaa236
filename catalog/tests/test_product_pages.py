"""Sellers create, edit, group, archive and delete products on the product pages."""

from __future__ import annotations

from django.urls import reverse

from catalog.models import Product
from catalog.tests.factories import make_issue, make_product
from catalog.tests.test_forms import VALID


def test_a_seller_creates_a_product_and_lands_on_its_page(owner, shop_a):
    response = owner.post(reverse("catalog:product_new", args=[shop_a.pk]), VALID)
    product = Product.objects.get(shop=shop_a, retailer_id="TEA-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:product_edit", args=[shop_a.pk, product.pk])
    assert product.price_minor == 999 and product.needs_sync_slow


def test_errors_are_shown_next_to_their_fields_and_nothing_is_saved(owner, shop_a):
    response = owner.post(reverse("catalog:product_new", args=[shop_a.pk]),
                          {**VALID, "link": "http://tea.example.com", "gtin": "123"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_link_error"' in page and 'id="id_gtin_error"' in page
    assert 'aria-invalid="true" aria-describedby="id_link_error"' in page
    assert not Product.objects.filter(shop=shop_a).exists()


def test_long_titles_save_with_a_warning(owner, shop_a):
    response = owner.post(reverse("catalog:product_new", args=[shop_a.pk]), {**VALID, "title": "t" * 160},
                          follow=True)
    assert "may be cut off" in response.content.decode()


def test_a_seller_edits_a_product(owner, shop_a):
    product = make_product(shop_a, retailer_id="TEA-1")
    url = reverse("catalog:product_edit", args=[shop_a.pk, product.pk])
    page = owner.get(url).content.decode()
    assert 'value="9.99"' in page
    response = owner.post(url, {**VALID, "price": "12.50", "title": "Better tea"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price_minor, product.title) == (1250, "Better tea")


def test_the_product_page_lists_its_variants(owner, shop_a):
    small = make_product(shop_a, retailer_id="SHIRT-S", item_group_id="SHIRT", size="S")
    make_product(shop_a, retailer_id="SHIRT-M", item_group_id="SHIRT", size="M")
    make_product(shop_a, retailer_id="MUG", item_group_id="MUG")
    page = owner.get(reverse("catalog:product_edit", args=[shop_a.pk, small.pk])).content.decode()
    assert "SHIRT-M" in page and "SHIRT-S" in page and "MUG" not in page


def test_adding_a_variant_copies_the_product_and_groups_both(owner, shop_a):
    original = make_product(shop_a, retailer_id="SHIRT-S", title="Shirt", size="S", color="blue")
    url = reverse("catalog:product_new", args=[shop_a.pk]) + f"?variant_of={original.pk}"
    form = owner.get(url).context["form"]
    assert form["title"].value() == "Shirt" and form["retailer_id"].value() == ""
    assert form["item_group_id"].value() == "SHIRT-S"
    data = {**VALID, "retailer_id": "SHIRT-M", "title": "Shirt", "size": "M", "item_group_id": "SHIRT-S"}
    assert owner.post(url, data).status_code == 302
    original.refresh_from_db()
    assert original.item_group_id == "SHIRT-S"
    assert set(Product.objects.filter(item_group_id="SHIRT-S").values_list("retailer_id", flat=True)) == {
        "SHIRT-S", "SHIRT-M"}


def test_a_variant_of_another_shops_product_is_not_found(owner, shop_a, shop_b):
    other = make_product(shop_b)
    response = owner.get(reverse("catalog:product_new", args=[shop_a.pk]) + f"?variant_of={other.pk}")
    assert response.status_code == 404


def test_an_issue_link_highlights_the_field_to_fix(owner, shop_a):
    product = make_product(shop_a)
    make_issue(shop_a, product, code="IMAGE_RESOLUTION_LOW", field="image_link", message="Image is 300 × 300.")
    page = owner.get(reverse("catalog:product_edit", args=[shop_a.pk, product.pk]) + "?focus=image_link")
    html = page.content.decode()
    assert 'class="field is-focus has-issue" id="field-image_link"' in html
    label = html[html.index('<label for="id_image_link">'):html.index("</label>", html.index('<label for="id_image_link">'))]
    assert "Meta reported a problem with this field" in label  # read out with the field's name
    assert 'autofocus' in html and 'aria-describedby="id_image_link_helptext"' in html
    assert "Image is 300 × 300." in html and "Image too small" in html


def test_a_viewer_sees_the_product_read_only(client, bob, shop_a):
    product = make_product(shop_a)
    client.force_login(bob)
    html = client.get(reverse("catalog:product_edit", args=[shop_a.pk, product.pk])).content.decode()
    assert "Save changes" not in html and "disabled" in html and "Add a variant" not in html
    response = client.post(reverse("catalog:product_edit", args=[shop_a.pk, product.pk]), VALID)
    assert response.status_code == 403


def test_deleting_asks_first_then_keeps_a_tombstone(owner, shop_a):
    product = make_product(shop_a)
    url = reverse("catalog:product_delete", args=[shop_a.pk, product.pk])
    assert "Delete product" in owner.get(url).content.decode()
    assert owner.post(url).status_code == 302
    product.refresh_from_db()
    assert product.deleted_at is not None
    assert owner.get(reverse("catalog:product_edit", args=[shop_a.pk, product.pk])).status_code == 404


def test_creating_a_deleted_retailer_id_again_revives_its_tombstone(owner, shop_a):
    from django.utils import timezone

    from catalog import services

    old = make_product(shop_a, retailer_id="TEA-1", synced_at=timezone.now(), meta_item_id="555")
    services.delete_product(shop_a, old)
    assert owner.post(reverse("catalog:product_new", args=[shop_a.pk]), {**VALID, "title": "Back again"}
                      ).status_code == 302
    revived = Product.objects.get(shop=shop_a, retailer_id="TEA-1")
    assert revived.pk == old.pk and revived.deleted_at is None
    assert revived.title == "Back again" and revived.meta_item_id == "555" and revived.needs_sync_slow


def test_archiving_from_the_product_page(owner, shop_a):
    product = make_product(shop_a)
    edit_url = reverse("catalog:product_edit", args=[shop_a.pk, product.pk])
    response = owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
                          {"action": "archive", "products": [product.pk], "next": edit_url})
    assert response["Location"] == edit_url
    product.refresh_from_db()
    assert product.status == "archived"
    assert "Make active again" in owner.get(edit_url).content.decode()
