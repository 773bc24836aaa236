"""Plain factory functions for catalog tests (the project has no factory_boy)."""

from __future__ import annotations

import itertools

from catalog.models import ImportJob, Product, ProductIssue, ProductSet

_seq = itertools.count(1)


def product_values(**overrides) -> dict:
    n = next(_seq)
    values = {
        "retailer_id": f"SKU-{n}",
        "title": f"Product {n}",
        "description": "A fine product.",
        "brand": "Acme",
        "link": f"https://shop.example.com/p/{n}",
        "image_link": f"https://shop.example.com/img/{n}.jpg",
        "price_minor": 999,
        "availability": "in stock",
        "condition": "new",
    }
    values.update(overrides)
    return values


def make_product(shop, **overrides) -> Product:
    values = product_values(**overrides)
    values.setdefault("currency", shop.currency)
    return Product.objects.create(shop=shop, **values)


def make_issue(shop, product=None, **overrides) -> ProductIssue:
    values = {"source": ProductIssue.Source.ITEM_ERRORS, "code": "IMAGE_RESOLUTION_LOW", "field": "image_link",
              "message": "Image too small"}
    values.update(overrides)
    return ProductIssue.objects.create(shop=shop, product=product, **values)


def make_set(shop, **overrides) -> ProductSet:
    values = {"name": f"Set {next(_seq)}", "kind": ProductSet.Kind.RULES, "brand": "Acme"}
    values.update(overrides)
    return ProductSet.objects.create(shop=shop, **values)


def make_import(shop, content="id,title\n", **overrides) -> ImportJob:
    values = {"filename": "products.csv", "status": ImportJob.Status.READY}
    values.update(overrides)
    return ImportJob.objects.create(shop=shop, content=content, **values)


CSV_HEADER = "id,title,description,availability,condition,price,link,image_link,brand"


def csv_row(rid: str, title: str = "Tea", price: str = "9.99") -> str:
    return ",".join([rid, title, "Good tea", "in stock", "new", price, f"https://t.example.com/{rid}",
                     f"https://t.example.com/{rid}.jpg", "Acme"])
