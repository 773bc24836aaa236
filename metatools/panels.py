"""What the product's page shows of Meta's own tools (a catalog.hooks product panel): Meta's
impressions of the product, and the links to tag it in a post and to plan its launch."""

from __future__ import annotations


def product_panel(product):
    from metatools.figures import shown
    from metatools.models import ProductFigures, ShopFigures
    from shops import links
    from shops.models import MetaConnection

    conn = MetaConnection.objects.filter(shop_id=product.shop_id).first()
    if conn is None or not conn.is_connected:
        return None
    figures = ProductFigures.objects.filter(product=product).first()
    products_part = shown(ShopFigures.objects.filter(shop_id=product.shop_id).first())["products"]
    return "metatools/_product_panel.html", {
        "figures": figures, "products_part": products_part,
        "tagged_post_url": links.tagged_post(conn.page_id, conn.business_manager_id),
        "launch_url": links.product_launches(conn.catalog_id),
    }
