"""Demo catalog: about 30 products with variants per demo shop, a product set and a few issues.

Idempotent: products are only created when their retailer id is missing, so running the seed
again neither duplicates them nor overwrites what a demo user changed.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlparse

from django.db import transaction
from django.utils.text import slugify

from catalog import sets
from catalog.issues import Reported, record_issues
from catalog.models import Product, ProductIssue, ProductSet

# (group id, title, product type, brand, base price in minor units, variants [(suffix, attrs, price delta)])
_TEA_SIZES = [("50", {"size": "50 g"}, 0), ("100", {"size": "100 g"}, 700), ("250", {"size": "250 g"}, 2000)]
TEA = [
    ("JASMINE", "Jasmine green tea", "Tea > Green tea", 1200, _TEA_SIZES),
    ("LONGJING", "Dragon Well (Longjing) green tea", "Tea > Green tea", 1800, _TEA_SIZES),
    ("TIEGUANYIN", "Tieguanyin oolong", "Tea > Oolong", 1600, _TEA_SIZES),
    ("EARLGREY", "Earl Grey black tea", "Tea > Black tea", 1000, _TEA_SIZES),
    ("PUERH", "Aged pu-erh", "Tea > Dark tea", 2400, _TEA_SIZES),
    ("CHAMOMILE", "Chamomile flowers", "Tea > Herbal", 900, _TEA_SIZES),
    ("WHITEPEONY", "White peony (Bai Mudan)", "Tea > White tea", 2000, _TEA_SIZES),
    ("CUP", "Porcelain tea cup", "Teaware > Cups", 800,
     [("WHITE", {"color": "white"}, 0), ("CELADON", {"color": "celadon"}, 200), ("BLACK", {"color": "black"}, 200)]),
    ("GAIWAN", "Porcelain gaiwan", "Teaware > Brewing", 2800, [("", {}, 0)]),
    ("YIXING", "Yixing clay teapot", "Teaware > Brewing", 6800, [("", {"material": "Zisha clay"}, 0)]),
    ("TRAY", "Bamboo tea tray", "Teaware > Trays", 4500, [("", {"material": "bamboo"}, 0)]),
    ("CANISTER", "Tin tea canister", "Teaware > Storage", 1500, [("", {"material": "tin"}, 0)]),
    ("STRAINER", "Fine tea strainer", "Teaware > Brewing", 700, [("", {"material": "stainless steel"}, 0)]),
    ("GIFTSET", "Tea discovery gift set", "Gifts", 3900, [("", {}, 0)]),
]
CERAMICS = [
    ("MUG", "Stoneware mug", "Tableware > Mugs", 1800,
     [("SAND", {"color": "sand"}, 0), ("SEA", {"color": "sea green"}, 0), ("INK", {"color": "ink blue"}, 0),
      ("CHALK", {"color": "chalk white"}, 0)]),
    ("BOWL", "Everyday bowl", "Tableware > Bowls", 1600,
     [("S", {"size": "S"}, 0), ("M", {"size": "M"}, 400), ("L", {"size": "L"}, 900)]),
    ("PLATE", "Side plate", "Tableware > Plates", 1400,
     [("SAND", {"color": "sand"}, 0), ("SEA", {"color": "sea green"}, 0), ("INK", {"color": "ink blue"}, 0)]),
    ("DINNER", "Dinner plate", "Tableware > Plates", 2200,
     [("SAND", {"color": "sand"}, 0), ("SEA", {"color": "sea green"}, 0), ("INK", {"color": "ink blue"}, 0)]),
    ("VASE", "Bud vase", "Home > Vases", 2400,
     [("SAND", {"color": "sand"}, 0), ("SEA", {"color": "sea green"}, 0), ("INK", {"color": "ink blue"}, 0)]),
    ("ESPRESSO", "Espresso cup and saucer", "Tableware > Cups", 1500,
     [("SAND", {"color": "sand"}, 0), ("INK", {"color": "ink blue"}, 0)]),
    ("TEAPOT", "Harbour teapot", "Tableware > Teapots", 5400, [("", {}, 0)]),
    ("JUG", "Milk jug", "Tableware > Jugs", 2000, [("", {}, 0)]),
    ("BUTTER", "Butter dish", "Tableware > Serving", 2600, [("", {}, 0)]),
    ("PLATTER", "Serving platter", "Tableware > Serving", 4800, [("", {}, 0)]),
    ("SALTPIG", "Salt pig", "Kitchen > Storage", 2200, [("", {}, 0)]),
    ("PLANTER", "Small planter", "Home > Planters", 2800, [("", {}, 0)]),
    ("SPOONREST", "Spoon rest", "Kitchen > Utensils", 900, [("", {}, 0)]),
    ("CANDLE", "Ceramic candle holder", "Home > Candles", 1700, [("", {}, 0)]),
    ("GIFTCARD", "Workshop gift voucher", "Gifts", 5000, [("", {}, 0)]),
]
CATALOGS = [("Lotus", TEA, "tea"), ("Harbour Ceramics", CERAMICS, "ceramics")]


def seed(shops, stdout=None) -> None:
    for shop, (brand, catalog, kind) in zip(shops, CATALOGS, strict=False):
        created = _seed_shop(shop, brand, catalog, kind)
        if stdout is not None:
            stdout.write(f"Catalog: {created} new products for {shop.name} "
                         f"({Product.objects.live().filter(shop=shop).count()} in all)")


@transaction.atomic
def _seed_shop(shop, brand: str, catalog, kind: str) -> int:
    host = urlparse(shop.storefront_url).netloc or f"{slugify(shop.name)}.example.com"
    created, products = 0, []
    for n, (group, title, product_type, base_price, variants) in enumerate(catalog):
        for suffix, attrs, delta in variants:
            retailer_id = f"{group}-{suffix}" if suffix else group
            slug = slugify(retailer_id)
            label = " ".join(v for v in attrs.values() if v not in ("Zisha clay", "bamboo", "tin", "stainless steel"))
            defaults = {
                "title": f"{title} – {label}" if label else title,
                "description": f"{title} from {shop.name}. Made with care and packed by hand.",
                "brand": brand, "currency": shop.currency,
                "link": f"https://{host}/products/{slug}", "image_link": f"https://{host}/images/{slug}.jpg",
                "additional_image_links": [f"https://{host}/images/{slug}-2.jpg"],
                "price_minor": base_price + delta, "product_type": product_type,
                "item_group_id": group if len(variants) > 1 else "",
                "availability": "out of stock" if n % 9 == 4 else "in stock",
                "quantity_to_sell_on_facebook": 0 if n % 9 == 4 else 10 + (n * 7) % 40,
                "condition": "new", "age_group": "adult",
                "shipping_weight_value": Decimal("0.3"), "shipping_weight_unit": "kg",
                **attrs,
            }
            if n == 1:
                defaults["sale_price_minor"] = (base_price + delta) * 8 // 10
            product, was_created = Product.objects.get_or_create(shop=shop, retailer_id=retailer_id, defaults=defaults)
            created += was_created
            products.append(product)
    _seed_set(shop, products[:5])
    _seed_issues(shop, products)
    return created


def _seed_set(shop, picked) -> None:
    product_set, _ = ProductSet.objects.get_or_create(shop=shop, name="Bestsellers",
                                                      defaults={"kind": ProductSet.Kind.PICKED})
    if product_set.kind == ProductSet.Kind.PICKED and not product_set.products.exists():
        sets.add_products(shop, product_set, picked)


def _seed_issues(shop, products) -> None:
    """A few of the problems Meta typically reports, so the demo's issue cards have content."""
    items = ProductIssue.Source.ITEM_ERRORS
    record_issues(shop, items, {
        products[2].pk: [Reported(code="IMAGE_RESOLUTION_LOW", field="image_link",
                                  message="The image is 320 × 320 pixels; at least 500 × 500 is needed.")],
        **{p.pk: [Reported(code="UNIQUE_PRODUCT_IDENTIFIER_MISSING", field="gtin", severity="opportunity")]
           for p in products[-3:]},
    })
